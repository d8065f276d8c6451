"""``make lab``: JupyterLab in Chinese on copies of the shipped notebooks.

The notebooks in ``notebooks/`` are the project's (reviewed, tested by nbval, their outputs stored):
JupyterLab autosaves what it opens, outputs and all, so an analyst's session would rewrite them. ``make lab``
opens copies in ``LAB_DIR`` (``lab/`` by default, not tracked by git) instead: a notebook is copied (with its
paired .py) the first time only, so an analyst's own changes stay; if the shipped one changed since, it says
so and how to get the new one. The interface is in Chinese (the zh-CN language pack, chosen in a settings
folder inside ``LAB_DIR``). To change a shipped notebook, edit its paired ``notebooks/NN_name.py``.

    .venv/bin/python scripts/lab.py [LAB_DIR] [-- jupyter lab options]
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "notebooks"
#: JupyterLab's user settings: the interface language (the language pack's locale); no news or update
#: checks (the county's machine may have no internet, and nothing needs to be asked of it)
SETTINGS = {
    "@jupyterlab/translation-extension/plugin.jupyterlab-settings": {"locale": "zh_CN"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_notebooks(folder: Path) -> list[str]:
    """Copy each shipped notebook (and its paired .py) into ``folder`` unless a copy is there; returns
    what to tell the analyst (copied, kept, or kept although the shipped one changed)."""
    folder.mkdir(parents=True, exist_ok=True)
    record_path = folder / ".shipped.json"  # the shipped notebooks' digests when copied
    record = json.loads(record_path.read_text(encoding="utf-8")) if record_path.exists() else {}
    said = []
    for notebook in sorted(SHIPPED.glob("[0-9][0-9]_*.ipynb")):
        copy = folder / notebook.name
        if not copy.exists():
            for source in (notebook, notebook.with_suffix(".py")):
                if source.exists():
                    shutil.copy2(source, folder / source.name)
            record[notebook.name] = _digest(notebook)
            said.append(f"复制 {notebook.name} → {copy}")
        elif record.get(notebook.name) != _digest(notebook):
            said.append(f"notebooks/{notebook.name} 已更新；您的副本 {copy} 未覆盖（要新版：删除副本后重新 make lab）")
    record_path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return said


def write_settings(folder: Path) -> Path:
    """JupyterLab's settings folder for these copies (the interface in Chinese); its path."""
    settings = folder / ".jupyterlab-settings"
    for name, values in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return settings


def main(argv: list[str]) -> int:
    options = argv[argv.index("--") + 1 :] if "--" in argv else []
    places = argv[: argv.index("--")] if "--" in argv else argv
    folder = Path(places[0] if places else ROOT / "lab").resolve()
    for line in copy_notebooks(folder):
        print(f"[lab] {line}")
    print(f"[lab] 打开的是副本（{folder}）；项目的笔记本在 notebooks/，改动请编辑其 .py 配对文件")
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(write_settings(folder))}
    command = [str(Path(sys.executable).with_name("jupyter")), "lab", "--ip=127.0.0.1", "--no-browser"]
    command += ["--allow-root"] if os.geteuid() == 0 else []
    command += [f"--ServerApp.root_dir={folder}", *options]
    os.execve(command[0], command, env)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
