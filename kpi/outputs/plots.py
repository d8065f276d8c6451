"""Charts. Chinese text must render: :func:`use_cjk_font` registers Noto Sans CJK SC (OFL),
which ``scripts/setup.sh`` installs, and fails loudly when it is missing instead of drawing boxes."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd
from matplotlib import font_manager

from kpi.core.facts import (
    EXAMPLE_MARK,
    LEVEL_MEASURES,
)

CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "WenQuanYi Zen Hei")
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/System/Library/Fonts/PingFang.ttc",
)


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
        raise RuntimeError(
            "找不到中文字体 / no CJK font: run `make setup` (installs fonts-noto-cjk), "
            "or set KPI_CJK_FONT=/path/to/NotoSansCJK-Regular.ttc"
        )
    font_manager.fontManager.addfont(path)
    names = {f.name for f in font_manager.fontManager.ttflist}
    family = next((name for name in CJK_FAMILIES if name in names), None)
    if family is None:
        raise RuntimeError(f"{path} 中没有简体中文字形 / no Simplified Chinese face in {path}")
    # a missing glyph is an error, not a box: a report with boxes must not be circulated
    warnings.filterwarnings("error", message=r"Glyph .* missing from font", category=UserWarning)
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack U+2212
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 120
    return family


def fixed_margins(
    fig: plt.Figure,
    top_inches: float,
    bottom_inches: float,
    wspace: float,
    hspace: float,
    left_inches: float = 0.75,
    right_inches: float = 0.2,
) -> None:
    """Place a figure's panels with fixed margins (in inches, for the suptitle above and the tick labels,
    legend and example mark below) instead of a layout engine: the report charts are drawn once, not
    measured and redrawn (about 40 % less time per chart, ``benchmarks/``). Titles in such charts are set
    with ``y=1.0``: a title left to place itself measures every tick label first."""
    width, height = fig.get_size_inches()
    fig.subplots_adjust(
        left=left_inches / width,
        right=1 - right_inches / width,
        top=1 - top_inches / height,
        bottom=bottom_inches / height,
        wspace=wspace,
        hspace=hspace,
    )


def show(fig: plt.Figure) -> None:
    """Display a chart in the notebook as a PNG drawn once at the figure's own size (no
    ``bbox_inches="tight"``, which draws it twice), then release it."""
    import io

    from IPython.display import Image, display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    display(Image(data=buffer.getvalue(), format="png"))


def mark_example(fig: plt.Figure, is_example: bool) -> None:
    """Stamp a figure built on example data, visibly, in its corner and as a faint watermark."""
    if not is_example:
        return
    fig.supxlabel(EXAMPLE_MARK, x=0.995, ha="right", fontsize=9, color="#b03030")  # space kept by the layout
    fig.text(
        0.5, 0.5, "示例数据", ha="center", va="center", fontsize=48, color="#b03030", alpha=0.08, rotation=20, zorder=0
    )


def annex_targets_chart(annex: pd.DataFrame, registry, year: int) -> plt.Figure:
    """Small multiples: each indicator's target by region (the total row excluded), one bar per region."""
    indicators = registry.indicators
    data = annex[(annex["year"] == year) & (annex["region"] != registry.total_name)]
    rows = max(1, -(-len(indicators) // 4))
    fig, axes = plt.subplots(rows, 4, figsize=(14, 3.25 * rows), constrained_layout=True, squeeze=False)
    for ax, (_, indicator) in zip(axes.flat, indicators.iterrows()):
        part = data[data["indicator_id"] == indicator["indicator_id"]]
        ax.barh(part["region"], part["target"], color="#3b6ea8")
        ax.invert_yaxis()
        ax.set_title(f"{indicator['name_zh']}（{indicator['unit']}）", fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(indicators) :]:
        ax.axis("off")
    fig.suptitle(f"{year}年各区域晾晒表指标（目标值）", fontsize=13)
    mark_example(fig, bool(data["is_example"].any()))
    return fig


# ---------------------------------------------------------------- the leaderboard


def rank_bump_chart(board: pd.DataFrame, registry, year: int, indicator_id: str = "composite") -> plt.Figure:
    """Each region's rank month by month through ``year`` (a bump chart); gaps where 未报送."""
    part = board[
        (board["period"].str[:4] == str(year))
        & (board["indicator_id"] == indicator_id)
        & (board["region"] != registry.total_name)
    ]
    wide = part.pivot(index="period", columns="region", values="rank").astype(float)
    months = [int(p[5:]) for p in wide.index]
    fig, ax = plt.subplots(figsize=(11, 5), constrained_layout=True)
    palette = plt.get_cmap("tab10")
    for number, region in enumerate(r for r in registry.region_names if r in wide.columns):
        ranks = wide[region]
        ax.plot(months, ranks, marker="o", lw=2, color=palette(number), label=region)
        last = ranks.last_valid_index()
        if last is not None:
            ax.annotate(
                region,
                (int(last[5:]), ranks[last]),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=9,
                color=palette(number),
            )
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


# ---------------------------------------------------------------- trajectories toward 2027


#: a step line of a single month draws nothing: it is drawn as a dash at that month instead
ONE_MONTH = {"marker": "_", "markersize": 14}


def region_progress_chart(board: pd.DataFrame, registry, region: str, period: str) -> plt.Figure:
    """A region's completion month by month through the year against 序时进度, one panel per indicator."""
    year = period[:4]
    part = board[(board["region"] == region) & (board["period"].str[:4] == year) & (board["period"] <= period)]
    indicators = registry.indicators
    panels = max(1, -(-(len(indicators) + 1) // 4))  # one more panel for the legend
    level_words = "、".join(LEVEL_MEASURES[k][0] for k in dict.fromkeys(indicators["kind"]) if k in LEVEL_MEASURES)
    actual_label = f"完成率（{level_words}：实际值）" if level_words else "完成率"
    fig, axes = plt.subplots(panels, 4, figsize=(14, 2.35 * panels), sharex=True, squeeze=False)
    fixed_margins(fig, top_inches=0.75, bottom_inches=0.65, wspace=0.32, hspace=0.3)
    for ax, (_, indicator) in zip(axes.flat, indicators.iterrows()):
        rows = part[part["indicator_id"] == indicator["indicator_id"]]
        months = rows["period"].astype(str).str[5:7].astype(int)
        reference = ONE_MONTH if len(months) == 1 else {}
        if indicator["kind"] in LEVEL_MEASURES:  # the value itself against its target (kpi.explore.data)
            measure, target_name = LEVEL_MEASURES[indicator["kind"]]
            ax.plot(months, rows["actual"], "o-", color="#0969da", lw=2, label=actual_label)
            ax.step(
                months, rows["target"], where="mid", color="#cf222e", ls="--", lw=1.2, label=target_name, **reference
            )
            if indicator["unit"] == "%":
                ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(100))
            if indicator["kind"] == "rank":  # the best on top
                ax.invert_yaxis()
            ax.set_title(f"{indicator['name_zh']}（{measure}）", fontsize=10, y=1.0)
        else:
            ax.plot(months, rows["completion_rate"], "o-", color="#0969da", lw=2, label=actual_label)
            ax.step(
                months, rows["time_share"], where="mid", color="#57606a", ls="--", lw=1.2, label="序时进度", **reference
            )
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
            ax.set_title(indicator["name_zh"], fontsize=10, y=1.0)
        ax.set_xticks(range(1, 13, 2))
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(indicators) :]:
        ax.axis("off")
    legend = {}
    for ax in axes.flat:  # each line once: completion, 序时进度, and the growth target
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    axes.flat[-1].legend(list(legend.values()), list(legend), loc="center", frameon=False)
    fig.suptitle(f"{region} {year}年各指标完成率与序时进度（截至{int(period[5:7])}月）", fontsize=13)
    mark_example(fig, bool(part["is_example"].any()))
    return fig
