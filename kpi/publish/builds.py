"""The build folders a quarter is published from: every build complete under ``reports/.builds``, the
``reports/YYYY-QN`` link switched to a new one in one rename, the manifest that says which files are
intact, the fingerprints of the code and of each job, and the lock that serialises overlapping runs.
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

from kpi import __version__
from kpi.core import atomic, paths
from kpi.core.errors import RunError
from kpi.core.faults import fault_point
from kpi.core.formatting import beijing_timestamp, chinese_time
from kpi.publish.workers import Job

logger = logging.getLogger(__name__)  # what it says; the kpi command shows it (kpi.cli.common)

BUILDS = ".builds"  # complete builds live here; reports/YYYY-QN is a symlink to the published one


PACKAGES = ("pandas", "numpy", "matplotlib", "seaborn", "openpyxl", "pandera", "papermill", "nbconvert", "ipykernel")


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
    files = sorted({*package.rglob("*.py"), *(f for f in (package / "templates").rglob("*") if f.is_file())})
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


def package_versions() -> dict[str, str]:
    """Python's and each of :data:`PACKAGES`' installed version, as the manifest records them."""
    versions = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def files_of(folder: Path) -> dict[str, str]:
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
    fault_point("publish-link-made")
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
    return {name for name, digest in files_of(build).items() if recorded.get(name) == digest}


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


@contextlib.contextmanager
def report_lock(root: Path, wait_seconds: float | None = None):
    """One report run at a time. A second run says at once who holds the lock, then waits up to
    ``wait_seconds`` (default ``KPI_LOCK_TIMEOUT``, one hour) before giving up with a clear error."""
    import socket

    from filelock import FileLock, Timeout

    lock = FileLock(str(root / ".kpi-report.lock"))
    owner = root / ".kpi-report.owner"
    # read as the run starts (a scheduled run waits, then gives up), not as the module is imported
    timeout = float(os.environ.get("KPI_LOCK_TIMEOUT", 3600)) if wait_seconds is None else wait_seconds
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = owner.read_text(encoding="utf-8").strip() if owner.exists() else "未知"
        logger.warning(f"另一个 kpi report 正在运行（{holder}），等待至多 {timeout:g} 秒 / waiting for the lock")
        try:
            lock.acquire(timeout=timeout)
        except Timeout:
            raise RunError(
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


def batch_logger(path: Path) -> logging.Logger:
    """The batch's logger, appending to ``path`` (``report.log`` in the build) with a time on each line."""
    log = logging.getLogger(f"kpi.publish.batch.{path}")
    if not log.handlers:
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # the file only: what the terminal shows is said to kpi.publish.workers' logger
    return log


NOT_HASHED = {"manifest.json", "report.log"}
