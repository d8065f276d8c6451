"""The quarterly report batch: 全县 and every region through papermill, N at a time.

``run_batch`` plans one job per report, skips those whose fingerprint (notebook, ``kpi`` code,
inputs, parameters) matches the last successful run, executes the rest in worker processes, and
then writes the filled 晾晒表, ``index.html`` and ``manifest.json`` — each atomically. A failing
notebook is kept under ``failed/`` and the last good report of that region stays in place. A lock
serialises overlapping runs; a log file is kept beside the reports.
"""

from __future__ import annotations

import contextlib
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
from kpi.runner import NotebookFailed, execute_notebook, notebook_to_html

REPORT_NOTEBOOK = "04_quarterly_report.ipynb"
ANALYSIS_NOTEBOOKS = {
    "01_ingest": "01 数据读取与校验",
    "02_leaderboard": "02 晾晒表分析",
    "03_trajectories": "03 迈向2027：目标轨迹",
}
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
        commit = subprocess.run(
            ["git", "-C", str(paths.ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
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
        raise InputError(
            f"笔记本 {notebook.name} 没有声明参数 {sorted(unknown)} / parameters the notebook does not declare",
            file=notebook,
            value=sorted(unknown),
            fix="在该笔记本的 parameters 单元中声明它们，或不要传入",
        )


def plan_jobs(
    year: int,
    quarter: int,
    registry: Registry,
    out_dir: Path,
    processed_dir: Path,
    notebooks: Path,
    input_hash: str,
    code_hash: str,
    analysis: bool = True,
) -> list[Job]:
    """One job per region report (全县 and every region) and, with ``analysis``, the three analysis
    notebooks; each notebook gets the processed folder and nothing else to read."""
    made_at, version = _now(), code_version()
    base = {"processed_dir": str(Path(processed_dir).resolve())}
    planned: list[tuple[str, str, str | None, Path, Path, dict]] = []
    for region, slug in zip(registry.region_names, registry.regions["slug"]):
        if not SLUG.fullmatch(slug):  # region names reach file names only through checked slugs
            raise InputError(
                "区域 slug 只能含小写字母、数字和连字符",
                file=Path(processed_dir) / "regions.csv",
                column="slug",
                value=slug,
                fix="改为例如 lishui-hitech",
            )
        planned.append(
            (
                slug,
                f"{region}季度报告",
                region,
                notebooks / REPORT_NOTEBOOK,
                out_dir / f"{slug}.ipynb",
                {"year": year, "quarter": quarter, "region": region, **base},
            )
        )
    if analysis:
        extra = {
            "01_ingest": {},
            "02_leaderboard": {"period": quarter_end(year, quarter)},
            "03_trajectories": {"as_of_year": year},
        }
        for name, title in ANALYSIS_NOTEBOOKS.items():
            planned.append(
                (
                    f"analysis/{name}",
                    title,
                    None,
                    notebooks / f"{name}.ipynb",
                    out_dir / "analysis" / f"{name}.ipynb",
                    {**base, **extra[name]},
                )
            )
    jobs, checked = [], {}
    for key, title, region, notebook, output, parameters in planned:
        fingerprint = _sha256(
            notebook.read_bytes(),
            code_hash.encode(),
            input_hash.encode(),
            json.dumps(parameters, sort_keys=True, ensure_ascii=False).encode(),
        )
        if region is not None:
            parameters = {**parameters, "made_at": made_at, "code_version": version}
        if notebook not in checked:
            check_parameters(notebook, parameters)
            checked[notebook] = True
        jobs.append(Job(key, title, region, str(notebook), str(output), parameters, fingerprint))
    return jobs


def end_descendants(signum: int | None = None, frame=None) -> None:
    """End every process this one started (workers, kernels), children first asked, then killed."""
    import psutil

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        children = []
    for child in children:
        try:
            child.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(children, timeout=3)
    for child in alive:
        try:
            child.kill()
        except psutil.Error:
            pass


def _die_with_parent() -> None:
    """Linux: this process gets SIGTERM when its parent dies, even by SIGKILL (prctl PR_SET_PDEATHSIG)."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the parent's own handler still ends its workers on SIGTERM/SIGINT


def _start_worker(path: str, parent: int) -> None:
    """Worker initialiser: stop with the run, taking this worker's kernels along; the kernels' own
    chatter (TCP warnings, shutdown notices) goes to the log."""
    import signal

    def stop(signum, frame):
        end_descendants()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _die_with_parent()
    if os.getppid() != parent:  # the run died before this worker could ask to follow it
        stop(signal.SIGTERM, None)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(handle, 2)
    os.close(handle)


def _execute_dask(
    jobs: list[Job], n_jobs: int, log: logging.Logger, scheduler: str | None, on_result=lambda job, result: None
) -> list[JobResult]:
    """The same task function on a Dask cluster: ``scheduler`` is its address (tcp://host:8786), or
    None for a LocalCluster of ``n_jobs`` single-threaded worker processes. Workers must see the
    same paths (a shared file system) and have this project installed."""
    from distributed import Client, LocalCluster
    from distributed import as_completed as dask_as_completed

    cluster = (
        None
        if scheduler
        else LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True, dashboard_address=None)
    )
    try:
        client = Client(scheduler or cluster, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"连不上 Dask 调度器 / cannot reach the Dask scheduler ({type(exc).__name__})",
            value=scheduler,
            fix="检查地址和端口（如 tcp://10.0.0.5:8786）与网络；或去掉 --executor dask 在本机运行",
        ) from None
    results = []
    try:
        futures = client.map(
            run_job, jobs, pure=False, key=[f"kpi-report-{job.key}-{job.fingerprint[:8]}" for job in jobs]
        )
        by_key = {future.key: job for future, job in zip(futures, jobs)}
        for done, future in enumerate(dask_as_completed(futures), start=1):
            result = future.result()
            results.append(result)
            on_result(by_key[future.key], result)
            line = f"[{done}/{len(jobs)}] {result.outcome:7s} {result.key} ({result.seconds:.1f}s, dask)"
            log.info(line if result.outcome == "ok" else f"{line}\n{result.message}")
            print(line, flush=True)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def _execute(
    jobs: list[Job],
    n_jobs: int,
    log: logging.Logger,
    log_path: Path,
    executor: str = "local",
    scheduler: str | None = None,
    on_result=lambda job, result: None,
) -> list[JobResult]:
    """Run the jobs N at a time; ``on_result(job, result)`` is called as each one finishes."""
    results = []
    if not jobs:
        return results
    if executor == "dask":
        return _execute_dask(jobs, n_jobs, log, scheduler, on_result)
    show_bar = sys.stderr.isatty()
    bar = None
    if show_bar:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="报告", unit="份")
    with (
        _ends_its_processes(),
        ProcessPoolExecutor(
            max_workers=max(1, min(n_jobs, len(jobs))), initializer=_start_worker, initargs=(str(log_path), os.getpid())
        ) as pool,
    ):
        futures = {pool.submit(run_job, job): job for job in jobs}
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            results.append(result)
            on_result(futures[future], result)
            line = f"[{done}/{len(jobs)}] {result.outcome:7s} {result.key} ({result.seconds:.1f}s)"
            log.info(line if result.outcome == "ok" else f"{line}\n{result.message}")
            if bar is not None:
                bar.update(1)
            else:
                print(line, flush=True)
    if bar is not None:
        bar.close()
    return results


@contextlib.contextmanager
def _ends_its_processes():
    """While the workers run: SIGTERM or SIGINT to this process ends every worker and kernel first."""
    import signal

    def stop(signum, frame):
        end_descendants()
        raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)

    import threading

    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        yield
        return
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _status_lines(board: pd.DataFrame, period: str, registry: Registry) -> dict[str, str]:
    from kpi.leaderboard import COMPOSITE, STATUSES

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


def index_html(
    year: int,
    quarter: int,
    period: str,
    jobs: list[Job],
    outcomes: dict[str, str],
    status: dict[str, str],
    xlsx_name: str,
    is_example: bool,
    made_at: str,
    county: str,
    docx_name: str = "",
) -> str:
    """The landing page: one line per report with its PDF and status (Jinja2, every value escaped)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    rows = []
    for job in jobs:
        output = Path(job.output)
        folder = output.parents[1 if job.key.startswith("analysis/") else 0]
        pdf = output.with_suffix(".pdf")
        rows.append(
            {
                "title": job.title,
                "outcome": outcomes.get(job.key, ""),
                "html": output.with_suffix(".html").relative_to(folder).as_posix(),
                "pdf": pdf.relative_to(folder).as_posix() if pdf.exists() else "",
                "status": status.get(job.region, "") if job.region else "",
            }
        )
    environment = Environment(loader=PackageLoader("kpi", "templates"), autoescape=select_autoescape(["html", "j2"]))
    return environment.get_template("index.html.j2").render(
        year=year,
        quarter=quarter,
        county=county,
        period_zh=f"{period[:4]}年{int(period[5:7])}月",
        rows=rows,
        xlsx_name=xlsx_name,
        docx_name=docx_name or f"情况通报_{period}.docx",
        is_example=is_example,
        example_label=EXAMPLE_LABEL,
        made_at_zh=chinese_time(made_at),
        code_version=code_version(),
    )


def choose_quarter(processed: Processed, year: int | None, quarter: int | None) -> tuple[int, int, str]:
    """The quarter to report: the one asked for, else the latest whose closing month is in the data.
    A clear error when the data have no quarter-end month yet, or not that quarter's."""
    periods = sorted(processed.progress["period"].unique())
    if year is None or quarter is None:
        ends = [p for p in periods if int(p[5:7]) % 3 == 0]
        if not ends:
            raise InputError(
                f"进度数据中还没有季末月份（3、6、9、12月）/ no quarter-end month in the data yet "
                f"（现有：{'、'.join(periods) or '无'}）",
                file=processed.summary.get("config"),
                fix="季末月份的数据收集后再生成季度报告；月度晾晒表用 `kpi leaderboard --period YYYY-MM`",
            )
        year, quarter = int(ends[-1][:4]), int(ends[-1][5:7]) // 3
    year, quarter, _ = validate_parameters(year, quarter, COUNTY, processed.registry)
    period = quarter_end(year, quarter)
    processed.targets_for(year)  # the year's annex, or a clear error
    if period not in periods:
        raise InputError(
            f"进度数据中没有季末月份 {period} / no data for the quarter's closing month {period}"
            f"（现有：{periods[0]} 至 {periods[-1]}）",
            value=period,
            file=processed.summary.get("config"),
            fix=f"先用 `kpi collect 回收表文件夹 --period {period}` 收集该月报送",
        )
    return year, quarter, period


def selected_regions(regions: list[str] | None, registry: Registry) -> list[str]:
    """``all`` (or nothing) → every region; names and aliases resolved, each once, in annex order."""
    if not regions or regions == ["all"]:
        return registry.region_names
    wanted = {validate_parameters(2000, 1, region, registry)[2] for region in regions}
    return [region for region in registry.region_names if region in wanted]


BUILDS = ".builds"  # complete builds live here; reports/YYYY-QN is a symlink to the published one
NOT_HASHED = {"manifest.json", "report.log"}


def _files_of(folder: Path) -> dict[str, str]:
    """sha256 of every file in a build, by its path relative to the build."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in NOT_HASHED
    }


def _published(link: Path) -> Path | None:
    """The build ``reports/YYYY-QN`` points at. A folder left by an older version is moved into
    ``.builds`` first, so that from now on a publication is switched with one atomic rename."""
    if link.is_symlink():
        target = link.resolve()
        return target if target.is_dir() else None
    if link.is_dir():
        moved = link.parent / BUILDS / f"{link.name}.migrated"
        moved.parent.mkdir(parents=True, exist_ok=True)
        os.replace(link, moved)
        _switch(link, moved)
        return moved
    return None


def _switch(link: Path, build: Path) -> None:
    """Point ``link`` at ``build`` atomically: a new symlink renamed over the old one."""
    temporary = link.with_name(f".{link.name}.switch")
    temporary.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, link.parent), temporary)
    os.replace(temporary, link)


def _read_manifest(build: Path | None) -> dict:
    """The published manifest; a missing, truncated or unreadable one counts as none (rebuild)."""
    if build is None or not (build / "manifest.json").is_file():
        return {}
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _intact(build: Path | None, manifest: dict) -> set[str]:
    """The files of the published build whose bytes are those its manifest recorded."""
    if build is None:
        return set()
    recorded = manifest.get("files", {})
    return {name for name, digest in _files_of(build).items() if recorded.get(name) == digest}


def _clean_builds(root: Path, keep: Path | None) -> None:
    """Remove every build but the published one: unfinished ones left by a killed run included."""
    import shutil

    for build in (root / BUILDS).glob("*") if (root / BUILDS).exists() else []:
        if keep is None or build.resolve() != keep.resolve():
            shutil.rmtree(build, ignore_errors=True)


def _job_files(job: Job, build: Path) -> list[str]:
    """The published files of a job, relative to the build."""
    output = Path(job.output).relative_to(build)
    return [output.with_suffix(s).as_posix() for s in (".ipynb", ".html", ".pdf")]


def run_batch(
    processed: Processed,
    config: Config,
    year: int | None = None,
    quarter: int | None = None,
    regions: list[str] | None = None,
    n_jobs: int | None = None,
    force: bool = False,
    analysis: bool = True,
    executor: str = "local",
    scheduler: str | None = None,
    wait_seconds: float | None = None,
) -> BatchResult:
    """Build the quarterly reports from the processed tables and publish them as one transaction:
    plan → what is current → build in a staging folder → switch the publication atomically.

    A report is current when its fingerprint (notebook, code, inputs, parameters) matches the
    manifest and its files still have the bytes the manifest recorded. Current reports, and the last
    good copy of a report that fails, are carried into the new build; a killed run leaves only an
    unfinished build under ``.builds`` (removed by the next run) and the publication as it was."""
    import shutil

    registry = processed.registry
    year, quarter, period = choose_quarter(processed, year, quarter)
    wanted = selected_regions(regions, registry)
    input_hash = _sha256(json.dumps(processed.summary.get("sha256", {}), sort_keys=True).encode())
    code_hash = code_fingerprint()
    root, name = config.reports, f"{year}-Q{quarter}"
    root.mkdir(parents=True, exist_ok=True)
    link = root / name

    with report_lock(root, wait_seconds):
        current = _published(link)
        _clean_builds(root, current)
        previous = _read_manifest(current)
        intact = _intact(current, previous)
        done_before = previous.get("reports", {})
        staging = root / BUILDS / f"{name}.{beijing_now():%Y%m%dT%H%M%S}.{os.getpid()}.partial"
        jobs = plan_jobs(year, quarter, registry, staging, processed.folder, config.notebooks, input_hash, code_hash)
        artifact_fingerprint = _sha256(input_hash.encode(), code_hash.encode(), period.encode())

        def unchanged(job: Job) -> bool:
            entry = done_before.get(job.key, {})
            return (
                not force
                and entry.get("fingerprint") == job.fingerprint
                and entry.get("outcome") == "ok"
                and set(_job_files(job, staging)[:2]) <= intact
            )

        chosen = [job for job in jobs if (job.region in wanted if job.region is not None else analysis)]
        todo = [job for job in chosen if not unchanged(job)]
        artifacts = [f"晾晒表_{period}.xlsx", f"情况通报_{period}.docx", "index.html"]
        artifacts_current = (
            not force and previous.get("artifacts_fingerprint") == artifact_fingerprint and set(artifacts) <= intact
        )
        result = BatchResult(link)
        if current is not None and not todo and artifacts_current and {j.key for j in chosen} <= set(done_before):
            result.results = [JobResult(j.key, "unchanged") for j in chosen]
            _logger(current / "report.log").info(f"{name}: all {len(chosen)} reports up to date; nothing executed")
            return result

        staging.mkdir(parents=True)
        for job in jobs:  # carried over: current reports, and the last good copy of those re-run
            for relative in _job_files(job, staging):
                if current is not None and relative in intact:
                    (staging / relative).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(current / relative, staging / relative)
        if current is not None and (current / "report.log").exists():
            shutil.copy2(current / "report.log", staging / "report.log")
        log = _logger(staging / "report.log")
        log.info(f"{name}: {len(todo)} of {len(chosen)} reports to run, {n_jobs or os.cpu_count()} at a time")
        with _printing(config, log) as printer:
            ran = {
                r.key: r
                for r in _execute(
                    todo,
                    n_jobs or os.cpu_count() or 1,
                    log,
                    staging / "report.log",
                    executor,
                    scheduler,
                    on_result=printer.report_done,
                )
            }
            result.executed = len(ran)
            result.results = [ran.get(j.key, JobResult(j.key, "unchanged")) for j in chosen]
            for failure in result.failures:
                log.error(f"FAILED {failure.key}: {failure.message}")
            result.written += printer.finish([j for j in chosen if not Path(j.output).with_suffix(".pdf").exists()])
            _write_artifacts(
                processed, config, jobs, chosen, result, done_before, staging, period, artifact_fingerprint, log
            )
        for handler in list(log.handlers):
            handler.close()
            log.removeHandler(handler)
        final = staging.with_name(staging.name.removesuffix(".partial"))
        os.replace(staging, final)
        _switch(link, final)  # the one moment the publication changes: old build or new, never a mix
        if current is not None and current.is_relative_to(root / BUILDS):
            shutil.rmtree(current, ignore_errors=True)
        result.written = [link / Path(p).relative_to(staging) for p in result.written]
        return result


def _write_artifacts(
    processed: Processed,
    config: Config,
    jobs: list[Job],
    chosen: list[Job],
    result: BatchResult,
    done_before: dict,
    build: Path,
    period: str,
    artifact_fingerprint: str,
    log: logging.Logger,
) -> None:
    """The quarter's 晾晒表, 情况通报, index and manifest (with every file's sha256), in ``build``."""
    from kpi.monthly import annex_documents, month_board

    registry = processed.registry
    year, quarter = int(period[:4]), int(period[5:7]) // 3
    board = month_board(processed, period)
    xlsx_path, docx_path = annex_documents(board, processed, period, build, config.county, config.organisation)
    result.written += [xlsx_path, docx_path]
    reports = _manifest_entries(jobs, {r.key: r for r in result.results}, done_before)
    outcomes = {key: entry.get("outcome", "") for key, entry in reports.items()}
    made_at = _now()
    is_example = bool(board["is_example"].any())
    page = index_html(
        year,
        quarter,
        period,
        jobs,
        outcomes,
        _status_lines(board, period, registry),
        xlsx_path.name,
        is_example,
        made_at,
        config.county,
    )
    result.written.append(atomic.write_text(build / "index.html", page))
    inputs = processed.inputs.assign(sha256=processed.inputs["sha256"].str[:16])[
        ["role", "file", "sha256", "bytes", "is_example"]
    ]
    manifest = {
        "year": year,
        "quarter": quarter,
        "period": period,
        "made_at": made_at,
        "code_version": code_version(),
        "project_file": str(config.path) if config.path else None,
        "example_data": is_example,
        "inputs": inputs.to_dict(orient="records"),
        "packages": _package_versions(),
        "artifacts_fingerprint": artifact_fingerprint,
        "reports": reports,
        "files": _files_of(build),
    }
    result.written.append(
        atomic.write_text(build / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    )


@contextlib.contextmanager
def report_lock(root: Path, wait_seconds: float | None = None):
    """One report run at a time. A second run says at once who holds the lock, then waits up to
    ``wait_seconds`` (default ``KPI_LOCK_TIMEOUT``, one hour) before giving up with a clear error."""
    import socket

    from filelock import FileLock, Timeout

    lock = FileLock(str(root / ".kpi-report.lock"))
    owner = root / ".kpi-report.owner"
    timeout = LOCK_TIMEOUT_SECONDS if wait_seconds is None else wait_seconds
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = owner.read_text(encoding="utf-8").strip() if owner.exists() else "未知"
        print(
            f"另一个 kpi report 正在运行（{holder}），等待至多 {timeout:g} 秒 / waiting for the lock",
            file=sys.stderr,
            flush=True,
        )
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise InputError(
                f"另一个 kpi report 仍在运行（{holder}）/ another report run holds the lock",
                file=root / ".kpi-report.lock",
                fix="等它结束后重试，或用 --wait 秒数 等待更久；若确认没有在运行，删除该锁文件",
            ) from None
    try:
        owner.write_text(
            f"进程 {os.getpid()}，主机 {socket.gethostname()}，开始于 {chinese_time(_now())}", encoding="utf-8"
        )
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


class _Printing:
    """The batch's PDFs: each report is handed to the printer as its notebook finishes (printing
    overlaps the notebooks still running); where PDFs cannot be printed here, it says why once.
    The printer's thread starts with the first report, after the worker processes were forked: a
    process forked while another of its threads runs can inherit a lock held by that thread."""

    def __init__(self, config: Config, log: logging.Logger):
        from kpi.pdf import why_no_pdf

        self.reason = why_no_pdf()
        self.log = log
        self.footer = f"制表单位：{config.organisation}" if config.organisation else ""
        self.printer = None
        self.submitted: set[str] = set()

    def report_done(self, job: Job, result: JobResult) -> None:
        from kpi.pdf import PdfPrinter

        html = Path(job.output).with_suffix(".html")
        if self.reason is None and result.outcome == "ok" and job.region is not None and html.exists():
            self.printer = self.printer or PdfPrinter(self.footer)
            self.printer.submit(html, html.with_suffix(".pdf"))
            self.submitted.add(job.key)

    def finish(self, missing: list[Job]) -> list[Path]:
        """Print the reports still without a PDF (carried over from a build that had none), wait for
        the last page, and return the PDFs written."""
        if self.reason:
            if missing:
                self.log.warning(f"PDF 未生成 / no PDFs: {self.reason}")
                print(f"注意：PDF 未生成 / no PDFs: {self.reason}", file=sys.stderr)
            return []
        for job in missing:
            if job.key not in self.submitted:
                self.report_done(job, JobResult(job.key, "ok"))
        printer, self.printer = self.printer, None
        return printer.finish() if printer is not None else []


@contextlib.contextmanager
def _printing(config: Config, log: logging.Logger):
    printing = _Printing(config, log)
    try:
        yield printing
    finally:
        if printing.printer is not None:  # left early (an error, a signal): close the browser
            with contextlib.suppress(Exception):
                printing.printer.finish()


def _manifest_entries(jobs: list[Job], results: dict[str, JobResult], done_before: dict) -> dict:
    """Each report's manifest entry: this run's outcome, else (not selected this run) the last one."""
    reports = {}
    for job in jobs:
        job_result = results.get(job.key)
        if job_result is None or job_result.outcome == "unchanged":
            if job.key in done_before:
                reports[job.key] = done_before[job.key]
        elif job_result.outcome == "ok":
            reports[job.key] = {
                "fingerprint": job.fingerprint,
                "outcome": "ok",
                "seconds": job_result.seconds,
                "finished_at": job_result.finished_at,
                "notebook": Path(job.output).name,
            }
        else:  # keep the last good entry so that an unchanged rerun retries only this one
            reports[job.key] = {
                **done_before.get(job.key, {}),
                "outcome": "failed",
                "failed_at": job_result.finished_at,
                "error": job_result.message[-2000:],
            }
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
