"""The explorer's tables (HTML, as the reports format them): the monthly pace needed, the growth needed to
reach the plan's targets, a cell's drill-down and a what-if's before → after; its charts are in
:mod:`kpi.explore.figures`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi.core.errors import InputError
from kpi.core.facts import COMPOSITE
from kpi.core.formatting import reader_table
from kpi.explore.data import drill_down, indicator_names
from kpi.ingest.processed import Processed
from kpi.metadata import fields
from kpi.metadata.identity import target_column
from kpi.metadata.registry import Registry
from kpi.metrics.what_if import what_if, what_if_table


def pace_view(table: pd.DataFrame, registry: Registry):
    """:func:`pace_table` in Chinese, formatted (HTML)."""

    indicators = registry.by_id
    shown = pd.DataFrame(
        {
            "区域": table["region"],
            "指标": table["indicator_id"].map(indicators["name_zh"]),
            "单位": table["indicator_id"].map(indicators["unit"]),
            "累计完成": table["actual"],
            "全年目标": table["target"],
            "剩余月数": table["months_left"],
            "已有月均": table["pace_so_far"],
            "今后每月需完成": table["pace_needed"],
            "需为已有月均的倍数": table["needed_over_so_far"],
        }
    )
    needed = "今后每月需完成" if table["higher_is_better"].all() else "今后每月需完成（越小越好者：最多可增）"
    shown = shown.rename(columns={"今后每月需完成": needed})  # for a cap: what each month may still add
    kinds = {c: "number" for c in ("累计完成", "全年目标", "已有月均", needed, "需为已有月均的倍数")}
    return reader_table(shown, {**kinds, "剩余月数": "integer"}, caption="达成全年目标所需的月均进度（本项目测算）")


def growth_view(table: pd.DataFrame):
    """:func:`growth_needed` in Chinese, formatted (HTML)."""

    target = target_column(table)  # 2027目标: the plan's own target year
    shown = pd.DataFrame(
        {
            "目标": table["name_zh"],
            "单位": table["unit"],
            "最新年份": table["latest_year"],
            "最新值": table["latest_value"],
            target: table["target_value"],
            "剩余年数": table["years_left"],
            "今后每年需增长": table["growth_needed"],
            "历年最好增速": table["best_growth_so_far"],
            "判断": np.where(table["within_best_year"], "不超过历年最好水平", "需超过历年最好水平"),
        }
    )
    return reader_table(
        shown,
        {
            "最新年份": "integer",
            "最新值": "number",
            target: "number",
            "剩余年数": "integer",
            "今后每年需增长": "rate",
            "历年最好增速": "rate",
        },
        caption=f"实现{target}所需的年均增速（复合增长，本项目测算）",
    )


def show_drill_down(processed: Processed, board: pd.DataFrame, cell: tuple[str, str, str], corrections=None) -> None:
    """Display :func:`drill_down` of ``cell`` (region, indicator_id, period) as three reader tables
    (``corrections``: :func:`corrections_log`, read once by the caller)."""
    region, indicator_id, period = cell
    from IPython.display import Markdown, display

    if indicator_id == COMPOSITE:
        display(Markdown("综合得分由各指标计算得出，没有单独的数据点；请选择一个指标查看溯源。"))
        return
    found = drill_down(processed, board, region, indicator_id, period, corrections)
    points = found["points"]
    display(
        Markdown(f"**{region} · {indicator_names(processed.registry)[indicator_id]} · 截至 {period}**"),
        reader_table(
            points.rename(columns=fields.headings(points)), fields.cell_kinds(points), caption="数据点（年内累计）"
        ),
    )
    if found["corrections"].empty:
        display(Markdown("无更正记录。"))
    else:
        display(reader_table(found["corrections"], caption="更正记录"))
    history = found["rank_history"]
    display(
        reader_table(history.rename(columns=fields.headings(history)), fields.cell_kinds(history), caption="历月排名")
    )


def what_if_view(processed: Processed, cell: tuple[str, str, str], change: str):
    """:func:`kpi.metrics.what_if.what_if` of ``cell`` (region, indicator_id, period) changed by ``change`` (``+5``,
    ``12``), as the reader sees it: each region whose completion, status or rank moves, 前 → 后 (HTML), or
    what to type instead."""
    import html

    from IPython.display import HTML

    region, indicator_id, period = cell
    if indicator_id == COMPOSITE:
        return HTML("<p>综合得分由各指标算出：请选择一个指标再测算。</p>")
    try:
        before, after = what_if(processed, cell, change)
    except InputError as error:
        return HTML(f"<p style='color:#b03030'>{html.escape(error.problem)}；{html.escape(error.fix or '')}</p>")
    moved = what_if_table(before, after, processed.registry, indicator_id)
    name = indicator_names(processed.registry)[indicator_id]
    caption = f"测算：{region} {period} {name} {change}（本项目测算，不改动任何数据）"
    if moved.empty:
        return HTML(f"<p>{html.escape(caption)}：没有区域的完成率、状态或排名改变。</p>")
    return reader_table(moved, caption=caption)
