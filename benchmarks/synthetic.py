"""Synthetic province-scale inputs for the benchmarks: every township of a province over many years.

``n_rows`` progress rows = regions × 7 indicators × months; the registry keeps the 7 annex indicators
and invents ``n_regions`` townships (镇0001 …) plus 全县. Seeded, so every run measures the same data.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from kpi.metadata.registry import Registry


def shape_for(n_rows: int) -> tuple[int, int]:
    """(regions, months) giving about ``n_rows`` = (regions + 1) × 7 × months, with 12–120 months."""
    months = 12 if n_rows < 10**5 else 60 if n_rows < 10**7 else 120
    regions = max(2, math.ceil(n_rows / (7 * months)) - 1)
    return regions, months


def registry_for(base: Registry, n_regions: int) -> Registry:
    names = [f"镇{i:05d}" for i in range(1, n_regions + 1)]
    regions = pd.DataFrame(
        {
            "annex_order": range(n_regions + 1),
            "region": [base.total_name, *names],
            "name_en": ["county", *names],
            "slug": ["county", *[f"t{i:05d}" for i in range(1, n_regions + 1)]],
            "kind": ["县", *["镇"] * n_regions],
            "aliases": [""] * (n_regions + 1),
        }
    )
    return replace(base, regions=regions)


def tables(base: Registry, n_rows: int, seed: int = 7) -> tuple[Registry, pd.DataFrame, pd.DataFrame]:
    """(registry, targets for every year, progress) for about ``n_rows`` progress rows."""
    rng = np.random.default_rng(seed)
    n_regions, months = shape_for(n_rows)
    registry = registry_for(base, n_regions)
    indicators = registry.indicators["indicator_id"].to_numpy()
    regions = registry.regions["region"].to_numpy()
    years = 2023 + np.arange(months // 12)
    target_grid = pd.MultiIndex.from_product(
        [years, regions, indicators], names=["year", "region", "indicator_id"]
    ).to_frame(index=False)
    target_grid["target"] = rng.uniform(1, 100, len(target_grid)).round(2)
    target_grid["comparator"] = ">="
    target_grid["is_example"] = True
    periods = [f"{y}-{m:02d}" for y in years for m in range(1, 13)]
    progress = pd.MultiIndex.from_product(
        [periods, regions, indicators], names=["period", "region", "indicator_id"]
    ).to_frame(index=False)
    month = progress["period"].str[5:7].astype(int).to_numpy()
    value = rng.uniform(0.5, 1.5, len(progress)) * month / 12 * 50
    counts = progress["indicator_id"].map(registry.indicators.set_index("indicator_id")["kind"]).eq("count")
    progress["value"] = np.where(counts, value.round(0), value.round(3))  # a count is whole
    progress["is_example"] = True
    return registry, target_grid, progress
