"""Charts. Chinese text must render: :func:`use_cjk_font` registers Noto Sans CJK SC (OFL),
which ``scripts/setup.sh`` installs, and fails loudly when it is missing instead of drawing boxes."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
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
    fig.text(0.99, 0.005, EXAMPLE_MARK, ha="right", va="bottom", fontsize=9, color="#b03030")
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
