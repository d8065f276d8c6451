"""Completion, 序时进度 (time-proportional progress), status, ranks and the composite score.

How the 晾晒表's columns 指标 / 进度 / 排名 (附件) are filled, for a period ``YYYY-MM`` with
year-to-date values. The plan names the columns and asks for 晾晒 (三(五) 强化考核评价) but sets no
rule for filling them: 进度 as completion, the 序时 comparison, the 5-point band, the tie rule, the
150 % cap and the 综合 column are **this project's conventions**, stated here and in every output.

Each indicator is read and judged by its kind (:data:`kpi.core.facts.KIND_RULES`, docs/methods.md “指标类型”):
an amount or a count is a year-to-date value judged against 序时; a growth rate, a ratio or a rank is
a level at its month (*point in time*), judged met / not met against the target.

- ``actual``: the region's year-to-date value; for a point-in-time indicator its value that month
  (a growth in %, a ratio, a rank). The total row (全县) uses the county's own reported value, else —
  for an indicator that sums — the sum of its regions when all of them reported (``actual_source``).
- ``completion_rate`` = actual / target (target / actual where lower is better: a rank of 25 against
  "前30位" is 1.2); a target of 0 means nothing was asked: any reported value is 100 %. For a
  point-in-time indicator it is used only inside the composite: what readers see is the value itself
  against its target (:func:`published_progress`).
- ``time_share`` (序时进度) = month / 12, or the indicator's monthly pacing profile
  (``pacing_profiles.csv``, e.g. batch recognition of high-tech enterprises). Not applicable (NaN)
  to a point-in-time indicator.
- ``status``: 超序时 when completion_rate ≥ time_share; 基本序时 when below by at most 5 points;
  滞后 below that; a point-in-time indicator 达标 / 未达标 by its comparator (a rank of 30 against
  "≤ 30" is 达标, 31 is not); 未报送 without a value (never 0).
- ``rank``: among the regions (the total excluded) by completion_rate, highest first (point in time:
  by the value, lowest first where lower is better); ties share the better rank (1, 2, 2, 4); 未报送
  gets no rank.
- ``composite`` (综合): the weighted mean over the indicators of completion_rate kept within
  [0, 1.5] — a negative growth counts as 0 — (weights from ``indicators.csv``, equal by default),
  only for a region that reported every
  indicator; its time_share is the same weighted mean of the indicators' time shares (a point-in-time
  indicator counting as 1); status and rank by the same rules.

Everything is vectorised over periods × regions × indicators: one call scores a whole year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi.core.facts import (
    AHEAD,
    BEHIND,
    COMPARATORS,
    COMPOSITE,
    MET,
    MISSING,
    NEAR,
    NOT_DUE,
    NOT_MET,
    POINT_IN_TIME,
    SOURCES,
    STATUSES,
)
from kpi.ingest.processed import Processed
from kpi.metadata import fields, schemas
from kpi.metadata.registry import Registry
from kpi.metadata.rules import DEFAULT_RULES, NEAR_TOLERANCE, Rules, time_share_matrix

STATUS_CODE = {status: code for code, status in enumerate(STATUSES)}
COMPARATOR_CODES = [*COMPARATORS, ""]  # "" = no target: its code in the cube


LEADERBOARD_COLUMNS = fields.reading_columns("leaderboard")


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


def _codes(values: pd.Series, categories) -> np.ndarray:
    """Position of each value in ``categories`` (−1 if absent), hashing each distinct value once."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        category_codes = values.cat.codes.to_numpy()
        lookup = np.append(pd.Index(categories).get_indexer(values.cat.categories), -1)  # code −1 (NaN) → −1
        return lookup[category_codes]
    value_codes, uniques = pd.factorize(values)
    return pd.Index(categories).get_indexer(uniques)[value_codes] if len(uniques) else value_codes


def _place(cube: np.ndarray, axes: list[np.ndarray], values: np.ndarray) -> None:
    """Write ``values`` into ``cube`` where every axis code is known (rows outside the cube are ignored)."""
    keep = np.logical_and.reduce([codes >= 0 for codes in axes])
    cube[tuple(codes[keep] for codes in axes)] = values[keep]


def _target_cubes(targets: pd.DataFrame, periods: list[str], regions: list[str], ids: list[str]):
    """Each period's targets and comparator codes (period × region × indicator), from its year's annex."""
    years = sorted({int(p[:4]) for p in periods})
    target_by_year = np.full((len(years), len(regions), len(ids)), np.nan)
    comparator_by_year = np.full(target_by_year.shape, COMPARATOR_CODES.index(""), dtype=np.int8)
    axes = [_codes(targets["year"].astype(int), years), _codes(targets["region"], regions)]
    axes.append(_codes(targets["indicator_id"], ids))
    _place(target_by_year, axes, targets["target"].to_numpy(float))
    _place(comparator_by_year, axes, _codes(targets["comparator"], COMPARATOR_CODES))
    year_of_period = np.searchsorted(years, [int(p[:4]) for p in periods])
    return target_by_year[year_of_period], comparator_by_year[year_of_period]


def _county_from_regions(actual: np.ndarray, indicators: pd.DataFrame) -> np.ndarray:
    """全县's own value, else the sum of all regions for an indicator that sums (``actual`` is filled in
    place); the source code of every cell: 0 reported, 1 sum_of_regions, 2 missing."""
    source = np.where(np.isnan(actual), 2, 0).astype(np.int8)
    region_values = actual[:, 1:, :]
    complete = ~np.isnan(region_values).any(axis=1)
    sums_up = indicators["sums_to_county"].to_numpy(bool)[None, :]
    use_sum = np.isnan(actual[:, 0, :]) & complete & sums_up
    actual[:, 0, :] = np.where(use_sum, np.nansum(region_values, axis=1), actual[:, 0, :])
    source[:, 0, :] = np.where(use_sum, 1, source[:, 0, :])
    return source


def _judge(actual, target, comparator, share, indicators: pd.DataFrame, rules: Rules):
    """Completion, status and rank of every cell by the module's rules (point in time: against its target)."""
    higher = indicators["higher_is_better"].to_numpy(bool)[None, None, :]
    level = indicators["kind"].isin(POINT_IN_TIME).to_numpy()[None, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        completion = np.where(higher, actual / target, target / actual)
    # a target of 0 (nothing asked this year): a reported value means done, 100 % — never inf
    completion = np.where(target == 0, np.where(np.isnan(actual), np.nan, 1.0), completion)
    with np.errstate(invalid="ignore"):
        meets = np.select(
            [comparator == COMPARATOR_CODES.index(c) for c in (">", "<", "<=")],
            [actual > target, actual < target, actual <= target],
            default=actual >= target,
        )
    level_status = np.where(
        np.isnan(actual), STATUS_CODE[MISSING], np.where(meets, STATUS_CODE[MET], STATUS_CODE[NOT_MET])
    ).astype(np.int8)
    status = np.where(level, level_status, _status(completion, share, rules.near_tolerance))
    # nothing due and nothing done is no achievement: such a cell is not ranked (no tie of everybody at 1)
    idle = ~level & (share <= 0) & (completion == 0)
    rank_key = np.where(level, actual * np.where(higher, 1, -1), np.where(idle, np.nan, completion))
    return completion, status, _rank_cube(rank_key)


def _composite(completion, share, indicators: pd.DataFrame, rules: Rules) -> dict[str, np.ndarray]:
    """综合: weighted mean of capped completion, for regions that reported every indicator; its 序时,
    status and rank (period × region)."""
    weight = indicators["weight"].to_numpy(float)
    capped = np.clip(completion, rules.composite_floor_percent / 100, rules.composite_cap_percent / 100)
    all_reported = ~np.isnan(completion).any(axis=2)
    composite = np.where(all_reported, np.nansum(capped * weight, axis=2) / weight.sum(), np.nan)
    composite_share = (np.where(np.isnan(share), 1.0, share) * weight).sum(axis=2) / weight.sum()
    return {
        "completion_rate": composite,
        "time_share": composite_share,
        "status": _status(composite, composite_share, rules.near_tolerance),
        "rank": _rank_cube(composite[:, :, None])[:, :, 0],
        "source": np.where(np.isnan(composite), 2, 3).astype(np.int8),
    }


def _assemble(cubes: dict, composite: dict, periods: list[str], regions: list[str], ids: list[str]) -> pd.DataFrame:
    """The cubes flattened into the board's columns, the composite appended as a last "indicator".
    Columns are attached one at a time, each cube released (popped) once used: the board is about the
    size of the input, and holding every cube and its flattened copy at once would double it."""
    P, R, I = len(periods), len(regions), len(ids)  # noqa: E741 (the cube's axes)

    def stack(name, extra):
        return np.concatenate([cubes.pop(name), extra[:, :, None]], axis=2).ravel()

    def categorical(codes, categories, **options):
        return pd.Categorical.from_codes(codes, categories=categories, **options)

    board = pd.DataFrame(
        {
            "period": categorical(np.repeat(np.arange(P, dtype=np.int32), R * (I + 1)), periods, ordered=True),
            "region": categorical(np.tile(np.repeat(np.arange(R, dtype=np.int32), I + 1), P), regions),
            "indicator_id": categorical(np.tile(np.arange(I + 1, dtype=np.int8), P * R), [*ids, COMPOSITE]),
        }
    )
    no_target = np.full((P, R), COMPARATOR_CODES.index(""), dtype=np.int8)
    board["target"] = stack("target", np.full((P, R), np.nan))
    board["comparator"] = categorical(stack("comparator", no_target), COMPARATOR_CODES)
    board["actual"] = stack("actual", np.full((P, R), np.nan))
    for column in ("completion_rate", "time_share"):
        board[column] = stack(column, composite[column])
    board["status"] = categorical(stack("status", composite["status"]), list(STATUSES))
    rank_flat = stack("rank", composite["rank"])
    board["rank"] = pd.arrays.IntegerArray(rank_flat, mask=rank_flat == 0)
    board["actual_source"] = categorical(stack("source", composite["source"]), list(SOURCES))
    return board


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
    (rows in annex order), by the rules of this module's docstring. Computed on dense
    (period × region × indicator) arrays: the cost is linear in the size of the board, with no
    per-group Python loop.
    """
    if periods is None:
        years = set(targets["year"].astype(int))
        periods = sorted(p for p in pd.unique(progress["period"].astype(str)) if int(p[:4]) in years)
    periods, regions, indicators = list(periods), registry.region_names, registry.indicators
    ids = indicators["indicator_id"].tolist()
    actual = np.full((len(periods), len(regions), len(ids)), np.nan)
    axes = [_codes(progress["period"], periods), _codes(progress["region"], regions)]
    _place(actual, [*axes, _codes(progress["indicator_id"], ids)], progress["value"].to_numpy(float))
    target, comparator = _target_cubes(targets, periods, regions, ids)
    source = _county_from_regions(actual, indicators)
    share = np.broadcast_to(time_share_matrix(periods, registry)[:, None, :], actual.shape)
    completion, status, rank = _judge(actual, target, comparator, share, indicators, rules)
    composite = _composite(completion, share, indicators, rules)
    level = indicators["kind"].isin(POINT_IN_TIME).to_numpy()[None, None, :]
    cubes = {"target": target, "comparator": comparator, "actual": actual, "completion_rate": completion}
    cubes |= {"time_share": np.where(level, np.nan, share), "status": status, "rank": rank, "source": source}
    del target, comparator, actual, completion, share, status, rank, source
    board = _assemble(cubes, composite, periods, regions, ids)
    board["is_example"] = bool(progress["is_example"].any()) if "is_example" in progress else False
    return schemas.validate_at_scale(board, schemas.LEADERBOARD, computed=True)


def published_progress(board: pd.DataFrame, registry: Registry) -> pd.Series:
    """进度 as published: completion in %, one decimal; for a point-in-time indicator the value itself
    (a growth in %, one decimal; a ratio in its unit, two; a rank)."""
    kind = board["indicator_id"].map(registry.by_id["kind"])
    scale = np.where(kind == "ratio", 100.0, 10.0)
    value = np.where(kind.isin(POINT_IN_TIME), board["actual"], board["completion_rate"] * 100)
    return pd.Series(np.round(value * scale) / scale, index=board.index)


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
    """The region × indicator cells furthest behind 序时进度 (or short of a point-in-time target), with
    the units responsible under the plan; the ``limit`` furthest, or all with ``None``. ``gap_points``:
    percentage points behind 序时, or for a point-in-time indicator how far from its target in its own
    unit (negative: short of it; a rank of 33 against 30 is −3). 未报送 cells are listed by
    :func:`missing_reports`."""
    indicators = registry.by_id
    rows = board[
        ((board["region"] != registry.total_name) | include_county)
        & (board["indicator_id"] != COMPOSITE)
        & board["status"].isin([BEHIND, NOT_MET])
    ].copy()
    level = rows["indicator_id"].map(indicators["kind"]).isin(POINT_IN_TIME).astype(bool)
    direction = np.where(rows["indicator_id"].map(indicators["higher_is_better"]).astype(bool), 1, -1)
    rows["gap_points"] = (
        ((rows["completion_rate"] - rows["time_share"]) * 100)
        .where(~level, (rows["actual"] - rows["target"]) * direction)
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
                "comparator",
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


def processed_board(processed: Processed, targets: pd.DataFrame, periods: list[str]) -> pd.DataFrame:
    """:func:`build_leaderboard` of ``periods`` on the processed tables and their rules; a board built on
    example targets is an example board, whatever its progress is."""
    board = build_leaderboard(targets, processed.progress, processed.registry, periods, processed.rules)
    return board.assign(is_example=board["is_example"] | bool(targets["is_example"].any()))
