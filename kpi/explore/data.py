"""What the explorer (``notebooks/05_explore``) shows, as plain functions on the processed tables.

The notebook only wires widgets to these; every figure here is computed by the same rules as the
printed 晾晒表 (:mod:`kpi.metrics.leaderboard`) and the 2027 trajectories (:mod:`kpi.metrics.trajectory`).

- :func:`boards`: the leaderboard of every reported month of every year that has an annex;
- :func:`trend`: one indicator over the months for chosen regions, with 序时, the year's target and 同比;
- :func:`compare`: all regions on one indicator for one month, sorted, with status colours;
- :func:`region_year`: every indicator of one region through a year (small multiples);
- :func:`county_path`: the county's way to the plan's last year, by region where the kind adds up;
- :func:`drill_down`: one cell's data points with their source file, corrections and rank history;
- what-if: a changed value recomputed by the leaderboard (:mod:`kpi.metrics.what_if`);
  :func:`monthly_pace_needed` / :func:`pace_table` (the monthly amount a region needs from
  now to reach this year's target) and :func:`growth_needed` (the annual growth the county needs to
  reach each 2027 target, against the best year so far).

Charts (Plotly, interactive: hover values, zoom) are in :mod:`kpi.explore.figures`, the tables as HTML in
:mod:`kpi.explore.views`, the page's wiring in :mod:`kpi.explore.app`; the printed reports keep their
static PNGs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kpi.core.facts import COMPOSITE, KIND_RULES, LEVEL_MEASURES, MISSING, POINT_IN_TIME, STATUS_COLOURS
from kpi.ingest.processed import Processed
from kpi.metadata import config as project
from kpi.metadata.registry import Registry
from kpi.metrics.leaderboard import LEADERBOARD_COLUMNS, processed_board
from kpi.metrics.trajectory import effort_needed, higher_is_better
from kpi.store.collect import stored

#: the leaderboard's columns a view shows (the comparator is in the target's wording, from the registry)
EXPLORE_COLUMNS = [name for name in LEADERBOARD_COLUMNS if name != "comparator"]


def boards(processed: Processed) -> pd.DataFrame:
    """The leaderboard of every reported month of every year that has an annex, in one vectorised
    :func:`kpi.metrics.leaderboard.build_leaderboard`; text columns as plain strings."""
    years = set(processed.annex_years())
    periods = sorted(p for p in processed.progress["period"].unique() if int(p[:4]) in years)
    targets = processed.annex[processed.annex["year"].isin(years)]
    board = processed_board(processed, targets, periods)
    for column in ("period", "region", "indicator_id", "status", "comparator"):
        board[column] = board[column].astype(str)
    return board


def selection(registry: Registry, region: str = "", indicator: str = "") -> tuple[str, str]:
    """The region and indicator a view starts on, resolved from any registered name or alias: those
    given, else the registry's first region after the total and its first indicator (so that a notebook
    opens on any county's data with no parameter given)."""
    region = (
        registry.resolve_region(region)
        if region
        else next(r for r in registry.region_names if r != registry.total_name)
    )
    if not indicator:
        return region, registry.indicators["indicator_id"].iloc[0]
    return region, registry.resolve_shown(indicator)


def periods(board: pd.DataFrame) -> list[str]:
    """The months the board covers, in order."""
    return sorted(board["period"].unique())


def trend(board: pd.DataFrame, regions: list[str], indicator_id: str, start: str, end: str) -> pd.DataFrame:
    """``indicator_id`` for ``regions`` over every month from ``start`` to ``end``: the value, its
    completion against the year's target, 序时进度, and ``last_year`` (the same month a year earlier,
    for 同比; NaN where that month has no data)."""
    rows = board[(board["indicator_id"] == indicator_id) & board["region"].isin(regions)]
    earlier = rows.assign(period=(rows["period"].str[:4].astype(int) + 1).astype(str) + rows["period"].str[4:])
    rows = rows[(rows["period"] >= start) & (rows["period"] <= end)]
    rows = rows.merge(
        earlier[["period", "region", "actual"]].rename(columns={"actual": "last_year"}),
        on=["period", "region"],
        how="left",
    )
    order = {region: number for number, region in enumerate(regions)}
    return (
        rows.assign(_order=rows["region"].map(order))
        .sort_values(["_order", "period"])[EXPLORE_COLUMNS + ["last_year"]]
        .reset_index(drop=True)
    )


def compare(board: pd.DataFrame, period: str, indicator_id: str, registry: Registry) -> pd.DataFrame:
    """Every region (全县 last) on one indicator for one month, best first: by completion, or by the
    value itself for a point-in-time indicator (a rank: lowest first); with the status colour of each."""
    rows = board[(board["period"] == period) & (board["indicator_id"] == indicator_id)].copy()
    measure = measure_of(indicator_id, registry)
    rows["shown"] = rows["actual"] if measure["level"] else rows["completion_rate"] * 100
    rows["colour"] = "#" + rows["status"].map(STATUS_COLOURS).fillna(STATUS_COLOURS[MISSING])
    regional = rows[rows["region"] != registry.total_name].sort_values(
        "shown", ascending=measure["lower_is_better"], na_position="last", kind="stable"
    )
    return pd.concat([regional, rows[rows["region"] == registry.total_name]], ignore_index=True)[
        ["region", "shown", *[c for c in EXPLORE_COLUMNS if c not in ("period", "region", "indicator_id")], "colour"]
    ]


def region_year(board: pd.DataFrame, region: str, period: str) -> pd.DataFrame:
    """Every indicator of ``region`` month by month through ``period``'s year, up to ``period``."""
    rows = board[
        (board["region"] == region)
        & (board["period"].str[:4] == period[:4])
        & (board["period"] <= period)
        & (board["indicator_id"] != COMPOSITE)
    ]
    return rows[EXPLORE_COLUMNS].reset_index(drop=True)


def drill_down(
    processed: Processed,
    board: pd.DataFrame,
    region: str,
    indicator_id: str,
    period: str,
    corrections: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """One cell (region × indicator × month): ``points`` (the values reported in its year up to
    ``period``, each with the file it came from), ``corrections`` (the values it replaced, from the
    collection log, when one is given) and ``rank_history`` (its rank and status every month)."""
    progress = processed.progress
    points = progress[
        (progress["region"] == region)
        & (progress["indicator_id"] == indicator_id)
        & (progress["period"].str[:4] == period[:4])
        & (progress["period"] <= period)
    ]
    points = points.assign(source=points["source"] if "source" in points else "")[["period", "value", "source"]]
    history = board[(board["region"] == region) & (board["indicator_id"] == indicator_id)][
        ["period", "actual", "completion_rate", "status", "rank"]
    ]
    if corrections is not None and not corrections.empty:
        key = corrections["key"].astype(str)
        fixed = corrections[key.str.contains(region, regex=False) & key.str.contains(indicator_id, regex=False)]
    else:
        fixed = pd.DataFrame(columns=["key", "old_value", "new_value"])
    return {
        "points": points.reset_index(drop=True),
        "corrections": fixed.reset_index(drop=True),
        "rank_history": history.reset_index(drop=True),
    }


# ---------------------------------------------------------------- what-if
def monthly_pace_needed(actual: float, target: float, month: int, higher: bool = True) -> float:
    """The amount per month a year-to-date indicator needs over the months left after ``month`` to
    reach ``target`` by December: ``(target − actual) ÷ (12 − month)``; 0 when already reached. Where
    lower is better (``higher`` False: a cap) it is the most each month may add and stay within it, 0
    once over. NaN in December (no month left) or without a value. This project's arithmetic."""
    if actual is None or target is None or math.isnan(actual) or math.isnan(target):
        return math.nan
    if (actual >= target) if higher else (actual > target):
        return 0.0
    months_left = 12 - month
    return (target - actual) / months_left if months_left > 0 else math.nan


def pace_table(board: pd.DataFrame, period: str, registry: Registry, region: str | None = None) -> pd.DataFrame:
    """For each region (or one) and each year-to-date indicator in ``period``: the value so far, the
    year's target, the pace so far (value ÷ months elapsed), the pace needed per remaining month
    (:func:`monthly_pace_needed`) and their ratio (above 1: faster than so far)."""
    month = int(period[5:7])
    cumulative = registry.indicators.loc[registry.year_to_date, "indicator_id"]
    rows = board[(board["period"] == period) & board["indicator_id"].isin(cumulative)]
    if region is not None:
        rows = rows[rows["region"] == region]
    higher = rows["indicator_id"].map(registry.by_id["higher_is_better"]).astype(bool)
    needed = [monthly_pace_needed(a, t, month, h) for a, t, h in zip(rows["actual"], rows["target"], higher)]
    table = rows[["region", "indicator_id", "actual", "target"]].assign(
        months_left=12 - month, pace_so_far=rows["actual"] / month, pace_needed=needed, higher_is_better=higher
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["needed_over_so_far"] = (table["pace_needed"] / table["pace_so_far"]).replace([np.inf, -np.inf], np.nan)
    return table.reset_index(drop=True)


def growth_needed(plan_targets: pd.DataFrame, county_annual: pd.DataFrame, as_of_year: int) -> pd.DataFrame:
    """For each 2027 target stated as a level or a stock (``level``, ``cumulative``) with county data:
    the latest value, the years left, the growth per year needed from now (compound:
    ``(target ÷ latest)^(1 ÷ years left) − 1``) against the best year-on-year growth so far
    (:func:`kpi.metrics.trajectory.effort_needed`). NaN where the latest value is 0 or the target year passed."""
    records = []
    annual = county_annual[county_annual["year"] <= as_of_year]
    for target in plan_targets[plan_targets["basis"].isin(["level", "cumulative"])].itertuples():
        series = annual[annual["indicator_id"] == target.indicator_id].set_index("year")["value"].sort_index()
        if series.dropna().empty:
            continue
        higher = higher_is_better(target.comparator)
        effort = effort_needed(series, int(target.target_year), float(target.target_value), higher)
        records.append(
            {
                "indicator_id": target.indicator_id,
                "name_zh": target.name_zh,
                "unit": target.unit,
                "latest_year": int(series.dropna().index[-1]),
                "latest_value": float(series.dropna().iloc[-1]),
                "target_value": float(target.target_value),
                "target_year": int(target.target_year),
                "years_left": effort["years_left"],
                "growth_needed": effort["needed_growth_per_year"],
                "best_growth_so_far": effort["best_growth_so_far"],
                "higher_is_better": higher,
            }
        )
    table = pd.DataFrame.from_records(
        records,
        columns=[
            "indicator_id",
            "name_zh",
            "unit",
            "latest_year",
            "latest_value",
            "target_value",
            "target_year",
            "years_left",
            "growth_needed",
            "best_growth_so_far",
            "higher_is_better",
        ],
    )
    # a rise no bigger than the best year's, or where lower is better a fall no bigger than the best fall
    table["within_best_year"] = (table["growth_needed"] <= table["best_growth_so_far"]).where(
        table["higher_is_better"].astype(bool), table["growth_needed"] >= table["best_growth_so_far"]
    )
    return table


# ---------------------------------------------------------------- interactive charts (Plotly)


# ---------------------------------------------------------------- tables as the reader sees them


# ---------------------------------------------------------------- what the notebook displays
def is_point_in_time(indicator_id: str, registry: Registry) -> bool:
    """Whether the indicator is judged on its value against the target (growth, ratio, rank), not on
    completion against 序时; 综合 is not."""
    return indicator_id != COMPOSITE and registry.indicator(indicator_id)["kind"] in POINT_IN_TIME


def measure_of(indicator_id: str, registry: Registry) -> dict:
    """What a chart of the indicator plots: ``level`` (its value, not completion), ``name`` and
    ``reference`` (完成率 against 序时进度, or e.g. 位次 against 目标位次), the value's ``suffix`` and
    ``lower_is_better`` (a rank's axis runs downward, the best on top), and the indicator's ``unit``."""
    unit = "" if indicator_id == COMPOSITE else registry.indicator(indicator_id)["unit"]
    if not is_point_in_time(indicator_id, registry):
        rate = {"level": False, "name": "完成率", "reference": "序时进度", "suffix": "%", "lower_is_better": False}
        return {**rate, "unit": unit}
    indicator = registry.indicator(indicator_id)
    name, reference = LEVEL_MEASURES[indicator["kind"]]
    suffix = "%" if indicator["unit"] == "%" else ""
    return {
        "level": True,
        "name": name,
        "reference": reference,
        "suffix": suffix,
        "lower_is_better": not indicator["higher_is_better"],
        "unit": unit,
    }


def corrections_log(processed: Processed) -> pd.DataFrame:
    """The collection's corrections log (the store of the project file this ingest used), or an empty
    table when there is none."""

    config_path = processed.summary.get("config")
    return stored(project.load(config_path) if config_path else project.load(), "corrections")


def indicator_names(registry: Registry) -> dict[str, str]:
    """Every indicator's Chinese name by id, in annex order, and 综合得分 for the composite."""
    return dict(zip(registry.indicators["indicator_id"], registry.indicators["name_zh"])) | {COMPOSITE: "综合得分"}


def county_path(board: pd.DataFrame, indicator_id: str, registry: Registry) -> pd.DataFrame:
    """The county's way to the plan's target year on one indicator: for every year from the first with
    data to the last year of the plan, the county's value at the year's latest month, its target for
    that year (the annex's total row), and each region's part of it where the kind adds up (``may_sum``;
    a ratio, growth or rank has no parts). Years with no data yet are rows with no values, so that the
    years still to go are seen."""
    rows = board[(board["indicator_id"] == indicator_id) & board["actual"].notna()]
    rows = rows.assign(year=rows["period"].str[:4].astype(int))
    latest = rows.groupby("year")["period"].transform("max")
    rows = rows[rows["period"] == latest]
    adds_up = indicator_id != COMPOSITE and KIND_RULES[registry.indicator(indicator_id)["kind"]]["may_sum"]
    if not adds_up:
        rows = rows[rows["region"] == registry.total_name]
    last_year = int(registry.plan_targets["target_year"].max()) if len(registry.plan_targets) else None
    years = range(int(rows["year"].min()), max(int(rows["year"].max()), last_year or 0) + 1) if len(rows) else []
    order = {name: number for number, name in enumerate(registry.region_names)}
    path = rows[["year", "period", "region", "actual", "target"]].assign(_order=rows["region"].map(order))
    path = path.sort_values(["year", "_order"]).drop(columns="_order")
    missing = pd.DataFrame({"year": [y for y in years if y not in set(path["year"])]})
    return (
        pd.concat([path, missing.assign(region=registry.total_name)], ignore_index=True)
        .sort_values("year", kind="stable")
        .reset_index(drop=True)
    )
