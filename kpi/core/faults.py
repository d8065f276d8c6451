"""Fault points: named moments where a test makes this process die or wait, so that a test of what a
kill or an overlap leaves behind hits the moment it means to, every time, instead of guessing with a
sleep. Outside tests ``KPI_FAULT_AT`` is not set and a fault point does nothing.

- ``KPI_FAULT_AT=<name>``: SIGKILL at the point (the process dies there; a test sees exit code -9).
- ``KPI_FAULT_AT=<name>:pause`` with ``KPI_FAULT_DIR=<folder>``: at the point, create
  ``<folder>/<name>.reached`` and wait until the test creates ``<folder>/<name>.release`` (at most
  ``KPI_FAULT_PAUSE`` seconds, 120 by default, so that a test that fails cannot leave a process waiting).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

RELEASE_POLL_SECONDS = 0.02


def fault_point(name: str) -> None:
    """Die or wait here when ``KPI_FAULT_AT`` names this point (see the module docstring)."""
    wanted = os.environ.get("KPI_FAULT_AT", "")
    if wanted == name:
        os.kill(os.getpid(), signal.SIGKILL)
    elif wanted == f"{name}:pause":
        folder = Path(os.environ["KPI_FAULT_DIR"])
        (folder / f"{name}.reached").touch()
        deadline = time.monotonic() + float(os.environ.get("KPI_FAULT_PAUSE", "120"))
        while not (folder / f"{name}.release").exists() and time.monotonic() < deadline:
            time.sleep(RELEASE_POLL_SECONDS)
