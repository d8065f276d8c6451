"""The quarterly report batch: 全县 and every region through papermill, N at a time.

``run_batch`` plans one job per report, skips those whose fingerprint (notebook, ``kpi`` code,
inputs, parameters) matches the last successful run, executes the rest in worker processes, and
then writes the filled 晾晒表, ``index.html`` and ``manifest.json`` — each atomically. A failing
notebook is kept under ``failed/`` and the last good report of that region stays in place. A lock
serialises overlapping runs; a log file is kept beside the reports.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from kpi.config import Config
from kpi.errors import InputError
from kpi.formatting import beijing_now, beijing_timestamp
from kpi.processed import Processed
from kpi.publication import (
    BUILDS,
    batch_logger,
    clean_builds,
    code_fingerprint,
    code_version,
    intact_reports,
    job_files,
    published_build,
    read_manifest,
    report_lock,
    sha256_of,
    switch_to,
    write_annex_documents,
    write_index_and_manifest,
)
from kpi.quarterly import quarter_end, quarter_of, validate_parameters
from kpi.registry import COUNTY, Registry
from kpi.workers import BatchResult, Job, JobResult, execute_jobs, printing

REPORT_NOTEBOOK = "04_quarterly_report.ipynb"
ANALYSIS_NOTEBOOKS = {
    "01_ingest": "01 数据读取与校验",
    "02_leaderboard": "02 晾晒表分析",
    "03_trajectories": "03 迈向2027：目标轨迹",
}
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")


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


def _planned_reports(year: int, quarter: int, registry: Registry, out_dir: Path, notebooks: Path, base: dict):
    """``(key, title, region, notebook, output, parameters)`` of each region's report (全县 first)."""
    for region, slug in zip(registry.region_names, registry.regions["slug"]):
        if not SLUG.fullmatch(slug):  # region names reach file names only through checked slugs
            raise InputError(
                "区域 slug 只能含小写字母、数字和连字符",
                file=Path(base["processed_dir"]) / "regions.csv",
                column="slug",
                value=slug,
                fix="改为例如 lishui-hitech",
            )
        parameters = {"year": year, "quarter": quarter, "region": region, **base}
        yield slug, f"{region}季度报告", region, notebooks / REPORT_NOTEBOOK, out_dir / f"{slug}.ipynb", parameters


def _planned_analysis(year: int, quarter: int, out_dir: Path, notebooks: Path, base: dict):
    """The same for the three analysis notebooks, each with the parameters of the quarter."""
    extra = {
        "01_ingest": {},
        "02_leaderboard": {"period": quarter_end(year, quarter)},
        "03_trajectories": {"as_of_year": year},
    }
    for name, title in ANALYSIS_NOTEBOOKS.items():
        output = out_dir / "analysis" / f"{name}.ipynb"
        yield f"analysis/{name}", title, None, notebooks / f"{name}.ipynb", output, {**base, **extra[name]}


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
    notebooks; each notebook gets the processed folder and nothing else to read. A job's fingerprint
    covers its notebook, the code, the inputs and its parameters (not the time it was made)."""
    made_at, version = beijing_timestamp(), code_version()
    base = {"processed_dir": str(Path(processed_dir).resolve())}
    planned = list(_planned_reports(year, quarter, registry, out_dir, notebooks, base))
    if analysis:
        planned += _planned_analysis(year, quarter, out_dir, notebooks, base)
    jobs, checked = [], set()
    for key, title, region, notebook, output, parameters in planned:
        fingerprint = sha256_of(
            notebook.read_bytes(),
            code_hash.encode(),
            input_hash.encode(),
            json.dumps(parameters, sort_keys=True, ensure_ascii=False).encode(),
        )
        if region is not None:
            parameters = {**parameters, "made_at": made_at, "code_version": version}
        if notebook not in checked:
            check_parameters(notebook, parameters)
            checked.add(notebook)
        jobs.append(Job(key, title, region, str(notebook), str(output), parameters, fingerprint))
    return jobs


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
        year, quarter = quarter_of(ends[-1])
    year, quarter, _ = validate_parameters(year, quarter, COUNTY, processed.registry)
    period = quarter_end(year, quarter)
    processed.targets_for(year)  # the year's annex, or a clear error
    processed.require_period(period, "季末月份")
    return year, quarter, period


def selected_regions(regions: list[str] | None, registry: Registry) -> list[str]:
    """``all`` (or nothing) → every region; names and aliases resolved, each once, in annex order."""
    if not regions or regions == ["all"]:
        return registry.region_names
    wanted = {validate_parameters(2000, 1, region, registry)[2] for region in regions}
    return [region for region in registry.region_names if region in wanted]


@dataclass
class BatchPlan:
    """What one run of the batch is about: the quarter, its jobs, and what of it is already current."""

    name: str  # YYYY-QN
    period: str  # the quarter's last month
    root: Path  # the reports folder
    current: Path | None  # the published build, if any
    previous: dict  # its manifest
    intact: set[str]  # its files that still have the bytes the manifest recorded
    staging: Path  # the build this run assembles
    jobs: list[Job]
    chosen: list[Job]  # the jobs asked for (regions, analysis)
    todo: list[Job]  # … of which these are not current
    artifact_fingerprint: str
    artifacts_current: bool

    @property
    def link(self) -> Path:
        """``reports/YYYY-QN``: the link readers open, switched to a complete build."""
        return self.root / self.name

    @property
    def done_before(self) -> dict:
        """The manifest's entry of every report of the published build."""
        return self.previous.get("reports", {})

    @property
    def all_current(self) -> bool:
        """Nothing to do: every chosen report and the quarter's documents are as published."""
        return (
            self.current is not None
            and not self.todo
            and self.artifacts_current
            and {j.key for j in self.chosen} <= set(self.done_before)
        )


def plan_batch(processed: Processed, config: Config, year, quarter, regions, analysis: bool, force: bool) -> BatchPlan:
    """The run's :class:`BatchPlan`: the quarter, one job per report, and which are current — a report
    is current when its fingerprint (notebook, code, inputs, parameters) matches the manifest and its
    files still have the bytes the manifest recorded. Call it holding the report lock."""
    registry = processed.registry
    year, quarter, period = choose_quarter(processed, year, quarter)
    wanted = selected_regions(regions, registry)
    input_hash = sha256_of(json.dumps(processed.summary.get("sha256", {}), sort_keys=True).encode())
    code_hash = code_fingerprint()
    root, name = config.reports, f"{year}-Q{quarter}"
    current = published_build(root / name)
    clean_builds(root, current)
    previous = read_manifest(current)
    intact = intact_reports(current, previous)
    done_before = previous.get("reports", {})
    staging = root / BUILDS / f"{name}.{beijing_now():%Y%m%dT%H%M%S}.{os.getpid()}.partial"
    jobs = plan_jobs(year, quarter, registry, staging, processed.folder, config.notebooks, input_hash, code_hash)
    artifact_fingerprint = sha256_of(input_hash.encode(), code_hash.encode(), period.encode())

    def unchanged(job: Job) -> bool:
        entry = done_before.get(job.key, {})
        return (
            not force
            and entry.get("fingerprint") == job.fingerprint
            and entry.get("outcome") == "ok"
            and set(job_files(job, staging)[:2]) <= intact
        )

    chosen = [job for job in jobs if (job.region in wanted if job.region is not None else analysis)]
    artifacts = [f"晾晒表_{period}.xlsx", f"情况通报_{period}.docx", "index.html"]
    return BatchPlan(
        name=name,
        period=period,
        root=root,
        current=current,
        previous=previous,
        intact=intact,
        staging=staging,
        jobs=jobs,
        chosen=chosen,
        todo=[job for job in chosen if not unchanged(job)],
        artifact_fingerprint=artifact_fingerprint,
        artifacts_current=not force
        and previous.get("artifacts_fingerprint") == artifact_fingerprint
        and set(artifacts) <= intact,
    )


def _stage(plan: BatchPlan) -> logging.Logger:
    """The staging build, holding what is carried over (current reports, and the last good copy of
    those re-run) and the log so far; its logger."""
    import shutil

    plan.staging.mkdir(parents=True)
    for job in plan.jobs:
        _carry_over(plan, job)
    if plan.current is not None and (plan.current / "report.log").exists():
        shutil.copy2(plan.current / "report.log", plan.staging / "report.log")
    return batch_logger(plan.staging / "report.log")


def _carry_over(plan: BatchPlan, job: Job) -> None:
    """A job's intact files of the published build (its last good report), copied into the staging build."""
    import shutil

    for relative in job_files(job, plan.staging):
        if plan.current is not None and relative in plan.intact:
            (plan.staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(plan.current / relative, plan.staging / relative)


def _keep_last_good(plan: BatchPlan, result: BatchResult, log: logging.Logger) -> None:
    """Each failed report logged, and its files in the staging build put back to its last good ones:
    what the failed run wrote of it (a notebook and page whose PDF could not be printed) goes."""
    jobs = {job.key: job for job in plan.chosen}
    for failure in result.failures:
        log.error(f"FAILED {failure.key}: {failure.message}")
        for relative in job_files(jobs[failure.key], plan.staging):
            (plan.staging / relative).unlink(missing_ok=True)
        _carry_over(plan, jobs[failure.key])


def _publish(plan: BatchPlan, log: logging.Logger) -> None:
    """Close the log, mark the build complete, switch the link to it (the one moment the publication
    changes: old build or new, never a mix), and remove the build it replaced."""
    import shutil

    for handler in list(log.handlers):
        handler.close()
        log.removeHandler(handler)
    final = plan.staging.with_name(plan.staging.name.removesuffix(".partial"))
    os.replace(plan.staging, final)
    switch_to(plan.link, final)
    if plan.current is not None and plan.current.is_relative_to(plan.root / BUILDS):
        shutil.rmtree(plan.current, ignore_errors=True)


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

    Current reports, and the last good copy of a report that fails, are carried into the new build;
    a killed run leaves only an unfinished build under ``.builds`` (removed by the next run) and the
    publication as it was."""
    config.reports.mkdir(parents=True, exist_ok=True)
    with report_lock(config.reports, wait_seconds):
        plan = plan_batch(processed, config, year, quarter, regions, analysis, force)
        result = BatchResult(plan.link)
        if plan.all_current:
            result.results = [JobResult(j.key, "unchanged") for j in plan.chosen]
            batch_logger(plan.current / "report.log").info(
                f"{plan.name}: all {len(plan.chosen)} reports up to date; nothing executed"
            )
            return result
        log = _stage(plan)
        workers = n_jobs or os.cpu_count() or 1
        log.info(f"{plan.name}: {len(plan.todo)} of {len(plan.chosen)} reports to run, {workers} at a time")
        with printing(config, log) as printer:
            ran = {
                r.key: r
                for r in execute_jobs(
                    plan.todo,
                    workers,
                    log,
                    plan.staging / "report.log",
                    executor,
                    scheduler,
                    printer.report_done,
                    pdf_footer=printer.worker_footer,
                )
            }
            result.executed = len(ran)
            result.results = [ran.get(j.key, JobResult(j.key, "unchanged")) for j in plan.chosen]
            _keep_last_good(plan, result, log)
            failed = {failure.key for failure in result.failures}
            unprinted = [
                j for j in plan.chosen if j.key not in failed and not Path(j.output).with_suffix(".pdf").exists()
            ]
            board, documents = write_annex_documents(processed, config, plan)  # while the last PDFs print
            result.written += documents + printer.finish(unprinted)
            write_index_and_manifest(processed, config, plan, result, board, documents[0])
        _publish(plan, log)
        result.written = [plan.link / Path(p).relative_to(plan.staging) for p in result.written]
        return result


def summary_table(result: BatchResult) -> str:
    """The batch's outcome as plain text, one line per report (key, outcome, seconds), for the terminal."""
    frame = pd.DataFrame([asdict(r) for r in result.results])[["key", "outcome", "seconds"]]
    return frame.to_string(index=False)
