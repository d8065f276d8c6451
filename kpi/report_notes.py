"""The closing notes of what is published: the rules an output applied (this project's conventions and
any declared pacing) and a report's 数据说明 (what is official, example or assumed in each input, the
checks passed, the files read, when and by what code)."""

from __future__ import annotations

import html

import pandas as pd

from kpi import EXAMPLE_LABEL
from kpi import formatting as fmt
from kpi.registry import Registry


def conventions(rules, registry: Registry) -> list[str]:
    """The rules an output applied, and every declared pacing with its reason and source."""
    lines = [
        f"填表口径为本项目约定，方案未作规定：基本序时 = 低于序时不超过 {rules.near_tolerance_points:g} 个百分点；"
        + rules.describe(registry.indicators["kind"])
    ]
    lines += [
        f"{r.name_zh}的序时进度按声明的月度节奏计算：{r.pacing_reason}（来源：{r.pacing_source}）"
        for r in registry.paced.itertuples()
    ]
    return lines


def data_notes(
    inputs: pd.DataFrame,
    is_example: bool,
    checks_passed: list[str],
    made_at: str,
    code_version: str,
    rules_applied: list[str] = (),
    provenance: pd.DataFrame | None = None,
) -> str:
    """The closing section: what is official, example or an assumption in each input (generated
    from ``data/raw/provenance.csv``, the table of data/raw/README.md), the example flag, the rules
    applied, checks passed, the input files with their hashes, and when and by what code."""
    lines = ["**数据说明**", ""]
    if provenance is not None:
        lines += [
            f"- `{html.escape(r.file)}`（{html.escape(r.columns)}）：**{html.escape(r.nature)}**。{html.escape(r.source)}"
            for r in provenance.itertuples()
        ]
    if is_example:
        lines.append(
            f"- <span style='color:#c00000'><b>进度数据为{html.escape(EXAMPLE_LABEL)}</b></span>："
            "区域进度数据不公开，本报告用固定种子生成器（kpi/example_data.py）生成的数据演示，不代表官方数字。"
        )
    lines += [f"- {line}" for line in rules_applied]
    lines += [
        f"- 已通过的校验：{'；'.join(checks_passed)}。",
        "- 输入文件（sha256 前16位）："
        + "；".join(
            f"`{html.escape(r.file)}` {r.sha256[:16]}" + ("（示例）" if r.is_example else "")
            for r in inputs.itertuples()
        )
        + "。",
        f"- 生成时间：{fmt.chinese_time(made_at) + '（北京时间）' if made_at else '未记录（交互运行）'}；"
        f"代码版本：{code_version or '未记录'}。",
    ]
    return "\n".join(lines)
