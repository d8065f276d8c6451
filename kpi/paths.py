"""Where the code lives: the project root, its registry folder and its notebooks. Where the data
lives is said by the project file ``kpi.toml`` (:mod:`kpi.config`), not here."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(os.environ.get("KPI_ROOT", Path(__file__).resolve().parent.parent))
RAW = ROOT / "data" / "raw"
EXAMPLE = ROOT / "data" / "example"  # the shipped example dataset, made by `kpi make-example`
NOTEBOOKS = ROOT / "notebooks"
