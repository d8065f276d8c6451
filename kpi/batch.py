"""The quarterly report batch: 全县 and every region through papermill, N at a time.

``run_batch`` plans one job per report, skips those whose fingerprint (notebook, ``kpi`` code,
inputs, parameters) matches the last successful run, executes the rest in worker processes, and
then writes the filled 晾晒表, ``index.html`` and ``manifest.json`` — each atomically. A failing
notebook is kept under ``failed/`` and the last good report of that region stays in place. A lock
serialises overlapping runs; a log file is kept beside the reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import logging
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

from kpi import EXAMPLE_LABEL, __version__, atomic, paths
from kpi.errors import InputError
from kpi.registry import COUNTY, Registry

REPORT_NOTEBOOK = "04_quarterly_report.ipynb"
ANALYSIS_NOTEBOOKS = {"01_ingest": "01 数据读取与校验", "02_leaderboard": "02 晾晒表（交互分析）",
                      "03_trajectories": "03 迈向2027：目标轨迹"}
PACKAGES = ("pandas", "numpy", "matplotlib", "seaborn", "openpyxl", "pandera", "papermill", "nbconvert", "ipykernel")
LOCK_TIMEOUT_SECONDS = float(os.environ.get("KPI_LOCK_TIMEOUT", 3600))  # a scheduled run waits, then gives up
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True)
class Job:
    key: str
    title: str
    region: str | None
    notebook: str
    output: str
    parameters: dict
    fingerprint: str


@dataclass
class JobResult:
    key: str
    outcome: str  # ok | failed | unchanged
    seconds: float = 0.0
    message: str = ""
    finished_at: str = ""


@dataclass
class BatchResult:
    out_dir: Path
    results: list[JobResult] = field(default_factory=list)
    executed: int = 0
    written: list[Path] = field(default_factory=list)

    @property
    def failures(self) -> list[JobResult]:
        return [r for r in self.results if r.outcome == "failed"]


def run_job(job: Job) -> JobResult:
    """Execute one report notebook and render its HTML (top-level, so worker processes can run it)."""
    from kpi.runner import NotebookFailed, execute_notebook, notebook_to_html

    start = time.monotonic()
    try:
        executed = execute_notebook(Path(job.notebook), Path(job.output), job.parameters)
        notebook_to_html(executed, executed.with_suffix(".html"))
        outcome, message = "ok", ""
    except NotebookFailed as exc:
        outcome, message = "failed", str(exc)
    except Exception as exc:  # a kernel that died, a disk that filled: reported, never swallowed silently
        outcome, message = "failed", f"{type(exc).__name__}: {exc}"
    return JobResult(job.key, outcome, round(time.monotonic() - start, 2), message, _now())


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _sha256(*chunks: bytes) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def code_fingerprint() -> str:
    """Hash of the ``kpi`` package sources: a code change re-runs every report."""
    files = sorted((paths.ROOT / "kpi").glob("*.py"))
    return _sha256(*[f.name.encode() + f.read_bytes() for f in files])


def code_version() -> str:
    try:
        commit = subprocess.run(["git", "-C", str(paths.ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"kpi {__version__}" + (f" ({commit})" if commit else "")


def _package_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def plan_jobs(year: int, quarter: int, regions: list[str], registry: Registry, out_dir: Path, raw_dir: Path,
              progress_path: Path | None, input_hash: str, code_hash: str, analysis: bool = True) -> list[Job]:
    """One job per region report (and, for the whole county, the three analysis notebooks)."""
    slugs = dict(zip(registry.regions["region"], registry.regions["slug"]))
    made_at, version = _now(), code_version()
    base = {"raw_dir": str(Path(raw_dir).resolve()), "progress_path": str(Path(progress_path).resolve()) if progress_path else None}
    planned: list[tuple[str, str, str | None, Path, Path, dict]] = []
    for region in regions:
        slug = slugs[region]
        if not SLUG.fullmatch(slug):  # region names reach file names only through checked slugs
            raise InputError("区域 slug 只能含小写字母、数字和连字符", file=paths.RAW / "regions.csv", column="slug",
                             value=slug, fix="改为例如 lishui-hitech")
        planned.append((slug, f"{region}季度报告", region, paths.NOTEBOOKS / REPORT_NOTEBOOK, out_dir / f"{slug}.ipynb",
                        {"year": year, "quarter": quarter, "region": region, **base}))
    if analysis:
        period = f"{year:04d}-{quarter * 3:02d}"
        extra = {"01_ingest": {}, "02_leaderboard": {"period": period, "progress_path": base["progress_path"]},
                 "03_trajectories": {"as_of_year": year}}
        for name, title in ANALYSIS_NOTEBOOKS.items():
            planned.append((f"analysis/{name}", title, None, paths.NOTEBOOKS / f"{name}.ipynb",
                            out_dir / "analysis" / f"{name}.ipynb", {"raw_dir": base["raw_dir"], **extra[name]}))
    jobs = []
    for key, title, region, notebook, output, parameters in planned:
        fingerprint = _sha256(notebook.read_bytes(), code_hash.encode(), input_hash.encode(),
                              json.dumps(parameters, sort_keys=True, ensure_ascii=False).encode())
        if region is not None:
            parameters = {**parameters, "made_at": made_at, "code_version": version}
        jobs.append(Job(key, title, region, str(notebook), str(output), parameters, fingerprint))
    return jobs


def _send_stderr_to(path: str) -> None:
    """Worker initialiser: the kernels' own chatter (TCP warnings, shutdown notices) goes to the log."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(handle, 2)
    os.close(handle)


def _execute_dask(jobs: list[Job], n_jobs: int, log: logging.Logger, scheduler: str | None) -> list[JobResult]:
    """The same task function on a Dask cluster: ``scheduler`` is its address (tcp://host:8786), or
    None for a LocalCluster of ``n_jobs`` single-threaded worker processes. Workers must see the
    same paths (a shared file system) and have this project installed."""
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_as_completed

    cluster = None if scheduler else LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True,
                                                  dashboard_address=None)
    client = Client(scheduler or cluster)
    results = []
    try:
        futures = client.map(run_job, jobs, pure=False, key=[f"kpi-report-{job.key}-{job.fingerprint[:8]}" for job in jobs])
        for done, future in enumerate(dask_as_completed(futures), start=1):
            result = future.result()
            results.append(result)
            line = f"[{done}/{len(jobs)}] {result.outcome:7s} {result.key} ({result.seconds:.1f}s, dask)"
            log.info(line if result.outcome == "ok" else f"{line}\n{result.message}")
            print(line, flush=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def _execute(jobs: list[Job], n_jobs: int, log: logging.Logger, log_path: Path, executor: str = "local",
             scheduler: str | None = None) -> list[JobResult]:
    results = []
    if not jobs:
        return results
    if executor == "dask":
        return _execute_dask(jobs, n_jobs, log, scheduler)
    show_bar = sys.stderr.isatty()
    bar = None
    if show_bar:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="报告", unit="份")
    with ProcessPoolExecutor(max_workers=max(1, min(n_jobs, len(jobs))), initializer=_send_stderr_to,
                             initargs=(str(log_path),)) as pool:
        futures = {pool.submit(run_job, job): job for job in jobs}
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            results.append(result)
            line = f"[{done}/{len(jobs)}] {result.outcome:7s} {result.key} ({result.seconds:.1f}s)"
            log.info(line if result.outcome == "ok" else f"{line}\n{result.message}")
            if bar is not None:
                bar.update(1)
            else:
                print(line, flush=True)
    if bar is not None:
        bar.close()
    return results


def _status_lines(board: pd.DataFrame, period: str, registry: Registry) -> dict[str, str]:
    from kpi.progress import COMPOSITE, STATUSES

    rows = board[board["period"] == period]
    lines = {}
    for region in registry.region_names:
        own = rows[rows["region"] == region]
        counts = own[own["indicator_id"] != COMPOSITE]["status"].value_counts().reindex(STATUSES).dropna().astype(int)
        composite = own[own["indicator_id"] == COMPOSITE].iloc[0]
        summary = " · ".join(f"{status}{count}" for status, count in counts.items())
        if region != COUNTY and pd.notna(composite["rank"]):
            summary = f"综合 {composite['completion_rate']:.1%}，第{int(composite['rank'])}名；" + summary
        lines[region] = summary
    return lines


def index_html(year: int, quarter: int, period: str, jobs: list[Job], outcomes: dict[str, str],
               status: dict[str, str], xlsx_name: str, is_example: bool, made_at: str) -> str:
    """The landing page: one line per report with its status; all data text escaped."""
    esc = html.escape
    rows = []
    for job in jobs:
        target = Path(job.output).with_suffix(".html")
        relative = target.relative_to(Path(job.output).parents[1 if job.key.startswith("analysis/") else 0])
        ok = outcomes.get(job.key) == "ok"
        link = f"<a href='{esc(relative.as_posix())}'>{esc(job.title)}</a>" if ok else f"{esc(job.title)}（生成失败，见 failed/）"
        rows.append(f"<tr><td>{link}</td><td>{esc(status.get(job.region, '') if job.region else '')}</td></tr>")
    banner = (f"<p class='example'>⚠ {esc(EXAMPLE_LABEL)}：进度数字不是官方数据。</p>" if is_example else "")
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{year}年第{quarter}季度 缙云县“139”科技创新体系建设进展报告</title>
<style>body{{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",sans-serif;margin:2em;max-width:60em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 10px;text-align:left}}
.example{{color:#c00000;font-weight:bold;border:2px solid #c00000;padding:6px}}</style></head>
<body><h1>{year}年第{quarter}季度 缙云县“139”科技创新体系建设进展报告</h1>
{banner}<p>截至 {esc(period)}。晾晒表：<a href="{esc(xlsx_name)}">{esc(xlsx_name)}</a></p>
<table><tr><th>报告</th><th>状态（季末）</th></tr>
{chr(10).join(rows)}
</table><p style="color:#666">生成于 {esc(made_at)}，{esc(code_version())}</p></body></html>
"""


def run_batch(year: int | None = None, quarter: int | None = None, regions: list[str] | None = None,
              n_jobs: int | None = None, force: bool = False, out_root: Path = paths.REPORTS,
              raw_dir: Path = paths.RAW, progress_path: Path | None = None, analysis: bool = True,
              executor: str = "local", scheduler: str | None = None) -> BatchResult:
    """Build the quarterly reports; see the module docstring. Returns what ran and what it wrote."""
    from filelock import FileLock, Timeout

    from kpi.excel import write_leaderboard_xlsx
    from kpi.ingest import read_annex, read_progress
    from kpi.progress import periods_of_year, score
    from kpi.quarterly import file_hashes, latest_complete_quarter, quarter_end, report_inputs, validate_parameters

    raw_dir, out_root = Path(raw_dir), Path(out_root)
    registry = Registry.load(raw_dir)
    progress = read_progress(Path(progress_path) if progress_path else raw_dir / "example" / "progress_example.csv", registry)
    if year is None or quarter is None:
        year, quarter = latest_complete_quarter(progress)
    wanted = registry.region_names if not regions or regions == ["all"] else regions
    checked = [validate_parameters(year, quarter, region, registry)[2] for region in wanted]
    period = quarter_end(year, quarter)
    inputs = report_inputs(raw_dir, year, progress_path)
    hashes = file_hashes(inputs)
    input_hash = _sha256(hashes.to_csv(index=False).encode())
    code_hash = code_fingerprint()
    out_dir = out_root / f"{year}-Q{quarter}"
    out_dir.mkdir(parents=True, exist_ok=True)

    lock = FileLock(str(out_root / ".kpi-report.lock"))
    try:
        lock.acquire(timeout=LOCK_TIMEOUT_SECONDS)
    except Timeout:
        raise InputError("另一个 kpi report 仍在运行 / another report run holds the lock", file=out_root / ".kpi-report.lock",
                         fix="等它结束；若确认没有在运行，删除该锁文件") from None
    try:
        log = _logger(out_dir / "report.log")
        targets = read_annex(inputs[4], registry)
        jobs = plan_jobs(year, quarter, checked, registry, out_dir, raw_dir, progress_path, input_hash, code_hash,
                         analysis=analysis)
        manifest_path = out_dir / "manifest.json"
        previous = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
        done_before = previous.get("reports", {})
        artifact_fingerprint = _sha256(input_hash.encode(), code_hash.encode(), period.encode())

        def unchanged(job: Job) -> bool:
            entry = done_before.get(job.key, {})
            return (not force and entry.get("fingerprint") == job.fingerprint and entry.get("outcome") == "ok"
                    and Path(job.output).exists() and Path(job.output).with_suffix(".html").exists())

        todo = [job for job in jobs if not unchanged(job)]
        xlsx_path = out_dir / f"晾晒表_{period}.xlsx"
        artifacts_current = (not force and previous.get("artifacts_fingerprint") == artifact_fingerprint
                             and xlsx_path.exists() and (out_dir / "index.html").exists())
        result = BatchResult(out_dir)
        if not todo and artifacts_current and {j.key for j in jobs} <= set(done_before):
            result.results = [JobResult(j.key, "unchanged") for j in jobs]
            log.info(f"{year}-Q{quarter}: all {len(jobs)} reports up to date; nothing executed")
            return result
        log.info(f"{year}-Q{quarter}: {len(todo)} of {len(jobs)} reports to run, {n_jobs or os.cpu_count()} at a time")
        ran = {r.key: r for r in _execute(todo, n_jobs or os.cpu_count() or 1, log, out_dir / "report.log",
                                          executor, scheduler)}
        result.executed = len(ran)
        result.results = [ran.get(j.key, JobResult(j.key, "unchanged")) for j in jobs]

        board = score(targets, progress, registry, [p for p in periods_of_year(year) if p <= period])
        result.written.append(write_leaderboard_xlsx(board, registry, period, xlsx_path))
        outcomes = {r.key: ("ok" if r.outcome in ("ok", "unchanged") else r.outcome) for r in result.results}
        made_at = _now()
        is_example = bool(board["is_example"].any() or targets["is_example"].any())
        page = index_html(year, quarter, period, jobs, outcomes, _status_lines(board, period, registry),
                          xlsx_path.name, is_example, made_at)
        result.written.append(atomic.write_text(out_dir / "index.html", page))
        reports = {}
        for job, job_result in zip(jobs, result.results):
            if job_result.outcome == "unchanged":
                reports[job.key] = done_before[job.key]
            elif job_result.outcome == "ok":
                reports[job.key] = {"fingerprint": job.fingerprint, "outcome": "ok", "seconds": job_result.seconds,
                                    "finished_at": job_result.finished_at, "notebook": Path(job.output).name}
            else:  # keep the last good entry so that an unchanged rerun retries only this one
                reports[job.key] = {**done_before.get(job.key, {}), "outcome": "failed",
                                    "failed_at": job_result.finished_at, "error": job_result.message[-2000:]}
        manifest = {
            "year": year, "quarter": quarter, "period": period, "made_at": made_at, "code_version": code_version(),
            "example_data": is_example, "inputs": hashes.to_dict(orient="records"), "packages": _package_versions(),
            "artifacts_fingerprint": artifact_fingerprint, "reports": reports,
        }
        result.written.append(atomic.write_text(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"))
        for failure in result.failures:
            log.error(f"FAILED {failure.key}: {failure.message}")
        return result
    finally:
        lock.release()


def _logger(path: Path) -> logging.Logger:
    log = logging.getLogger(f"kpi.batch.{path}")
    if not log.handlers:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return log


def summary_table(result: BatchResult) -> str:
    frame = pd.DataFrame([asdict(r) for r in result.results])[["key", "outcome", "seconds"]]
    return frame.to_string(index=False)
