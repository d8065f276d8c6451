"""The monthly 晾晒表: any month of any year that has targets, from the processed tables.

``month_board`` scores the year's reported months up to the chosen one and adds each cell's
rank change against the previous reported month of the same year; :mod:`kpi.outputs.month_documents`
writes them (the CSV, the filled annex and the bulletin) under ``reports/monthly/YYYY-MM/``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.errors import InputError
from kpi.core.facts import COMPOSITE, MISSING, STATUSES
from kpi.core.parsing import parse_period
from kpi.ingest.processed import Processed
from kpi.metadata import fields
from kpi.metrics.leaderboard import LEADERBOARD_COLUMNS, processed_board

MONTHLY_COLUMNS = [*LEADERBOARD_COLUMNS, "rank_change"]


def rank_change(board: pd.DataFrame) -> pd.Series:
    """Rank against the previous period of ``board`` for the same region and indicator: ``↑2``
    (moved up two places), ``↓1``, ``–`` (unchanged); empty where either month has no rank
    (the first month of the year, or 未报送)."""
    previous = board.groupby(["region", "indicator_id"], observed=True, sort=False)["rank"].shift()
    delta = (previous - board["rank"]).astype("Float64")
    text = np.select(
        [
            delta.isna().to_numpy(bool),
            (delta > 0).fillna(False).to_numpy(bool),
            (delta < 0).fillna(False).to_numpy(bool),
        ],
        ["", "↑", "↓"],
        default="–",
    ).astype(object)
    magnitude = delta.abs().fillna(0).astype(int).astype(str).to_numpy(object)
    moved = (delta != 0).fillna(False).to_numpy(bool)
    text[moved] = text[moved] + magnitude[moved]
    return pd.Series(text, index=board.index, name="rank_change")


def month_board(processed: Processed, period: str) -> pd.DataFrame:
    """The leaderboard of every reported month of ``period``'s year up to ``period``, with
    ``rank_change``. Errors name what is missing: the year's annex, or the month's data."""
    year = int(period[:4])
    targets = processed.targets_for(year)
    months = processed.months_of(year, until=period)
    processed.require_period(period)
    board = processed_board(processed, targets, months)
    return board.assign(rank_change=rank_change(board), target_text=_wording(board, targets))


def _wording(board: pd.DataFrame, targets: pd.DataFrame) -> np.ndarray:
    """Each board cell's target as its annex wrote it (``target_text``; blank where the annex gave a number)."""
    wording = targets.set_index(["region", "indicator_id"])["target_text"]
    cells = pd.MultiIndex.from_arrays([board["region"].astype(str), board["indicator_id"].astype(str)])
    return wording.reindex(cells).fillna("").to_numpy()


def same_month_last_year(processed: Processed, period: str) -> pd.DataFrame | None:
    """The board of the same month a year earlier (for 同比), or None when that year has no annex
    or that month no data."""
    earlier = f"{int(period[:4]) - 1:04d}-{period[5:7]}"
    if int(period[:4]) - 1 not in processed.annex_years() or earlier not in set(processed.progress["period"]):
        return None
    board = month_board(processed, earlier)
    return board[board["period"] == earlier]


def month_option(text: str, year_allowed: bool = False) -> str:
    """A ``--period`` given on the command line, normalised (``2026-1`` → ``2026-01``), or a clear error."""

    try:
        return parse_period(text)
    except ValueError:
        forms = ("YYYY-MM 或 YYYY", "YYYY-MM or YYYY") if year_allowed else ("YYYY-MM", "YYYY-MM")
        raise InputError(
            f"--period 应为 {forms[0]} / --period must be {forms[1]}", value=text, fix="例如 --period 2026-01"
        ) from None


def periods_to_publish(processed: Processed, text: str) -> list[str]:
    """``YYYY-MM`` → that month; ``YYYY`` → every reported month of that year (at least one)."""
    if text.isdigit() and len(text) == 4:
        months = processed.months_of(int(text))
        if not months:
            raise InputError(
                f"进度数据中没有 {text} 年的任何月份 / no progress data in {text}",
                value=text,
                fix=f"先用 `kpi collect 回收表文件夹 --period {text}-01` 收集报送",
            )
        return months
    return [month_option(text, year_allowed=True)]


def composite_table(board: pd.DataFrame, period: str) -> pd.DataFrame:
    """The 综合 column of ``period`` as readers see it: score, its 序时, status, rank, change."""

    rows = board[(board["period"] == period) & (board["indicator_id"] == COMPOSITE)]
    return pd.DataFrame(
        {
            fields.heading("region"): rows["region"].astype(str),
            "综合得分": [fmt.rate(v, missing=MISSING) for v in rows["completion_rate"]],
            "综合序时进度": [fmt.rate(v) for v in rows["time_share"]],
            fields.heading("status"): rows["status"].astype(str),
            fields.heading("rank"): [fmt.integer(v) for v in rows["rank"]],
            "较上月": rows["rank_change"].fillna("").replace("", fmt.NOT_APPLICABLE)
            if "rank_change" in rows
            else fmt.NOT_APPLICABLE,
        }
    ).reset_index(drop=True)


def status_counts(board: pd.DataFrame, period: str) -> pd.DataFrame:
    """How many region × indicator cells of ``period`` are in each status (the composite excluded)."""

    rows = board[(board["period"] == period) & (board["indicator_id"] != COMPOSITE)]
    counts = rows["status"].astype(str).value_counts().reindex(list(STATUSES), fill_value=0)
    return pd.DataFrame({"状态": counts.index, "格数": counts.to_numpy()})
