"""Publishing a quarter's reports as a transaction: a complete build under ``reports/.builds``,
then the ``reports/YYYY-QN`` link switched to it in one rename; the filled 晾晒表, 情况通报,
``index.html`` and ``manifest.json`` (every file's sha256, the code's and inputs' fingerprints) with
it; a lock that serialises overlapping runs; the log beside the reports. A failed or killed run
leaves the last good publication exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kpi import __version__, atomic, paths
from kpi.config import Config
from kpi.errors import InputError
from kpi.formatting import beijing_timestamp, chinese_time
from kpi.pages import data_notes_html, index_html, status_lines
from kpi.processed import Processed
from kpi.quarterly import quarter_of
from kpi.report_notes import APPENDIX_FILE
from kpi.workers import BatchResult, Job, JobResult

if TYPE_CHECKING:
    from kpi.batch_plan import BatchPlan

PACKAGES = ("pandas", "numpy", "matplotlib", "seaborn", "openpyxl", "pandera", "papermill", "nbconvert", "ipykernel")


LOCK_TIMEOUT_SECONDS = float(os.environ.get("KPI_LOCK_TIMEOUT", 3600))  # a scheduled run waits, then gives up


def sha256_of(*chunks: bytes) -> str:
    """The sha256 (hex) of the chunks in order: a job's or the quarter's fingerprint."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def code_fingerprint() -> str:
    """Hash of the ``kpi`` package sources and its templates (the pages' and the reports' HTML): a change
    to either re-runs every report."""
    package = paths.ROOT / "kpi"
    files = sorted([*package.glob("*.py"), *(f for f in (package / "templates").rglob("*") if f.is_file())])
    return sha256_of(*[f.relative_to(package).as_posix().encode() + f.read_bytes() for f in files])


def code_version() -> str:
    """The code's version as the manifest records it: the package version and ``git describe``
    (with ``-dirty`` for local changes), or the version alone outside a git checkout."""
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


BUILDS = ".builds"  # complete builds live here; reports/YYYY-QN is a symlink to the published one


NOT_HASHED = {"manifest.json", "report.log"}


def _files_of(folder: Path) -> dict[str, str]:
    """sha256 of every file in a build, by its path relative to the build."""
    return {
        p.relative_to(folder).as_posix(): atomic.file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name not in NOT_HASHED
    }


def published_build(link: Path) -> Path | None:
    """The build ``reports/YYYY-QN`` points at. A folder left by an older version is moved into
    ``.builds`` first, so that from now on a publication is switched with one atomic rename."""
    if link.is_symlink():
        target = link.resolve()
        return target if target.is_dir() else None
    if link.is_dir():
        moved = link.parent / BUILDS / f"{link.name}.migrated"
        moved.parent.mkdir(parents=True, exist_ok=True)
        os.replace(link, moved)
        switch_to(link, moved)
        return moved
    return None


def switch_to(link: Path, build: Path) -> None:
    """Point ``link`` at ``build`` atomically: a new symlink renamed over the old one."""
    temporary = link.with_name(f".{link.name}.switch")
    temporary.unlink(missing_ok=True)
    os.symlink(os.path.relpath(build, link.parent), temporary)
    os.replace(temporary, link)


def read_manifest(build: Path | None) -> dict:
    """The published manifest; a missing, truncated or unreadable one counts as none (rebuild)."""
    if build is None or not (build / "manifest.json").is_file():
        return {}
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, OSError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def intact_reports(build: Path | None, manifest: dict) -> set[str]:
    """The files of the published build whose bytes are those its manifest recorded."""
    if build is None:
        return set()
    recorded = manifest.get("files", {})
    return {name for name, digest in _files_of(build).items() if recorded.get(name) == digest}


def clean_builds(root: Path, keep: Path | None) -> None:
    """Remove every build but the published one: unfinished ones left by a killed run included."""
    import shutil

    for build in (root / BUILDS).glob("*") if (root / BUILDS).exists() else []:
        if keep is None or build.resolve() != keep.resolve():
            shutil.rmtree(build, ignore_errors=True)


def job_files(job: Job, build: Path) -> list[str]:
    """The published files of a job, relative to the build."""
    output = Path(job.output).relative_to(build)
    return [output.with_suffix(s).as_posix() for s in (".ipynb", ".html", ".pdf")]


def write_annex_documents(processed: Processed, config: Config, plan: BatchPlan) -> tuple[pd.DataFrame, list[Path]]:
    """The quarter's 晾晒表 and 情况通报 (:func:`kpi.monthly.annex_documents`) in the plan's staging
    build (they need no report: the batch writes them while the last PDFs print); the quarter-end board
    and the two files."""
    from kpi.monthly import annex_documents, month_board

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
        "packages": _package_versions(),
        "artifacts_fingerprint": plan.artifact_fingerprint,
        "reports": reports,
        "files": _files_of(plan.staging),
    }


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
            f"进程 {os.getpid()}，主机 {socket.gethostname()}，开始于 {chinese_time(beijing_timestamp())}",
            encoding="utf-8",
        )
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


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


def batch_logger(path: Path) -> logging.Logger:
    """The batch's logger, appending to ``path`` (``report.log`` in the build) with a time on each line."""
    log = logging.getLogger(f"kpi.batch.{path}")
    if not log.handlers:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    return log
