"""A batch's local worker keeps one kernel for its notebooks (kpi.publish.runner.KernelSession), and the batch
prints each report's PDF as it finishes: each notebook must start as in a fresh kernel (no variable,
figure or numbering of the one before), a failure (of a notebook or of its PDF) must not reach the next
notebook or report, and no kernel may outlive its worker."""

import json
import logging
from pathlib import Path

import nbformat
import psutil
import pytest

from kpi.core import paths
from kpi.publish.runner import KernelSession, NotebookFailed, execute_notebook

PROBE = [
    "value = 0  # parameters",
    "import os\nif value == 'fail':\n    raise ValueError('asked to fail')\n"
    "seen = sorted(k for k in globals() if not k.startswith('_') and k not in {'In', 'Out', 'get_ipython', 'exit', 'quit', 'open'})",
    "import matplotlib.pyplot as plt\nplt.figure()\n"
    "print(value, seen, get_ipython().execution_count, len(plt.get_fignums()), os.getpid())",
]

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def kernels(request):
    """Warm kernels (the ``warm_kernels`` fixture) but for the tests marked ``installed_kernels``: they look at
    kernel processes, and start the installed kernel spec's."""
    if not request.node.get_closest_marker("installed_kernels"):
        request.getfixturevalue("warm_kernels")


def _probe(folder: Path) -> Path:
    cells = [nbformat.v4.new_code_cell(source) for source in PROBE]
    cells[0].metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    path = folder / "probe.ipynb"
    nbformat.write(notebook, path)
    return path


def _printed(notebook: Path) -> list:
    """What the probe's last cell printed: value, names in the namespace, execution count, open figures, pid.
    All its stdout, joined: a kernel flushes its stdout on a timer, so under load one print may arrive as
    two stream outputs (a make test once failed reading only the first)."""
    outputs = nbformat.read(notebook, as_version=4).cells[-1].outputs
    text = "".join(output["text"] for output in outputs if output.get("name") == "stdout").strip()
    head, rest = text.split(" [", 1)
    names, tail = rest.split("] ", 1)
    count, figures, pid = tail.split()
    return [head, names, int(count), int(figures), int(pid)]


@pytest.mark.installed_kernels  # its kernel ended when the session closes (a forked one ends a moment later)
def test_each_notebook_in_a_reused_kernel_starts_as_in_a_fresh_one(tmp_path):
    probe = _probe(tmp_path)
    fresh = _printed(execute_notebook(probe, tmp_path / "fresh.ipynb", {"value": 2}))
    session = KernelSession()
    try:
        runs = [
            _printed(execute_notebook(probe, tmp_path / f"run{i}.ipynb", {"value": i}, kernel=session))
            for i in (1, 2, 3)
        ]
    finally:
        session.close()
    assert len({run[4] for run in runs}) == 1, "the three notebooks did not share a kernel"
    assert not psutil.pid_exists(runs[0][4]) or psutil.Process(runs[0][4]).status() == psutil.STATUS_ZOMBIE
    # the same namespace, numbering and figures as in a fresh kernel: nothing of the notebook before
    assert runs[1][:4] == fresh[:4]
    assert [run[1:4] for run in runs] == [fresh[1:4]] * 3


def test_a_failure_in_a_reused_kernel_gives_the_next_notebook_a_new_kernel(tmp_path):
    probe = _probe(tmp_path)
    session = KernelSession()
    try:
        first = _printed(execute_notebook(probe, tmp_path / "a.ipynb", {"value": 1}, kernel=session))
        with pytest.raises(NotebookFailed, match="asked to fail"):
            execute_notebook(probe, tmp_path / "b.ipynb", {"value": "fail"}, kernel=session)
        after = _printed(execute_notebook(probe, tmp_path / "c.ipynb", {"value": 3}, kernel=session))
    finally:
        session.close()
    assert after[4] != first[4] and after[1:4] == first[1:4]


def test_a_kernel_that_cannot_be_cleared_is_replaced_and_said(tmp_path, monkeypatch, caplog):
    import kpi.publish.runner

    probe = _probe(tmp_path)
    monkeypatch.setattr(kpi.publish.runner, "_CLEAR_NAMESPACE", "raise RuntimeError('cannot clear')")
    session = KernelSession()
    try:
        with caplog.at_level(logging.WARNING, logger="kpi.publish.runner"):
            first = _printed(execute_notebook(probe, tmp_path / "a.ipynb", {"value": 1}, kernel=session))
            second = _printed(execute_notebook(probe, tmp_path / "b.ipynb", {"value": 1}, kernel=session))
    finally:
        session.close()
    assert first[4] != second[4] and first[:4] == second[:4]
    assert "kernel not reused" in caplog.text


def _outputs(notebook: Path) -> list:
    """Every code cell's execution count and outputs; a Styler's plain-text repr (an address) left out."""
    cells = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] == "code":
            for output in cell.get("outputs", []):
                output.get("data", {}).pop("text/plain", None) if "Styler at 0x" in str(output) else None
            cells.append((cell.get("execution_count"), cell.get("outputs")))
    return cells


def test_a_region_report_after_the_county_one_equals_a_fresh_run(tmp_path):
    from kpi.ingest.pipeline import run_ingest
    from kpi.metadata import config as project

    processed = tmp_path / "processed"
    run_ingest(project.load().with_overrides(processed=processed))
    notebook = paths.NOTEBOOKS / "04_quarterly_report.ipynb"
    common = {"processed_dir": str(processed), "made_at": "2026-01-05T09:00:00+08:00"}
    fresh = execute_notebook(notebook, tmp_path / "fresh.ipynb", {**common, "region": "壶山镇"})
    session = KernelSession()
    try:
        execute_notebook(notebook, tmp_path / "county.ipynb", {**common, "region": "全县"}, kernel=session)
        reused = execute_notebook(notebook, tmp_path / "reused.ipynb", {**common, "region": "壶山镇"}, kernel=session)
    finally:
        session.close()
    assert _outputs(reused) == _outputs(fresh)


@pytest.mark.installed_kernels
def test_a_local_batch_reuses_one_kernel_per_worker_and_leaves_none_running(tmp_path):
    from kpi.publish.workers import Job, execute_jobs

    probe = _probe(tmp_path)
    jobs = [
        Job(f"probe{i}", "probe", None, str(probe), str(tmp_path / f"probe{i}.ipynb"), {"value": i}, str(i))
        for i in range(3)
    ]
    results = execute_jobs(jobs, 1, logging.getLogger("test"), tmp_path / "worker.log")
    assert [r.outcome for r in results] == ["ok"] * 3
    pids = {_printed(tmp_path / f"probe{i}.ipynb")[4] for i in range(3)}
    assert len(pids) == 1
    assert not [p for p in psutil.Process().children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]


@pytest.fixture
def two_reports(tmp_path):
    """A batch of 全县 and 壶山镇 (one worker) on the shipped data, into ``tmp_path/2025-Q4``: (out, run)."""
    from kpi.ingest.pipeline import run_ingest
    from kpi.ingest.processed import load_processed
    from kpi.publish import pdf
    from kpi.publish.batch import run_batch
    from tests.support import config_for

    if pdf.why_no_pdf():
        pytest.skip(pdf.why_no_pdf())
    config = config_for(paths.RAW, tmp_path / "processed", tmp_path)
    run_ingest(config)
    processed = load_processed(config.processed)
    return tmp_path / "2025-Q4", lambda: run_batch(
        processed, config, 2025, 4, ["全县", "壶山镇"], 1, True, analysis=False
    )


def test_a_pdf_that_cannot_be_printed_fails_its_report_only_and_keeps_its_last_good_one(two_reports, monkeypatch):
    from kpi.publish import pdf

    out, batch = two_reports
    assert not batch().failures
    good = {p.name: p.read_bytes() for p in out.iterdir() if p.stem == "hushan"}
    assert set(good) == {"hushan.ipynb", "hushan.html", "hushan.pdf"}
    real_print = pdf.PdfPrinter._print

    async def print_or_fail(self, page, source, target):
        if target.name == "hushan.pdf":
            raise RuntimeError("printer out of paper")
        return await real_print(self, page, source, target)

    monkeypatch.setattr(pdf.PdfPrinter, "_print", print_or_fail)
    result = batch()
    outcomes = {r.key: (r.outcome, r.message) for r in result.results}
    assert outcomes["county"] == ("ok", "")
    assert outcomes["hushan"][0] == "failed" and "printer out of paper" in outcomes["hushan"][1]
    # the new notebook and page (whose PDF failed) are not published: the last good three stay
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.stem == "hushan"} == good
    assert (out / "county.pdf").exists()


def test_more_workers_than_one_browser_prints_for_get_a_second_browser(tmp_path):
    """Three workers: two browsers (a tab per worker, at most two a browser); each report goes to the
    browser with the fewest waiting, and every PDF is written."""
    from types import SimpleNamespace

    from kpi.publish import pdf
    from kpi.publish.workers import Job, JobResult, _Printing

    if pdf.why_no_pdf():
        pytest.skip(pdf.why_no_pdf())
    printing = _Printing(SimpleNamespace(organisation="测试单位"), logging.getLogger("test"), 3)
    jobs = []
    for i in range(4):
        (tmp_path / f"r{i}.html").write_text(f"<html lang='zh'><body><h1>报告 {i}</h1></body></html>", encoding="utf-8")
        jobs.append(Job(f"r{i}", f"报告 {i}", "壶山镇", "", str(tmp_path / f"r{i}.ipynb"), {}, ""))
    printing.start()
    assert [p.pages for p in printing.printers] == [2, 2]
    for job in jobs:
        printing.report_done(job, JobResult(job.key, "ok"))
    assert all(p._futures for p in printing.printers)  # both browsers were given reports
    assert printing.settle() == {}
    assert sorted(p.name for p in printing.finish([])) == [f"r{i}.pdf" for i in range(4)]
    assert all((tmp_path / f"r{i}.pdf").read_bytes()[:5] == b"%PDF-" for i in range(4))


def test_a_browser_that_does_not_start_fails_the_reports_and_keeps_the_last_good_ones(two_reports, monkeypatch):
    from kpi.publish import pdf

    out, batch = two_reports
    assert not batch().failures
    good = {p.name: p.read_bytes() for p in out.iterdir() if p.stem in {"county", "hushan"}}
    monkeypatch.setattr(pdf, "chromium", lambda: "/bin/false")  # exits at once: playwright cannot connect
    result = batch()  # says so per report; never a traceback
    assert {r.key: r.outcome for r in result.results} == {"county": "failed", "hushan": "failed"}
    assert all("PDF 打印失败" in r.message for r in result.results)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.stem in {"county", "hushan"}} == good
    assert "PDF 打印机出错" in (out / "report.log").read_text(encoding="utf-8")
