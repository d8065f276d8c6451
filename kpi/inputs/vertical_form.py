"""A one-region vertical sheet, the layout a township most often makes by itself: one indicator per
row, a value column (本月累计, 累计值, 1-3月累计, 完成值 …), optional 单位 and 备注 columns, and the region
and period in the lines above the table, its title, its sheet name or its file name
(:mod:`kpi.inputs.form_context`). A column of this month's own figures alone (本月数) is refused: the
project keeps year-to-date values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpi.core.errors import InputError
from kpi.core.parsing import is_blank, normalize_text
from kpi.core.units import split_unit
from kpi.inputs.form_cells import (
    REFERENCE_MARKERS,
    VALUE_COLUMNS,
    cell_value,
    column_unit,
    indicator_of_label,
    value_record,
)
from kpi.inputs.form_context import form_region, is_furniture_row, rows_above, sheet_period, table_unit
from kpi.inputs.grids import Sheet, column_name, parsed_cell, text_at, visible_rows
from kpi.metadata.registry import Registry

LABEL_HEADERS = ("指标", "指标名称", "项目", "名称", "指标项目", "考核指标")
VALUE_HEADERS = ("完成值", "完成数", "数值", "完成情况", "实际完成", "完成", "实绩", "value")
UNIT_HEADERS = ("单位", "计量单位")
LONG_HEADERS = ("区域", "地区", "乡镇(街道)", "乡镇街道", "region", "时期", "period")


def _value_columns(texts: list[str]) -> list[int]:
    """The columns that may hold year-to-date values in a vertical header (本月累计, 累计值, 1-3月累计,
    完成值 …); more than one is an error for the caller to raise."""
    candidates = []
    for j, text in enumerate(texts):
        label = split_unit(text)[0]
        if any(marker in label for marker in REFERENCE_MARKERS):
            continue
        if "累计" in label or label in VALUE_HEADERS:
            candidates.append(j)
    return candidates


def vertical_header(sheet: Sheet, path: Path) -> tuple[int, int, list[int], int | None] | None:
    """``(header row, label column, value columns, unit column)`` of a vertical table, if any."""
    for index, row in enumerate(sheet.rows[:30]):
        texts = [normalize_text(v) for v in row]
        label_column = next((j for j, t in enumerate(texts) if split_unit(t)[0] in LABEL_HEADERS), None)
        if label_column is None or any(t in LONG_HEADERS for t in texts):
            continue  # no indicator column, or a long table (a row per region and period)
        values = [j for j in _value_columns(texts) if j != label_column]
        unit_column = next((j for j, t in enumerate(texts) if t in UNIT_HEADERS), None)
        if values:
            return index, label_column, values, unit_column
        if any("本月" in t or "当月" in t for t in texts):
            raise InputError(
                "表中只有本月数，没有累计数 / the sheet has this month's figures but no year-to-date column",
                file=path,
                sheet=sheet.name,
                row=index + 1,
                fix="报送1月至本月的累计值（列名如“本月累计”或“累计值”）",
            )
    return None


def _one_value_column(path: Path, sheet: Sheet, header_index: int, value_columns: list[int]) -> int:
    """The value column; two candidates (本月累计 and 累计完成) are refused, both named."""
    if len(value_columns) > 1:
        names = "、".join(f"“{normalize_text(sheet.rows[header_index][j])}”" for j in value_columns)
        raise InputError(
            f"有多列可能是累计值：{names} / more than one column could hold the values",
            file=path,
            sheet=sheet.name,
            row=header_index + 1,
            fix="只保留一列累计值（其余列名中注明“参考”或删去）",
        )
    return value_columns[0]


def _row_indicator(label, raw, sheet: Sheet, label_column: int, location: dict, registry: Registry) -> str | None:
    """The indicator a row names; None for a section heading without a value (一、科技投入). A value
    without a name, or under a name the registry does not know, is an error at its cell."""
    if is_blank(label):
        if is_blank(raw):
            return None
        raise InputError(
            "有数值但没有指标名称 / a value without its indicator",
            column=column_name(sheet, label_column),
            fix="填写指标名称",
            **location,
        )
    indicator_id = indicator_of_label(split_unit(normalize_text(label))[0], registry)
    if indicator_id is None and not is_blank(raw):
        name = split_unit(normalize_text(label))[0]
        parsed_cell(registry.resolve_indicator, name, sheet, label_column, location, registry.indicator_fix(name))
    return indicator_id


def read_vertical(path: Path, sheet: Sheet, found, registry: Registry, period: str | None) -> pd.DataFrame:
    """A one-region sheet: one indicator per row, the region and period named around the table; each
    row's unit from its 单位 cell, else its label (``新增发明专利（件）``), the value column's header or a
    ``单位：万元`` line above."""
    header_index, label_column, value_columns, unit_column = found
    value_column = _one_value_column(path, sheet, header_index, value_columns)
    above = rows_above(sheet, header_index)
    region = form_region(above, sheet.name, path, registry)
    form_month = sheet_period(sheet, header_index, path, period)
    if form_month is None:
        raise InputError(
            "表中找不到时期 / no period in the form",
            fix="在标题中写明“2026年3月”，或在命令中给出 --period",
            file=path,
            sheet=sheet.name,
            row=header_index + 1,
        )
    header_unit = split_unit(normalize_text(sheet.rows[header_index][value_column]))[1]
    above_unit = table_unit(above)
    records = []
    for row_index, row in visible_rows(sheet, header_index + 1):
        location = dict(file=path, sheet=sheet.name, row=row_index + 1)
        label, raw = text_at(row, label_column), (row[value_column] if value_column < len(row) else None)
        if is_furniture_row(row) and indicator_of_label(label, registry) is None:
            break
        indicator_id = _row_indicator(label, raw, sheet, label_column, location, registry)
        if indicator_id is None:
            continue
        unit_cell = text_at(row, unit_column)
        own_unit = unit_cell or split_unit(label)[1] or header_unit
        indicator = registry.indicator(indicator_id)
        where = unit_column if unit_cell else label_column
        unit = column_unit(own_unit or None, above_unit, indicator, sheet, where, location, own_unit)
        value, flag = cell_value(raw, indicator, unit, sheet, value_column, location)
        if value is not None:
            records.append(
                value_record(form_month, region, indicator_id, value, sheet, row_index, value_column, raw, flag)
            )
    return pd.DataFrame.from_records(records, columns=VALUE_COLUMNS)
