"""The official annex layout (附件晾晒表): tidy rows ⇄ the blocks people circulate.

Block 1 holds the three economic indicators, block 2 the four count indicators, as in the seed:
``序号 | 区域 | <indicator (unit)> 指标 进度 排名 | …``. The title row names the year.
"""

from __future__ import annotations

import pandas as pd

from kpi.registry import Registry

ANNEX_TITLE = "{year}年缙云县“139”科技创新体系建设争先创优晾晒表"
SUB_COLUMNS = ("指标", "进度", "排名")


def format_target(value: float, comparator: str, unit: str) -> str:
    """``(15, ">=")`` → ``15以上``; amounts keep two decimals as printed in the annex."""
    text = f"{value:.2f}" if unit in ("亿元", "万元") else f"{value:g}"
    suffix = {">=": "以上", "<=": "以下"}.get(comparator, "")
    prefix = {">": "超过", "<": "低于"}.get(comparator, "")
    return f"{prefix}{text}{suffix}"


def indicator_header(indicator: pd.Series) -> str:
    return f"{indicator['name_zh']}（{indicator['unit']}）"


def annex_blocks(registry: Registry) -> list[pd.DataFrame]:
    """The indicators of each block, in annex order."""
    table = registry.indicators
    return [group for _, group in table.groupby("annex_block", sort=True)]


def to_layout_rows(targets: pd.DataFrame, registry: Registry, title: str) -> list[list[object]]:
    """Rows of the official layout, targets filled and 进度/排名 left empty (a CSV-ready grid)."""
    pivot = targets.assign(text=[format_target(v, c, registry.indicator(i)["unit"]) for v, c, i in
                                 zip(targets["target"], targets["comparator"], targets["indicator_id"])])
    text = pivot.pivot(index="region", columns="indicator_id", values="text")
    width = 2 + 3 * max(len(b) for b in annex_blocks(registry))
    rows: list[list[object]] = [[title] + [""] * (width - 1)]
    for number, block in enumerate(annex_blocks(registry)):
        if number:
            rows.append([""] * width)
        header: list[object] = ["序号", "区域"]
        sub: list[object] = ["", ""]
        for _, indicator in block.iterrows():
            header += [indicator_header(indicator), "", ""]
            sub += list(SUB_COLUMNS)
        rows.append(header + [""] * (width - len(header)))
        rows.append(sub + [""] * (width - len(sub)))
        for order, region in zip(registry.regions["annex_order"], registry.regions["region"]):
            row: list[object] = [order, region]
            for indicator_id in block["indicator_id"]:
                row += [text.loc[region, indicator_id], "", ""]
            rows.append(row + [""] * (width - len(row)))
    return rows
