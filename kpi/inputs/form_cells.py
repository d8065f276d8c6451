"""One value cell of a returned form, read the same way in every layout: its number in the unit its
column or row is written in, converted to the registry's unit (:mod:`kpi.core.units`), checked for what the
indicator's kind allows (no negative year-to-date amount, whole counts), and flagged where a person must
say what it is (a growth rate written as a bare fraction, 0.125: 12.5 % or 0.125 %?)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kpi.core.errors import InputError
from kpi.core.facts import KIND_RULES, MAX_VALUE, REGION_HEADINGS
from kpi.core.parsing import normalize_text, parse_number
from kpi.core.units import conversion_factor, split_unit, unit_family
from kpi.inputs.grids import Sheet, column_name, parsed_cell
from kpi.metadata.registry import Registry

#: Header words of columns that hold something other than this period's values (上期, 上年同期, 目标 …).
REFERENCE_MARKERS = ("参考", "上期", "上月", "上年", "同期", "去年", "备注", "说明", "来源", "目标", "计划", "任务")
#: The columns every layout's reader returns: the value and where it came from, what the cell held,
#: and a flag for the plausibility check (``growth_fraction``: a growth rate given as 0 < |x| < 1).
VALUE_COLUMNS = ["period", "region", "indicator_id", "value", "sheet", "row", "column", "raw", "flag"]


@dataclass
class Submission:
    """What one returned file holds: tidy values with their provenance, and notices for the reader."""

    path: Path
    layout: str  # wide | vertical | long | annex | annual
    values: pd.DataFrame  # VALUE_COLUMNS (annual: ANNUAL_COLUMNS)
    notices: list[str] = field(default_factory=list)


VALUE_FIX = "填写数值（可带单位，如 15.44亿元），无数据留空"


def column_unit(
    given: str | None,
    table_unit: str | None,
    indicator: pd.Series,
    sheet: Sheet,
    column: int,
    location: dict,
    header: Any,
) -> str | None:
    """The unit a column (or row) is written in: its own (a header's ``（万元）``, a 单位 cell), else the
    table's (``单位：万元`` above it) where that fits the indicator, else None (the registry's). A unit
    of its own that cannot convert (``%`` over a count, ``亿元`` for 家) is an error at that cell."""
    if given is not None:
        try:
            conversion_factor(given, indicator["unit"])
        except ValueError as exc:
            raise InputError(
                str(exc),
                column=column_name(sheet, column),
                value=header,
                fix=f"{indicator['name_zh']}的单位是“{indicator['unit']}”：改正表头或单位栏中的单位",
                **location,
            ) from None
        return given
    if table_unit is not None and unit_family(table_unit) == unit_family(indicator["unit"]):
        return table_unit
    return None


def cell_value(raw: Any, indicator: pd.Series, unit: str | None, sheet: Sheet, column: int, location: dict):
    """``(value in the registry's unit, flag)`` of one cell, or ``(None, "")`` for a blank (未报送)."""
    registry_unit = indicator["unit"]
    written = unit or registry_unit
    value = parsed_cell(lambda text: parse_number(text, written), raw, sheet, column, location, VALUE_FIX)
    if value is None:
        return None, ""
    value *= conversion_factor(written, registry_unit)
    where = dict(column=column_name(sheet, column), value=raw, **location)
    if abs(value) > MAX_VALUE:  # not a slip to confirm: no county has it (and two would sum to infinity)
        raise InputError(
            f"数值 {value:.3g} 超出任何指标可能的范围（上限 {MAX_VALUE:.0e} {registry_unit}）/ beyond any real value",
            fix=f"核对数值与单位（{indicator['name_zh']}的单位是{registry_unit}）",
            **where,
        )
    kind = indicator["kind"]
    refusal = kind_refusal(kind, value, indicator["name_zh"], registry_unit)
    if refusal:
        raise InputError(refusal[0], fix=refusal[1], **where)
    percent_written = unit == "%" or "%" in normalize_text(raw)
    flag = "growth_fraction" if kind == "growth" and not percent_written and 0 < abs(value) < 1 else ""
    return (round(value) if KIND_RULES[kind]["whole"] else value), flag


def kind_refusal(kind: str, value: float, name: str, unit: str) -> tuple[str, str] | None:
    """Why ``value`` cannot be a value of an indicator of ``kind`` (its minimum, a whole number:
    :data:`kpi.core.facts.KIND_RULES`), as ``(problem, fix)``; None when it can."""
    rule = KIND_RULES[kind]
    if rule["minimum"] is not None and value < rule["minimum"]:
        what = "累计完成值不能为负" if rule["year_to_date"] else f"{rule['zh']}不能小于 {rule['minimum']}"
        fix = {"rank": "填本月的位次（第几位，从 1 起）", "ratio": f"核对数值（{unit}，不为负）"}.get(kind)
        return f"{name}：{what} / a {kind} below {rule['minimum']}", fix or "核对数值；增减变化请填在增长类指标中"
    if rule["whole"] and abs(value - round(value)) > 1e-6:
        return f"{name}是{rule['zh']}，应为整数 / a {kind} is a whole number", f"填写整数（单位：{unit}）"
    return None


def value_record(
    period: str,
    region: str,
    indicator_id: str,
    value: float,
    sheet: Sheet,
    row_index: int,
    column: int,
    raw: Any,
    flag: str,
) -> tuple:
    """One row of :data:`VALUE_COLUMNS`."""
    raw_text = "" if raw is None else str(raw)
    return (
        period,
        region,
        indicator_id,
        value,
        sheet.name or "",
        row_index + 1,
        column_name(sheet, column),
        raw_text,
        flag,
    )


def indicator_of_label(label: str, registry: Registry) -> str | None:
    """The indicator a header or row label names (id, Chinese name, leading ``1.``/``（一）`` numbering
    stripped), or None."""
    text = re.sub(r"^(?:\d+[.、)]|\(\w{1,3}\)|[一二三四五六七八九十]+、)", "", normalize_text(label))
    if not text:
        return None
    try:
        return registry.resolve_indicator(text)
    except KeyError:
        return None


def header_indicator(label: object, registry: Registry) -> tuple[str, str | None] | None:
    """``(indicator_id, unit written in the header)`` of a header cell, None for any other header."""
    text = normalize_text(label)
    if not text or any(marker in text for marker in REFERENCE_MARKERS):
        return None
    name, unit = split_unit(text)
    indicator_id = indicator_of_label(name, registry)
    return None if indicator_id is None else (indicator_id, unit)


def no_layout(path: Path, sheets: list[Sheet], registry: Registry) -> InputError:
    """The refusal of a returned sheet in none of the layouts read: where a header row names indicators
    but its region column has another heading (``项目``), that row and the headings accepted; otherwise
    the layouts accepted."""
    for sheet in sheets:
        for index, row in enumerate(sheet.rows[:30]):
            named = [v for v in row if header_indicator(v, registry)]
            if named:
                return InputError(
                    f"第 {index + 1} 行像表头（有指标“{normalize_text(named[0])}”），但没有区域列：区域列的表头应为"
                    f"{'、'.join(REGION_HEADINGS[:-1])}之一 / a header row without a region column",
                    file=path,
                    sheet=sheet.name,
                    row=index + 1,
                    value=row[0],
                    fix="把区域所在列的表头改为“区域”，再收集；或改用 kpi template 生成的报送表",
                )
    return InputError(
        "认不出报送表的格式 / no known layout",
        file=path,
        fix="每个区域一行、每个指标一列（区域列表头写“区域”），或一列 指标、一列 本月累计，"
        "或 时期、区域、指标、数值 四列；最简单是用 kpi template 生成的报送表",
    )
