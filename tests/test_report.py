"""End to end: ``kpi report`` runs the notebooks through papermill and renders HTML."""

import subprocess
import sys

import nbformat
import pytest

from tests.conftest import tree_hashes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    from kpi import paths
    import shutil

    base = tmp_path_factory.mktemp("report")
    raw = base / "raw"
    shutil.copytree(paths.RAW, raw)
    before = tree_hashes(raw)
    result = subprocess.run([sys.executable, "-m", "kpi.cli", "report", "--raw", str(raw), "--processed",
                             str(base / "processed"), "--out", str(base / "reports")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert tree_hashes(raw) == before
    return base / "reports"


def test_report_writes_notebook_and_html(report_run):
    notebook = nbformat.read(report_run / "01_ingest.ipynb", as_version=4)
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    stderr = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code"
                     for o in c.outputs if o.get("name") == "stderr")
    assert "missing from font" not in stderr and "Glyph" not in stderr
    html = (report_run / "01_ingest.html").read_text(encoding="utf-8")
    assert "全县 = 各区域合计" in html and "示例数据" in html and "data:image/png;base64" in html
    assert "from kpi" not in html  # code cells hidden
    assert not list(report_run.glob(".*"))  # no temporary files left behind


def test_leaderboard_report(report_run):
    notebook = nbformat.read(report_run / "02_leaderboard.ipynb", as_version=4)
    assert not [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    html = (report_run / "02_leaderboard.html").read_text(encoding="utf-8")
    assert "晾晒表" in html and "超序时" in html and "示例数据" in html
    assert html.count("src=\"data:image/png;base64") == 2  # heatmap and bump chart


def test_trajectory_report(report_run):
    html = (report_run / "03_trajectories.html").read_text(encoding="utf-8")
    assert "迈向2027" in html and "需加快" in html and "示例数据" in html
    assert html.count("src=\"data:image/png;base64") == 2
