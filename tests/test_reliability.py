"""A published report is always the one its manifest describes, and nothing outlives its run:
runs killed at several moments leave the last publication exactly as it was, and no process."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from kpi.core import paths
from kpi.metadata.identity import Imprint
from tests.support import run_kpi, shipped_plan, start_kpi, write_config

pytestmark = pytest.mark.integration
REPORTS = ["--regions", "全县", "壶山镇", "--no-analysis"]
SUBSET = [*REPORTS, "--jobs", "1"]  # two reports, one worker (one kernel): what a test of the publication needs
WORKERS = [*REPORTS, "--jobs", "2"]  # two reports, two workers: the tests of a killed run's processes


def kpi(project: Path, *args) -> list[str]:
    return [sys.executable, "-m", "kpi.cli", *args, "--config", str(project)]


def published(reports: Path) -> tuple[dict, dict]:
    """The published files' sha256 and the manifest's record of them."""
    folder = reports / "2025-Q4"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    actual = {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and p.name not in ("manifest.json", "report.log")
    }
    return actual, manifest["files"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    base = tmp_path_factory.mktemp("reliability")
    config = write_config(base / "a")
    progress = pd.read_csv(paths.EXAMPLE / "progress_example.csv", dtype={"period": str})
    zeroed = progress.assign(
        value=progress["value"].where(~((progress["period"] == "2025-12") & (progress["region"] != "全县")), 0.0)
    )
    zeroed.to_csv(base / "b.csv", index=False)
    result = run_kpi("report", *SUBSET, "--config", str(config))
    assert result.returncode == 0, result.stderr
    return config, base / "b.csv", base / "a" / "reports"


#: the moments of a run a kill is tried at: a report built, the build complete and its new link made but not
#: yet renamed over the old one, and the publication switched (the old build not yet removed)
KILL_POINTS = ["batch-report-done", "publish-link-made", "publish-switched"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_killed_run_leaves_the_publication_as_its_manifest_says(project, faults, point):
    """Run B (other progress) killed at ``point`` over A's publication: before the switch A's publication is
    there, whole; after it B's; either way every published byte is what its manifest says, and the next
    run of A brings A back (or finds it current)."""

    config, b_csv, reports = project
    good = (reports / "2025-Q4" / "county.html").read_bytes()
    run = start_kpi(
        "report", "--force", "--progress", str(b_csv), *SUBSET, "--config", str(config), env=faults.kill_at(point)
    )
    assert run.wait(300) == -signal.SIGKILL  # it died at the point
    actual, recorded = published(reports)
    assert actual == recorded  # every published byte is what the manifest describes
    assert not [p for p in (reports / "2025-Q4").rglob(".*")]  # no temporary files in the publication
    finished = "b.csv" in {i["file"] for i in json.loads((reports / "2025-Q4" / "manifest.json").read_text())["inputs"]}
    assert finished == (point == "publish-switched")
    assert finished or (reports / "2025-Q4" / "county.html").read_bytes() == good  # killed: A's publication, whole
    again = run_kpi("report", *SUBSET, "--config", str(config))
    assert again.returncode == 0, again.stderr
    actual, recorded = published(reports)
    assert actual == recorded
    manifest = json.loads((reports / "2025-Q4" / "manifest.json").read_text(encoding="utf-8"))
    assert "progress_example.csv" in {i["file"] for i in manifest["inputs"]}  # A again, never B under A's name
    if not finished:
        assert "全部报告已是最新" in again.stdout and (reports / "2025-Q4" / "county.html").read_bytes() == good


def test_a_tampered_report_is_rebuilt(project):
    config, _, reports = project
    (reports / "2025-Q4" / "hushan.html").write_text("tampered", encoding="utf-8")
    result = run_kpi("report", *SUBSET, "--config", str(config))
    assert result.returncode == 0 and "hushan" in result.stdout and "全部报告已是最新" not in result.stdout
    actual, recorded = published(reports)
    assert actual == recorded and "tampered" not in (reports / "2025-Q4" / "hushan.html").read_text(encoding="utf-8")


def test_a_truncated_manifest_means_rebuild_not_failure(project):
    config, _, reports = project
    manifest = reports / "2025-Q4" / "manifest.json"
    manifest.write_text(manifest.read_text(encoding="utf-8")[:200], encoding="utf-8")
    result = run_kpi("report", *SUBSET, "--config", str(config))
    assert result.returncode == 0, result.stderr
    actual, recorded = published(reports)
    assert actual == recorded


def _command(process: psutil.Process) -> str:
    """A process's command line, or "" once it has gone."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_worker_kernel_or_browser_outlives_a_killed_run(project, sig):
    config, _, _ = project
    run = subprocess.Popen(
        kpi(config, "report", "--force", *WORKERS), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    descendants = []
    while time.monotonic() < deadline and run.poll() is None:  # until a worker has started its kernel and browser
        descendants = psutil.Process(run.pid).children(recursive=True)
        if any("ipykernel" in _command(p) for p in descendants) and any("chrom" in _command(p) for p in descendants):
            break
        time.sleep(0.2)
    assert len(descendants) >= 3, "the run never started its workers"
    assert any("chrom" in _command(p) for p in descendants), "no worker started its browser"
    run.send_signal(sig)
    run.wait()
    deadline = time.monotonic() + 20
    while (alive := [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)  # each follows its parent within moments
    assert not alive, [" ".join(p.cmdline())[:100] for p in alive]


def _marked(mark: str) -> list[psutil.Process]:
    """The live processes whose environment carries ``KPI_TEST_RUN=mark`` (a run's workers, kernels and
    browsers inherit it, and keep it once their parent is gone)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("KPI_TEST_RUN") == mark and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:
            continue
    return found


@pytest.mark.parametrize("point", ["worker-started", "worker-handler-set", "worker-kernel-started"])
def test_a_run_killed_as_its_workers_start_leaves_no_process(project, faults, point):
    """SIGKILL of ``kpi report`` while its workers wait at ``point`` (before a worker installs its stop
    handler, after it, and once its kernel is up), then the workers let go: every worker, kernel and
    browser of the run is gone within seconds. A worker's stop handler used to import a module the worker
    was still importing, raise, and leave the worker and its kernel running for good."""

    config, _, _ = project
    mark = f"{os.getpid()}-{point}"
    run = subprocess.Popen(
        kpi(config, "report", "--force", *WORKERS),
        env={**os.environ, "KPI_TEST_RUN": mark, **faults.pause_at(point)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    faults.wait_until_reached(point, run)
    run.kill()
    run.wait()
    faults.release(point)
    deadline = time.monotonic() + 20
    while (left := _marked(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, (point, [_command(p)[:100] for p in left])


def test_a_second_run_says_who_holds_the_lock(project, tmp_path):
    config, _, reports = project
    from filelock import FileLock

    owner = reports / ".kpi-report.owner"
    with FileLock(str(reports / ".kpi-report.lock")):
        owner.write_text("进程 12345，主机 test", encoding="utf-8")
        result = run_kpi("report", "--wait", "1", *SUBSET, "--config", str(config))
    assert (
        result.returncode == 1
        and "运行错误" in result.stderr
        and "进程 12345" in result.stderr
        and "等待" in result.stderr
    )
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- values that must not pass
@pytest.mark.parametrize("cell", ["inf", "Infinity", "1e400", "-inf"])
def test_infinite_values_are_refused(tmp_path, registry, cell):
    from kpi.core.errors import InputError
    from kpi.inputs.progress_input import read_progress

    path = tmp_path / "p.csv"
    path.write_text(
        f"period,region,indicator_id,value\n2023-09,壶山镇,hitech_investment_growth,{cell}\n", encoding="utf-8"
    )
    with pytest.raises(InputError, match="无穷大") as caught:
        read_progress(path, registry)
    assert (caught.value.row, caught.value.column) == (2, "value")


@pytest.mark.parametrize("cell", ["1.7e308", "1e15"])
def test_a_value_beyond_any_real_one_is_refused_at_collection(tmp_path, cell):
    """1.7e308 亿元 in two regions once summed to 全县 = inf and was published; 1e15 was accepted. Beyond
    the bound of any indicator (kpi.core.facts.MAX_VALUE) a form is refused, not held for a person to accept."""
    write_config(tmp_path, progress=[tmp_path / "store" / "progress.csv"])
    form = tmp_path / "form.csv"
    form.write_text(
        f"时期,2023年9月\n区域,规上工业企业研发费用（亿元）\n壶山镇,{cell}\n东方镇,{cell}\n", encoding="utf-8"
    )
    result = run_kpi("collect", str(form), "--period", "2023-09", cwd=tmp_path)
    assert result.returncode == 2 and "超出任何指标可能的范围" in result.stdout + result.stderr
    assert not (tmp_path / "store" / "progress.csv").exists()


def test_a_target_of_zero_means_reported_is_done(registry):
    from kpi.inputs.annex import read_annex
    from kpi.metrics.leaderboard import build_leaderboard

    targets = read_annex(paths.RAW / "annex_2023.csv", registry)
    targets.loc[(targets["region"] == "五云街道") & (targets["indicator_id"] == "new_sme_tech"), "target"] = 0.0
    progress = pd.DataFrame(
        {
            "period": ["2023-09"] * 2,
            "region": ["五云街道", "丽水高新区"],
            "indicator_id": ["new_sme_tech"] * 2,
            "value": [0.0, 3.0],
            "is_example": False,
        }
    )
    board = build_leaderboard(targets, progress, registry, ["2023-09"]).set_index(["region", "indicator_id"])
    assert board.loc[("五云街道", "new_sme_tech"), "completion_rate"] == 1.0  # reported 0 against 0: done
    assert board.loc[("五云街道", "new_sme_tech"), "status"] == "超序时"
    assert board["completion_rate"].replace([float("inf")], float("nan")).equals(board["completion_rate"])  # no inf


def test_a_negative_count_target_is_refused(tmp_path, registry):
    from kpi.core.errors import InputError
    from kpi.inputs.annex import read_annex

    text = (paths.RAW / "annex_2023.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("1,五云街道") and "15以上" not in line)
    cells = lines[row].split(",")
    cells[2] = "-1"
    lines[row] = ",".join(cells)
    (tmp_path / "annex.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="不能为负"):
        read_annex(tmp_path / "annex.csv", registry)


def test_a_header_only_progress_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("period,region,indicator_id,value\n", encoding="utf-8")
    project = write_config(tmp_path / "p", progress=[empty])
    ingest = run_kpi("ingest", "--config", str(project))
    assert ingest.returncode == 0, ingest.stderr
    summary = json.loads((tmp_path / "p" / "processed" / "ingest_summary.json").read_text(encoding="utf-8"))
    assert summary["progress_periods"] == [] and summary["progress_rows"] == 0  # valid JSON, no NaN
    for args, message in (
        (["report"], "还没有季末月份"),
        (["leaderboard", "--period", "2023"], "没有 2023 年的任何月份"),
    ):
        result = run_kpi(*args, "--config", str(project))
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- one clear message, exit 2 or 1
@pytest.mark.parametrize(
    "args, code, message",
    [
        (["make-example", "--seed", "-1", "--out", "OUT"], 2, "种子"),
        (["extract-targets", "/tmp", "--out", "OUT/x.csv"], 2, "不是文件"),
        (
            ["extract-targets", "data/raw/source/jinyun_139_plan_2023-2027.txt", "--compare", "nowhere.csv"],
            2,
            "--compare",
        ),
        (["report", "--regions", "../../etc"], 2, "未知区域"),
        (["report", "--year", "1999", "--quarter", "1"], 2, "year"),
        (["ingest", "--processed", "RAW"], 2, "原始数据文件夹"),
    ],
)
def test_every_failure_is_one_message(tmp_path, args, code, message):
    project = write_config(tmp_path / "p")
    args = [a.replace("OUT", str(tmp_path / "out")).replace("RAW", str(paths.RAW)) for a in args]
    result = run_kpi(*args, "--config", str(project), cwd=paths.ROOT)
    assert result.returncode == code and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "p" / "processed").exists() and not (tmp_path / "out").exists()  # nothing written


def test_a_full_disk_is_one_message_and_keeps_the_last_good(tmp_path, monkeypatch, capsys):
    from kpi.cli import main as cli
    from kpi.core import atomic

    project = write_config(tmp_path / "p")
    assert cli.main(["ingest", "--config", str(project)]) == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "p" / "processed").iterdir() if p.is_file()}

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(tmp_path / "p" / "processed" / "progress.parquet"))

    monkeypatch.setattr(atomic, "write_parquet", full)
    capsys.readouterr()
    assert cli.main(["ingest", "--config", str(project)]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "progress.parquet" in err and "Traceback" not in err
    assert {p.name: p.read_bytes() for p in (tmp_path / "p" / "processed").iterdir() if p.is_file()} == before


def test_an_unreachable_dask_scheduler_is_said_quickly(project):
    config, _, _ = project
    result = run_kpi(
        *("report", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--force"),
        *("--regions", "全县", "--no-analysis", "--config", str(config)),
        env={"KPI_DASK_CONNECT_SECONDS": "2"},  # the client gives up after 2 s (10 by default)
        timeout=120,
    )
    assert result.returncode == 1 and "运行错误" in result.stderr and "连不上 Dask 调度器" in result.stderr


# ---------------------------------------------------------------- injection
def test_every_writer_neutralises_formulas(tmp_path, registry):
    import io
    from dataclasses import replace

    import openpyxl

    from kpi.extract.targets import annex_csv
    from kpi.inputs.annex import read_annex
    from kpi.inputs.progress_input import read_progress
    from kpi.metrics.leaderboard import build_leaderboard
    from kpi.outputs.excel import leaderboard_workbook
    from kpi.outputs.forms import monthly_form

    indicators = registry.indicators.copy()
    indicators.loc[0, "name_zh"] = '=HYPERLINK("http://x","y")'
    regions = registry.regions.copy()
    regions.loc[3, "region"] = "@SUM(A1)"
    poisoned = replace(registry, indicators=indicators, regions=regions)
    targets = read_annex(paths.RAW / "annex_2023.csv", registry).replace({"region": {"壶山镇": "@SUM(A1)"}})
    progress = read_progress(paths.EXAMPLE / "progress_example.csv", registry).replace(
        {"region": {"壶山镇": "@SUM(A1)"}}
    )
    board = build_leaderboard(targets, progress, poisoned, ["2023-09"])
    workbook = leaderboard_workbook(board, poisoned, "2023-09", Imprint(shipped_plan()))
    cells = [c.value for row in workbook.active.iter_rows() for c in row]
    cells += [
        c.value
        for row in monthly_form(
            poisoned, "2023-10", poisoned.region_names, progress.head(0), shipped_plan()
        ).active.iter_rows()
        for c in row
    ]
    texts = [c for c in cells if isinstance(c, str)]
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]
    assert "'@SUM(A1)" in texts and any(t.startswith("'=HYPERLINK") for t in texts)
    assert annex_csv([["=cmd|' /C calc'!A0", "@SUM(1)", "15以上"]]).splitlines()[0].startswith("'=cmd")
    saved = io.BytesIO()  # and saved, read back: a cell of text, never a formula Excel would run
    workbook.save(saved)
    saved.seek(0)
    formulas = [
        c.coordinate for row in openpyxl.load_workbook(saved).active.iter_rows() for c in row if c.data_type == "f"
    ]
    assert formulas == []


def test_hostile_markup_in_a_region_name_never_runs(tmp_path, new_page):
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(paths.RAW, raw)
    regions = (raw / "regions.csv").read_text(encoding="utf-8")
    (raw / "regions.csv").write_text(
        regions.replace(
            "3,壶山镇,Hushan Town,hushan,镇,壶山", "3,<img src=x onerror=alert(1)>,Hushan Town,hushan,镇,壶山镇|壶山"
        ),
        encoding="utf-8",
    )
    project = write_config(tmp_path / "p", raw=raw)
    result = run_kpi("report", "--regions", "壶山镇", "全县", "--no-analysis", "--jobs", "2", "--config", str(project))
    assert result.returncode == 0, result.stderr[-2000:]
    dialogs = []
    page = new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for name in ("index.html", "hushan.html", "county.html"):
        page.goto((tmp_path / "p" / "reports" / "2025-Q4" / name).as_uri(), wait_until="load")
        page.wait_for_timeout(300)
        assert "<img src=x onerror=alert(1)>" in page.inner_text("body"), name  # shown as text
    assert dialogs == []


def test_a_workbook_that_unpacks_to_a_flood_is_refused_before_parsing(tmp_path, registry):
    import zipfile

    from kpi.core.errors import InputError
    from kpi.inputs.grids import read_sheets

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * (45 * 2**20) + b"</worksheet>")
    with pytest.raises(InputError, match="工作簿过大"):  # from the zip directory: nothing is parsed
        read_sheets(path)


def test_failed_holds_a_copy_for_every_kind_of_failure(tmp_path, monkeypatch):
    import papermill

    from kpi.publish.runner import NotebookFailed, execute_notebook

    def dead_kernel(*args, **kwargs):
        raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr(papermill, "execute_notebook", dead_kernel)
    with pytest.raises(NotebookFailed) as caught:
        execute_notebook(paths.NOTEBOOKS / "02_leaderboard.ipynb", tmp_path / "out" / "x.ipynb")
    kept = caught.value.kept
    assert (
        kept.exists()
        and kept.parent == tmp_path / "out" / "failed"
        and "Kernel died" in kept.read_text(encoding="utf-8")
    )
