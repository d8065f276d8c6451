#!/usr/bin/env bash
# After editing a notebook's paired .py file: rebuild the .ipynb and store fresh outputs
# (the outputs nbval compares). Timings are not recorded, so re-running changes no bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
for py in notebooks/[0-9][0-9]_*.py; do
    .venv/bin/jupytext --to ipynb --update "$py" -o "${py%.py}.ipynb" >/dev/null 2>&1 || .venv/bin/jupytext --to ipynb "$py" >/dev/null
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.record_timing=False --ExecutePreprocessor.kernel_name=python3 "${py%.py}.ipynb"
done
# Widget state (05_explore: plotly.js inside every chart's state, megabytes) is not kept, nor the outputs
# that only point at it (they would show "model not found"): the widgets come alive when the notebook is
# run, in JupyterLab or Voilà. Plain outputs (the what-if table nbval checks) are kept.
.venv/bin/python - <<'PY'
import glob, nbformat
WIDGET = "application/vnd.jupyter.widget-view+json"
for path in glob.glob("notebooks/[0-9][0-9]_*.ipynb"):
    notebook = nbformat.read(path, as_version=4)
    changed = notebook.metadata.pop("widgets", None) is not None
    for cell in notebook.cells:
        kept = [o for o in cell.get("outputs", []) if WIDGET not in o.get("data", {})]
        if len(kept) != len(cell.get("outputs", [])):
            cell.outputs, changed = kept, True
    if changed:
        nbformat.write(notebook, path)
PY
