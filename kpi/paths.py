"""Where the project's data lives. Every function that reads or writes takes paths as arguments;
these are only the defaults used by the command line and the notebooks."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("KPI_ROOT", Path(__file__).resolve().parent.parent))
RAW = ROOT / "data" / "raw"
EXAMPLE = RAW / "example"
PROCESSED = ROOT / "data" / "processed"
REPORTS = ROOT / "reports"
NOTEBOOKS = ROOT / "notebooks"


def annex_path(year: int, raw_dir: Path = RAW) -> Path:
    """The annex (晾晒表) targets of ``year``: the official 2023 one, else the example one."""
    for candidate in (
        raw_dir / f"annex_{year}.xlsx",
        raw_dir / f"annex_{year}.csv",
        raw_dir / "example" / f"annex_{year}_example.csv",
    ):
        if candidate.exists():
            return candidate
    return raw_dir / f"annex_{year}.csv"
