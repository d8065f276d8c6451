"""Trajectories toward 2027: required paths, observed pace, verdicts, projections, effort needed.

Methods, per ``basis`` of a plan target (``data/raw/plan_targets.csv``):

- ``level`` and ``cumulative`` — the growth-rate ratio of Eurostat's SDG progress assessment, as
  implemented by Statistics Canada in Open SDG ("Progress Measurement Methodology", open-sdg
  docs/progress-methodology.md)::

      cagr_obs = (latest / base) ** (1 / (latest_year - base_year)) - 1
      cagr_req = (target / base) ** (1 / (target_year - base_year)) - 1     # from the base year
      ratio    = d * cagr_obs / |cagr_req|        d = +1 higher is better, -1 lower is better

  verdict: target_achieved when the latest value meets the target; else on_track (ratio ≥ 0.95),
  acceleration_needed (0.60 ≤ ratio < 0.95), limited_progress (0 ≤ ratio < 0.60), deterioration
  (ratio < 0). ``projected`` = latest × (1 + cagr_obs) ** (target_year − latest_year) and
  ``unsd_ratio`` = (projected − base) / (target − base), the UN Statistics Division SDG Progress
  Chart's anticipated-progress measure. A linear projection (average annual change over the
  observed years) gives the other end of a range.
- ``new_since_base`` — a sum over 2023–2027, so no CAGR on a sum: cumulative additions against the
  linear path (years elapsed / 5 of the target); ratio = completion / expected share, judged by the
  same thresholds; the additions needed per remaining year.
- ``annual_growth`` — the level's compound growth since the base year against the target rate
  (ratio = cagr / target rate); required path base × (1 + rate) ** (year − base_year).
- ``milestone`` — achieved or not, and the first year it was.

Pure functions on plain values and tidy frames; no I/O.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.facts import VERDICTS_ZH

ON_TRACK, ACCELERATION = 0.95, 0.60


def series_for(target) -> str:
    """The annual series a plan target (a row of plan_targets) is judged on: its own, or the one its
    ``series_id`` names (a level for a growth rate, a stock for additions since the base year)."""
    return _field(target, "series_id") or _field(target, "indicator_id")


def additions_from_stock(target) -> bool:
    """Whether a target counted as new since the base year is judged on a stock series, its yearly
    additions being the stock's differences."""
    return _field(target, "basis") == "new_since_base" and series_for(target) != _field(target, "indicator_id")


def series_label(target) -> tuple[str, str]:
    """The name and unit of the annual series a plan target is judged on: ``series_name`` and
    ``series_unit`` where it names another series, else the target's own."""
    if series_for(target) == _field(target, "indicator_id"):
        return _field(target, "name_zh"), _field(target, "unit")
    return _field(target, "series_name") or _field(target, "name_zh"), _field(target, "series_unit") or _field(
        target, "unit"
    )


def _field(target, name: str):
    """A field of a plan_targets row, given as a Series or an itertuples() row ('' when absent)."""
    value = target[name] if isinstance(target, pd.Series) else getattr(target, name, "")
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value


def annual_series(plan_targets: pd.DataFrame) -> pd.DataFrame:
    """The county's annual series behind the plan's targets, one row each, in plan order: what the
    annual form asks for. ``measure`` says what a year's value is: 年末值 (a level or a stock), or
    当年新增 (the year's additions, for a target counted as new since 2022)."""
    own = {row.indicator_id: (row.name_zh, row.unit) for row in plan_targets.itertuples()}
    rows: dict[str, dict] = {}
    for target in plan_targets.itertuples():
        series_id = series_for(target)
        target_text = fmt.target(target.target_value, target.comparator, target.unit)
        if target.basis == "annual_growth":
            target_text = f"年均增长{target_text}"
        elif target.basis == "new_since_base":
            target_text = f"新增{target_text}"
        if series_id in rows:
            rows[series_id]["target_text"] += f"；{target.name_zh} {target_text}"
            continue
        name, unit = own.get(series_id) or series_label(target)
        measure = "当年新增" if target.basis == "new_since_base" and series_id == target.indicator_id else "年末值"
        if target.basis == "milestone":
            measure = "年末数量（0 = 尚未实现）"
        rows[series_id] = {
            "series_id": series_id,
            "name_zh": name,
            "unit": unit,
            "measure": measure,
            "target_text": target_text,
        }
    return pd.DataFrame(list(rows.values()))


@dataclass(frozen=True)
class Assessment:
    """A target's assessment: verdict (English and Chinese), ratio, growth rates, projections and the
    reason when the data cannot support one."""

    verdict: str
    verdict_zh: str
    ratio: float = math.nan
    cagr_obs: float = math.nan
    cagr_req: float = math.nan
    projected: float = math.nan
    projected_linear: float = math.nan
    unsd_ratio: float = math.nan
    reason: str = ""

    def as_dict(self) -> dict:
        """The assessment as a plain dict (one row of the assessments table)."""
        return asdict(self)


def verdict_for_ratio(ratio: float) -> str:
    """The verdict of a growth-rate ratio: on_track ≥ 0.95, acceleration_needed ≥ 0.60,
    limited_progress ≥ 0, else deterioration (Eurostat / Open SDG thresholds)."""
    if ratio >= ON_TRACK:
        return "on_track"
    if ratio >= ACCELERATION:
        return "acceleration_needed"
    if ratio >= 0:
        return "limited_progress"
    return "deterioration"


def insufficient(reason: str) -> Assessment:
    """The assessment of a target whose data cannot support a verdict, with the reason."""
    return Assessment("insufficient_data", VERDICTS_ZH["insufficient_data"], reason=reason)


def higher_is_better(comparator: str) -> bool:
    """``>=``, ``>`` and ``=`` (reach the figure) want more; ``<=`` and ``<`` want less."""
    return comparator not in ("<=", "<")


def _meets(value: float, target: float, higher_is_better: bool) -> bool:
    return value >= target if higher_is_better else value <= target


ZERO_SUBSTITUTE = 0.001  # Open SDG (sdg-build ProgressMeasure): a zero base or target is read as 0.001


def assess(
    base_year: int,
    base_value: float,
    latest_year: int,
    latest_value: float,
    target_year: int,
    target_value: float,
    higher_is_better: bool = True,
) -> Assessment:
    """Eurostat / Open SDG growth-rate ratio, verdict, compound and linear projections, UNSD ratio.

    At the edges it follows Open SDG's ``ProgressMeasure``: a latest value that meets the target is
    已达标 even with one year of data; a zero base or target is read as 0.001; an all-negative series
    has its ratio's sign flipped; a base and a latest value of opposite signs have no growth rate.
    The UNSD ratio is not given when the base already met the target (it would read a fall as progress)."""
    if latest_value is None or math.isnan(latest_value):
        return insufficient("缺少最新值 / latest value missing")
    achieved = _meets(latest_value, target_value, higher_is_better)
    years_observed = latest_year - base_year
    if years_observed < 1 or base_value is None or math.isnan(base_value):
        if achieved:
            return Assessment("target_achieved", VERDICTS_ZH["target_achieved"])
        if base_value is None or math.isnan(base_value):
            return insufficient("缺少基期值 / base value missing")
        return insufficient("少于两个年度的数据 / fewer than two years of data")
    base = ZERO_SUBSTITUTE if base_value == 0 else base_value
    target = ZERO_SUBSTITUTE if target_value == 0 else target_value
    if base * latest_value < 0 or target / base <= 0:
        if achieved:
            return Assessment("target_achieved", VERDICTS_ZH["target_achieved"])
        return insufficient(
            "基期值与最新值（或目标）符号相反，增长率无意义 / values of opposite signs have no growth rate"
        )
    sign = -1 if base < 0 else 1
    slope = (latest_value - base_value) / years_observed
    years_left = target_year - latest_year
    projected_linear = latest_value + slope * years_left
    cagr_obs = (latest_value / base) ** (1 / years_observed) - 1 if latest_value != 0 else -1.0
    cagr_req = (target / base) ** (1 / (target_year - base_year)) - 1
    projected = latest_value * (1 + cagr_obs) ** years_left
    base_met = _meets(base_value, target_value, higher_is_better)
    unsd_ratio = (
        (projected - base_value) / (target_value - base_value)
        if target_value != base_value and not base_met
        else math.nan
    )
    direction = 1 if higher_is_better else -1
    ratio = (
        sign * direction * cagr_obs / abs(cagr_req)
        if cagr_req != 0
        else (math.inf if direction * cagr_obs >= 0 else -math.inf)
    )
    verdict = "target_achieved" if achieved else verdict_for_ratio(ratio)
    return Assessment(verdict, VERDICTS_ZH[verdict], ratio, cagr_obs, cagr_req, projected, projected_linear, unsd_ratio)


def base_of(series: pd.Series, base_year: int) -> tuple[int, float, str]:
    """The base year and value: the plan's base year, or (as Open SDG does) the next year with data,
    said in a note."""
    if base_year in series.index and not math.isnan(series.loc[base_year]):
        return base_year, float(series.loc[base_year]), ""
    later = series[(series.index > base_year)].dropna()
    if later.empty:
        return base_year, math.nan, ""
    year = int(later.index[0])
    return year, float(later.iloc[0]), f"基期{base_year}年无数据，以{year}年为基期 / base year missing: {year} used"


def required_paths(base_year: int, base_value: float, target_year: int, target_value: float) -> pd.DataFrame:
    """The compound (constant growth) and linear (constant increment) paths from base to target."""
    years = np.arange(base_year, target_year + 1)
    steps = (years - base_year) / (target_year - base_year)
    compound = base_value * (target_value / base_value) ** steps if base_value > 0 else np.full(len(years), np.nan)
    linear = base_value + (target_value - base_value) * steps
    return pd.DataFrame({"year": years, "required_compound": compound, "required_linear": linear})


def effort_needed(series: pd.Series, target_year: int, target_value: float, higher: bool = True) -> dict:
    """What the remaining years must deliver: the level increment and growth rate per year that
    reach the target from the latest value, against the best year so far — the largest rise, or for
    a lower-is-better target (``higher`` False: 前30位, 不超过) the largest fall."""
    series = series.dropna().sort_index()
    latest_year, latest = int(series.index[-1]), float(series.iloc[-1])
    years_left = target_year - latest_year
    changes = series.diff().dropna()
    growth = series.pct_change().dropna().replace([np.inf, -np.inf], np.nan).dropna()
    best_change = (changes.max() if higher else changes.min()) if len(changes) else math.nan
    best_growth = (growth.max() if higher else growth.min()) if len(growth) else math.nan
    if years_left <= 0:
        return {
            "years_left": 0,
            "needed_change_per_year": math.nan,
            "needed_growth_per_year": math.nan,
            "best_change_so_far": best_change,
            "best_growth_so_far": best_growth,
        }
    needed_growth = (target_value / latest) ** (1 / years_left) - 1 if latest > 0 else math.nan
    return {
        "years_left": years_left,
        "needed_change_per_year": (target_value - latest) / years_left,
        "needed_growth_per_year": needed_growth,
        "best_change_so_far": float(best_change),
        "best_growth_so_far": float(best_growth),
    }


def assess_new_since_base(additions: pd.Series, base_year: int, target_year: int, target_value: float) -> dict:
    """A count added over base_year+1 … target_year (e.g. 260 new high-tech enterprises in 2023–2027)."""
    period = additions[(additions.index > base_year) & (additions.index <= target_year)].dropna().sort_index()
    span = target_year - base_year
    if period.empty:
        return {**insufficient("基期之后尚无新增数据 / no additions reported after the base year").as_dict()}
    latest_year = int(period.index[-1])
    elapsed = latest_year - base_year
    cumulative = float(period.sum())
    completion = cumulative / target_value
    expected_share = elapsed / span
    pace_ratio = completion / expected_share  # not the Eurostat growth ratio: its own column
    verdict = "target_achieved" if cumulative >= target_value else verdict_for_ratio(pace_ratio)
    years_left = target_year - latest_year
    pace = cumulative / elapsed
    return {
        "pace_ratio": pace_ratio,
        **Assessment(
            verdict,
            VERDICTS_ZH[verdict],
            projected=cumulative + pace * years_left,
            projected_linear=cumulative + pace * years_left,
            unsd_ratio=(cumulative + pace * years_left) / target_value,
        ).as_dict(),
        "latest_year": latest_year,
        "latest_value": cumulative,
        "completion": completion,
        "expected_share": expected_share,
        "gap_points": (completion - expected_share) * 100,
        "needed_change_per_year": (target_value - cumulative) / years_left if years_left else math.nan,
        "best_change_so_far": float(period.max()),
        "years_left": years_left,
    }


def assess_annual_growth(levels: pd.Series, base_year: int, target_year: int, target_rate_percent: float) -> dict:
    """Average annual growth since the base year against the target rate (e.g. 财政科技投入 +15 %/yr)."""
    levels = levels.dropna().sort_index()
    if base_year not in levels.index or levels.index.max() <= base_year:
        return insufficient("缺少基期或之后年度的数据 / base year or later years missing").as_dict()
    base, latest_year = float(levels.loc[base_year]), int(levels.index.max())
    latest = float(levels.loc[latest_year])
    if base <= 0:
        return insufficient("基期值为零 / zero base").as_dict()
    rate = target_rate_percent / 100
    years_observed, years_left = latest_year - base_year, target_year - latest_year
    cagr = (latest / base) ** (1 / years_observed) - 1
    ratio = cagr / rate
    required_final = base * (1 + rate) ** (target_year - base_year)
    verdict = verdict_for_ratio(ratio)
    return {
        **Assessment(
            verdict,
            VERDICTS_ZH[verdict],
            ratio=ratio,
            cagr_obs=cagr,
            cagr_req=rate,
            projected=latest * (1 + cagr) ** years_left,
            projected_linear=latest + (latest - base) / years_observed * years_left,
            unsd_ratio=(latest * (1 + cagr) ** years_left - base) / (required_final - base),
        ).as_dict(),
        "latest_year": latest_year,
        "latest_value": latest,
        "required_final": required_final,
        "needed_growth_per_year": (required_final / latest) ** (1 / years_left) - 1 if years_left else math.nan,
        "best_growth_so_far": float(levels.pct_change().dropna().max()),
        "years_left": years_left,
    }


def assess_milestone(values: pd.Series, target_value: float = 1) -> dict:
    """A 零突破 milestone: achieved or not, and the first year it was."""
    values = values.dropna().sort_index()
    if values.empty:
        return insufficient("无数据 / no data").as_dict()
    reached = values[values >= target_value]
    if reached.empty:
        return {
            **Assessment("not_yet_achieved", VERDICTS_ZH["not_yet_achieved"]).as_dict(),
            "latest_year": int(values.index[-1]),
            "latest_value": float(values.iloc[-1]),
            "achieved_year": math.nan,
        }
    return {
        **Assessment("target_achieved", VERDICTS_ZH["target_achieved"]).as_dict(),
        "latest_year": int(values.index[-1]),
        "latest_value": float(values.iloc[-1]),
        "achieved_year": int(reached.index[0]),
    }
