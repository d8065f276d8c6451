"""The explorer's charts and views (Plotly ``FigureWidget``: hover values, zoom, redrawn in place in
JupyterLab and Voilà), drawn from the plain tables of :mod:`kpi.explore`; every chart on example data
carries the example mark."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kpi.explore import drill_down, indicator_names, measure_of, region_year
from kpi.facts import COMPOSITE, EXAMPLE_MARK
from kpi.processed import Processed
from kpi.registry import Registry


def _gaps(values) -> list:
    """Values for a chart, missing ones as None (a gap; NaN is not valid JSON for the widget)."""
    return [
        None if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)) else value
        for value in pd.Series(values).astype(object)
    ]


def _break_at_years(periods: pd.Series, values) -> tuple[list, list]:
    """x and y with a gap where a new year starts: year-to-date figures restart in January, and a line
    from December down to January would read as a fall."""
    xs, ys, previous = [], [], None
    for period, value in zip(periods, _gaps(values)):
        if previous is not None and period[:4] != previous[:4]:
            xs.append(period)
            ys.append(None)
        xs.append(period)
        ys.append(value)
        previous = period
    return xs, ys


#: the chart toolbar's words in Chinese (plotly.js ships English only: its config takes a dictionary)
TOOLBAR_ZH = {
    "Autoscale": "自动缩放",
    "Box Select": "框选",
    "Compare data on hover": "悬停时比较各线",
    "Double-click to zoom back out": "双击恢复原比例",
    "Download plot": "下载图片",
    "Download plot as a PNG": "下载图片（PNG，含标题）",
    "Download plot as JSON": "下载图表数据（JSON）",
    "Lasso Select": "套索选择",
    "Pan": "平移",
    "Produced with Plotly.js": "由 Plotly.js 绘制",
    "Reset axes": "重置坐标轴",
    "Show closest data on hover": "悬停时显示最近的数据",
    "Snapshot succeeded": "图片已生成",
    "Sorry, there was a problem downloading your snapshot!": "抱歉，图片下载失败！",
    "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候",
    "Toggle Spike Lines": "显示或隐藏参考线",
    "Toggle show closest data on hover": "切换悬停显示",
    "Zoom": "缩放",
    "Zoom in": "放大",
    "Zoom out": "缩小",
}


def chart_config(title: str) -> dict:
    """A chart's plotly.js config: the toolbar in Chinese, nothing that sends the figures to Plotly's cloud
    (a county's unpublished numbers), no selection tools, and the PNG download at 1600 × 900 named by
    the chart's title."""
    return {
        "locale": "zh-CN",
        "locales": {"zh-CN": {"dictionary": TOOLBAR_ZH}},
        "displaylogo": False,
        "showLink": False,
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendDataToCloud", "editInChartStudio"],
        "toImageButtonOptions": {"format": "png", "filename": title[:80], "width": 1600, "height": 900, "scale": 1},
    }


def _layout(figure, title: str, is_example: bool):
    figure._config = chart_config(title)  # FigureWidget's synced config (plotly has no public setter)
    figure.update_layout(
        title=title,
        template="plotly_white",
        height=420,
        margin=dict(l=60, r=20, t=60, b=50),
        font=dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif"),
        legend=dict(orientation="h", y=-0.18),
        hovermode="x unified",
    )
    if is_example:
        figure.add_annotation(
            text=EXAMPLE_MARK,
            xref="paper",
            yref="paper",
            x=1,
            y=1.08,
            showarrow=False,
            font=dict(color="#b03030"),
        )
    return figure


#: the regions' line colours, in the order chosen (Okabe–Ito, told apart by colour-blind readers too)
REGION_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999")


def _region_traces(rows: pd.DataFrame, value: str, scale: float, level: bool) -> list:
    """Each region's line (completion, or a point-in-time value, broken where a year starts), and for
    completion its last year's value against this year's target, dotted (同比)."""
    import plotly.graph_objects as go

    traces = []
    for number, (region, part) in enumerate(rows.groupby("region", sort=False)):
        colour = REGION_COLOURS[number % len(REGION_COLOURS)]  # a region's line and its 同比 alike
        xs, ys = _break_at_years(part["period"], part[value] * scale)
        hover = "%{x} " + region + "：%{y:.4~g}<extra></extra>"
        line = dict(color=colour)
        traces.append(
            go.Scatter(
                x=xs, y=ys, mode="lines+markers", name=region, line=line, legendgroup=region, hovertemplate=hover
            )
        )
        if not level and part["last_year"].notna().any():
            xs, ys = _break_at_years(part["period"], part["last_year"] / part["target"] * 100)
            hover = "%{x} " + region + " 上年同期：%{y:.1f}%<extra></extra>"
            dotted = dict(dash="dot", color=colour)
            name = f"{region} 上年同期"
            traces.append(
                go.Scatter(x=xs, y=ys, mode="lines", line=dotted, name=name, legendgroup=region, hovertemplate=hover)
            )
    return traces


def trend_figure(rows: pd.DataFrame, indicator_name: str, measure: dict, is_example: bool, figure=None):
    """Lines per region: completion month by month against 序时进度 dashed, 同比 dotted; or a
    point-in-time value against its target (``measure``: :func:`kpi.explore.measure_of`; a rank's
    axis runs downward). Pass a ``go.FigureWidget`` as ``figure`` to redraw it in place."""
    import plotly.graph_objects as go

    figure = figure if figure is not None else go.FigureWidget()
    level = measure["level"]
    traces = _region_traces(rows, "actual" if level else "completion_rate", 1 if level else 100, level)
    reference = rows.drop_duplicates("period")
    if level:
        line = dict(dash="dash", color="#cf222e")
        traces.append(
            go.Scatter(
                x=reference["period"], y=_gaps(reference["target"]), mode="lines", name=measure["reference"], line=line
            )
        )
    else:
        xs, ys = _break_at_years(reference["period"], reference["time_share"] * 100)
        line = dict(dash="dash", color="#57606a")
        traces.append(go.Scatter(x=xs, y=ys, mode="lines", name="序时进度", line=line, line_shape="hv"))
    with figure.batch_update():
        figure.data = []
        figure.add_traces(traces)
        unit = f"（{measure['suffix']}）" if measure["suffix"] else ""
        span = f"，{rows['period'].min()}—{rows['period'].max()}" if len(rows) else ""
        title = f"{indicator_name}：{measure['name']}与{measure['reference']}{unit}{span}"
        _layout(figure, title, is_example)
        figure.update_yaxes(ticksuffix=measure["suffix"], autorange="reversed" if measure["lower_is_better"] else True)
        figure.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m")
    return figure


def compare_figure(rows: pd.DataFrame, title: str, measure: dict, is_example: bool, figure=None):
    """One bar per region, best first, coloured by status; hover shows value, target and rank
    (``measure``: :func:`kpi.explore.measure_of`)."""
    import plotly.graph_objects as go

    figure = figure if figure is not None else go.FigureWidget()
    ranks = ["—" if rank is pd.NA else str(int(rank)) for rank in rows["rank"]]
    bar = go.Bar(
        x=list(rows["region"]),
        y=_gaps(rows["shown"]),
        marker_color=list(rows["colour"]),
        name=measure["name"],
        customdata=[[status, rank] for status, rank in zip(rows["status"], ranks)],
        hovertemplate="%{x}：%{y:.4~g}"
        + measure["suffix"]
        + "<br>%{customdata[0]}，排名 %{customdata[1]}<extra></extra>",
    )
    with figure.batch_update():
        figure.data = []
        figure.add_trace(bar)
        _layout(figure, title, is_example)
        figure.update_yaxes(ticksuffix=measure["suffix"])
    return figure


def region_figure(rows: pd.DataFrame, registry: Registry, region: str, is_example: bool):
    """Small multiples: every indicator of one region through the year, against 序时 (or its target rate)."""
    from plotly.subplots import make_subplots

    names = registry.by_id["name_zh"]
    ids = list(registry.indicators["indicator_id"])
    grid_rows = -(-len(ids) // 4)
    figure = make_subplots(rows=grid_rows, cols=4, subplot_titles=[names[i] for i in ids])
    for number, indicator_id in enumerate(ids):
        part = rows[rows["indicator_id"] == indicator_id]
        level = measure_of(indicator_id, registry)["level"]
        row, col = number // 4 + 1, number % 4 + 1
        figure.add_scatter(
            x=part["period"].str[5:],
            y=_gaps(part["actual"] if level else part["completion_rate"] * 100),
            mode="lines+markers",
            name=names[indicator_id],
            showlegend=False,
            row=row,
            col=col,
            line=dict(color="#0969da"),
        )
        reference = part["target"] if level else part["time_share"] * 100
        figure.add_scatter(
            x=part["period"].str[5:],
            y=_gaps(reference),
            mode="lines",
            showlegend=False,
            row=row,
            col=col,
            line=dict(dash="dash", color="#cf222e" if level else "#57606a"),
        )
    _layout(figure, f"{region} 各指标（蓝：完成率，或增幅、比率、位次本身；虚线：序时进度或目标）", is_example)
    figure.update_layout(height=260 * grid_rows, hovermode="closest")
    return figure


def pace_view(table: pd.DataFrame, registry: Registry):
    """:func:`pace_table` in Chinese, formatted (HTML)."""
    from kpi.formatting import reader_table

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
    from kpi.formatting import reader_table
    from kpi.identity import target_column

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


def show_region(board: pd.DataFrame, registry: Registry, region: str, period: str, is_example: bool) -> None:
    """Display the small multiples of :func:`region_figure` (an interactive widget)."""
    import plotly.graph_objects as go
    from IPython.display import display

    widget = go.FigureWidget(region_figure(region_year(board, region, period), registry, region, is_example))
    widget._config = chart_config(widget.layout.title.text or region)
    display(widget)


def show_drill_down(processed: Processed, board: pd.DataFrame, cell: tuple[str, str, str], corrections=None) -> None:
    """Display :func:`drill_down` of ``cell`` (region, indicator_id, period) as three reader tables
    (``corrections``: :func:`corrections_log`, read once by the caller)."""
    region, indicator_id, period = cell
    from IPython.display import Markdown, display

    from kpi.formatting import reader_table

    if indicator_id == COMPOSITE:
        display(Markdown("综合得分由各指标计算得出，没有单独的数据点；请选择一个指标查看溯源。"))
        return
    found = drill_down(processed, board, region, indicator_id, period, corrections)
    points = found["points"].rename(columns={"period": "月份", "value": "报送值", "source": "来源文件"})
    display(
        Markdown(f"**{region} · {indicator_names(processed.registry)[indicator_id]} · 截至 {period}**"),
        reader_table(points, {"报送值": "number"}, caption="数据点（年内累计）"),
    )
    if found["corrections"].empty:
        display(Markdown("无更正记录。"))
    else:
        display(reader_table(found["corrections"], caption="更正记录"))
    history = found["rank_history"].rename(
        columns={"period": "月份", "actual": "实际", "completion_rate": "完成率", "status": "状态", "rank": "排名"}
    )
    display(reader_table(history, {"实际": "number", "完成率": "rate", "排名": "integer"}, caption="历月排名"))


def what_if_view(processed: Processed, cell: tuple[str, str, str], change: str):
    """:func:`kpi.what_if.what_if` of ``cell`` (region, indicator_id, period) changed by ``change`` (``+5``,
    ``12``), as the reader sees it: each region whose completion, status or rank moves, 前 → 后 (HTML), or
    what to type instead."""
    import html

    from IPython.display import HTML

    from kpi.errors import InputError
    from kpi.formatting import reader_table
    from kpi.what_if import what_if, what_if_table

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
