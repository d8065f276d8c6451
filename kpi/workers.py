"""The batch's workers: each report notebook executed in its own process (forked, or Dask's local
cluster), a kernel that dies taken down with its parent, and the PDF printer shared by them.

A worker never writes into a published folder: it writes into the build that :mod:`kpi.batch` is
assembling, and :mod:`kpi.publication` switches to it once every job is done.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from kpi.config import Config
from kpi.errors import InputError
from kpi.formatting import beijing_timestamp
from kpi.runner import KernelSession, NotebookFailed, execute_notebook, notebook_to_html

#: what a local worker process keeps for its reports, set by its initialiser: one kernel for its
#: notebooks, and (where PDFs can be printed) the footer of the PDFs it prints with a Chromium of its own.
#: Dask's workers keep neither: a cluster's processes outlive the batch; its PDFs are printed by the batch.
_worker_kernel: KernelSession | None = None
_worker_pdf_footer: str | None = None
_worker_printer = None


@dataclass(frozen=True)
class Job:
    """One notebook to run: its key (file name), title, region, notebook, output, parameters and
    fingerprint (notebook, code, inputs, parameters)."""

    key: str
    title: str
    region: str | None
    notebook: str
    output: str
    parameters: dict
    fingerprint: str


@dataclass
class JobResult:
    """How one job ended: ok, failed (with the message) or unchanged, its time and when it finished."""

    key: str
    outcome: str  # ok | failed | unchanged
    seconds: float = 0.0
    message: str = ""
    finished_at: str = ""
    printed: bool = False  # its PDF printed by the worker itself


def run_job(job: Job) -> JobResult:
    """Execute one report notebook, render its HTML and, in a local worker that prints, its PDF
    (top-level, so worker processes can run it)."""
    start = time.monotonic()
    printed = False
    try:
        executed = execute_notebook(Path(job.notebook), Path(job.output), job.parameters, kernel=_worker_kernel)
        html = notebook_to_html(executed, executed.with_suffix(".html"))
        if _worker_pdf_footer is not None and job.region is not None:
            _printer().submit(html, html.with_suffix(".pdf")).result()
            printed = True
        outcome, message = "ok", ""
    except NotebookFailed as exc:
        outcome, message = "failed", str(exc)
    except Exception as exc:  # a kernel that died, a disk that filled: reported, never swallowed silently
        outcome, message = "failed", f"{type(exc).__name__}: {exc}"
    return JobResult(job.key, outcome, round(time.monotonic() - start, 2), message, beijing_timestamp(), printed)


def _printer():
    """This worker's PDF printer, its browser started with the first report and closed as the worker ends."""
    global _worker_printer
    if _worker_printer is None:
        from multiprocessing.util import Finalize

        from kpi.pdf import PdfPrinter

        _worker_printer = PdfPrinter(_worker_pdf_footer)
        Finalize(_worker_printer, _worker_printer.finish, exitpriority=10)
    return _worker_printer


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


def _start_worker(path: str, parent: int, pdf_footer: str | None) -> None:
    """Worker initialiser: one kernel kept for this worker's notebooks, shut down when the worker
    ends, and its reports' PDFs printed here when ``pdf_footer`` is given; stop with the run, taking
    this worker's kernels along; the kernels' own chatter (TCP warnings, shutdown notices) goes to the log."""
    import signal
    from multiprocessing.util import Finalize

    global _worker_kernel, _worker_pdf_footer
    _worker_kernel, _worker_pdf_footer = KernelSession(), pdf_footer
    Finalize(_worker_kernel, _worker_kernel.close, exitpriority=10)  # run as the pool's worker exits

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
    if pdf_footer is not None:
        _printer()  # its browser starts while the first notebook runs


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


def execute_jobs(
    jobs: list[Job],
    n_jobs: int,
    log: logging.Logger,
    log_path: Path,
    executor: str = "local",
    scheduler: str | None = None,
    on_result=lambda job, result: None,
    pdf_footer: str | None = None,
) -> list[JobResult]:
    """Run the jobs N at a time; ``on_result(job, result)`` is called as each one finishes. With
    ``pdf_footer``, local workers print their reports' PDFs themselves (a Chromium each)."""
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
            max_workers=max(1, min(n_jobs, len(jobs))),
            initializer=_start_worker,
            initargs=(str(log_path), os.getpid(), pdf_footer),
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


class _Printing:
    """The batch's PDFs. Local workers print their own reports' (``worker_footer``: each prints its
    report after its notebook, in parallel); a report no worker printed (Dask's, or one carried over
    from a build that had none) is handed to this process's printer as it finishes, printing while
    the notebooks still run. Where PDFs cannot be printed here, it says why once. The printer's thread
    starts with the first such report, after the worker processes were forked: a process forked while
    another of its threads runs can inherit a lock held by that thread."""

    def __init__(self, config: Config, log: logging.Logger):
        from kpi.pdf import why_no_pdf

        self.reason = why_no_pdf()
        self.log = log
        self.footer = f"制表单位：{config.organisation}" if config.organisation else ""
        self.printer = None
        self.submitted: set[str] = set()
        self.printed_by_workers: list[Path] = []

    @property
    def worker_footer(self) -> str | None:
        """The footer local workers print with, or None where PDFs cannot be printed."""
        return self.footer if self.reason is None else None

    def report_done(self, job: Job, result: JobResult) -> None:
        """A report finished: its PDF counted if its worker printed it, else queued to print here."""
        from kpi.pdf import PdfPrinter

        html = Path(job.output).with_suffix(".html")
        if result.printed:
            self.printed_by_workers.append(html.with_suffix(".pdf"))
            self.submitted.add(job.key)
        elif self.reason is None and result.outcome == "ok" and job.region is not None and html.exists():
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
        return self.printed_by_workers + (printer.finish() if printer is not None else [])


@contextlib.contextmanager
def printing(config: Config, log: logging.Logger):
    """The batch's PDF printer for the ``with`` block; the browser is closed however the block ends."""
    printing = _Printing(config, log)
    try:
        yield printing
    finally:
        if printing.printer is not None:  # left early (an error, a signal): close the browser
            with contextlib.suppress(Exception):
                printing.printer.finish()


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
