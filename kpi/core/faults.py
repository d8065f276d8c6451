"""Fault points: named moments where a test makes this process die (``KPI_FAULT_AT=<name>``: SIGKILL) or
pause (``KPI_FAULT_AT=<name>:pause`` with ``KPI_FAULT_PAUSE`` seconds), so that a test of what a kill or
an overlap leaves behind hits the moment it means to, every time, instead of guessing with a sleep.
Outside tests the variable is not set and a fault point does nothing."""

from __future__ import annotations

import os
import signal
import time


def fault_point(name: str) -> None:
    """Die or pause here when ``KPI_FAULT_AT`` names this point (see the module docstring)."""
    wanted = os.environ.get("KPI_FAULT_AT", "")
    if wanted == name:
        os.kill(os.getpid(), signal.SIGKILL)
    elif wanted == f"{name}:pause":
        time.sleep(float(os.environ.get("KPI_FAULT_PAUSE", "2")))
