"""What the explorer (``notebooks/05_explore``) shows, as plain functions on the processed tables.

The notebook only wires widgets to these; every figure here is computed by the same rules as the
printed 晾晒表 (:mod:`kpi.leaderboard`) and the 2027 trajectories (:mod:`kpi.trajectory`).

- :func:`boards`: the leaderboard of every reported month of every year that has an annex;
- :func:`trend`: one indicator over the months for chosen regions, with 序时, the year's target and 同比;
- :func:`compare`: all regions on one indicator for one month, sorted, with status colours;
- :func:`region_year`: every indicator of one region through a year (small multiples);
- :func:`drill_down`: one cell's data points with their source file, corrections and rank history;
- what-if: :func:`monthly_pace_needed` / :func:`pace_table` (the monthly amount a region needs from
  now to reach this year's target) and :func:`growth_needed` (the annual growth the county needs to
  reach each 2027 target, against the best year so far).

Charts (Plotly, interactive: hover values, zoom) are built by :func:`trend_figure`,
:func:`compare_figure` and :func:`region_figure`; the printed reports keep their static PNGs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kpi.facts import COMPOSITE, EXAMPLE_MARK, MISSING, STATUS_COLOURS
from kpi.leaderboard import build_leaderboard
from kpi.pipeline import Processed
from kpi.registry import COUNTY, Registry
from kpi.trajectory import effort_needed

EXPLORE_COLUMNS = [
    "period",
    "region",
    "indicator_id",
    "actual",
    "target",
    "completion_rate",
    "time_share",
    "status",
    "rank",
]


def boards(processed: Processed) -> pd.DataFrame:
    """The leaderboard of every reported month of every year that has an annex, in one vectorised
    :func:`kpi.leaderboard.build_leaderboard`; text columns as plain strings."""
    years = set(processed.annex_years())
    periods = sorted(p for p in processed.progress["period"].unique() if int(p[:4]) in years)
    targets = processed.annex[processed.annex["year"].isin(years)]
    board = build_leaderboard(targets, processed.progress, processed.registry, periods, processed.rules)
    for column in ("period", "region", "indicator_id", "status", "comparator"):
        board[column] = board[column].astype(str)
    return board.assign(is_example=board["is_example"] | bool(targets["is_example"].any()))


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
    growth itself for a growth indicator; with the status colour of each."""
    rows = board[(board["period"] == period) & (board["indicator_id"] == indicator_id)].copy()
    growth = is_growth(indicator_id, registry)
    rows["shown"] = rows["actual"] if growth else rows["completion_rate"] * 100
    rows["colour"] = "#" + rows["status"].map(STATUS_COLOURS).fillna(STATUS_COLOURS[MISSING])
    regional = rows[rows["region"] != COUNTY].sort_values("shown", ascending=False, na_position="last", kind="stable")
    return pd.concat([regional, rows[rows["region"] == COUNTY]], ignore_index=True)[
        ["region", "shown", "actual", "target", "completion_rate", "time_share", "status", "rank", "colour"]
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
def monthly_pace_needed(actual: float, target: float, month: int) -> float:
    """The amount per month a year-to-date indicator needs over the months left after ``month`` to
    reach ``target`` by December: ``(target − actual) ÷ (12 − month)``; 0 when already reached; NaN in
    December (no month left) or without a value. This project's arithmetic, not the plan's."""
    if actual is None or target is None or math.isnan(actual) or math.isnan(target):
        return math.nan
    if actual >= target:
        return 0.0
    months_left = 12 - month
    return (target - actual) / months_left if months_left > 0 else math.nan


def pace_table(board: pd.DataFrame, period: str, registry: Registry, region: str | None = None) -> pd.DataFrame:
    """For each region (or one) and each year-to-date indicator in ``period``: the value so far, the
    year's target, the pace so far (value ÷ months elapsed), the pace needed per remaining month
    (:func:`monthly_pace_needed`) and their ratio (above 1: faster than so far)."""
    month = int(period[5:7])
    cumulative = registry.indicators.loc[registry.indicators["kind"] != "growth", "indicator_id"]
    rows = board[(board["period"] == period) & board["indicator_id"].isin(cumulative)]
    if region is not None:
        rows = rows[rows["region"] == region]
    needed = [monthly_pace_needed(a, t, month) for a, t in zip(rows["actual"], rows["target"])]
    table = rows[["region", "indicator_id", "actual", "target"]].assign(
        months_left=12 - month, pace_so_far=rows["actual"] / month, pace_needed=needed
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        table["needed_over_so_far"] = (table["pace_needed"] / table["pace_so_far"]).replace([np.inf, -np.inf], np.nan)
    return table.reset_index(drop=True)


def growth_needed(plan_targets: pd.DataFrame, county_annual: pd.DataFrame, as_of_year: int) -> pd.DataFrame:
    """For each 2027 target stated as a level or a stock (``level``, ``cumulative``) with county data:
    the latest value, the years left, the growth per year needed from now (compound:
    ``(target ÷ latest)^(1 ÷ years left) − 1``) against the best year-on-year growth so far
    (:func:`kpi.trajectory.effort_needed`). NaN where the latest value is 0 or the target year passed."""
    records = []
    annual = county_annual[county_annual["year"] <= as_of_year]
    for target in plan_targets[plan_targets["basis"].isin(["level", "cumulative"])].itertuples():
        series = annual[annual["indicator_id"] == target.indicator_id].set_index("year")["value"].sort_index()
        if series.dropna().empty:
            continue
        effort = effort_needed(series, int(target.target_year), float(target.target_value))
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
        ],
    )
    table["within_best_year"] = table["growth_needed"] <= table["best_growth_so_far"]
    return table


# ---------------------------------------------------------------- interactive charts (Plotly)
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


def _layout(figure, title: str, is_example: bool):
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


def trend_figure(rows: pd.DataFrame, indicator_name: str, growth: bool, is_example: bool, figure=None):
    """Lines per region: completion (or growth) month by month, 序时进度 dashed, 同比 dotted. Pass a
    ``go.FigureWidget`` as ``figure`` to redraw it in place."""
    import plotly.graph_objects as go

    figure = figure if figure is not None else go.FigureWidget()
    value = "actual" if growth else "completion_rate"
    scale = 1 if growth else 100
    traces = []
    for region, part in rows.groupby("region", sort=False):
        xs, ys = _break_at_years(part["period"], part[value] * scale)
        traces.append(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=region,
                hovertemplate="%{x} " + region + "：%{y:.1f}%<extra></extra>",
            )
        )
        if not growth and part["last_year"].notna().any():
            last_year = part["last_year"] / part["target"] * 100  # last year's value against this year's target
            xs, ys = _break_at_years(part["period"], last_year)
            traces.append(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line=dict(dash="dot"),
                    name=f"{region} 上年同期",
                    hovertemplate="%{x} 上年同期：%{y:.1f}%<extra></extra>",
                )
            )
    reference = rows.drop_duplicates("period")
    if growth:
        traces.append(
            go.Scatter(
                x=reference["period"],
                y=_gaps(reference["target"]),
                mode="lines",
                name="目标增幅",
                line=dict(dash="dash", color="#cf222e"),
            )
        )
    else:
        xs, ys = _break_at_years(reference["period"], reference["time_share"] * 100)
        traces.append(
            go.Scatter(
                x=xs, y=ys, mode="lines", name="序时进度", line=dict(dash="dash", color="#57606a"), line_shape="hv"
            )
        )
    with figure.batch_update():
        figure.data = []
        figure.add_traces(traces)
        _layout(
            figure,
            f"{indicator_name}：{'增幅' if growth else '完成率'}与{'目标增幅' if growth else '序时进度'}（%）",
            is_example,
        )
        figure.update_yaxes(ticksuffix="%")
        figure.update_xaxes(tickformat="%Y-%m", hoverformat="%Y-%m")
    return figure


def compare_figure(rows: pd.DataFrame, title: str, is_example: bool, figure=None):
    """One bar per region, best first, coloured by status; hover shows value, target and rank."""
    import plotly.graph_objects as go

    figure = figure if figure is not None else go.FigureWidget()
    ranks = ["—" if rank is pd.NA else str(int(rank)) for rank in rows["rank"]]
    bar = go.Bar(
        x=list(rows["region"]),
        y=_gaps(rows["shown"]),
        marker_color=list(rows["colour"]),
        name="完成率",
        customdata=[[status, rank] for status, rank in zip(rows["status"], ranks)],
        hovertemplate="%{x}：%{y:.1f}%<br>%{customdata[0]}，排名 %{customdata[1]}<extra></extra>",
    )
    with figure.batch_update():
        figure.data = []
        figure.add_trace(bar)
        _layout(figure, title, is_example)
        figure.update_yaxes(ticksuffix="%")
    return figure


def region_figure(rows: pd.DataFrame, registry: Registry, region: str, is_example: bool):
    """Small multiples: every indicator of one region through the year, against 序时 (or its target rate)."""
    from plotly.subplots import make_subplots

    names = registry.indicators.set_index("indicator_id")["name_zh"]
    kinds = registry.indicators.set_index("indicator_id")["kind"]
    ids = list(registry.indicators["indicator_id"])
    figure = make_subplots(rows=2, cols=4, subplot_titles=[names[i] for i in ids])
    for number, indicator_id in enumerate(ids):
        part = rows[rows["indicator_id"] == indicator_id]
        growth = kinds[indicator_id] == "growth"
        row, col = number // 4 + 1, number % 4 + 1
        figure.add_scatter(
            x=part["period"].str[5:],
            y=_gaps(part["actual"] if growth else part["completion_rate"] * 100),
            mode="lines+markers",
            name=names[indicator_id],
            showlegend=False,
            row=row,
            col=col,
            line=dict(color="#0969da"),
        )
        reference = part["target"] if growth else part["time_share"] * 100
        figure.add_scatter(
            x=part["period"].str[5:],
            y=_gaps(reference),
            mode="lines",
            showlegend=False,
            row=row,
            col=col,
            line=dict(dash="dash", color="#cf222e" if growth else "#57606a"),
        )
    _layout(figure, f"{region} 各指标（蓝：完成率或增幅；虚线：序时进度或目标增幅，%）", is_example)
    figure.update_layout(height=520, hovermode="closest")
    return figure


# ---------------------------------------------------------------- tables as the reader sees them
def pace_view(table: pd.DataFrame, registry: Registry):
    """:func:`pace_table` in Chinese, formatted (HTML)."""
    from kpi.formatting import reader_table

    indicators = registry.indicators.set_index("indicator_id")
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
    kinds = {c: "number" for c in ("累计完成", "全年目标", "已有月均", "今后每月需完成", "需为已有月均的倍数")}
    return reader_table(shown, {**kinds, "剩余月数": "integer"}, caption="达成全年目标所需的月均进度（本项目测算）")


def growth_view(table: pd.DataFrame):
    """:func:`growth_needed` in Chinese, formatted (HTML)."""
    from kpi.formatting import reader_table

    shown = pd.DataFrame(
        {
            "目标": table["name_zh"],
            "单位": table["unit"],
            "最新年份": table["latest_year"],
            "最新值": table["latest_value"],
            "2027年目标": table["target_value"],
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
            "2027年目标": "number",
            "剩余年数": "integer",
            "今后每年需增长": "rate",
            "历年最好增速": "rate",
        },
        caption="实现2027年目标所需的年均增速（复合增长，本项目测算）",
    )


# ---------------------------------------------------------------- what the notebook displays
def is_growth(indicator_id: str, registry: Registry) -> bool:
    return indicator_id != COMPOSITE and registry.indicator(indicator_id)["kind"] == "growth"


def corrections_log(processed: Processed) -> pd.DataFrame:
    """The collection's corrections log (``<store>/corrections.csv`` of the project file this ingest
    used), or an empty table when there is none."""
    from kpi import config as project
    from kpi.collect import read_corrections

    config_path = processed.summary.get("config")
    store = project.load(config_path).store if config_path else project.load().store
    return read_corrections(store / "corrections.csv")


def show_region(board: pd.DataFrame, registry: Registry, region: str, period: str, is_example: bool) -> None:
    """Display the small multiples of :func:`region_figure` (an interactive widget)."""
    import plotly.graph_objects as go
    from IPython.display import display

    display(go.FigureWidget(region_figure(region_year(board, region, period), registry, region, is_example)))


def show_drill_down(
    processed: Processed,
    board: pd.DataFrame,
    region: str,
    indicator_id: str,
    period: str,
    corrections: pd.DataFrame | None = None,
) -> None:
    """Display :func:`drill_down` as three reader tables (``corrections``: :func:`corrections_log`, read once
    by the caller)."""
    from IPython.display import Markdown, display

    from kpi.formatting import reader_table

    if indicator_id == COMPOSITE:
        display(Markdown("综合得分由各指标计算得出，没有单独的数据点；请选择一个指标查看溯源。"))
        return
    cell = drill_down(processed, board, region, indicator_id, period, corrections)
    points = cell["points"].rename(columns={"period": "月份", "value": "报送值", "source": "来源文件"})
    display(
        Markdown(f"**{region} · {indicator_names(processed.registry)[indicator_id]} · 截至 {period}**"),
        reader_table(points, {"报送值": "number"}, caption="数据点（年内累计）"),
    )
    if cell["corrections"].empty:
        display(Markdown("无更正记录。"))
    else:
        display(reader_table(cell["corrections"], caption="更正记录"))
    history = cell["rank_history"].rename(
        columns={"period": "月份", "actual": "实际", "completion_rate": "完成率", "status": "状态", "rank": "排名"}
    )
    display(reader_table(history, {"实际": "number", "完成率": "rate", "排名": "integer"}, caption="历月排名"))


def indicator_names(registry: Registry) -> dict[str, str]:
    """Every indicator's Chinese name by id, in annex order, and 综合得分 for the composite."""
    return dict(zip(registry.indicators["indicator_id"], registry.indicators["name_zh"])) | {COMPOSITE: "综合得分"}
