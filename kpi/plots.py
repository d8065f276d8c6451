"""Charts. Chinese text must render: :func:`use_cjk_font` registers Noto Sans CJK SC (OFL),
which ``scripts/setup.sh`` installs, and fails loudly when it is missing instead of drawing boxes."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager

CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei")
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/System/Library/Fonts/PingFang.ttc",
)
EXAMPLE_MARK = "示例数据 · 非官方"


def find_cjk_font() -> str | None:
    """Path of a CJK font file: ``$KPI_CJK_FONT``, a known system location, or ``None``."""
    override = os.environ.get("KPI_CJK_FONT")
    if override and Path(override).is_file():
        return override
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    conda = Path(os.environ.get("CONDA_PREFIX", "/nonexistent")) / "fonts"
    found = sorted(conda.glob("NotoSansCJK*-Regular.tt[cf]")) + sorted(conda.glob("NotoSansCJK*-Regular.otf"))
    return str(found[0]) if found else None


def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default sans-serif; return its family."""
    path = find_cjk_font()
    if path is None:
        raise RuntimeError("找不到中文字体 / no CJK font: run `make setup` (installs fonts-noto-cjk), "
                           "or set KPI_CJK_FONT=/path/to/NotoSansCJK-Regular.ttc")
    font_manager.fontManager.addfont(path)
    names = {f.name for f in font_manager.fontManager.ttflist}
    family = next((name for name in CJK_FAMILIES if name in names), None)
    if family is None:
        raise RuntimeError(f"{path} 中没有简体中文字形 / no Simplified Chinese face in {path}")
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack U+2212
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 120
    return family


def mark_example(fig: plt.Figure, is_example: bool) -> None:
    """Stamp a figure built on example data, visibly, in its corner and as a faint watermark."""
    if not is_example:
        return
    fig.text(0.995, 0.995, EXAMPLE_MARK, ha="right", va="top", fontsize=9, color="#b03030")
    fig.text(0.5, 0.5, "示例数据", ha="center", va="center", fontsize=48, color="#b03030",
             alpha=0.08, rotation=20, zorder=0)


def annex_targets_chart(annex: pd.DataFrame, indicators: pd.DataFrame, year: int) -> plt.Figure:
    """Small multiples: each indicator's target by region (全县 excluded), one bar per region."""
    data = annex[(annex["year"] == year) & (annex["region"] != "全县")]
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.5), constrained_layout=True)
    for ax, (_, indicator) in zip(axes.flat, indicators.iterrows()):
        part = data[data["indicator_id"] == indicator["indicator_id"]]
        ax.barh(part["region"], part["target"], color="#3b6ea8")
        ax.invert_yaxis()
        ax.set_title(f"{indicator['name_zh']}（{indicator['unit']}）", fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(indicators):]:
        ax.axis("off")
    fig.suptitle(f"{year}年各区域晾晒表指标（目标值）", fontsize=13)
    mark_example(fig, bool(data["is_example"].any()))
    return fig


# ---------------------------------------------------------------- the leaderboard
STATUS_COLORS = {"超序时": "#c6efce", "达标": "#c6efce", "基本序时": "#ffeb9c", "滞后": "#ffc7ce",
                 "未达标": "#ffc7ce", "未报送": "#d9d9d9"}


def leaderboard_table(board: pd.DataFrame, registry, period: str):
    """The 晾晒表 of ``period`` as a styled table: 指标 / 进度 / 排名 per indicator, traffic lights."""
    from kpi.layout import format_target
    from kpi.progress import COMPOSITE, published_progress

    part = board[board["period"] == period].copy()
    part["进度"] = published_progress(part, registry)
    names = {**registry.indicators.set_index("indicator_id")["name_zh"].to_dict(), COMPOSITE: "综合"}
    units = registry.indicators.set_index("indicator_id")["unit"].to_dict()
    text = pd.DataFrame(index=registry.region_names)
    css = pd.DataFrame(index=registry.region_names)
    for indicator_id in [*registry.indicators["indicator_id"], COMPOSITE]:
        rows = part[part["indicator_id"] == indicator_id].set_index("region").reindex(registry.region_names)
        name = names[indicator_id]
        colour = rows["status"].map(lambda s: f"background-color: {STATUS_COLORS.get(s, '')}")
        if indicator_id == COMPOSITE:
            text[(name, "得分")] = rows["completion_rate"].map(lambda v: "未报送" if pd.isna(v) else f"{v:.1%}")
            css[(name, "得分")] = colour
        else:
            text[(name, "指标")] = [format_target(v, c, units[indicator_id]) for v, c in zip(rows["target"], rows["comparator"])]
            text[(name, "进度")] = [("未报送" if pd.isna(v) else f"{v:.1f}%") for v in rows["进度"]]
            css[(name, "指标")] = ""
            css[(name, "进度")] = colour
        text[(name, "排名")] = rows["rank"].map(lambda v: "" if pd.isna(v) else str(int(v)))
        css[(name, "排名")] = colour
    text.columns = pd.MultiIndex.from_tuples(text.columns)
    css.columns = text.columns
    return text.style.apply(lambda _: css, axis=None).set_caption(f"晾晒表 · {period}")


def completion_heatmap(board: pd.DataFrame, registry, period: str) -> plt.Figure:
    """Completion rate by region × indicator for ``period`` (growth indicators: actual ÷ target)."""
    import seaborn as sns

    from kpi.progress import COMPOSITE

    part = board[(board["period"] == period)]
    names = {**registry.indicators.set_index("indicator_id")["name_zh"].to_dict(), COMPOSITE: "综合"}
    wide = (part.pivot(index="region", columns="indicator_id", values="completion_rate")
            .reindex(index=registry.region_names, columns=[*registry.indicators["indicator_id"], COMPOSITE])
            .rename(columns=names))
    fig, ax = plt.subplots(figsize=(12, 5.2), constrained_layout=True)
    sns.heatmap(wide, annot=wide.map(lambda v: "未报送" if pd.isna(v) else f"{v:.0%}"), fmt="", cmap="RdYlGn",
                vmin=0, vmax=1.5, center=float(part["time_share"].dropna().mean()), linewidths=0.5,
                cbar_kws={"label": "完成率", "format": matplotlib.ticker.PercentFormatter(1.0)}, ax=ax)
    ax.set_facecolor(STATUS_COLORS["未报送"])  # seaborn leaves NaN cells blank: show them grey, labelled
    for row_number, column_number in zip(*np.nonzero(wide.isna().to_numpy())):
        ax.text(column_number + 0.5, row_number + 0.5, "未报送", ha="center", va="center", fontsize=9, color="#555555")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(f"{period} 各区域指标完成率（颜色以序时进度为中点）")
    ax.tick_params(axis="x", labelrotation=20, labelsize=9)
    mark_example(fig, bool(part["is_example"].any()))
    return fig


def rank_bump_chart(board: pd.DataFrame, registry, year: int, indicator_id: str = "composite") -> plt.Figure:
    """Each region's rank month by month through ``year`` (a bump chart); gaps where 未报送."""
    part = board[(board["period"].str[:4] == str(year)) & (board["indicator_id"] == indicator_id)
                 & (board["region"] != "全县")]
    wide = part.pivot(index="period", columns="region", values="rank").astype(float)
    months = [int(p[5:]) for p in wide.index]
    fig, ax = plt.subplots(figsize=(11, 5), constrained_layout=True)
    palette = plt.get_cmap("tab10")
    for number, region in enumerate(r for r in registry.region_names if r in wide.columns):
        ranks = wide[region]
        ax.plot(months, ranks, marker="o", lw=2, color=palette(number), label=region)
        last = ranks.last_valid_index()
        if last is not None:
            ax.annotate(region, (int(last[5:]), ranks[last]), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize=9, color=palette(number))
    n_regions = len(wide.columns)
    ax.set_ylim(n_regions + 0.5, 0.5)
    ax.set_yticks(range(1, n_regions + 1))
    ax.set_xticks(range(1, 13))
    ax.set_xticklabels([f"{m}月" for m in range(1, 13)])
    ax.set_xlim(0.7, 13.3)
    name = "综合" if indicator_id == "composite" else registry.indicator(indicator_id)["name_zh"]
    ax.set_title(f"{year}年各区域{name}排名逐月变化")
    ax.set_ylabel("排名")
    ax.grid(axis="y", alpha=0.3)
    mark_example(fig, bool(part["is_example"].any()))
    return fig
