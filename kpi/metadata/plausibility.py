"""Is a collected value what it says it is? Each value is compared with what the project already knows
before it is published: the same region's previous month, its annual target, the other regions this
month. What looks like a slip is **held** (with why and the likely intended value), never changed:

- **a unit slip**: the value is off by a factor near 10, 100, 1 000 or 10 000 from what the previous month
  leads one to expect (a value in 万元 typed into a 亿元 column is ×10⁴);
- **a year-to-date fall**: an amount or count below the same region's previous month this year;
- **a completion far outside**: more than ``completion_hold_percent`` of the annual target, or more than
  ``outlier_factor`` times the other regions' median completion of that indicator this month;
- **a growth rate out of range**, or written as a bare fraction (0.125: 12.5 % or 0.125 %?).

These thresholds are this project's conventions (``[checks]`` in kpi.toml), not the plan's. Pure
functions on tidy tables; :mod:`kpi.store.collect` decides what to store.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpi.core.facts import POINT_IN_TIME
from kpi.metadata.registry import Registry


@dataclass(frozen=True)
class Checks:
    """The plausibility thresholds (``[checks]`` in kpi.toml; these defaults when absent)."""

    slip_tolerance: float = 0.2  # |log10(value / expected) − k| within this: a slip of 10^k (k = 1…4)
    completion_hold_percent: float = 500.0  # above this share of the annual target: held
    outlier_factor: float = 10.0  # above this × the other regions' median completion: held
    growth_limit_percent: float = 200.0  # a growth rate beyond ± this: held
    fall_tolerance_percent: float = 0.0  # a year-to-date value this much below last month's is still fine
    ceiling: float = 1e6  # no county indicator reaches this in its own unit (亿元, 家, 件): held above it


#: ``[checks]``: the plausibility thresholds (:class:`Checks`) and the range each may take
CHECK_KEYS = {
    "slip_tolerance": (0.01, 0.5),
    "completion_hold_percent": (100, 100000),
    "outlier_factor": (2, 1000),
    "growth_limit_percent": (10, 10000),
    "fall_tolerance_percent": (0, 100),
    "ceiling": (1, 1e12),
}


def _previous(incoming: pd.DataFrame, known: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """For each incoming value, the same region's and indicator's latest earlier value of the same
    year (from the store, or an earlier month in the same collection), and its month; NaN where there
    is none."""
    history = pd.concat(
        [known[["period", "region", "indicator_id", "value"]], incoming[["period", "region", "indicator_id", "value"]]],
        ignore_index=True,
    ).drop_duplicates(["period", "region", "indicator_id"], keep="last")
    history = history.assign(year=history["period"].str[:4], month=history["period"].str[5:7].astype(int))
    rows = incoming[["period", "region", "indicator_id"]].reset_index()
    rows = rows.assign(year=rows["period"].str[:4], month=rows["period"].str[5:7].astype(int))
    pairs = rows.merge(history, on=["region", "indicator_id", "year"], suffixes=("", "_before"))
    pairs = pairs[pairs["month_before"] < pairs["month"]].sort_values("month_before")
    latest = pairs.groupby("index").last()
    return (
        latest["value"].reindex(incoming.index).astype(float),
        latest["month_before"].reindex(incoming.index).astype(float),
    )


def _pace(registry: Registry, indicator_ids: pd.Series, months: pd.Series) -> np.ndarray:
    """The share of the year's target due by each month: the indicator's declared profile, else month ÷ 12."""
    profiles = registry.pacing_profiles.set_index(["profile", "month"])["time_share"]
    profile = indicator_ids.map(registry.by_id["pacing_profile"])
    linear = months.to_numpy(dtype=float) / 12
    declared = [
        profiles.get((p, int(m)), np.nan) if p != "linear" else np.nan
        for p, m in zip(profile, months.fillna(0).astype(int))
    ]
    return np.where(np.isnan(declared), linear, declared)


def _slip(ratio: np.ndarray, tolerance: float) -> np.ndarray:
    """The power of ten a ratio sits near (±1…±4), 0 where it is none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log10(ratio)
    nearest = np.rint(logs)
    near = np.isfinite(logs) & (np.abs(logs - nearest) <= tolerance) & (np.abs(nearest) >= 1) & (np.abs(nearest) <= 4)
    return np.where(near, nearest, 0).astype(int)


def _far_from_target(
    out: pd.DataFrame, value: np.ndarray, pace: np.ndarray, targets: pd.DataFrame, checks: Checks, total_name: str
):
    """Values whose completion of the annual target is far above the target or the other regions'
    median: ``(mask, likely value, reason)``. Applied to amounts only: a count has no unit to slip, and
    a count's small target (2 家) makes any completion ratio noisy."""
    target = (
        out.assign(year=out["period"].str[:4].astype(int))
        .merge(
            targets[["year", "region", "indicator_id", "target"]], on=["year", "region", "indicator_id"], how="left"
        )["target"]
        .to_numpy(dtype=float)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        completion = np.where(target > 0, value / target * 100, np.nan)
    regions_only = np.where(out["region"].to_numpy() == total_name, np.nan, completion)  # 全县 is not a peer
    others = pd.DataFrame({"key": out["period"] + out["indicator_id"], "c": regions_only})
    median = others.groupby("key")["c"].transform(lambda c: c.median() if c.notna().sum() >= 4 else np.nan)
    median = median.to_numpy()
    due = np.maximum(pace * 100, 1.0)
    far = completion > checks.completion_hold_percent
    outlier = (median > 0) & (completion > checks.outlier_factor * median) & (completion > 100)
    typical = np.where(median > 0, median, due)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.clip(np.rint(np.log10(np.where(far | outlier, completion / typical, 1.0))), 0, 4)
    guess = np.where(power >= 1, value / 10.0**power, np.nan)
    texts = np.array(
        [f"完成全年目标的 {c:,.0f}%，远超其他区域和序时 / far above the target and the others" for c in completion]
    )
    return far | outlier, guess, texts


def check_values(
    incoming: pd.DataFrame, known: pd.DataFrame, targets: pd.DataFrame, registry: Registry, checks: Checks = Checks()
) -> pd.DataFrame:
    """``incoming`` (``period, region, indicator_id, value, flag``) with ``hold_reason`` ('' when the value
    is plausible) and ``likely_value`` (NaN when no single value is likely). ``known``: the store's
    values; ``targets``: the annex targets (``year, region, indicator_id, target``; may be empty)."""
    out = incoming.copy()
    kind = out["indicator_id"].map(registry.by_id["kind"])
    value = out["value"].astype(float).to_numpy()
    month = out["period"].str[5:7].astype(int)
    reason = np.full(len(out), "", dtype=object)
    likely = np.full(len(out), np.nan)

    def hold(mask, text, guess=None):
        mask = mask & (reason == "")
        reason[mask] = text[mask] if isinstance(text, np.ndarray) else text
        if guess is not None:
            likely[mask] = guess[mask]

    growth = (kind == "growth").to_numpy()
    fraction = growth & (out["flag"] == "growth_fraction").to_numpy()
    with np.errstate(over="ignore"):  # a value near the float limit is held below by its ceiling
        hundred = value * 100
    hold(fraction, "增长率写成了小数：是百分之几？/ a growth rate written as a fraction", hundred)
    limit = checks.growth_limit_percent
    hold(growth & (np.abs(value) > limit), f"增长率超出 ±{limit:g}% / a growth rate out of range")

    cumulative = ~growth
    hold(
        cumulative & (np.abs(value) > checks.ceiling), f"超过上限 {checks.ceiling:g} / above the ceiling of any county"
    )
    before, month_before = _previous(out, known)
    before, month_before = before.to_numpy(), month_before.to_numpy()
    pace = _pace(registry, out["indicator_id"], month)
    pace_before = _pace(registry, out["indicator_id"], pd.Series(month_before).fillna(1))
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.where(pace_before > 0, before * pace / pace_before, before)
        slip = _slip(value / expected, checks.slip_tolerance)
    has_before = cumulative & np.isfinite(before) & (before > 0)
    words = np.array([f"与上月累计相比差约 {10.0 ** abs(k):,.0f} 倍，疑似单位错误 / a unit slip?" for k in slip])
    hold(has_before & (slip != 0), words, value / 10.0**slip)
    # a level (ratio, rank) may fall from one month to the next; a year-to-date total may not
    year_to_date = ~kind.isin(POINT_IN_TIME).to_numpy()
    fall = has_before & year_to_date & (value < before * (1 - checks.fall_tolerance_percent / 100))
    texts = np.array([f"低于上月累计 {b:g} / below last month's year-to-date value" for b in before])
    hold(fall, texts)

    if not targets.empty:
        far, guess, texts = _far_from_target(out, value, pace, targets, checks, registry.total_name)
        hold(far & (kind == "amount").to_numpy(), texts, guess)
    out["hold_reason"] = reason
    out["likely_value"] = likely
    return out
