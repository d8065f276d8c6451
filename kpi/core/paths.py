"""Where the code lives: the project root, its registry folder and its notebooks. Where the data
lives is said by the project file ``kpi.toml`` (:mod:`kpi.metadata.config`), not here."""

from __future__ import annotations

import os
from pathlib import Path

from kpi.core.errors import ConfigError

PACKAGE = Path(__file__).resolve().parent.parent  # the kpi package itself
TEMPLATES = PACKAGE / "templates"  # its page, report and widget templates
ROOT = Path(os.environ.get("KPI_ROOT", PACKAGE.parent))
RAW = ROOT / "data" / "raw"
EXAMPLE = ROOT / "data" / "example"  # the shipped example dataset, made by `kpi make-example`
NOTEBOOKS = ROOT / "notebooks"


def ensure_outside(path: Path, forbidden: Path, what: str) -> None:
    """Refuse an output path inside ``forbidden`` (the immutable registry folder)."""
    if Path(path).resolve().is_relative_to(Path(forbidden).resolve()):
        raise ConfigError(
            f"不能写入原始数据文件夹 {forbidden} / {what} never goes into the raw data folder",
            file=path,
            fix="写到别处（例如 data/processed、reports 或 data/county）",
        )


def ensure_apart(path: Path, other: Path, what: str, other_what: str) -> None:
    """Refuse a derived folder that is, contains or lies inside the store or the registry (an ingest
    into the store would overwrite what the county sent)."""
    mine, theirs = Path(path).resolve(), Path(other).resolve()
    if mine.is_relative_to(theirs) or theirs.is_relative_to(mine):
        raise ConfigError(
            f"{what}不能与{other_what}（{other}）重合或互相包含 / {what} must lie apart from {other_what}",
            file=path,
            fix='在 kpi.toml 的 [output] 中给出单独的文件夹，例如 processed = "data/processed"',
        )
