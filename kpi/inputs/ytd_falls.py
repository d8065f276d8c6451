"""Year-to-date falls: a cumulative figure that is lower than the month before (a typo, a revision, a
month reported as a month's own flow). Readable, so a warning (:class:`DataQualityWarning`), listed
in every report's data notes; found on a (month × region·indicator) grid of each year, not by a sort."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from kpi.metadata.registry import Registry


class DataQualityWarning(UserWarning):
    """Readable but suspicious input: a year-to-date value that falls, percents given as fractions."""


def period_code(text: str) -> int:
    """``YYYY-MM`` as months since year 0 (2025-01 → 24300): periods compared and sorted as integers."""
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def find_falls(
    period: np.ndarray, region: np.ndarray, indicator: np.ndarray, value: np.ndarray, registry: Registry
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Records whose year-to-date amount or count is below the previous reported month of the same
    year: ``(records, previous period code, previous value)``, in (period, region, indicator) order.

    Each year's values are laid on a (12 months × regions·indicators) grid and scanned month by
    month, carrying the last reported value forward: linear, with no sort.
    """
    cumulative = registry.year_to_date
    n_indicators = len(cumulative)
    cells_per_month = len(registry.region_names) * n_indicators
    candidates = np.flatnonzero(cumulative[indicator]) if len(indicator) else np.zeros(0, np.int64)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    year_of = period[candidates] // 12
    order = candidates if (np.diff(year_of) >= 0).all() else candidates[np.argsort(year_of, kind="stable")]
    years = period[order] // 12
    bounds = np.flatnonzero(np.diff(years)) + 1
    for block in np.split(order, bounds):
        if not len(block):
            continue
        year = int(period[block[0]] // 12)
        month = period[block] - year * 12
        cell = region[block] * n_indicators + indicator[block]
        grid = np.full((12, cells_per_month), -1, dtype=np.int64)
        grid[month, cell] = block
        last_value = np.full(cells_per_month, np.nan)
        last_month = np.full(cells_per_month, -1, dtype=np.int64)
        for m in range(12):
            records = grid[m]
            has = records >= 0
            current = np.where(has, value[np.maximum(records, 0)], np.nan)
            with np.errstate(invalid="ignore"):
                falls = np.flatnonzero(current < last_value - 1e-9)
            if len(falls):
                found.append((records[falls], year * 12 + last_month[falls], last_value[falls]))
            last_value = np.where(has, current, last_value)
            last_month = np.where(has, m, last_month)
    if not found:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    records, previous_period, previous_value = (np.concatenate(part) for part in zip(*found))
    order = np.lexsort((indicator[records], region[records], period[records]))
    return records[order], previous_period[order], previous_value[order]


def period_name(code: int) -> str:
    """The inverse of :func:`period_code`: 24300 → ``2025-01``."""
    return f"{code // 12:04d}-{code % 12 + 1:02d}"


def ytd_falls(progress: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Rows of the tidy ``progress`` whose year-to-date amount or count is below the previous reported
    month of the same year, with ``previous_period`` and ``previous_value``."""
    progress = progress.reset_index(drop=True)
    region_position = {name: i for i, name in enumerate(registry.region_names)}
    indicator_position = {name: i for i, name in enumerate(registry.indicators["indicator_id"])}

    def codes(column: str, lookup) -> np.ndarray:
        value_codes, uniques = pd.factorize(progress[column])
        return np.array([lookup(u) for u in uniques], dtype=np.int64)[value_codes] if len(uniques) else value_codes

    period = codes("period", lambda p: period_code(str(p)))
    region = codes("region", lambda r: region_position.get(r, -1))
    indicator = codes("indicator_id", lambda i: indicator_position.get(i, -1))
    known = np.flatnonzero((region >= 0) & (indicator >= 0))
    records, previous_period, previous_value = find_falls(
        period[known], region[known], indicator[known], progress["value"].to_numpy(float)[known], registry
    )
    rows = progress.iloc[known[records]].reset_index(drop=True)
    return rows.assign(previous_value=previous_value, previous_period=[period_name(c) for c in previous_period])


def warn_falls(tidy: pd.DataFrame, falls: tuple[np.ndarray, np.ndarray, np.ndarray], path: Path) -> None:
    """One :class:`DataQualityWarning` listing the first year-to-date falls of a file (and how many)."""
    records, previous_period, previous_value = falls
    head = tidy.iloc[records[:5]]
    listed = "；".join(
        f"{r.region} {r.indicator_id} {period_name(int(p))}→{r.period}: {v:g}→{r.value:g}"
        for r, p, v in zip(head.itertuples(), previous_period[:5], previous_value[:5])
    )
    warnings.warn(
        DataQualityWarning(
            f"{path.name}: {len(records)} 处年内累计值下降 / year-to-date values that fall: "
            f"{listed}{'…' if len(records) > 5 else ''}（这些区域的季度报告将不予生成）"
        ),
        stacklevel=3,
    )
