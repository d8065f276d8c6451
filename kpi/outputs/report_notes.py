"""The closing notes of what is published: the rules an output applied (this project's conventions and
any declared pacing); a report's 数据说明 in two lines; and the quarter's appendix page (数据说明.html):
what is official, example or assumed in each input, the rules in full, the checks passed, the files read
with their hashes, when and by what code."""

from __future__ import annotations

import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.facts import EXAMPLE_LABEL
from kpi.metadata.registry import Registry

#: the appendix's file, beside the quarter's reports (written by ``kpi report``)
APPENDIX_FILE = "数据说明.html"


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


def checks_passed(sum_checks: pd.DataFrame, year: int, total_name: str, validated: dict[str, str]) -> list[str]:
    """The checks the year's inputs passed, as the notes list them: the annex's sums, and the schemas the
    processed tables passed as the ingest recorded them (``validated``: schema by file; none recorded,
    none claimed)."""
    checks = sum_checks[sum_checks["year"] == year]
    lines = [f"晾晒表{total_name}=各区域合计 {int(checks['ok'].sum())}/{len(checks)} 项"]
    if validated:
        lines.append(f"{len(validated)} 张处理后表格通过结构校验（pandera）：" + "、".join(validated.values()))
    return lines


def data_summary(is_example: bool, registry: Registry, made_at: str, code_version: str) -> str:
    """A report's 数据说明 in two lines: what its progress figures are, and which rules are this project's
    (the appendix, :data:`APPENDIX_FILE`, holds the sources, the rules in full, checks, files and hashes)."""
    figures = (
        f"进度数据为<b>{EXAMPLE_LABEL}</b>：区域进度数据不公开，本报告的进度数字由固定种子生成器生成，不是官方数字。"
        if is_example
        else "进度数据为各区域报送的数字，经校验后入库。"
    )
    paced = "、分批节奏" if len(registry.paced) else ""
    made = f"，生成于{fmt.chinese_time(made_at)}（{code_version}）" if made_at else ""
    rules = (
        f"基本序时、综合得分{paced}为本项目填表口径，方案未作规定；"
        f"各项数据的来源与性质、口径全文、校验与输入文件见同目录的《数据说明》（{APPENDIX_FILE}）{made}。"
    )
    return f"1. {figures}\n2. {rules}"


def appendix_context(
    inputs: pd.DataFrame,
    provenance: pd.DataFrame,
    rules_applied: list[str],
    checks: list[str],
    is_example: bool,
    made_at: str,
    code_version: str,
) -> dict:
    """What the appendix page shows (``data_notes.html.j2``): each input's nature and source, the example
    flag, the rules applied, the checks passed, the files read with their sha256 (first 16), when and by
    what code."""
    return {
        "is_example": is_example,
        "example_label": EXAMPLE_LABEL,
        "provenance": provenance[["file", "columns", "nature", "source"]].to_dict(orient="records"),
        "rules": rules_applied,
        "checks": checks,
        "inputs": [
            {"file": r.file, "sha256": r.sha256[:16], "is_example": bool(r.is_example)} for r in inputs.itertuples()
        ],
        "made_at": fmt.chinese_time(made_at) + "（北京时间）" if made_at else "未记录",
        "code_version": code_version or "未记录",
    }
