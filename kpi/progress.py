"""Completion, 序时进度 (time-proportional progress), status, ranks and the composite score.

The rules of the 晾晒表 (附件; 三(五) 强化考核评价), for a period ``YYYY-MM`` with year-to-date values:

- ``actual``: the region's year-to-date value; for a growth indicator its year-on-year growth (%).
  全县 uses the county's own reported value, else — for an indicator that sums — the sum of the 8
  regions when all of them reported (``actual_source`` says which).
- ``completion_rate`` = actual / target (target / actual where lower is better); for a growth
  indicator too, so that it can be compared.
- ``time_share`` (序时进度) = month / 12, or the indicator's monthly pacing profile
  (``pacing_profiles.csv``, e.g. batch recognition of high-tech enterprises). Not applicable (NaN)
  to growth indicators, which are judged against their target rate.
- ``status``: 超序时 when completion_rate ≥ time_share; 基本序时 when below by at most 5 points;
  滞后 below that; growth indicators 达标 / 未达标 against the target; 未报送 without a value (never 0).
- ``rank``: among the 8 regions (全县 excluded) by completion_rate, highest first (growth: by actual
  growth); ties share the better rank (1, 2, 2, 4); 未报送 gets no rank.
- ``composite`` (综合): the weighted mean over the indicators of completion_rate capped at 1.5
  (weights from ``indicators.csv``, equal by default), only for a region that reported every
  indicator; its time_share is the same weighted mean of the indicators' time shares (growth
  counting as 1); status and rank by the same rules.

Everything is vectorised over periods × regions × indicators: one call scores a whole year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi.registry import COUNTY, Registry

AHEAD, NEAR, BEHIND = "超序时", "基本序时", "滞后"
MET, NOT_MET, MISSING = "达标", "未达标", "未报送"
STATUSES = (AHEAD, NEAR, BEHIND, MET, NOT_MET, MISSING)
NEAR_TOLERANCE = 0.05
COMPOSITE_CAP = 1.5
COMPOSITE = "composite"
LEADERBOARD_COLUMNS = ["period", "region", "indicator_id", "target", "comparator", "actual",
                       "completion_rate", "time_share", "status", "rank"]
COMPOSITE_RULE = ("综合得分 = 各指标完成率（封顶150%）的加权平均（权重见 indicators.csv，默认相等），"
                  "仅对全部指标均已报送的区域计算；综合序时进度为各指标序时进度的同权平均（增长类指标按100%计）。"
                  " / composite = weighted mean of completion rates capped at 150%, regions reporting every indicator only")


def periods_of_year(year: int) -> list[str]:
    return [f"{year}-{month:02d}" for month in range(1, 13)]


def time_share(frame: pd.DataFrame, registry: Registry) -> pd.Series:
    """序时进度 for each row of ``frame`` (columns ``period``, ``indicator_id``): month / 12, or the
    indicator's pacing profile when ``indicators.csv`` names one."""
    month = frame["period"].str[5:7].astype(int)
    profile = frame["indicator_id"].map(registry.indicators.set_index("indicator_id")["pacing_profile"])
    linear = month / 12.0
    profiles = registry.pacing_profiles.set_index(["profile", "month"])["time_share"]
    keyed = pd.MultiIndex.from_arrays([profile, month])
    paced = pd.Series(profiles.reindex(keyed).to_numpy(), index=frame.index)
    return paced.where(profile != "linear", linear)


def _rank(frame: pd.DataFrame, key: pd.Series, group: list[str]) -> pd.Series:
    """Dense-at-ties competition rank (1, 2, 2, 4), highest first, regions only, NaN for missing."""
    eligible = (frame["region"] != COUNTY) & key.notna()
    rounded = key.where(eligible).round(9)
    ranks = rounded.groupby([frame[g] for g in group]).rank(method="min", ascending=False)
    return ranks.astype("Int64")


def _status(completion: pd.Series, time_share: pd.Series) -> np.ndarray:
    return np.select([completion.isna(), completion >= time_share - 1e-12,
                      completion >= time_share - NEAR_TOLERANCE - 1e-12],
                     [MISSING, AHEAD, NEAR], default=BEHIND)


def score(targets: pd.DataFrame, progress: pd.DataFrame, registry: Registry,
          periods: list[str] | None = None) -> pd.DataFrame:
    """The leaderboard for ``periods`` (default: every period of ``progress`` whose year has targets).

    ``targets``: the tidy annex (``read_annex``) of one or more years; ``progress``: the tidy
    progress (``read_progress``). Returns :data:`LEADERBOARD_COLUMNS` plus ``actual_source`` and
    ``is_example``, one row per period × region × indicator and a ``composite`` row per region.
    """
    if periods is None:
        years = set(targets["year"].astype(int))
        periods = sorted(p for p in progress["period"].unique() if int(p[:4]) in years)
    indicators = registry.indicators.set_index("indicator_id")
    grid = pd.MultiIndex.from_product([periods, registry.region_names, indicators.index],
                                      names=["period", "region", "indicator_id"]).to_frame(index=False)
    grid["year"] = grid["period"].str[:4].astype(int)
    board = grid.merge(targets[["year", "region", "indicator_id", "target", "comparator"]],
                       on=["year", "region", "indicator_id"], how="left")
    values = progress[["period", "region", "indicator_id", "value"]].rename(columns={"value": "actual"})
    board = board.merge(values, on=["period", "region", "indicator_id"], how="left")

    # 全县: its own value, else the sum of all 8 regions for an indicator that sums
    is_county = board["region"] == COUNTY
    regional = board[~is_county]
    sums = regional.groupby(["period", "indicator_id"])["actual"].agg(["sum", "count"])
    complete_sum = sums["sum"].where(sums["count"] == len(registry.region_names) - 1)
    keys = pd.MultiIndex.from_frame(board[["period", "indicator_id"]])
    fallback = pd.Series(complete_sum.reindex(keys).to_numpy(), index=board.index)
    sums_up = board["indicator_id"].map(indicators["sums_to_county"]).astype(bool)
    use_sum = is_county & board["actual"].isna() & sums_up & fallback.notna()
    board["actual_source"] = np.where(board["actual"].notna(), "reported", np.where(use_sum, "sum_of_regions", "missing"))
    board["actual"] = board["actual"].where(~use_sum, fallback)

    kind = board["indicator_id"].map(indicators["kind"])
    higher = board["indicator_id"].map(indicators["higher_is_better"]).astype(bool)
    is_growth = kind == "growth"
    board["completion_rate"] = np.where(higher, board["actual"] / board["target"], board["target"] / board["actual"])
    board["time_share"] = time_share(board, registry).where(~is_growth)
    meets = np.select([board["comparator"] == ">", board["comparator"] == "<", board["comparator"] == "<="],
                      [board["actual"] > board["target"], board["actual"] < board["target"],
                       board["actual"] <= board["target"]], default=board["actual"] >= board["target"])
    growth_status = np.where(board["actual"].isna(), MISSING, np.where(meets, MET, NOT_MET))
    board["status"] = np.where(is_growth, growth_status, _status(board["completion_rate"], board["time_share"]))
    rank_key = board["completion_rate"].where(~is_growth, board["actual"] * np.where(higher, 1, -1))
    board["rank"] = _rank(board, rank_key, ["period", "indicator_id"])

    board = pd.concat([board, _composite(board, indicators)], ignore_index=True)
    board["is_example"] = bool(progress["is_example"].any()) if "is_example" in progress else False
    order = (board["region"].map(registry.region_order) * 100
             + board["indicator_id"].map({**registry.indicator_order, COMPOSITE: 99}))
    board = board.assign(_o=order).sort_values(["period", "_o"], kind="stable").drop(columns=["_o", "year"])
    return board[LEADERBOARD_COLUMNS + ["actual_source", "is_example"]].reset_index(drop=True)


def _composite(board: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    weight = board["indicator_id"].map(indicators["weight"])
    capped = board["completion_rate"].clip(upper=COMPOSITE_CAP)
    work = pd.DataFrame({"period": board["period"], "region": board["region"], "year": board["year"],
                         "w_score": capped * weight, "w_time": board["time_share"].fillna(1.0) * weight,
                         "weight": weight, "reported": board["completion_rate"].notna()})
    grouped = work.groupby(["period", "region", "year"], sort=False)
    total = grouped[["w_score", "w_time", "weight"]].sum()
    complete = grouped["reported"].all()
    composite = pd.DataFrame({
        "completion_rate": (total["w_score"] / total["weight"]).where(complete),
        "time_share": total["w_time"] / total["weight"],
    }).reset_index()
    composite["indicator_id"] = COMPOSITE
    composite["target"] = np.nan
    composite["comparator"] = ""
    composite["actual"] = np.nan
    composite["actual_source"] = np.where(composite["completion_rate"].notna(), "composite", "missing")
    composite["status"] = _status(composite["completion_rate"], composite["time_share"])
    composite["rank"] = _rank(composite, composite["completion_rate"], ["period"])
    return composite


def published_progress(board: pd.DataFrame, registry: Registry) -> pd.Series:
    """进度 as published: completion in %, one decimal; for a growth indicator the growth itself (%)."""
    is_growth = board["indicator_id"].map(registry.indicators.set_index("indicator_id")["kind"]) == "growth"
    return (board["actual"].where(is_growth, board["completion_rate"] * 100)).round(1)


def missing_reports(board: pd.DataFrame) -> pd.DataFrame:
    """Per period and region, the indicators with no value (未报送)."""
    rows = board[(board["status"] == MISSING) & (board["indicator_id"] != COMPOSITE)]
    return (rows.groupby(["period", "region"], sort=False)["indicator_id"].agg(list)
            .rename("indicators_missing").reset_index())


def lagging(board: pd.DataFrame, registry: Registry, limit: int = 10) -> pd.DataFrame:
    """The region × indicator cells furthest behind 序时进度 (or below a growth target), with the
    units responsible under the plan. 未报送 cells are listed by :func:`missing_reports`."""
    indicators = registry.indicators.set_index("indicator_id")
    rows = board[(board["region"] != COUNTY) & (board["indicator_id"] != COMPOSITE)
                 & board["status"].isin([BEHIND, NOT_MET])].copy()
    rows["gap_points"] = ((rows["completion_rate"] - rows["time_share"].fillna(1.0)) * 100).round(1)
    rows["indicator"] = rows["indicator_id"].map(indicators["name_zh"])
    rows["responsible_units"] = rows["indicator_id"].map(indicators["responsible_units"])
    rows["clause"] = rows["indicator_id"].map(indicators["responsible_clause"])
    rows = rows.sort_values(["gap_points", "region"], kind="stable")
    return rows[["period", "region", "indicator", "status", "completion_rate", "time_share", "gap_points",
                 "rank", "responsible_units", "clause"]].head(limit).reset_index(drop=True)
