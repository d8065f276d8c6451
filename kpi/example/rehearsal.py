"""Example returns for any county's registry (``kpi make-example`` on a project other than the shipped
one): a seeded, documented stand-in so a new county can rehearse its monthly cycle before real figures
arrive. None of it is official; every row says ``is_example = true`` and every output built on it says
示例数据.

Rules (numpy's PCG64, the seed given):

- **Which cells**: every region × indicator × month of each year that has annex targets; the total row
  only for the indicators that do not sum from the regions (the leaderboard sums the others).
- **Region ability**: a fixed factor per region, uniform in [0.8, 1.15], times N(1, 0.05) per indicator.
- **Amounts and counts** (year to date): the annual total = target × ability, spread over the months by
  equal shares with ±30 % noise, accumulated (counts whole and never falling).
- **Growth** (%): target + N(1, 3) each month. **Ratio**: target × ability × N(1, 0.02) each month.
- **Rank** (lower is better): round(target ÷ ability + N(0, 1)), at least 1, each month.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kpi.core import atomic
from kpi.metadata.registry import Registry

COLUMNS = ["period", "region", "indicator_id", "value", "is_example"]


def _path(kind: str, target: float, ability: float, rng: np.random.Generator) -> np.ndarray:
    """Twelve monthly values of one region × indicator by the module's rules."""
    if kind in ("amount", "count"):
        shares = rng.uniform(0.7, 1.3, 12)
        cumulative = target * ability * np.cumsum(shares / shares.sum())
        return np.maximum.accumulate(np.floor(cumulative)) if kind == "count" else np.round(cumulative, 4)
    if kind == "growth":
        return np.round(target + rng.normal(1, 3, 12), 1)
    if kind == "ratio":
        return np.round(np.maximum(target * ability * rng.normal(1, 0.02, 12), 0), 2)
    return np.maximum(np.round(target / ability + rng.normal(0, 1, 12)), 1)  # a rank


def rehearsal_progress(targets: pd.DataFrame, registry: Registry, seed: int) -> pd.DataFrame:
    """Monthly example progress (``period, region, indicator_id, value, is_example``) for every year of
    ``targets`` (the tidy annex: ``year, region, indicator_id, target``), by the module's rules."""
    rng = np.random.default_rng(seed)
    regions = registry.region_names
    ability = dict(zip(regions, rng.uniform(0.8, 1.15, len(regions))))
    kinds, sums = registry.by_id["kind"], registry.by_id["sums_to_county"]
    rows = []
    ordered = targets.assign(
        region_order=targets["region"].map(registry.region_order),
        indicator_order=targets["indicator_id"].map(registry.indicator_order),
    ).sort_values(["year", "region_order", "indicator_order"])  # the same seed, the same bytes
    for cell in ordered.itertuples():
        if cell.region == registry.total_name and sums[cell.indicator_id]:
            continue
        factor = ability[cell.region] * rng.normal(1, 0.05)
        values = _path(kinds[cell.indicator_id], float(cell.target), factor, rng)
        rows += [(f"{cell.year}-{m:02d}", cell.region, cell.indicator_id, v, True) for m, v in enumerate(values, 1)]
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["period"], kind="stable", ignore_index=True)


def write_rehearsal(targets: pd.DataFrame, registry: Registry, out_dir: Path, seed: int) -> list[Path]:
    """``progress_example.csv`` in ``out_dir`` (:func:`rehearsal_progress`). Returns the file written."""
    progress = rehearsal_progress(targets, registry, seed)
    return [atomic.write_csv(Path(out_dir) / "progress_example.csv", progress, float_format="%.10g")]
