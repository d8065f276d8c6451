"""The processes a run starts (report workers, their kernels) end with it: :func:`end_descendants` ends
them from the run's own signal handler, :func:`die_with_parent` makes a worker follow a run killed by
SIGKILL. Everything they use is imported with this module, so a signal handler calling them imports
nothing: one landing while a module is half imported cannot make the handler raise instead of exiting."""

from __future__ import annotations

import ctypes
import signal

import psutil


def end_descendants(signum: int | None = None, frame=None) -> None:
    """End every process this one started (workers, kernels), children first asked, then killed."""
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


def die_with_parent() -> None:
    """Linux: this process gets SIGTERM when its parent dies, even by SIGKILL (prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the parent's own handler still ends its workers on SIGTERM/SIGINT
