"""The quarterly report batch: 全县 and every region through papermill, N at a time.

``run_batch`` takes the plan (:mod:`kpi.publish.batch_plan`: one job per report; those whose fingerprint
matches the last successful run are skipped), builds the quarter in a staging build, executes the
rest in worker processes (:mod:`kpi.publish.workers`: each keeps one kernel; each report's PDF prints in this
process while the workers go on), writes the filled 晾晒表, 情况通报, ``index.html`` and
``manifest.json``, and publishes the build with one atomic switch. A failing report is kept under
``failed/`` and the last good report of that region stays in place. A lock serialises overlapping
runs; a log file is kept beside the reports.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from kpi.core.faults import fault_point
from kpi.ingest.processed import Processed
from kpi.metadata.config import Config
from kpi.publish.batch_plan import BatchPlan, plan_batch
from kpi.publish.builds import BUILDS, batch_logger, job_files, report_lock, switch_to
from kpi.publish.publication import write_annex_documents, write_index_and_manifest
from kpi.publish.workers import BatchResult, Job, JobResult, execute_jobs, printing


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
    fault_point("publish-build-complete")
    switch_to(plan.link, final)
    fault_point("publish-switched")
    if plan.current is not None and plan.current.is_relative_to(plan.root / BUILDS):
        shutil.rmtree(plan.current, ignore_errors=True)


def _build(
    plan: BatchPlan,
    processed: Processed,
    config: Config,
    result: BatchResult,
    log: logging.Logger,
    workers: int,
    executor: str,
    scheduler: str | None,
) -> None:
    """The staging build: the reports executed by the workers, each one's PDF printed here as it finishes
    and the 晾晒表 and 情况通报 written here meanwhile; failed reports put back to their last good files;
    then the index and the manifest."""
    with printing(config, log, workers) as printer, ThreadPoolExecutor(1, "kpi-annex") as beside:
        documents = []

        def write_documents() -> None:  # once, in the thread beside
            if not documents:
                documents.append(beside.submit(write_annex_documents, processed, config, plan))

        def start_beside() -> None:  # called once the workers are forked: only then may threads start here
            write_documents()
            printer.start()

        def report_done(job: Job, job_result: JobResult) -> None:
            printer.report_done(job, job_result)
            fault_point("batch-report-done")  # a kill here: one report built, the others not yet

        jobs = execute_jobs(
            plan.todo, workers, log, plan.staging / "report.log", executor, scheduler, report_done, start_beside
        )
        write_documents()  # no worker was started: not yet written
        ran = {r.key: r for r in jobs}
        board, written = documents[0].result()
        for key, message in printer.settle().items():
            ran[key] = replace(ran[key], outcome="failed", message=message)
        result.executed = len(ran)
        result.results = [ran.get(j.key, JobResult(j.key, "unchanged")) for j in plan.chosen]
        _keep_last_good(plan, result, log)
        unprinted = [j for j in plan.chosen if not Path(j.output).with_suffix(".pdf").exists()]
        result.written += written + printer.finish(unprinted)
        write_index_and_manifest(processed, config, plan, result, board, written[0])


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
        fault_point("batch-staged")
        workers = n_jobs or os.cpu_count() or 1
        log.info(f"{plan.name}: {len(plan.todo)} of {len(plan.chosen)} reports to run, {workers} at a time")
        _build(plan, processed, config, result, log, workers, executor, scheduler)
        _publish(plan, log)
        result.written = [plan.link / Path(p).relative_to(plan.staging) for p in result.written]
        return result


def summary_table(result: BatchResult) -> str:
    """The batch's outcome as plain text, one line per report (key, outcome, seconds), for the terminal."""
    frame = pd.DataFrame([asdict(r) for r in result.results])[["key", "outcome", "seconds"]]
    return frame.to_string(index=False)
