"""Completion, 序时进度 (time-proportional progress), status, ranks and the composite score.

How the 晾晒表's columns 指标 / 进度 / 排名 (附件) are filled, for a period ``YYYY-MM`` with
year-to-date values. The plan names the columns and asks for 晾晒 (三(五) 强化考核评价) but sets no
rule for filling them: 进度 as completion, the 序时 comparison, the 5-point band, the tie rule, the
150 % cap and the 综合 column are **this project's conventions**, stated here and in every output.

- ``actual``: the region's year-to-date value; for a growth indicator its year-on-year growth (%).
  全县 uses the county's own reported value, else — for an indicator that sums — the sum of the 8
  regions when all of them reported (``actual_source`` says which).
- ``completion_rate`` = actual / target (target / actual where lower is better); a target of 0
  means nothing was asked: any reported value is 100 %. For a growth
  indicator it is growth ÷ target rate and is used only inside the composite: what readers see for
  growth is the growth itself against its target rate (:func:`published_progress`).
- ``time_share`` (序时进度) = month / 12, or the indicator's monthly pacing profile
  (``pacing_profiles.csv``, e.g. batch recognition of high-tech enterprises). Not applicable (NaN)
  to growth indicators, which are judged against their target rate.
- ``status``: 超序时 when completion_rate ≥ time_share; 基本序时 when below by at most 5 points;
  滞后 below that; growth indicators 达标 / 未达标 against the target; 未报送 without a value (never 0).
- ``rank``: among the 8 regions (全县 excluded) by completion_rate, highest first (growth: by actual
  growth); ties share the better rank (1, 2, 2, 4); 未报送 gets no rank.
- ``composite`` (综合): the weighted mean over the indicators of completion_rate kept within
  [0, 1.5] — a negative growth counts as 0 — (weights from ``indicators.csv``, equal by default),
  only for a region that reported every
  indicator; its time_share is the same weighted mean of the indicators' time shares (growth
  counting as 1); status and rank by the same rules.

Everything is vectorised over periods × regions × indicators: one call scores a whole year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpi.facts import (
    AHEAD,
    BEHIND,
    COMPARATORS,
    COMPOSITE,
    COUNTY,
    MET,
    MISSING,
    NEAR,
    NOT_DUE,
    NOT_MET,
    STATUSES,
)
from kpi.registry import Registry

SOURCES = ["reported", "sum_of_regions", "missing", "composite"]
STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
COMPARATOR_CODES = [*COMPARATORS, ""]  # "" = no target: its code in the cube


@dataclass(frozen=True)
class Rules:
    """This project's conventions for filling the 晾晒表 (the plan sets none); ``[rules]`` in kpi.toml
    may state others: the 基本序时 band in percentage points, and the bounds of each indicator's
    completion inside the composite."""

    near_tolerance_points: float = 5.0
    composite_cap_percent: float = 150.0
    composite_floor_percent: float = 0.0

    @property
    def near_tolerance(self) -> float:
        return self.near_tolerance_points / 100

    def describe(self) -> str:
        return (
            f"综合得分 = 各指标完成率的加权平均（各项不低于{self.composite_floor_percent:g}%、不高于{self.composite_cap_percent:g}%；"
            "增长类指标按“实际增幅 ÷ 目标增幅”计，负增长计为0%；权重默认相等），仅对全部指标均已报送的区域计算；"
            "综合序时进度为各指标序时进度的同权平均（增长类指标按100%计）。本项目约定，非方案规定。"
        )


DEFAULT_RULES = Rules()
NEAR_TOLERANCE = DEFAULT_RULES.near_tolerance
LEADERBOARD_COLUMNS = [
    "period",
    "region",
    "indicator_id",
    "target",
    "comparator",
    "actual",
    "completion_rate",
    "time_share",
    "status",
    "rank",
]
COMPOSITE_RULE = (
    DEFAULT_RULES.describe()
    + " / composite = weighted mean of completion rates capped at 150%, regions reporting every indicator only"
)


def periods_of_year(year: int) -> list[str]:
    return [f"{year}-{month:02d}" for month in range(1, 13)]


def time_share_matrix(periods: list[str], registry: Registry) -> np.ndarray:
    """序时进度 as a (period × indicator) array: month / 12, or the indicator's pacing profile when
    ``indicators.csv`` names one; NaN for growth indicators, judged against their target rate."""
    months = np.array([int(p[5:7]) for p in periods])
    profiles = registry.pacing_profiles.set_index(["profile", "month"])["time_share"]
    columns = []
    for indicator in registry.indicators.itertuples():
        if indicator.kind == "growth":
            columns.append(np.full(len(months), np.nan))
        elif indicator.pacing_profile == "linear":
            columns.append(months / 12.0)
        else:
            columns.append(profiles.loc[indicator.pacing_profile].reindex(months).to_numpy(float))
    return np.column_stack(columns) if columns else np.empty((len(months), 0))


def _status(completion: np.ndarray, time_share: np.ndarray, near_tolerance: float = NEAR_TOLERANCE) -> np.ndarray:
    """Status codes (positions in :data:`STATUSES`) of completion against 序时进度; where 序时 is 0
    (a batch-paced indicator before its first batch) nothing was due yet: 未到序时."""
    with np.errstate(invalid="ignore"):
        return np.select(
            [
                np.isnan(completion),
                time_share <= 0,
                completion >= time_share - 1e-12,
                completion >= time_share - near_tolerance - 1e-12,
            ],
            [STATUS_CODE[MISSING], STATUS_CODE[NOT_DUE], STATUS_CODE[AHEAD], STATUS_CODE[NEAR]],
            default=STATUS_CODE[BEHIND],
        ).astype(np.int8)


def _rank_cube(key: np.ndarray) -> np.ndarray:
    """Competition rank (1, 2, 2, 4), highest first, along the region axis (1) of a (P, R, K) cube;
    region 0 is 全县 and is not ranked; NaN keys get no rank (0 here, NA in the output)."""
    regional = -np.round(key[:, 1:, :], 9)  # ascending sort of the negated key = highest first
    p, r, k = regional.shape
    rows = np.moveaxis(regional, 1, 2).reshape(p * k, r)  # one row per (period, indicator)
    order = np.argsort(rows, axis=1, kind="stable")  # NaN sorts last
    ordered = np.take_along_axis(rows, order, axis=1)
    position = np.broadcast_to(np.arange(r), ordered.shape)
    new_value = np.ones_like(ordered, dtype=bool)
    new_value[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ranks_sorted = np.maximum.accumulate(np.where(new_value, position, 0), axis=1) + 1
    ranks_sorted[np.isnan(ordered)] = 0
    ranks = np.empty_like(ranks_sorted)
    np.put_along_axis(ranks, order, ranks_sorted, axis=1)
    cube = np.zeros(key.shape, dtype=np.int64)
    cube[:, 1:, :] = np.moveaxis(ranks.reshape(p, k, r), 1, 2)
    return cube


def build_leaderboard(
    targets: pd.DataFrame,
    progress: pd.DataFrame,
    registry: Registry,
    periods: list[str] | None = None,
    rules: Rules = DEFAULT_RULES,
) -> pd.DataFrame:
    """The leaderboard for ``periods`` (default: every period of ``progress`` whose year has targets).

    ``targets``: the tidy annex (``read_annex``) of one or more years; ``progress``: the tidy
    progress (``read_progress``). Returns :data:`LEADERBOARD_COLUMNS` plus ``actual_source`` and
    ``is_example``, one row per period × region × indicator and a ``composite`` row per region
    (rows in annex order). Computed on dense (period × region × indicator) arrays: the cost is
    linear in the size of the board, with no per-group Python loop.
    """
    if periods is None:
        years = set(targets["year"].astype(int))
        periods = sorted(p for p in pd.unique(progress["period"].astype(str)) if int(p[:4]) in years)
    periods = list(periods)
    regions = registry.region_names
    indicators = registry.indicators
    ids = indicators["indicator_id"].tolist()
    P, R, I = len(periods), len(regions), len(ids)  # noqa: E741 (the cube's axes: periods, regions, indicators)

    def codes(values, categories):
        """Position of each value in ``categories`` (−1 if absent), hashing each distinct value once."""
        if isinstance(values.dtype, pd.CategoricalDtype):
            category_codes = values.cat.codes.to_numpy()
            lookup = np.append(pd.Index(categories).get_indexer(values.cat.categories), -1)  # code −1 (NaN) → −1
            return lookup[category_codes]
        value_codes, uniques = pd.factorize(values)
        return pd.Index(categories).get_indexer(uniques)[value_codes] if len(uniques) else value_codes

    # the reported values, placed in the cube
    actual = np.full((P, R, I), np.nan)
    pc, rc, ic = (
        codes(progress["period"], periods),
        codes(progress["region"], regions),
        codes(progress["indicator_id"], ids),
    )
    keep = (pc >= 0) & (rc >= 0) & (ic >= 0)
    actual[pc[keep], rc[keep], ic[keep]] = progress["value"].to_numpy(float)[keep]

    # the targets of each period's year
    years = sorted({int(p[:4]) for p in periods})
    target_by_year = np.full((len(years), R, I), np.nan)
    comparator_by_year = np.full((len(years), R, I), COMPARATOR_CODES.index(""), dtype=np.int8)
    yc, rc, ic = (
        codes(targets["year"].astype(int), years),
        codes(targets["region"], regions),
        codes(targets["indicator_id"], ids),
    )
    keep = (yc >= 0) & (rc >= 0) & (ic >= 0)
    target_by_year[yc[keep], rc[keep], ic[keep]] = targets["target"].to_numpy(float)[keep]
    comparator_by_year[yc[keep], rc[keep], ic[keep]] = codes(targets["comparator"], COMPARATOR_CODES)[keep]
    year_of_period = np.searchsorted(years, [int(p[:4]) for p in periods])
    target = target_by_year[year_of_period]
    comparator = comparator_by_year[year_of_period]

    # 全县: its own value, else the sum of all regions for an indicator that sums
    source = np.where(np.isnan(actual), 2, 0).astype(np.int8)  # 0 reported, 1 sum_of_regions, 2 missing
    region_values = actual[:, 1:, :]
    complete = ~np.isnan(region_values).any(axis=1)
    sums_up = indicators["sums_to_county"].to_numpy(bool)[None, :]
    use_sum = np.isnan(actual[:, 0, :]) & complete & sums_up
    actual[:, 0, :] = np.where(use_sum, np.nansum(region_values, axis=1), actual[:, 0, :])
    source[:, 0, :] = np.where(use_sum, 1, source[:, 0, :])

    higher = indicators["higher_is_better"].to_numpy(bool)[None, None, :]
    is_growth = (indicators["kind"] == "growth").to_numpy()[None, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        completion = np.where(higher, actual / target, target / actual)
    # a target of 0 (nothing asked this year): a reported value means done, 100 % — never inf
    completion = np.where(target == 0, np.where(np.isnan(actual), np.nan, 1.0), completion)
    share = np.broadcast_to(time_share_matrix(periods, registry)[:, None, :], (P, R, I))
    with np.errstate(invalid="ignore"):
        meets = np.select(
            [
                comparator == COMPARATOR_CODES.index(">"),
                comparator == COMPARATOR_CODES.index("<"),
                comparator == COMPARATOR_CODES.index("<="),
            ],
            [actual > target, actual < target, actual <= target],
            default=actual >= target,
        )
    growth_status = np.where(
        np.isnan(actual), STATUS_CODE[MISSING], np.where(meets, STATUS_CODE[MET], STATUS_CODE[NOT_MET])
    ).astype(np.int8)
    status = np.where(is_growth, growth_status, _status(completion, share, rules.near_tolerance))
    # nothing due and nothing done is no achievement: such a cell is not ranked (no tie of everybody at 1)
    idle = ~is_growth & (share <= 0) & (completion == 0)
    rank_key = np.where(is_growth, actual * np.where(higher, 1, -1), np.where(idle, np.nan, completion))
    rank = _rank_cube(rank_key)

    # 综合: weighted mean of capped completion, for regions that reported every indicator
    weight = indicators["weight"].to_numpy(float)
    capped = np.clip(completion, rules.composite_floor_percent / 100, rules.composite_cap_percent / 100)
    all_reported = ~np.isnan(completion).any(axis=2)
    composite = np.where(all_reported, np.nansum(capped * weight, axis=2) / weight.sum(), np.nan)
    composite_share = (np.where(np.isnan(share), 1.0, share) * weight).sum(axis=2) / weight.sum()
    composite_status = _status(composite, composite_share, rules.near_tolerance)
    composite_rank = _rank_cube(composite[:, :, None])[:, :, 0]

    def stack(cube, extra):  # append the composite as a last "indicator"
        return np.concatenate([cube, extra[:, :, None]], axis=2).ravel()

    del capped, all_reported
    # Columns are built and attached one at a time, each cube released once used: the board is about
    # the size of the input, and holding every cube and its flattened copy at once would double it.
    n = P * R * (I + 1)
    board = pd.DataFrame(
        {
            "period": pd.Categorical.from_codes(
                np.repeat(np.arange(P, dtype=np.int32), R * (I + 1)), categories=periods, ordered=True
            ),
            "region": pd.Categorical.from_codes(
                np.tile(np.repeat(np.arange(R, dtype=np.int32), I + 1), P), categories=regions
            ),
            "indicator_id": pd.Categorical.from_codes(
                np.tile(np.arange(I + 1, dtype=np.int8), P * R), categories=[*ids, COMPOSITE]
            ),
        }
    )
    board["target"] = stack(target, np.full((P, R), np.nan))
    del target
    board["comparator"] = pd.Categorical.from_codes(
        stack(comparator, np.full((P, R), COMPARATOR_CODES.index(""), dtype=np.int8)), categories=COMPARATOR_CODES
    )
    del comparator
    board["actual"] = stack(actual, np.full((P, R), np.nan))
    del actual
    board["completion_rate"] = stack(completion, composite)
    del completion
    board["time_share"] = stack(np.where(is_growth, np.nan, share), composite_share)
    del share
    board["status"] = pd.Categorical.from_codes(stack(status, composite_status), categories=list(STATUSES))
    del status
    rank_flat = stack(rank, composite_rank)
    del rank
    board["rank"] = pd.arrays.IntegerArray(rank_flat, mask=rank_flat == 0)
    board["actual_source"] = pd.Categorical.from_codes(
        stack(source.astype(np.int8), np.where(np.isnan(composite), 2, 3).astype(np.int8)), categories=SOURCES
    )
    board["is_example"] = np.full(n, bool(progress["is_example"].any()) if "is_example" in progress else False)
    return board


def published_progress(board: pd.DataFrame, registry: Registry) -> pd.Series:
    """进度 as published: completion in %, one decimal; for a growth indicator the growth itself (%)."""
    is_growth = board["indicator_id"].map(registry.indicators.set_index("indicator_id")["kind"]) == "growth"
    return (board["actual"].where(is_growth, board["completion_rate"] * 100)).round(1)


def missing_reports(board: pd.DataFrame) -> pd.DataFrame:
    """Per period and region, the indicators with no value (未报送)."""
    rows = board[(board["status"] == MISSING) & (board["indicator_id"] != COMPOSITE)]
    return (
        rows.groupby(["period", "region"], sort=False)["indicator_id"]
        .agg(list)
        .rename("indicators_missing")
        .reset_index()
    )


def lagging(
    board: pd.DataFrame, registry: Registry, limit: int | None = 10, include_county: bool = False
) -> pd.DataFrame:
    """The region × indicator cells furthest behind 序时进度 (or below a growth target), with the
    units responsible under the plan; the ``limit`` furthest, or all with ``None``. 未报送 cells
    are listed by :func:`missing_reports`."""
    indicators = registry.indicators.set_index("indicator_id")
    rows = board[
        ((board["region"] != COUNTY) | include_county)
        & (board["indicator_id"] != COMPOSITE)
        & board["status"].isin([BEHIND, NOT_MET])
    ].copy()
    is_growth = rows["indicator_id"].map(indicators["kind"]).eq("growth").astype(bool)
    # percentage points behind: completion against 序时进度, or the growth against its target rate
    rows["gap_points"] = (
        ((rows["completion_rate"] - rows["time_share"]) * 100)
        .where(~is_growth, rows["actual"] - rows["target"])
        .round(1)
    )
    rows["indicator"] = rows["indicator_id"].map(indicators["name_zh"])
    rows["responsible_units"] = rows["indicator_id"].map(indicators["responsible_units"])
    rows["clause"] = rows["indicator_id"].map(indicators["responsible_clause"])
    rows = rows.sort_values(["gap_points", "region"], kind="stable")
    return (
        rows[
            [
                "period",
                "region",
                "indicator_id",
                "indicator",
                "status",
                "actual",
                "target",
                "completion_rate",
                "time_share",
                "gap_points",
                "rank",
                "responsible_units",
                "clause",
            ]
        ]
        .head(len(rows) if limit is None else limit)
        .reset_index(drop=True)
    )
