"""The explorer's charts (Plotly figures, shown by :class:`kpi.explore.chart.Chart`), drawn from the plain
tables of :mod:`kpi.explore.data`. Every point's tooltip gives the value, the target, the completion, the status
and the rank; every chart on example data carries the example mark."""

from __future__ import annotations

import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.facts import EXAMPLE_MARK
from kpi.explore.data import measure_of
from kpi.metadata.registry import Registry

#: the regions' colours, in the order chosen (Okabe–Ito, told apart by colour-blind readers too); a
#: region's line, its 上年同期 and its part of the county's path alike
REGION_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999")
FONT = "Noto Sans CJK SC, Microsoft YaHei, sans-serif"
#: the tooltip's lines under its first, from :func:`hover_texts`
HOVER_DETAIL = "<br>实际 %{customdata[0]}，目标 %{customdata[1]}<br>完成率 %{customdata[2]}，%{customdata[3]}，排名 %{customdata[4]}"


def _gaps(values) -> list:
    """Values for a chart, missing ones as None (a gap; NaN is not valid JSON)."""
    return [None if pd.isna(value) else value for value in pd.Series(values).astype(object)]


def _break_at_years(periods: pd.Series, values, details: list | None = None) -> tuple[list, list, list]:
    """x, y (and each point's tooltip details) with a gap where a new year starts: year-to-date figures
    restart in January, and a line from December down to January would read as a fall."""
    xs, ys, shown, previous = [], [], [], None
    details = details if details is not None else [None] * len(periods)
    for period, value, detail in zip(periods, _gaps(values), details):
        if previous is not None and period[:4] != previous[:4]:
            xs.append(period), ys.append(None), shown.append(None)
        xs.append(period), ys.append(value), shown.append(detail)
        previous = period
    return xs, ys, shown


def hover_texts(rows: pd.DataFrame, unit: str) -> list[list[str]]:
    """Each row's tooltip details as the reports write them: actual and target (in ``unit``), completion,
    status, rank (— where there is none)."""
    ranks = ["—" if pd.isna(rank) else str(int(rank)) for rank in rows["rank"]]
    return [
        [fmt.quantity(actual, unit), fmt.quantity(target, unit), fmt.rate(completion), status, rank]
        for actual, target, completion, status, rank in zip(
            rows["actual"], rows["target"], rows["completion_rate"], rows["status"], ranks
        )
    ]


def _layout(figure, title: str, is_example: bool, height: int = 420):
    figure.update_layout(
        title=title,
        template="plotly_white",
        height=height,
        margin=dict(l=60, r=20, t=70, b=50),
        font=dict(family=FONT),
        legend=dict(orientation="h", yanchor="top", y=-60 / (height - 120)),  # 60 px down: below the axis labels
        hovermode="closest",
    )
    if is_example:
        figure.add_annotation(
            text=EXAMPLE_MARK, xref="paper", yref="paper", x=1, y=1.0, yanchor="bottom", yshift=24, showarrow=False
        )  # in the title's band, above any panel's own title
        figure.layout.annotations[-1].font = dict(color="#b03030")
    return figure


def _panels(regions: list[str]) -> tuple[int, int]:
    """Rows and columns of small multiples for ``regions`` (three across)."""
    columns = min(len(regions), 3)
    return -(-len(regions) // columns), columns


def trend_figure(rows: pd.DataFrame, indicator_name: str, measure: dict, is_example: bool):
    """Completion month by month against 序时进度 (dashed) and 上年同期 (dotted, the region's colour), or a
    point-in-time value against its target (``measure``: :func:`kpi.explore.data.measure_of`; a rank's axis runs
    downward). One region: one chart; several: one panel each, axes shared (small multiples)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    regions = list(dict.fromkeys(rows["region"])) or [""]
    grid_rows, columns = _panels(regions)
    figure = go.Figure() if len(regions) == 1 else make_subplots(
        grid_rows, columns, shared_xaxes="all", shared_yaxes="all", subplot_titles=regions,
        vertical_spacing=0.3 / grid_rows, horizontal_spacing=0.04,
    )  # fmt: skip
    level = measure["level"]
    for number, region in enumerate(regions):
        part = rows[rows["region"] == region]
        cell = {} if len(regions) == 1 else {"row": number // columns + 1, "col": number % columns + 1}
        for trace in _region_traces(part, region, number, measure):
            figure.add_trace(trace, **cell)
        reference = part if level else part.drop_duplicates("period")
        values = reference["target"] if level else reference["time_share"] * 100
        xs, ys, _ = _break_at_years(reference["period"], values)
        line = dict(dash="dash", color="#cf222e" if level else "#57606a")
        name = measure["reference"]
        figure.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines", name=name, line=line, legendgroup=name, showlegend=number == 0),
            **cell,
        )
    unit = f"（{measure['suffix']}）" if measure["suffix"] else ""
    span = f"，{rows['period'].min()}—{rows['period'].max()}" if len(rows) else ""
    title = f"{indicator_name}：{measure['name']}与{measure['reference']}{unit}{span}"
    _layout(figure, title, is_example, 420 if len(regions) == 1 else 120 + 230 * grid_rows)
    figure.update_yaxes(ticksuffix=measure["suffix"], autorange="reversed" if measure["lower_is_better"] else True)
    months = max(rows["period"].nunique(), 1)  # a tick every month or every few: never one month labelled twice
    step = -(-months // (12 if len(regions) == 1 else 4))
    figure.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m", dtick=f"M{step}", showticklabels=True)
    return figure


def _region_traces(part: pd.DataFrame, region: str, number: int, measure: dict) -> list:
    """One region's line (completion, or a point-in-time value), and for completion its last year's value
    against this year's target, dotted (同比), in the region's colour."""
    import plotly.graph_objects as go

    colour = REGION_COLOURS[number % len(REGION_COLOURS)]
    values = part["actual"] if measure["level"] else part["completion_rate"] * 100
    xs, ys, details = _break_at_years(part["period"], values, hover_texts(part, measure["unit"]))
    first = f"%{{x}} {region}：{measure['name']} %{{y:.4~g}}{measure['suffix']}"
    traces = [
        go.Scatter(
            x=xs,
            y=ys,
            customdata=details,
            mode="lines+markers",
            name=region,
            line=dict(color=colour),
            legendgroup=region,
            hovertemplate=first + HOVER_DETAIL + "<extra></extra>",
        )
    ]
    if not measure["level"] and part["last_year"].notna().any():
        xs, ys, _ = _break_at_years(part["period"], part["last_year"] / part["target"] * 100)
        hover = "%{x} " + region + " 上年同期：%{y:.1f}%<extra></extra>"
        dotted = dict(dash="dot", color=colour)
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line=dotted,
                name=f"{region} 上年同期",
                legendgroup=region,
                hovertemplate=hover,
            )
        )
    return traces


def compare_figure(rows: pd.DataFrame, title: str, measure: dict, is_example: bool):
    """One bar per region, best first, coloured by status; the tooltip gives value, target, completion,
    status and rank; a click on a bar opens that region's trend (the notebook's wiring)."""
    import plotly.graph_objects as go

    bar = go.Bar(
        x=list(rows["region"]),
        y=_gaps(rows["shown"]),
        marker_color=list(rows["colour"]),
        marker_line=dict(color="#57606a", width=0.5),
        name=measure["name"],
        customdata=hover_texts(rows, measure["unit"]),
        hovertemplate="%{x}：" + measure["name"] + " %{y:.4~g}" + measure["suffix"] + HOVER_DETAIL + "<extra></extra>",
    )
    figure = go.Figure(bar)
    _layout(figure, title, is_example)
    figure.add_annotation(
        text="点击柱形：看该区域的趋势", xref="paper", yref="paper", x=0, y=1.0, yanchor="bottom", showarrow=False
    )
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
        measure = measure_of(indicator_id, registry)
        row, col = number // 4 + 1, number % 4 + 1
        figure.add_scatter(
            x=part["period"].str[5:],
            y=_gaps(part["actual"] if measure["level"] else part["completion_rate"] * 100),
            customdata=hover_texts(part, measure["unit"]),
            hovertemplate=f"%{{x}}月 {names[indicator_id]}" + HOVER_DETAIL + "<extra></extra>",
            mode="lines+markers",
            showlegend=False,
            row=row,
            col=col,
            line=dict(color="#0969da"),
        )
        reference = part["target"] if measure["level"] else part["time_share"] * 100
        line = dict(dash="dash", color="#cf222e" if measure["level"] else "#57606a")
        figure.add_scatter(
            x=part["period"].str[5:], y=_gaps(reference), mode="lines", showlegend=False, row=row, col=col, line=line
        )
    title = f"{region} 各指标（蓝：完成率，或增幅、比率、位次本身；虚线：序时进度或目标）"
    _layout(figure, title, is_example, 260 * grid_rows)
    return figure


def path_figure(path: pd.DataFrame, indicator_name: str, unit: str, total_name: str, is_example: bool):
    """The county's way to the plan's last year (:func:`kpi.explore.data.county_path`): its value at each
    year's latest month, stacked by region where the kind adds up, against the year's target; the years
    still to go are on the axis, empty."""
    import plotly.graph_objects as go

    figure = go.Figure()
    parts = path[path["region"] != total_name].dropna(subset=["actual"])
    county = path[path["region"] == total_name]
    shown = parts if len(parts) else county.dropna(subset=["actual"])
    for number, (region, rows) in enumerate(shown.groupby("region", sort=False)):
        figure.add_bar(
            x=rows["year"].astype(str),
            y=_gaps(rows["actual"]),
            name=region,
            marker_color=REGION_COLOURS[number % len(REGION_COLOURS)],
            customdata=[[period, fmt.quantity(value, unit)] for period, value in zip(rows["period"], rows["actual"])],
            hovertemplate=f"%{{x}}年 {region}：%{{customdata[1]}}（截至 %{{customdata[0]}}）<extra></extra>",
        )
    texts = [[fmt.quantity(a, unit), fmt.quantity(t, unit)] for a, t in zip(county["actual"], county["target"])]
    figure.add_scatter(
        x=county["year"].astype(str),
        y=_gaps(county["target"]),
        customdata=texts,
        mode="lines+markers",
        name=f"{total_name}当年目标",
        line=dict(color="#cf222e", dash="dash"),
        hovertemplate=f"%{{x}}年 {total_name}：实际 %{{customdata[0]}}，目标 %{{customdata[1]}}<extra></extra>",
    )
    last = int(path["year"].max()) if len(path) else ""
    notes = "，".join(note for note in (unit, "各年最新月份", "按区域分" if len(parts) else "") if note)
    title = f"{total_name}到{last}年的进程：{indicator_name}（{notes}）"
    _layout(figure, title, is_example)
    figure.update_layout(barmode="stack")
    figure.update_xaxes(type="category")
    return figure
