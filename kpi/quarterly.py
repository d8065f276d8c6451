"""Content of the quarterly report: the headline, the region's own table, its rank quarter by
quarter, and the data notes. Pure functions returning text and tidy tables; the report notebook
(``notebooks/04_quarterly_report``) only shows them.
"""

from __future__ import annotations

import html

import pandas as pd

from kpi import EXAMPLE_LABEL
from kpi.progress import AHEAD, BEHIND, COMPOSITE, MET, MISSING, NEAR, NOT_MET, published_progress
from kpi.registry import COUNTY, Registry


def quarter_end(year: int, quarter: int) -> str:
    """The period closing a quarter: Q3 2024 → ``2024-09``."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1–4, not {quarter!r}")
    return f"{year:04d}-{quarter * 3:02d}"


def headline(board: pd.DataFrame, period: str, region: str, registry: Registry) -> str:
    """One paragraph: how many indicators are ahead of 序时进度, which are behind and by how much."""
    rows = board[(board["period"] == period) & (board["region"] == region)]
    names = registry.indicators.set_index("indicator_id")["name_zh"]
    indicators = rows[rows["indicator_id"] != COMPOSITE]
    counts = indicators["status"].value_counts()
    year, month = int(period[:4]), int(period[5:7])
    parts = [f"截至{year}年{month}月，{region}{len(indicators)}项晾晒指标中："
             f"{counts.get(AHEAD, 0)}项超序时、{counts.get(NEAR, 0)}项基本序时、{counts.get(BEHIND, 0)}项滞后"]
    if counts.get(MET, 0) or counts.get(NOT_MET, 0):
        parts.append(f"增长类指标{counts.get(MET, 0)}项达标、{counts.get(NOT_MET, 0)}项未达标")
    if counts.get(MISSING, 0):
        parts.append(f"{counts.get(MISSING, 0)}项未报送")
    text = "，".join(parts) + "。"
    behind = indicators[indicators["status"].isin([BEHIND, NOT_MET])].copy()
    if not behind.empty:
        behind["gap"] = (behind["completion_rate"] - behind["time_share"].fillna(1.0)) * 100
        described = [f"{names[r.indicator_id]}（完成{r.completion_rate:.1%}，"
                     + (f"序时{r.time_share:.1%}，落后{-r.gap:.1f}个百分点）" if pd.notna(r.time_share)
                        else f"增幅{r.actual:.1f}%，目标{r.target:g}%）")
                     for r in behind.sort_values("gap").itertuples()]
        text += "落后于序时进度的有：" + "；".join(described) + "。"
    composite = rows[rows["indicator_id"] == COMPOSITE].iloc[0]
    if region != COUNTY and pd.notna(composite["rank"]):
        text += f"综合得分{composite['completion_rate']:.1%}，在8个区域中排第{int(composite['rank'])}位。"
    elif region == COUNTY and pd.notna(composite["completion_rate"]):
        text += f"全县综合得分{composite['completion_rate']:.1%}（综合序时{composite['time_share']:.1%}）。"
    return text


def region_table(board: pd.DataFrame, period: str, region: str, registry: Registry) -> pd.DataFrame:
    """The region's own indicators at ``period``: 指标, 累计完成, 进度, 序时进度, 状态, 排名."""
    rows = board[(board["period"] == period) & (board["region"] == region)].copy()
    rows["进度"] = published_progress(rows, registry)
    indicators = registry.indicators.set_index("indicator_id")
    rows["指标名称"] = rows["indicator_id"].map({**indicators["name_zh"].to_dict(), COMPOSITE: "综合得分"})
    rows["单位"] = rows["indicator_id"].map({**indicators["unit"].to_dict(), COMPOSITE: ""})
    table = pd.DataFrame({
        "指标": rows["指标名称"], "单位": rows["单位"], "年度指标": rows["target"], "累计完成": rows["actual"],
        "进度(%)": rows["进度"].where(rows["indicator_id"] != COMPOSITE, (rows["completion_rate"] * 100).round(1)),
        "序时进度(%)": (rows["time_share"] * 100).round(1), "状态": rows["status"], "排名": rows["rank"],
    })
    return table.reset_index(drop=True)


def quarterly_ranks(board: pd.DataFrame, year: int, region: str, registry: Registry) -> pd.DataFrame:
    """The region's rank at each quarter end of ``year`` so far, per indicator and composite."""
    ends = [quarter_end(year, q) for q in range(1, 5)]
    rows = board[board["period"].isin(ends) & (board["region"] == region)]
    names = {**registry.indicators.set_index("indicator_id")["name_zh"].to_dict(), COMPOSITE: "综合"}
    wide = rows.pivot(index="indicator_id", columns="period", values="rank")
    wide = wide.reindex([*registry.indicators["indicator_id"], COMPOSITE])
    wide.index = wide.index.map(names)
    wide.columns = [f"第{int(p[5:7]) // 3}季度末" for p in wide.columns]
    return wide.rename_axis("指标")


def data_notes(inputs: pd.DataFrame, is_example: bool, checks_passed: list[str], made_at: str, code_version: str) -> str:
    """The closing section: sources, the example flag, checks passed, the input files (from
    ``data/processed/inputs.csv``) with their hashes, and when and by what code it was made."""
    lines = ["**数据说明 / data notes**", "",
             "- 目标来源：《缙云县“139”科技创新体系建设工程实施方案（2023—2027年）》（缙政办发〔2023〕25号）及其附件晾晒表。"]
    if is_example:
        lines.append(f"- <span style='color:#c00000'><b>进度数据为{html.escape(EXAMPLE_LABEL)}</b></span>："
                     "区域进度数据不公开，本报告用固定种子生成器（kpi/example_data.py）生成的数据演示，不代表官方数字。")
    lines += [f"- 已通过的校验：{'；'.join(checks_passed)}。",
              "- 输入文件（sha256 前16位）：" + "；".join(f"`{html.escape(r.file)}` {r.sha256[:16]}"
                                         + ("（示例）" if r.is_example else "") for r in inputs.itertuples()) + "。",
              f"- 生成时间：{made_at or '未记录（交互运行）'}；代码版本：{code_version or '未记录'}。"]
    return "\n".join(lines)


def validate_parameters(year, quarter, region, registry: Registry) -> tuple[int, int, str]:
    """Report parameters checked before anything runs: a year, a quarter 1–4, a known region."""
    from kpi.errors import InputError

    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InputError("year 应为 2000—2100 的整数 / year must be an integer", column="year", value=year,
                         fix="例如 --year 2025")
    if quarter not in (1, 2, 3, 4):
        raise InputError("quarter 应为 1—4 / quarter must be 1–4", column="quarter", value=quarter, fix="例如 --quarter 4")
    try:
        region = registry.resolve_region(region)
    except KeyError as exc:
        raise InputError(str(exc.args[0]), column="region", value=region, fix="使用 data/raw/regions.csv 中的区域名") from None
    return year, quarter, region


def check_region_series(progress: pd.DataFrame, region: str, registry: Registry) -> None:
    """A region's report is published only when its own series are consistent: year-to-date amounts
    and counts never fall from one month to the next within a year. Raises ``InputError`` naming
    the period, indicator and both values otherwise."""
    from kpi.errors import InputError

    from kpi.ingest import ytd_falls

    falls = ytd_falls(progress[progress["region"] == region], registry)
    if not falls.empty:
        first = falls.iloc[0]
        raise InputError(
            f"{region} 的 {first['indicator_id']} 年内累计值下降：{first['previous_period']} 为 "
            f"{first['previous_value']:g}，{first['period']} 为 {first['value']:g}"
            " / a year-to-date value falls from one month to the next",
            column="value", value=first["value"], fix="核对该区域该月的累计值（应为年初至今累计，不应小于上月）")
