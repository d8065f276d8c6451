"""The explorer's what-if (#28): “if 新建镇 adds 5 more firms by December, what changes?” — one region's
value of one indicator at one month changed (set, or ``+N`` / ``-N`` on what it reported), and that month's
晾晒表 computed again by the project's own :func:`kpi.metrics.leaderboard.build_leaderboard` with the same targets
and rules, so completion, status, rank and 综合 move exactly as they would in the published table (a rank,
lower is better, included). What it shows is a calculation, never stored and never published.
"""

from __future__ import annotations

import re

import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.errors import InputError
from kpi.core.facts import COMPOSITE
from kpi.core.text import normalize_text
from kpi.ingest.processed import Processed
from kpi.metadata import fields
from kpi.metrics.leaderboard import build_leaderboard

#: ``+5``, ``-2.5`` (a change to the reported value) or ``12`` (the value itself); full-width forms read too
CHANGE = re.compile(r"(?P<sign>[+-])?(?P<number>\d+(?:\.\d+)?)")


def parse_change(text: object) -> tuple[bool, float]:
    """``(is_delta, number)`` of what an analyst typed: ``+5`` → ``(True, 5.0)``, ``-2`` → ``(True, -2.0)``,
    ``12`` → ``(False, 12.0)``; anything else is an :class:`InputError` saying what to type."""
    written = normalize_text(text)  # NFKC: ＋５ is +5
    match = CHANGE.fullmatch(written)
    if not match:
        raise InputError(
            "测算值应为数值或增减量 / a value or a change",
            value=text,
            fix="填写 12（改为该值）或 +5 / -2（在已报送的数上增减）",
        )
    number = float(match["number"]) * (-1 if match["sign"] == "-" else 1)
    return match["sign"] is not None, number


def changed_progress(progress: pd.DataFrame, cell: tuple[str, str, str], change: str) -> pd.DataFrame:
    """``progress`` with the ``(region, indicator_id, period)`` cell's value changed as ``change`` says
    (:func:`parse_change`); a change ``+N`` on a month with no value is an error (there is nothing to add
    to: type the value)."""
    region, indicator_id, period = cell
    is_delta, number = parse_change(change)
    at = (progress["region"] == region) & (progress["indicator_id"] == indicator_id) & (progress["period"] == period)
    if not at.any():
        if is_delta:
            raise InputError(
                f"{region}{period}没有该指标的数值，无法增减 / nothing reported to change",
                value=change,
                fix="填写该月的数值（不带 + 或 -）",
            )
        row = {"period": period, "region": region, "indicator_id": indicator_id, "value": number}
        return pd.concat([progress, pd.DataFrame([row])], ignore_index=True)
    changed = progress.copy()
    changed.loc[at, "value"] = changed.loc[at, "value"] + number if is_delta else number
    return changed


def what_if(processed: Processed, cell: tuple[str, str, str], change: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The month's 晾晒表 as reported and with the cell changed: ``(before, after)``, each a
    :func:`~kpi.metrics.leaderboard.build_leaderboard` of that month on the year's targets and the project's rules."""
    period = cell[2]
    targets = processed.targets_for(int(period[:4]))
    columns = ["period", "region", "indicator_id", "value"]
    progress = processed.progress[columns]
    before = build_leaderboard(targets, progress, processed.registry, [period], processed.rules)
    after_progress = changed_progress(progress, cell, change)
    after = build_leaderboard(targets, after_progress, processed.registry, [period], processed.rules)
    return before, after


def what_if_table(before: pd.DataFrame, after: pd.DataFrame, registry, indicator_id: str) -> pd.DataFrame:
    """Every region whose completion, status or rank on ``indicator_id`` or 综合 moves, as ``前 → 后``;
    empty when nothing moves."""
    keys = ["region", "indicator_id"]
    shown = [indicator_id, COMPOSITE]
    both = before[before["indicator_id"].isin(shown)].merge(
        after[after["indicator_id"].isin(shown)], on=keys, suffixes=("_before", "_after")
    )
    rate_moved = (both["completion_rate_before"].fillna(-1) - both["completion_rate_after"].fillna(-1)).abs() > 1e-9
    status_moved = both["status_before"].astype(str) != both["status_after"].astype(str)
    rank_moved = both["rank_before"].fillna(0) != both["rank_after"].fillna(0)
    moved = both[rate_moved | status_moved | rank_moved]
    names = {**registry.by_id["name_zh"].to_dict(), COMPOSITE: "综合"}

    def arrow(left: str, right: str) -> str:
        return left if left == right else f"{left} → {right}"

    return pd.DataFrame(
        {
            fields.heading("region"): moved["region"].astype(str).to_numpy(),
            fields.heading("indicator_id"): moved["indicator_id"].astype(str).map(names).to_numpy(),
            fields.heading("completion_rate"): [
                arrow(fmt.rate(b), fmt.rate(a))
                for b, a in zip(moved["completion_rate_before"], moved["completion_rate_after"])
            ],
            fields.heading("status"): [
                arrow(str(b), str(a)) for b, a in zip(moved["status_before"], moved["status_after"])
            ],
            fields.heading("rank"): [
                arrow(fmt.integer(b), fmt.integer(a)) for b, a in zip(moved["rank_before"], moved["rank_after"])
            ],
        }
    )
