"""Charts of the trajectories toward the plan's targets (notebook 03 and the quarterly report): each target's observed
series against its required path, coloured by verdict, and the additions of the new-since-2023
targets; drawn with the shared CJK font and fixed margins of :mod:`kpi.outputs.plots`."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd

from kpi.core import formatting as fmt
from kpi.metrics.plan_progress import trajectory_table
from kpi.metrics.trajectory import series_label
from kpi.outputs.plots import fixed_margins, mark_example

VERDICT_COLORS = {
    "target_achieved": "#1a7f37",
    "on_track": "#2da44e",
    "acceleration_needed": "#d4a72c",
    "limited_progress": "#e16f24",
    "deterioration": "#cf222e",
    "insufficient_data": "#8c959f",
    "not_yet_achieved": "#8c959f",
}


def _trajectory_panel(ax, target: pd.Series, table: pd.DataFrame, verdicts: pd.DataFrame, province) -> None:
    """One target's panel: actual, the required compound (dashed) and linear (dotted) paths, the
    projection range, the plan's target, and the province's figures where the plan compares with them."""
    verdict = verdicts.loc[target["indicator_id"]]
    ax.plot(table["year"], table["required_compound"], "--", color="#57606a", lw=1.2, label="要求路径（复合）")
    ax.plot(table["year"], table["required_linear"], ":", color="#57606a", lw=1.2, label="要求路径（线性）")
    projected = (table["projected_compound"], table["projected_linear"])
    ax.fill_between(table["year"], *projected, color="#54aeff", alpha=0.25, label="预测区间")
    ax.plot(table["year"], table["actual"], "o-", color="#0969da", lw=2, label="实际")
    end = (table["year"].iloc[-1], table["required_compound"].iloc[-1])
    ax.plot(*end, "*", ms=13, color="#cf222e", label=f"{int(target['target_year'])}目标")
    if province is not None:  # the plan's second condition: above the provincial average
        figures = province[province["indicator_id"] == target["indicator_id"]]
        if not figures.empty:
            ax.plot(figures["year"], figures["value"], "s--", color="#8250df", ms=5, lw=1, label="全省（对照）")
    growth = target["basis"] == "annual_growth"  # drawn on its level series, in that series' unit
    series_name, series_unit = series_label(target)
    title = f"{series_name}（年均+{fmt.stated_number(target['target_value'], '%')}%）" if growth else target["name_zh"]
    colour = VERDICT_COLORS.get(verdict["verdict"], "black")
    ax.set_title(f"{title}\n{verdict['verdict_zh']}（比率 {verdict['ratio']:.2f}）", fontsize=10, y=1.0, color=colour)
    ax.set_ylabel(series_unit, fontsize=9)
    ax.set_xticks(table["year"])
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)


def trajectory_charts(
    plan_targets: pd.DataFrame,
    county_annual: pd.DataFrame,
    assessments: pd.DataFrame,
    as_of_year: int,
    province: pd.DataFrame | None = None,
) -> plt.Figure:
    """Small multiples for the level, cumulative and annual-growth targets that have data: actual,
    the required compound (dashed) and linear (dotted) paths, and the projection range to the target year."""

    verdicts = assessments.set_index("indicator_id")
    chosen = plan_targets[
        plan_targets["basis"].isin(["level", "cumulative", "annual_growth"])
        & plan_targets["indicator_id"].isin(verdicts.index[verdicts["verdict"] != "insufficient_data"])
    ]
    if chosen.empty:
        return _no_data_figure(
            "水平类、存量类和年均增长类目标尚无年度数据（用 kpi template --year 与 kpi collect --year 录入）"
        )
    columns = 3
    rows = max(1, math.ceil(len(chosen) / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(14, 3.6 * rows), squeeze=False)
    spare_axes = rows * columns - len(chosen)
    fixed_margins(fig, top_inches=1.0, bottom_inches=0.6 if spare_axes else 1.0, wspace=0.22, hspace=0.55)
    for ax, (_, target) in zip(axes.flat, chosen.iterrows()):
        _trajectory_panel(ax, target, trajectory_table(target, county_annual, as_of_year), verdicts, province)
    spare = list(axes.flat)[len(chosen) :]
    for ax in spare:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if spare:
        spare[0].legend(handles, labels, loc="center", fontsize=10, frameon=False)
    else:
        fig.legend(
            handles,
            labels,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.28 / fig.get_figheight()),
            ncol=6,
            fontsize=9,
            frameon=False,
        )
    fig.suptitle(f"迈向{int(chosen['target_year'].max())}：实际值、要求路径与预测（截至{as_of_year}年）", fontsize=13)
    mark_example(fig, bool(chosen["indicator_id"].map(verdicts["is_example"]).any()))
    return fig


def _no_data_figure(message: str) -> plt.Figure:
    """A small figure that says why there is no chart, instead of empty axes."""
    fig, ax = plt.subplots(figsize=(10, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color="#57606a")
    return fig


def additions_chart(assessments: pd.DataFrame) -> plt.Figure:
    """New-since-base targets: cumulative completion against the linear path (years elapsed / 5)."""
    rows = assessments[(assessments["basis"] == "new_since_base") & (assessments["verdict"] != "insufficient_data")]
    if rows.empty:
        return _no_data_figure("新增类目标尚无年度数据（用 kpi template --year 与 kpi collect --year 录入）")
    fig, ax = plt.subplots(figsize=(10, 0.7 * len(rows) + 1.5), constrained_layout=True)
    labels = [
        f"{n}（{fmt.target(v, c, u)}）"
        for n, v, c, u in zip(*(rows[k] for k in ("name_zh", "target_value", "comparator", "unit")))
    ]
    ax.barh(labels, rows["completion"], color=[VERDICT_COLORS[v] for v in rows["verdict"]])
    for y, (share, completion, cumulative, unit) in enumerate(
        zip(rows["expected_share"], rows["completion"], rows["latest_value"], rows["unit"])
    ):
        ax.plot([share, share], [y - 0.4, y + 0.4], color="black", lw=2)
        label = f"{fmt.rate(completion)}（累计 {fmt.quantity(cumulative, unit)}）"
        ax.text(max(completion, share) + 0.015, y, label, va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    span = f"{int(rows['base_year'].min()) + 1}—{int(rows['target_year'].max())}"
    ax.set_title(f"{span} 新增类目标：累计完成率（黑线 = 按年均匀推进应达到的比例）")
    mark_example(fig, bool(rows["is_example"].any()))
    return fig
