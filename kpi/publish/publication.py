"""What a quarter's build holds besides its reports: the filled 晾晒表 and 情况通报, ``index.html``,
the data notes and ``manifest.json`` (every file's sha256, the code's and inputs' fingerprints),
written into the staging build that :mod:`kpi.publish.builds` then switches in whole.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from kpi.core import atomic
from kpi.core.formatting import beijing_timestamp
from kpi.ingest.processed import Processed
from kpi.metadata.config import Config
from kpi.metrics.quarterly import quarter_of
from kpi.outputs.month_documents import annex_documents
from kpi.outputs.monthly import month_board
from kpi.outputs.report_notes import APPENDIX_FILE
from kpi.publish.batch_plan import BatchPlan
from kpi.publish.builds import code_version, files_of, package_versions
from kpi.publish.pages import data_notes_html, index_html, status_lines
from kpi.publish.workers import BatchResult, Job, JobResult


def write_annex_documents(processed: Processed, config: Config, plan: BatchPlan) -> tuple[pd.DataFrame, list[Path]]:
    """The quarter's 晾晒表 and 情况通报 (:func:`kpi.outputs.month_documents.annex_documents`) in the plan's staging
    build (they need no report: the batch writes them while the last PDFs print); the quarter-end board
    and the two files."""

    board = month_board(processed, plan.period)
    return board, annex_documents(board, processed, plan.period, plan.staging, config.organisation, config.publication)


def write_index_and_manifest(
    processed: Processed, config: Config, plan: BatchPlan, result: BatchResult, board: pd.DataFrame, xlsx_path: Path
) -> None:
    """``index.html`` and ``manifest.json`` (with every file's sha256) in the plan's staging build,
    once every report and PDF is there."""
    reports = _manifest_entries(plan.jobs, {r.key: r for r in result.results}, plan.done_before)
    made_at = beijing_timestamp()
    page = index_html(
        code_version(),
        *quarter_of(plan.period),
        plan.period,
        plan.jobs,
        {key: entry.get("outcome", "") for key, entry in reports.items()},
        status_lines(board, plan.period, processed.registry),
        xlsx_path.name,
        bool(board["is_example"].any()),
        made_at,
        processed.plan.headline,
    )
    result.written.append(atomic.write_text(plan.staging / "index.html", page))
    notes = data_notes_html(processed, plan.period, made_at, code_version())
    result.written.append(atomic.write_text(plan.staging / APPENDIX_FILE, notes))
    manifest = _manifest(processed, config, plan, reports, made_at, bool(board["is_example"].any()))
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    result.written.append(atomic.write_text(plan.staging / "manifest.json", text))


def _manifest(processed: Processed, config: Config, plan: BatchPlan, reports: dict, made_at: str, is_example: bool):
    """``manifest.json``: what was built from what (inputs' and packages' versions), each report's
    outcome and fingerprint, and every file's sha256 (how the next run knows what is intact)."""
    inputs = processed.inputs.assign(sha256=processed.inputs["sha256"].str[:16])
    year, quarter = quarter_of(plan.period)
    return {
        "year": year,
        "quarter": quarter,
        "period": plan.period,
        "made_at": made_at,
        "code_version": code_version(),
        "project_file": config.path.name if config.path else None,  # no machine's path in a published file
        "example_data": is_example,
        "inputs": inputs[["role", "file", "sha256", "bytes", "is_example"]].to_dict(orient="records"),
        "packages": package_versions(),
        "artifacts_fingerprint": plan.artifact_fingerprint,
        "reports": reports,
        "files": files_of(plan.staging),
    }


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
