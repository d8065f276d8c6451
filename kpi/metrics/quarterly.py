"""Content of the quarterly report: the headline, the region's own table, its rank quarter by
quarter, and the data notes. Pure functions returning text and tidy tables; the report notebook
(``notebooks/04_quarterly_report``) only shows them.
"""

from __future__ import annotations

import html

import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.errors import ConfigError, InputError
from kpi.core.facts import AHEAD, BEHIND, COMPOSITE, EXAMPLE_LABEL, MET, MISSING, NEAR, NOT_MET, POINT_IN_TIME
from kpi.inputs.ytd_falls import ytd_falls
from kpi.metadata import fields
from kpi.metadata.registry import Registry
from kpi.metrics.leaderboard import lagging, published_progress


def quarter_end(year: int, quarter: int) -> str:
    """The period closing a quarter: Q3 2024 → ``2024-09``."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1–4, not {quarter!r}")
    return f"{year:04d}-{quarter * 3:02d}"


def quarter_of(period: str) -> tuple[int, int]:
    """The year and quarter a month falls in: ``2025-12`` → ``(2025, 4)`` (the inverse of :func:`quarter_end`)."""
    return int(period[:4]), (int(period[5:7]) + 2) // 3


def report_heading(year: int, quarter: int, region: str, plan, total_name: str, is_example: bool) -> str:
    """The report's title (the region — the county's own name for the total row, as every other output
    names it — and the plan's programme, :class:`kpi.metadata.identity.PlanIdentity`) and the example banner, as
    HTML, every name escaped."""
    who = plan.reader_name(region, total_name)
    title = f"<h1>{year}年第{quarter}季度 {html.escape(who)}{html.escape(plan.programme)}进展报告</h1>"
    banner = (
        (
            f"<div style='border:2px solid #c00000;padding:6px;color:#c00000'><b>⚠ {html.escape(EXAMPLE_LABEL)}</b>："
            "本报告中的进度数字不是官方数据，仅演示报告格式。</div>"
        )
        if is_example
        else ""
    )
    return title + banner


def section_titles(region: str, registry: Registry, toward: str) -> dict[str, str]:
    """The report's numbered headings. The plan's targets are the total row's, so a region's report has
    no section on them and the later sections move up (一 … 五, not a 四 saying there is nothing)."""
    words = {
        "overview": "总体情况",
        "board": "晾晒表（季末）",
        "region": "本区域指标与排名",
        "plan": f"{toward}（{registry.total_name}报告）",
        "lagging": "滞后事项与责任单位",
        "notes": "数据说明",
    }
    keys = [key for key in words if key != "plan" or region == registry.total_name]
    return {key: f"## {'一二三四五六'[number]}、{words[key]}" for number, key in enumerate(keys)}


def shown_progress(rows: pd.DataFrame, registry: Registry) -> list[str]:
    """进度 as every output shows it (:func:`kpi.core.formatting.progress`): completion in % (one decimal);
    for a point-in-time indicator the value itself (growth %, a ratio, a rank); the composite's score;
    未报送 where there is no value."""
    values = published_progress(rows, registry).where(rows["indicator_id"] != COMPOSITE, rows["completion_rate"] * 100)
    kinds = rows["indicator_id"].map({**registry.by_id["kind"].to_dict(), COMPOSITE: ""})
    units = rows["indicator_id"].map({**registry.by_id["unit"].to_dict(), COMPOSITE: ""})
    return [fmt.progress(v, k, u, missing=MISSING) for v, k, u in zip(values, kinds, units)]


def _target_text(rows: pd.DataFrame, registry: Registry) -> list[str]:
    units = registry.by_id["unit"]
    return [
        fmt.NOT_APPLICABLE if i == COMPOSITE else fmt.target(t, c, units[i])
        for i, t, c in zip(rows["indicator_id"], rows["target"], rows["comparator"])
    ]


def has_reports(board: pd.DataFrame, region: str) -> bool:
    """Whether ``region`` reported any value in the periods of ``board``."""
    rows = board[(board["region"] == region) & (board["indicator_id"] != COMPOSITE)]
    return bool(rows["actual"].notna().any())


def no_data_paragraph(region: str, period: str, n_indicators: int) -> str:
    """What a region's report says when it has reported nothing this year (and how to report)."""
    year, month = int(period[:4]), int(period[5:7])
    return (
        f"截至{year}年{month}月，{html.escape(region)}本年度{n_indicators}项晾晒指标均未报送，无法计算完成率、序时进度和排名。"
        "请报送单位按月报送年初至今累计值（`kpi template` 生成报送表，`kpi collect` 收集）。"
    )


def headline(board: pd.DataFrame, period: str, region: str, registry: Registry) -> str:
    """One paragraph: how many indicators are ahead of 序时进度, which are behind and by how much."""
    rows = board[(board["period"] == period) & (board["region"] == region)]
    indicators = rows[rows["indicator_id"] != COMPOSITE]
    counts = indicators["status"].value_counts()
    year, month = int(period[:4]), int(period[5:7])
    region = html.escape(region)  # the paragraph is shown as Markdown: names from data are escaped
    parts = [
        f"截至{year}年{month}月，{region}{len(indicators)}项晾晒指标中："
        f"{counts.get(AHEAD, 0)}项超序时、{counts.get(NEAR, 0)}项基本序时、{counts.get(BEHIND, 0)}项滞后"
    ]
    if counts.get(MET, 0) or counts.get(NOT_MET, 0):
        level = fmt.level_words(registry.indicators["kind"])[0]
        parts.append(f"{level}指标{counts.get(MET, 0)}项达标、{counts.get(NOT_MET, 0)}项未达标")
    if counts.get(MISSING, 0):
        parts.append(f"{counts.get(MISSING, 0)}项未报送")
    text = "，".join(parts) + "。"
    behind = lagging(rows[rows["status"].isin([BEHIND, NOT_MET])], registry, limit=None, include_county=True)
    if not behind.empty:
        described = [
            f"{html.escape(r.indicator)}（{_level_text(r, registry)}）"
            if pd.isna(r.time_share)
            else f"{html.escape(r.indicator)}（完成{r.completion_rate:.1%}，序时{r.time_share:.1%}，落后{-r.gap_points:.1f}个百分点）"
            for r in behind.itertuples()
        ]
        text += "落后于序时进度或目标的有：" + "；".join(described) + "。"
    composite = rows[rows["indicator_id"] == COMPOSITE].iloc[0]
    ranked = len(registry.region_names) - 1
    if region != registry.total_name and pd.notna(composite["rank"]):
        text += f"综合得分{composite['completion_rate']:.1%}，在{ranked}个区域中排第{int(composite['rank'])}位。"
    elif region == registry.total_name and pd.notna(composite["completion_rate"]):
        text += f"{region}综合得分{composite['completion_rate']:.1%}（综合序时{composite['time_share']:.1%}）。"
    return text


def _level_text(row, registry: Registry) -> str:
    """A lagging point-in-time cell's value and target (:func:`kpi.core.formatting.level_progress`)."""
    indicator = registry.indicator(row.indicator_id)
    return fmt.level_progress(row.actual, indicator["kind"], row.target, str(row.comparator), indicator["unit"])


def region_table(
    board: pd.DataFrame, period: str, region: str, registry: Registry, last_year: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The region's own indicators at ``period``, as the reader sees them: 指标, 单位, 年度指标,
    完成值, 进度, 序时进度, 状态, 排名, and 环比 (rank and 进度 last month) and 同比 (进度 in the same
    month last year, when ``last_year``'s board is given)."""
    rows = board[(board["period"] == period) & (board["region"] == region)].reset_index(drop=True)
    indicators = registry.by_id
    names = {**indicators["name_zh"].to_dict(), COMPOSITE: "综合得分"}
    units = {**indicators["unit"].to_dict(), COMPOSITE: ""}
    months = sorted(p for p in board["period"].unique() if p < period)
    table = pd.DataFrame(
        {
            fields.heading("indicator_id"): rows["indicator_id"].map(names),
            fields.heading("unit"): rows["indicator_id"].map(units).replace("", fmt.NOT_APPLICABLE),
            fields.heading("target"): _target_text(rows, registry),
            fields.heading("actual"): [
                fmt.number(v, units[i], MISSING, indicators["kind"][i]) if i != COMPOSITE else fmt.NOT_APPLICABLE
                for v, i in zip(rows["actual"], rows["indicator_id"])
            ],
            "进度": shown_progress(rows, registry),
            fields.heading("time_share"): [
                fmt.rate(v) if k not in POINT_IN_TIME else "目标 " + t
                for v, k, t in zip(
                    rows["time_share"],
                    rows["indicator_id"].map({**indicators["kind"].to_dict(), COMPOSITE: ""}),
                    _target_text(rows, registry),
                )
            ],
            fields.heading("status"): rows["status"].astype(str),
            fields.heading("rank"): [fmt.integer(v, missing=fmt.NOT_APPLICABLE) for v in rows["rank"]],
        }
    )
    if region == registry.total_name:
        table = table.drop(columns=fields.heading("rank"))
    if months:
        before = board[(board["period"] == months[-1]) & (board["region"] == region)].reset_index(drop=True)
        table["上月进度"] = shown_progress(before, registry)
        if region != registry.total_name:
            table[fields.heading("rank_change")] = (
                rows["rank_change"].fillna("").replace("", fmt.NOT_APPLICABLE).tolist()
                if "rank_change" in rows
                else fmt.NOT_APPLICABLE
            )
    if last_year is not None:
        same = (
            last_year[last_year["region"] == region]
            .set_index("indicator_id")
            .reindex(rows["indicator_id"])
            .reset_index()
        )
        table["上年同期进度"] = shown_progress(same, registry)
    return table


def quarterly_ranks(board: pd.DataFrame, year: int, region: str, registry: Registry) -> pd.DataFrame:
    """The region's rank at each quarter end of ``year`` so far, per indicator and composite;
    未报送 where the region had not reported at that quarter end."""
    ends = [p for p in (quarter_end(year, q) for q in range(1, 5)) if p in set(board["period"])]
    rows = board[board["period"].isin(ends) & (board["region"] == region)]
    names = {**registry.by_id["name_zh"].to_dict(), COMPOSITE: "综合"}
    order = [*registry.indicators["indicator_id"], COMPOSITE]
    table = pd.DataFrame({"指标": [names[i] for i in order]})
    for period in ends:
        at = rows[rows["period"] == period].set_index("indicator_id").reindex(order)
        table[f"第{quarter_of(period)[1]}季度末"] = [
            MISSING if s == MISSING else fmt.integer(r) for r, s in zip(at["rank"], at["status"])
        ]
    return table


#: the lagging table's gap column where every point-in-time indicator is a growth rate (all in points)
GAP_COLUMN = "差距(百分点)"


def _gap_text(gap: float, kind: str, unit: str) -> str:
    """A gap with its unit where units differ by row: ``10.0个百分点``, ``1位``, ``0.10%``."""
    if kind not in POINT_IN_TIME or kind == "growth":
        return f"{gap:.1f}个百分点"
    return f"{gap:.0f}位" if kind == "rank" else f"{gap:.2f}{unit}"


def lagging_table(board: pd.DataFrame, period: str, region: str, registry: Registry) -> pd.DataFrame:
    """Every lagging item of ``region`` (the total row: of every region, grouped by the unit responsible
    under the plan), as the reader sees it."""
    current = board[board["period"] == period]
    if region != registry.total_name:
        current = current[current["region"] == region]
    behind = lagging(current, registry, limit=None)
    if region == registry.total_name:
        behind = behind.sort_values(["responsible_units", "gap_points", "region"], kind="stable")
    units, kinds = registry.by_id["unit"], registry.by_id["kind"]
    only_growth = fmt.level_words(registry.indicators["kind"])[0] == "增长类"
    table = pd.DataFrame(
        {
            fields.heading("responsible_units"): behind["responsible_units"],
            fields.heading("region"): behind["region"],
            fields.heading("indicator_id"): behind["indicator"],
            fields.heading("status"): behind["status"].astype(str),
            "进度": [
                fmt.progress(a, kinds[i], units[i]) if kinds[i] in POINT_IN_TIME else fmt.rate(c)
                for a, c, i in zip(behind["actual"], behind["completion_rate"], behind["indicator_id"])
            ],
            "序时进度或目标": [
                fmt.rate(s) if pd.notna(s) else "目标 " + fmt.target(t, str(c), units[i])
                for s, t, c, i in zip(
                    behind["time_share"], behind["target"], behind["comparator"], behind["indicator_id"]
                )
            ],
            GAP_COLUMN if only_growth else "差距": [
                f"{g:.1f}" if only_growth else _gap_text(g, kinds[i], units[i])
                for g, i in zip(behind["gap_points"], behind["indicator_id"])
            ],
            fields.heading("rank"): [fmt.integer(r) for r in behind["rank"]],
            "方案条款": behind["clause"],
        }
    )
    if region != registry.total_name:
        table = table.drop(columns=fields.heading("region"))
    return table.reset_index(drop=True)


#: the regions column of :func:`lagging_by_indicator` (gaps in mixed units; all in points)
LAGGING_REGIONS = ("滞后或未达标的区域（差距）", "滞后或未达标的区域（差距，百分点）")
#: the columns of the lagging tables a reader's table lets wrap
LAGGING_WRAPPED = ("责任单位", *LAGGING_REGIONS)


def lagging_by_indicator(table: pd.DataFrame) -> pd.DataFrame:
    """The total row's lagging table (:func:`lagging_table`) one line per indicator, in the table's order:
    its responsible units and clause once, and every region behind on it with its gap, ``东渡镇（-12.3）``."""
    gap = GAP_COLUMN if GAP_COLUMN in table else "差距"
    named = table.assign(item=table["区域"].astype(str) + "（" + table[gap].astype(str) + "）")
    grouped = named.groupby(named["指标"].astype(str), sort=False).agg(
        责任单位=("责任单位", "first"),
        items=("item", "、".join),
        count=("item", "size"),
        方案条款=("方案条款", "first"),
    )
    label = LAGGING_REGIONS[gap == GAP_COLUMN]
    return pd.DataFrame(
        {
            "指标": grouped.index,
            "项数": grouped["count"].astype(str).to_numpy(),
            label: grouped["items"].to_numpy(),
            "责任单位": grouped["责任单位"].to_numpy(),
            "方案条款": grouped["方案条款"].to_numpy(),
        }
    )


def validate_parameters(year, quarter, region, registry: Registry) -> tuple[int, int, str]:
    """Report parameters checked before anything runs: a year, a quarter 1–4, a known region (blank: the
    total row)."""
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ConfigError(
            "year 应为 2000—2100 的整数 / year must be an integer", column="year", value=year, fix="例如 --year 2025"
        )
    if quarter not in (1, 2, 3, 4):
        raise ConfigError(
            "quarter 应为 1—4 / quarter must be 1–4", column="quarter", value=quarter, fix="例如 --quarter 4"
        )
    try:
        region = registry.resolve_region(region) if region else registry.total_name
    except KeyError as exc:
        raise ConfigError(
            str(exc.args[0]), column="region", value=region, fix="使用 data/raw/regions.csv 中的区域名"
        ) from None
    return year, quarter, region


def check_region_series(progress: pd.DataFrame, region: str, registry: Registry) -> None:
    """A region's report is published only when its own series are consistent: year-to-date amounts
    and counts never fall from one month to the next within a year. Raises ``InputError`` naming
    the period, indicator and both values otherwise."""

    falls = ytd_falls(progress[progress["region"] == region], registry)
    if not falls.empty:
        first = falls.iloc[0]
        raise InputError(
            f"{region} 的 {first['indicator_id']} 年内累计值下降：{first['previous_period']} 为 "
            f"{first['previous_value']:g}，{first['period']} 为 {first['value']:g}"
            " / a year-to-date value falls from one month to the next",
            column="value",
            value=first["value"],
            fix="核对该区域该月的累计值（应为年初至今累计，不应小于上月）",
        )
