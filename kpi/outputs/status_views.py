"""The 晾晒表's statuses shown to a reader in a notebook: the table itself (a Styler: 指标 / 进度 / 排名 per
indicator, each cell marked and coloured by status) and the heatmap of the same statuses. Colours, marks
and the legend are the ones every other output uses (:data:`kpi.core.facts.STATUS_COLOURS`, ``STATUS_MARKS``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.facts import COMPOSITE, MISSING, STATUS_COLOURS, STATUS_LEGEND, STATUS_MARKS, STATUSES
from kpi.metrics.leaderboard import published_progress
from kpi.outputs.plots import mark_example

#: every cell of the table: one line, centred, a thin grid
CELL_STYLE = "white-space: nowrap; padding: 1px 3px; border: 1px solid #d0d7de; text-align: center"


def _table_styles(indicators: int) -> list[dict]:
    """The table's CSS: the annex's 7 indicators at 12 px fit A4 landscape; more are set smaller, never cut."""
    size = 12 if indicators <= 7 else 9
    return [
        {"selector": "", "props": f"border-collapse: collapse; font-size: {size}px"},
        {"selector": "th, td", "props": CELL_STYLE},
        {"selector": "caption", "props": "caption-side: top; font-weight: bold"},
        # an indicator's name may wrap over its three columns, so the names do not widen the table
        {"selector": "thead tr:first-child th", "props": "white-space: normal"},
    ]


def leaderboard_table(board: pd.DataFrame, registry, period: str, highlight: str | None = None):
    """The 晾晒表 of ``period`` as a styled table: 指标 / 进度 / 排名 per indicator, traffic lights;
    the ``highlight`` region's row in bold."""

    part = board[board["period"] == period].copy()
    part["进度"] = published_progress(part, registry)
    names = {**registry.by_id["name_zh"].to_dict(), COMPOSITE: "综合"}
    units, kinds = registry.by_id["unit"].to_dict(), registry.by_id["kind"].to_dict()
    text = pd.DataFrame(index=registry.region_names)
    css = pd.DataFrame(index=registry.region_names)
    for indicator_id in [*registry.indicators["indicator_id"], COMPOSITE]:
        rows = part[part["indicator_id"] == indicator_id].set_index("region").reindex(registry.region_names)
        name = names[indicator_id]
        colour = rows["status"].map(lambda s: f"background-color: #{STATUS_COLOURS[s]}" if s in STATUS_COLOURS else "")
        marks = rows["status"].astype(str).map(STATUS_MARKS).fillna("")
        if indicator_id == COMPOSITE:
            text[(name, "得分")] = [
                "未报送" if pd.isna(v) else f"{m}{v:.1%}" for v, m in zip(rows["completion_rate"], marks)
            ]
            css[(name, "得分")] = colour
        else:
            wording = rows["target_text"].fillna("") if "target_text" in rows else [""] * len(rows)
            text[(name, "指标")] = [
                fmt.annex_target(v, c, units[indicator_id], w)
                for v, c, w in zip(rows["target"], rows["comparator"], wording)
            ]
            kind, unit = kinds[indicator_id], units[indicator_id]
            text[(name, "进度")] = [
                "未报送" if pd.isna(v) else f"{m}{fmt.progress(v, kind, unit)}" for v, m in zip(rows["进度"], marks)
            ]
            css[(name, "指标")] = ""
            css[(name, "进度")] = colour
        text[(name, "排名")] = rows["rank"].map(lambda v: "" if pd.isna(v) else str(int(v)))
        css[(name, "排名")] = colour
    text.columns = pd.MultiIndex.from_tuples(text.columns)
    text.index.name = "区域"
    css.columns = text.columns
    if highlight in css.index:
        css.loc[highlight] = (
            css.loc[highlight] + "; font-weight: bold; border-top: 2px solid #333; border-bottom: 2px solid #333"
        )
    return (
        text.style.apply(lambda _: css, axis=None)
        .format(escape="html")
        .format_index(escape="html", axis=0)
        .format_index(escape="html", axis=1)
        .set_table_styles(_table_styles(len(registry.indicators)))
        .set_uuid("board")
        .set_table_attributes("class='board'")
        .set_caption(f"晾晒表 · {period}（{STATUS_LEGEND}）")
    )


def completion_heatmap(board: pd.DataFrame, registry, period: str) -> plt.Figure:
    """Completion by region × indicator for ``period``, coloured and marked by the 晾晒表's statuses
    (the same four colours and marks as the table beside it, one decimal). A point-in-time indicator's
    cells show its value (增12.5%, 2.85%, 第25位), never a completion rate."""
    import seaborn as sns
    from matplotlib.colors import ListedColormap

    part = board[(board["period"] == period)].assign(shown=lambda b: published_progress(b, registry))
    names = {**registry.by_id["name_zh"].to_dict(), COMPOSITE: "综合"}
    columns = [*registry.indicators["indicator_id"], COMPOSITE]
    kinds = {**registry.by_id["kind"].to_dict(), COMPOSITE: ""}
    units = {**registry.by_id["unit"].to_dict(), COMPOSITE: ""}

    def wide(values: pd.Series) -> pd.DataFrame:
        table = part.assign(cell=values).pivot(index="region", columns="indicator_id", values="cell")
        return table.reindex(index=registry.region_names, columns=columns)

    status = wide(part["status"].astype(str))
    value = wide(part["shown"].where(part["indicator_id"] != COMPOSITE, part["completion_rate"] * 100))
    labels = pd.DataFrame(
        {
            c: [
                "未报送"
                if s == MISSING or pd.isna(v)
                else f"{STATUS_MARKS.get(s, '')} {_cell_label(v, kinds[c], units[c])}"
                for s, v in zip(status[c], value[c])
            ]
            for c in columns
        },
        index=registry.region_names,
    )
    codes = status.map(lambda s: STATUSES.index(s) if s in STATUSES else STATUSES.index(MISSING))
    palette = ListedColormap(["#" + STATUS_COLOURS[s] for s in STATUSES])
    fig, ax = plt.subplots(figsize=(12, 5.4), constrained_layout=True)
    sns.heatmap(
        codes.rename(columns=names).astype(float),
        annot=labels.rename(columns=names).to_numpy(),
        fmt="",
        cmap=palette,
        vmin=-0.5,
        vmax=len(STATUSES) - 0.5,
        cbar=False,
        linewidths=0.5,
        linecolor="#999999",
        annot_kws={"fontsize": 8.5, "color": "#111111"},
        ax=ax,
    )
    ax.set_xlabel(STATUS_LEGEND, fontsize=9)
    ax.set_ylabel("")
    ax.set_title(f"{period} 各区域指标完成率与状态（颜色与标记同晾晒表；增长、比率、位次类标注实际值）")
    ax.tick_params(axis="x", labelrotation=20, labelsize=9)
    mark_example(fig, bool(part["is_example"].any()))
    return fig


def _cell_label(value: float, kind: str, unit: str) -> str:
    """A heatmap cell as the table writes it: a completion with one decimal, a growth 增12.5%, a ratio or
    a rank as :func:`kpi.core.formatting.progress` writes them."""
    return ("增" if kind == "growth" else "") + fmt.progress(value, kind, unit)
