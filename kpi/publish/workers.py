"""The batch's workers: each report notebook executed in its own process (forked, or Dask's local
cluster), a kernel that dies taken down with its parent, and the PDF printer shared by them.

A worker never writes into a published folder: it writes into the build that :mod:`kpi.publish.batch` is
assembling, and :mod:`kpi.publish.publication` switches to it once every job is done.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from kpi.core.errors import ConfigError, RunError
from kpi.core.faults import fault_point
from kpi.core.formatting import beijing_timestamp
from kpi.metadata.config import Config
from kpi.publish.pdf import PdfPrinter, why_no_pdf
from kpi.publish.processes import die_with_parent, end_descendants
from kpi.publish.runner import KernelSession, NotebookFailed, execute_notebook, notebook_to_html

logger = logging.getLogger(__name__)

#: the kernel a local worker keeps for its notebooks, set by its initialiser. Dask's workers keep none
#: (a cluster's processes outlive the batch).
_worker_kernel: KernelSession | None = None


@dataclass(frozen=True)
class Job:
    """One notebook to run: its key (file name), title, region, notebook, output, parameters,
    fingerprint (notebook, code, inputs, parameters), project folder and the title its pages carry."""

    key: str
    title: str
    region: str | None
    notebook: str
    output: str
    parameters: dict
    fingerprint: str
    project: str = ""  # the project folder: the published notebook names its paths relative to it
    document_title: str = ""  # the page's and the PDF's title


@dataclass
class JobResult:
    """How one job ended: ok, failed (with the message) or unchanged, its time and when it finished."""

    key: str
    outcome: str  # ok | failed | unchanged
    seconds: float = 0.0
    message: str = ""
    finished_at: str = ""


def run_job(job: Job) -> JobResult:
    """Execute one report notebook and render its HTML (top-level, so worker processes can run it); its PDF
    is printed by the batch's process while this worker goes on to its next notebook."""
    start = time.monotonic()
    try:
        executed = execute_notebook(
            Path(job.notebook),
            Path(job.output),
            job.parameters,
            kernel=_worker_kernel,
            relative_to=Path(job.project) if job.project else None,
        )
        notebook_to_html(executed, executed.with_suffix(".html"), job.document_title)
        outcome, message = "ok", ""
    except NotebookFailed as exc:
        outcome, message = "failed", str(exc)
    except Exception as exc:  # a kernel that died, a disk that filled: reported, never swallowed silently
        outcome, message = "failed", f"{type(exc).__name__}: {exc}"
    return JobResult(job.key, outcome, round(time.monotonic() - start, 2), message, beijing_timestamp())


def _start_worker(path: str, parent: int) -> None:
    """Worker initialiser: stop with the run, taking this worker's kernels along (set up first, before
    anything is started); one kernel kept for this worker's notebooks, shut down when the worker ends;
    the kernels' own chatter (TCP warnings, shutdown notices) goes to the log. The stop handler imports
    nothing and cannot fail to exit: a signal that lands while a module is half imported cannot make it
    raise and leave the worker running (:mod:`kpi.publish.processes` imports what it uses with itself)."""
    import signal
    from multiprocessing.util import Finalize

    fault_point("worker-started")

    def stop(signum, frame):
        try:
            end_descendants()
        finally:
            os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    die_with_parent()
    if os.getppid() != parent:  # the run died before this worker could ask to follow it
        stop(signal.SIGTERM, None)
    fault_point("worker-handler-set")
    global _worker_kernel
    _worker_kernel = KernelSession()
    fault_point("worker-kernel-started")
    Finalize(_worker_kernel, _worker_kernel.close, exitpriority=10)  # run as the pool's worker exits
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(handle, 2)
    os.close(handle)


def _execute_dask(
    jobs: list[Job], n_jobs: int, log: logging.Logger, scheduler: str | None, on_result, on_started
) -> list[JobResult]:
    """The same task function on a Dask cluster: ``scheduler`` is its address (tcp://host:8786), or
    None for a LocalCluster of ``n_jobs`` single-threaded worker processes. Workers must see the
    same paths (a shared file system) and have this project installed."""
    try:  # imported here: an optional package (the dask extra), and a second of start-up besides
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_as_completed
    except ImportError:
        raise ConfigError(
            "--executor dask 需要 Dask，但未安装 / the dask executor needs Dask, which is not installed",
            fix="安装 dask 扩展：.venv/bin/pip install -e '.[dask]'（make report / make test 的 setup 已包含）",
        ) from None

    cluster = (
        None
        if scheduler
        else LocalCluster(n_workers=n_jobs, threads_per_worker=1, processes=True, dashboard_address=None)
    )
    try:
        # how long a scheduler that does not answer is waited for (read as the run starts)
        connect_seconds = float(os.environ.get("KPI_DASK_CONNECT_SECONDS", 10))
        client = Client(scheduler or cluster, timeout=f"{connect_seconds}s")
    except (OSError, TimeoutError) as exc:
        raise RunError(
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
        on_started()
        for done, future in enumerate(dask_as_completed(futures), start=1):
            result = future.result()
            results.append(result)
            on_result(by_key[future.key], result)
            line = f"[{done}/{len(jobs)}] {result.outcome:7s} {result.key} ({result.seconds:.1f}s, dask)"
            log.info(line if result.outcome == "ok" else f"{line}\n{result.message}")
            logger.info(line)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return results


def execute_jobs(
    jobs: list[Job],
    n_jobs: int,
    log: logging.Logger,
    log_path: Path,
    executor: str = "local",
    scheduler: str | None = None,
    on_result=lambda job, result: None,
    on_started=lambda: None,
) -> list[JobResult]:
    """Run the jobs N at a time; ``on_result(job, result)`` is called as each one finishes, and
    ``on_started()`` once the workers are running (local ones forked: this process may start threads)."""
    results = []
    if not jobs:
        return results
    if executor == "dask":
        return _execute_dask(jobs, n_jobs, log, scheduler, on_result, on_started)
    show_bar = sys.stderr.isatty()
    bar = None
    if show_bar:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="报告", unit="份")
    with (
        _ends_its_processes(),
        ProcessPoolExecutor(
            max_workers=max(1, min(n_jobs, len(jobs))),
            initializer=_start_worker,
            initargs=(str(log_path), os.getpid()),
        ) as pool,
    ):
        futures = {pool.submit(run_job, job): job for job in jobs}  # forks every worker (fork: not on demand)
        on_started()
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            results.append(result)
            on_result(futures[future], result)
            line = f"[{done}/{len(jobs)}] {result.outcome:7s} {result.key} ({result.seconds:.1f}s)"
            log.info(line if result.outcome == "ok" else f"{line}\n{result.message}")
            if bar is not None:
                bar.update(1)
            else:
                logger.info(line)
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


#: reports one browser prints at a time: a batch starts a browser per this many workers (on 2 cores,
#: two tabs of one browser print 1.35x as fast as one tab, two browsers 1.42x: one browser is enough there)
TABS_PER_BROWSER = 2


class _Printing:
    """The batch's PDFs, printed in this process by Chromium, a tab per worker (a browser per
    :data:`TABS_PER_BROWSER` workers): each report is handed over as its notebook finishes (local
    workers and Dask's alike) and prints while the next notebooks run. A report whose PDF fails is a
    failed report (:meth:`settle`); pages carried over from a build that had none are printed last
    (:meth:`finish`). Where PDFs cannot be printed here, it says why once. The browsers start once the
    workers are forked (:meth:`start`): a process forked while another of its threads runs can inherit
    a lock held by that thread."""

    def __init__(self, config: Config, log: logging.Logger, workers: int):

        self.reason = why_no_pdf()
        self.log = log
        self.workers = max(1, workers)
        self.footer = f"制表单位：{config.organisation}" if config.organisation else ""
        self.author = config.organisation or config.county
        self.printers: list = []
        self.pending: dict[str, Future] = {}

    def start(self) -> None:
        """Start the browsers (once), so that they are ready by the first report."""

        if self.reason is None and not self.printers:
            browsers = -(-self.workers // TABS_PER_BROWSER)
            tabs = min(self.workers, TABS_PER_BROWSER)
            self.printers = [PdfPrinter(self.footer, tabs, self.author) for _ in range(browsers)]

    def report_done(self, job: Job, result: JobResult) -> None:
        """A report finished: its PDF queued to print, in the browser with the fewest reports waiting."""
        html = Path(job.output).with_suffix(".html")
        if self.reason is None and result.outcome == "ok" and job.region is not None and html.exists():
            self.start()
            printer = min(self.printers, key=lambda printer: printer.waiting)
            self.pending[job.key] = printer.submit(html, html.with_suffix(".pdf"))

    def settle(self) -> dict[str, str]:
        """Wait for the reports' PDFs; what went wrong with each that could not be printed, by report."""
        failed = {}
        for key, future in self.pending.items():
            if (error := future.exception()) is not None:
                failed[key] = f"PDF 打印失败 / printing the PDF failed: {type(error).__name__}: {error}"
        return failed

    def finish(self, missing: list[Job]) -> list[Path]:
        """Print the reports still without a PDF (carried over from a build that had none), wait for
        the last page, and return the PDFs written. A carried-over page that cannot be printed stays as
        it was published, without a PDF, and the log says so."""
        if self.reason:
            if missing:
                self._warn(f"PDF 未生成 / no PDFs: {self.reason}")
            return []
        carried = [job for job in missing if job.key not in self.pending]
        for job in carried:
            self.report_done(job, JobResult(job.key, "ok"))
        written = self.close()
        for job in carried:
            if job.key in self.pending and (error := self.pending[job.key].exception()) is not None:
                self._warn(f"{job.key}: 沿用的报告未能打印 PDF / a carried-over report's PDF failed: {error}")
        return written

    def close(self) -> list[Path]:
        """Wait for every browser's last page and close it; the PDFs written. A browser that failed is
        logged: each report it did not print holds the error in its future (:meth:`settle`)."""
        printers, self.printers = self.printers, []
        written = []
        for printer in printers:
            written += printer.finish(raise_error=False)
            if printer.error is not None:
                self.log.error(
                    f"PDF 打印机出错 / a PDF printer failed: {type(printer.error).__name__}: {printer.error}"
                )
        return written

    def _warn(self, message: str) -> None:
        """Said in the log and on the terminal."""
        self.log.warning(message)
        logger.warning(f"注意：{message}")


@contextlib.contextmanager
def printing(config: Config, log: logging.Logger, workers: int):
    """The batch's PDF printing for the ``with`` block (a tab per worker); the browsers are closed
    however the block ends."""
    printing = _Printing(config, log, workers)
    try:
        yield printing
    finally:
        if printing.printers:  # left early (an error, a signal): close the browsers
            printing.close()


@dataclass
class BatchResult:
    """What a batch did: the link it published, each report's result, how many ran, the files written."""

    out_dir: Path
    results: list[JobResult] = field(default_factory=list)
    executed: int = 0
    written: list[Path] = field(default_factory=list)

    @property
    def failures(self) -> list[JobResult]:
        """The results of the reports that failed."""
        return [r for r in self.results if r.outcome == "failed"]
