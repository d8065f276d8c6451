"""The quarterly report batch: 全县 and every region through papermill, N at a time.

``run_batch`` plans one job per report, skips those whose fingerprint (notebook, ``kpi`` code,
inputs, parameters) matches the last successful run, executes the rest in worker processes, and
then writes the filled 晾晒表, ``index.html`` and ``manifest.json`` — each atomically. A failing
notebook is kept under ``failed/`` and the last good report of that region stays in place. A lock
serialises overlapping runs; a log file is kept beside the reports.
"""

from __future__ import annotations

import hashlib
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
from kpi.config import Config
from kpi.errors import InputError
from kpi.formatting import beijing_now, chinese_time
from kpi.pipeline import Processed
from kpi.quarterly import quarter_end, validate_parameters
from kpi.registry import COUNTY, Registry


REPORT_NOTEBOOK = "04_quarterly_report.ipynb"
ANALYSIS_NOTEBOOKS = {"01_ingest": "01 数据读取与校验", "02_leaderboard": "02 晾晒表分析",
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
    return beijing_now().isoformat(timespec="seconds")


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


def notebook_parameters(notebook: Path) -> set[str]:
    """The names declared in a notebook's ``parameters`` cell (papermill's own reading of it)."""
    import papermill

    return set(papermill.inspect_notebook(str(notebook)))


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Every parameter sent must be declared: papermill would inject an unknown one silently."""
    unknown = set(parameters) - notebook_parameters(notebook)
    if unknown:
        raise InputError(f"笔记本 {notebook.name} 没有声明参数 {sorted(unknown)} / parameters the notebook does not declare",
                         file=notebook, value=sorted(unknown), fix="在该笔记本的 parameters 单元中声明它们，或不要传入")


def plan_jobs(year: int, quarter: int, registry: Registry, out_dir: Path, processed_dir: Path, notebooks: Path,
              input_hash: str, code_hash: str, analysis: bool = True) -> list[Job]:
    """One job per region report (全县 and every region) and, with ``analysis``, the three analysis
    notebooks; each notebook gets the processed folder and nothing else to read."""
    made_at, version = _now(), code_version()
    base = {"processed_dir": str(Path(processed_dir).resolve())}
    planned: list[tuple[str, str, str | None, Path, Path, dict]] = []
    for region, slug in zip(registry.region_names, registry.regions["slug"]):
        if not SLUG.fullmatch(slug):  # region names reach file names only through checked slugs
            raise InputError("区域 slug 只能含小写字母、数字和连字符", file=Path(processed_dir) / "regions.csv",
                             column="slug", value=slug, fix="改为例如 lishui-hitech")
        planned.append((slug, f"{region}季度报告", region, notebooks / REPORT_NOTEBOOK, out_dir / f"{slug}.ipynb",
                        {"year": year, "quarter": quarter, "region": region, **base}))
    if analysis:
        extra = {"01_ingest": {}, "02_leaderboard": {"period": quarter_end(year, quarter)},
                 "03_trajectories": {"as_of_year": year}}
        for name, title in ANALYSIS_NOTEBOOKS.items():
            planned.append((f"analysis/{name}", title, None, notebooks / f"{name}.ipynb",
                            out_dir / "analysis" / f"{name}.ipynb", {**base, **extra[name]}))
    jobs, checked = [], {}
    for key, title, region, notebook, output, parameters in planned:
        fingerprint = _sha256(notebook.read_bytes(), code_hash.encode(), input_hash.encode(),
                              json.dumps(parameters, sort_keys=True, ensure_ascii=False).encode())
        if region is not None:
            parameters = {**parameters, "made_at": made_at, "code_version": version}
        if notebook not in checked:
            check_parameters(notebook, parameters)
            checked[notebook] = True
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
               status: dict[str, str], xlsx_name: str, is_example: bool, made_at: str, county: str,
               docx_name: str = "") -> str:
    """The landing page: one line per report with its PDF and status (Jinja2, every value escaped)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    rows = []
    for job in jobs:
        output = Path(job.output)
        folder = output.parents[1 if job.key.startswith("analysis/") else 0]
        pdf = output.with_suffix(".pdf")
        rows.append({"title": job.title, "outcome": outcomes.get(job.key, ""),
                     "html": output.with_suffix(".html").relative_to(folder).as_posix(),
                     "pdf": pdf.relative_to(folder).as_posix() if pdf.exists() else "",
                     "status": status.get(job.region, "") if job.region else ""})
    environment = Environment(loader=PackageLoader("kpi", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return environment.get_template("index.html.j2").render(
        year=year, quarter=quarter, county=county, period_zh=f"{period[:4]}年{int(period[5:7])}月", rows=rows,
        xlsx_name=xlsx_name, docx_name=docx_name or f"情况通报_{period}.docx", is_example=is_example,
        example_label=EXAMPLE_LABEL, made_at_zh=chinese_time(made_at), code_version=code_version())


def choose_quarter(processed: Processed, year: int | None, quarter: int | None) -> tuple[int, int, str]:
    """The quarter to report: the one asked for, else the latest whose closing month is in the data.
    A clear error when the data have no quarter-end month yet, or not that quarter's."""
    periods = sorted(processed.progress["period"].unique())
    if year is None or quarter is None:
        ends = [p for p in periods if int(p[5:7]) % 3 == 0]
        if not ends:
            raise InputError(f"进度数据中还没有季末月份（3、6、9、12月）/ no quarter-end month in the data yet "
                             f"（现有：{'、'.join(periods) or '无'}）", file=processed.summary.get("config"),
                             fix="季末月份的数据收集后再生成季度报告；月度晾晒表用 `kpi leaderboard --period YYYY-MM`")
        year, quarter = int(ends[-1][:4]), int(ends[-1][5:7]) // 3
    year, quarter, _ = validate_parameters(year, quarter, COUNTY, processed.registry)
    period = quarter_end(year, quarter)
    processed.targets_for(year)  # the year's annex, or a clear error
    if period not in periods:
        raise InputError(f"进度数据中没有季末月份 {period} / no data for the quarter's closing month {period}"
                         f"（现有：{periods[0]} 至 {periods[-1]}）", value=period, file=processed.summary.get("config"),
                         fix=f"先用 `kpi collect 回收表文件夹 --period {period}` 收集该月报送")
    return year, quarter, period


def selected_regions(regions: list[str] | None, registry: Registry) -> list[str]:
    """``all`` (or nothing) → every region; names and aliases resolved, each once, in annex order."""
    if not regions or regions == ["all"]:
        return registry.region_names
    wanted = {validate_parameters(2000, 1, region, registry)[2] for region in regions}
    return [region for region in registry.region_names if region in wanted]


def run_batch(processed: Processed, config: Config, year: int | None = None, quarter: int | None = None,
              regions: list[str] | None = None, n_jobs: int | None = None, force: bool = False,
              analysis: bool = True, executor: str = "local", scheduler: str | None = None) -> BatchResult:
    """Build the quarterly reports from the processed tables; see the module docstring. Reports of
    regions not selected this run keep their last entry in the index and the manifest."""
    from filelock import FileLock, Timeout

    from kpi.bulletin import write_bulletin
    from kpi.excel import write_leaderboard_xlsx
    from kpi.monthly import month_board

    registry = processed.registry
    year, quarter, period = choose_quarter(processed, year, quarter)
    wanted = selected_regions(regions, registry)
    input_hash = _sha256(json.dumps(processed.summary.get("sha256", {}), sort_keys=True).encode())
    code_hash = code_fingerprint()
    out_root = config.reports
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
        jobs = plan_jobs(year, quarter, registry, out_dir, processed.folder, config.notebooks, input_hash, code_hash)
        manifest_path = out_dir / "manifest.json"
        previous = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
        done_before = previous.get("reports", {})
        artifact_fingerprint = _sha256(input_hash.encode(), code_hash.encode(), period.encode())

        def unchanged(job: Job) -> bool:
            entry = done_before.get(job.key, {})
            return (not force and entry.get("fingerprint") == job.fingerprint and entry.get("outcome") == "ok"
                    and Path(job.output).exists() and Path(job.output).with_suffix(".html").exists())

        chosen = [job for job in jobs if (job.region in wanted if job.region is not None else analysis)]
        todo = [job for job in chosen if not unchanged(job)]
        xlsx_path = out_dir / f"晾晒表_{period}.xlsx"
        artifacts_current = (not force and previous.get("artifacts_fingerprint") == artifact_fingerprint
                             and xlsx_path.exists() and (out_dir / "index.html").exists())
        result = BatchResult(out_dir)
        if not todo and artifacts_current and {j.key for j in chosen} <= set(done_before):
            result.results = [JobResult(j.key, "unchanged") for j in chosen]
            log.info(f"{year}-Q{quarter}: all {len(chosen)} reports up to date; nothing executed")
            return result
        log.info(f"{year}-Q{quarter}: {len(todo)} of {len(chosen)} reports to run, {n_jobs or os.cpu_count()} at a time")
        ran = {r.key: r for r in _execute(todo, n_jobs or os.cpu_count() or 1, log, out_dir / "report.log",
                                          executor, scheduler)}
        result.executed = len(ran)
        result.results = [ran.get(j.key, JobResult(j.key, "unchanged")) for j in chosen]

        board = month_board(processed, period)
        result.written.append(write_leaderboard_xlsx(board, registry, period, xlsx_path, config.organisation,
                                                     rules=processed.rules))
        result.written.append(write_bulletin(board, registry, period, out_dir / f"情况通报_{period}.docx", config.county,
                                             config.organisation, processed.rules))
        result.written += _print_reports([j for j in chosen if ran.get(j.key) and ran[j.key].outcome == "ok"
                                          or not Path(j.output).with_suffix(".pdf").exists()], config, log)
        reports = _manifest_entries(jobs, {r.key: r for r in result.results}, done_before)
        outcomes = {key: entry.get("outcome", "") for key, entry in reports.items()}
        made_at = _now()
        is_example = bool(board["is_example"].any())
        page = index_html(year, quarter, period, jobs, outcomes, _status_lines(board, period, registry),
                          xlsx_path.name, is_example, made_at, config.county)
        result.written.append(atomic.write_text(out_dir / "index.html", page))
        inputs = processed.inputs.assign(sha256=processed.inputs["sha256"].str[:16])[["role", "file", "sha256", "bytes", "is_example"]]
        manifest = {
            "year": year, "quarter": quarter, "period": period, "made_at": made_at, "code_version": code_version(),
            "project_file": str(config.path) if config.path else None,
            "example_data": is_example, "inputs": inputs.to_dict(orient="records"), "packages": _package_versions(),
            "artifacts_fingerprint": artifact_fingerprint, "reports": reports,
        }
        result.written.append(atomic.write_text(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"))
        for failure in result.failures:
            log.error(f"FAILED {failure.key}: {failure.message}")
        return result
    finally:
        lock.release()


def _print_reports(jobs: list[Job], config: Config, log: logging.Logger) -> list[Path]:
    """A PDF beside every report (re)built this run; when that is impossible here, say why once."""
    from kpi.pdf import print_pdfs, why_no_pdf

    pages = [(Path(j.output).with_suffix(".html"), Path(j.output).with_suffix(".pdf")) for j in jobs
             if j.region is not None and Path(j.output).with_suffix(".html").exists()]
    if not pages:
        return []
    reason = why_no_pdf()
    if reason:
        log.warning(f"PDF 未生成 / no PDFs: {reason}")
        print(f"注意：PDF 未生成 / no PDFs: {reason}", file=sys.stderr)
        return []
    return print_pdfs(pages, f"制表单位：{config.organisation}" if config.organisation else "")


def _manifest_entries(jobs: list[Job], results: dict[str, JobResult], done_before: dict) -> dict:
    """Each report's manifest entry: this run's outcome, else (not selected this run) the last one."""
    reports = {}
    for job in jobs:
        job_result = results.get(job.key)
        if job_result is None or job_result.outcome == "unchanged":
            if job.key in done_before:
                reports[job.key] = done_before[job.key]
        elif job_result.outcome == "ok":
            reports[job.key] = {"fingerprint": job.fingerprint, "outcome": "ok", "seconds": job_result.seconds,
                                "finished_at": job_result.finished_at, "notebook": Path(job.output).name}
        else:  # keep the last good entry so that an unchanged rerun retries only this one
            reports[job.key] = {**done_before.get(job.key, {}), "outcome": "failed",
                                "failed_at": job_result.finished_at, "error": job_result.message[-2000:]}
    return reports


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
