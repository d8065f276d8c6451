"""Reading a returned form (:mod:`kpi.outputs.forms`) in any layout an office makes:

- the wide form (header ``区域`` + indicator columns, a unit in a header or in a 单位 row under it);
- a one-region vertical sheet (indicator per row, a value column such as 本月累计 / 累计值 / 完成值,
  optional 单位 and 备注 columns), its region and period in the lines above it, its title, its sheet
  name or its file name (:mod:`kpi.inputs.form_context`);
- a long table (时期/区域/指标/数值, or period/region/indicator_id/value), through ``read_progress``;
- a filled 晾晒表 in the annex layout: 进度 is completion, so the value is 进度 × 指标 (the growth
  indicator's 进度 is the growth itself), approximate to the rounding of 进度 (said in a notice).

Lines above and below a table (填报人, 联系电话, 填报日期, 注 …) are furniture, never data or the
period. Every value keeps its provenance: file, sheet, row, column and the cell as written; values are
converted to the registry's units (:mod:`kpi.inputs.form_cells`). Pure readers: nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kpi.core.errors import InputError
from kpi.core.facts import POINT_IN_TIME, REGION_HEADINGS
from kpi.core.parsing import is_blank, normalize_text, parse_number, parse_period
from kpi.core.units import is_unit, split_unit
from kpi.inputs.annex import annex_cells, read_annex
from kpi.inputs.form_cells import (
    REFERENCE_MARKERS,
    VALUE_COLUMNS,
    Submission,
    cell_value,
    column_unit,
    header_indicator,
    no_layout,
    value_record,
)
from kpi.inputs.form_context import is_furniture_row, rows_above, sheet_period, table_unit
from kpi.inputs.grids import (
    Sheet,
    cell_at,
    column_name,
    parsed_cell,
    read_sheets,
    text_at,
    values_without_region,
    visible_rows,
)
from kpi.inputs.progress_input import read_progress
from kpi.inputs.raw_table import PROGRESS_HEADERS
from kpi.inputs.vertical_form import read_vertical, vertical_header
from kpi.metadata.registry import Registry

PERIOD_HEADERS = ("时期", "月份", "统计期", "period")
#: a long table's headers (:data:`kpi.inputs.raw_table.PROGRESS_HEADERS`, and an optional 单位 column)
LONG_FIELDS = {
    **{field: {normalize_text(n).lower() for n in names} for field, names in PROGRESS_HEADERS.items()},
    "unit": {"单位", "计量单位", "unit"},
}


@dataclass
class WideHeader:
    """Where a wide table is: its header row, region column, indicator columns (with the unit each is
    written in) and period column, and the first data row (after a 单位 row, if there is one)."""

    index: int
    region_column: int
    columns: dict[int, tuple[str, str | None]]
    period_column: int | None
    first_row: int
    unknown: dict[int, str | None] = field(default_factory=dict)  # other columns: the indicator each may mean


def _unit_row(sheet: Sheet, header: WideHeader) -> dict[int, str] | None:
    """A 单位 row under the header (``万元 | 家 | %`` under the indicators), as {column: unit}."""
    if header.index + 1 >= len(sheet.rows):
        return None
    row = sheet.rows[header.index + 1]
    cells = {j: normalize_text(row[j]) for j in header.columns if j < len(row) and not is_blank(row[j])}
    region_cell = text_at(row, header.region_column)
    if cells and region_cell in ("", "单位", "计量单位") and all(is_unit(t) for t in cells.values()):
        return cells
    return None


def _wide_header(sheet: Sheet, registry: Registry) -> WideHeader | None:
    """The wide table of a sheet, if it has one (a header row with 区域 and indicator columns)."""
    for index, row in enumerate(sheet.rows[:30]):
        texts = [normalize_text(v) for v in row]
        region_column = next((j for j, t in enumerate(texts) if split_unit(t)[0] in REGION_HEADINGS), None)
        if region_column is None:
            continue
        if index + 1 < len(sheet.rows) and "指标" in [normalize_text(v) for v in sheet.rows[index + 1]]:
            return None  # the annex layout
        columns = {
            j: found
            for j, value in enumerate(row)
            if j != region_column and (found := header_indicator(value, registry)) is not None
        }
        period_column = next((j for j, t in enumerate(texts) if t in PERIOD_HEADERS), None)
        unknown = {
            j: registry.suggest_indicator(split_unit(t)[0])
            for j, t in enumerate(texts)
            if t
            and j not in columns
            and j not in (region_column, period_column)
            and not any(marker in t for marker in REFERENCE_MARKERS)
        }
        if columns or any(unknown.values()):
            header = WideHeader(index, region_column, columns, period_column, index + 1, unknown)
            units = _unit_row(sheet, header)
            if units:
                header.columns = {j: (i, units.get(j, u)) for j, (i, u) in columns.items()}
                header.first_row = index + 2
            return header
    return None


def _row_period(row: list, period_column: int | None, sheet: Sheet, location: dict, default: str | None) -> str:
    """The row's own 时期 when it has one, else the form's (above the table, or ``--period``)."""
    row_period = default
    if period_column is not None and period_column < len(row) and not is_blank(row[period_column]):
        row_period = parsed_cell(
            parse_period, row[period_column], sheet, period_column, location, "写成 YYYY-MM，例如 2026-01"
        )
    if row_period is None:
        raise InputError(
            "表中找不到时期 / no period in the form",
            fix="在表头上方写“时期 2026-01”，或加一列“时期”，或在命令中给出 --period",
            **location,
        )
    return row_period


def _read_wide(path: Path, sheet: Sheet, header: WideHeader, registry: Registry, period: str | None):
    """The values of a wide form (one row per region, one column per indicator), each with its cell,
    and notices of the filled columns that were not read."""
    top_period = sheet_period(sheet, header.index, path, period)
    above_unit = table_unit(rows_above(sheet, header.index))
    header_location = dict(file=path, sheet=sheet.name, row=header.index + 1)
    units = {
        j: column_unit(
            unit, above_unit, registry.indicator(indicator_id), sheet, j, header_location, sheet.rows[header.index][j]
        )
        for j, (indicator_id, unit) in header.columns.items()
    }
    region_column = header.region_column
    records, filled = [], set()
    for row_index, row in visible_rows(sheet, header.first_row):
        cell = row[region_column] if region_column < len(row) else None
        location = dict(file=path, sheet=sheet.name, row=row_index + 1)
        if is_furniture_row(row):
            break  # 填报人, 联系电话, 注 …: the table has ended
        if is_blank(cell):
            if all(is_blank(row[j]) for j in header.columns if j < len(row)):
                continue  # a blank row a clerk left between regions: the table goes on below it
            raise values_without_region(sheet, region_column, location)
        region = parsed_cell(registry.resolve_region, cell, sheet, region_column, location, registry.region_fix(cell))
        row_period = _row_period(row, header.period_column, sheet, location, top_period)
        for j, (indicator_id, _) in header.columns.items():
            raw = row[j] if j < len(row) else None
            value, flag = cell_value(raw, registry.indicator(indicator_id), units[j], sheet, j, location)
            if value is not None:
                records.append(value_record(row_period, region, indicator_id, value, sheet, row_index, j, raw, flag))
        filled |= {j for j in header.unknown if not is_blank(cell_at(row, j))}
    notices = _unknown_columns(path, sheet, header, filled, registry)
    return pd.DataFrame.from_records(records, columns=VALUE_COLUMNS), notices


def _unknown_columns(path: Path, sheet: Sheet, header: WideHeader, filled: set[int], registry: Registry) -> list[str]:
    """Filled columns whose header names no registered indicator: refused when it looks like one
    (``研发费用`` for 规上工业企业研发费用: an alias makes it so), otherwise listed as not read."""
    notices = []
    for j in sorted(filled):
        text = normalize_text(sheet.rows[header.index][j])
        suggestion = header.unknown[j]
        if suggestion is None:
            notices.append(f"{path.name}：未读取列“{text}”（不是登记的指标）/ a column that is no indicator, not read")
            continue
        name = registry.by_id.at[suggestion, "name_zh"]
        raise InputError(
            f"未识别的指标列“{text}”，可能是“{name}” / a column the registry does not know",
            file=path,
            sheet=sheet.name,
            row=header.index + 1,
            column=column_name(sheet, j),
            value=text,
            fix=registry.indicator_fix(split_unit(text)[0]),
        )
    return notices


# ---------------------------------------------------------------- a long table, cell by cell
def _long_header(sheet: Sheet) -> tuple[int, dict[str, int | None]] | None:
    """``(header row, {field: column})`` of a long table (时期, 区域, 指标, 数值; an optional 单位 column)."""
    for index, row in enumerate(sheet.rows[:30]):
        labels = [split_unit(normalize_text(v))[0].lower() for v in row]
        columns: dict[str, int | None] = {
            field: next((j for j, label in enumerate(labels) if label in names), None)
            for field, names in LONG_FIELDS.items()
        }
        if all(columns[f] is not None for f in ("period", "region", "indicator_id", "value")):
            return index, columns
    return None


def _read_long(path: Path, sheet: Sheet, found, registry: Registry) -> pd.DataFrame:
    """A long table read cell by cell (a form-sized file): each value with its row and column, in the
    unit its 单位 cell, its indicator's name (``新增发明专利（件）``) or the 数值 header gives."""
    header_index, columns = found
    value_column, unit_column = columns["value"], columns["unit"]
    header_unit = split_unit(normalize_text(sheet.rows[header_index][value_column]))[1]
    above_unit = table_unit(rows_above(sheet, header_index))
    records = []
    for row_index, row in visible_rows(sheet, header_index + 1):
        location = dict(file=path, sheet=sheet.name, row=row_index + 1)
        if is_furniture_row(row):
            break
        raw = cell_at(row, value_column)
        cells = {field: cell_at(row, j) for field, j in columns.items() if j is not None}
        if all(is_blank(cells[f]) for f in ("region", "indicator_id", "value")):
            continue
        period = parsed_cell(parse_period, cells["period"], sheet, columns["period"], location, "写成 YYYY-MM")
        region_cell = cells["region"]
        fix = registry.region_fix(region_cell)
        region = parsed_cell(registry.resolve_region, region_cell, sheet, columns["region"], location, fix)
        name, name_unit = split_unit(normalize_text(cells["indicator_id"]))
        fix = registry.indicator_fix(name)
        indicator_id = parsed_cell(registry.resolve_indicator, name, sheet, columns["indicator_id"], location, fix)
        indicator = registry.indicator(indicator_id)
        own = text_at(row, unit_column) or name_unit or header_unit
        where = unit_column if text_at(row, unit_column) else columns["indicator_id"]
        unit = column_unit(own or None, above_unit, indicator, sheet, where, location, own)
        value, flag = cell_value(raw, indicator, unit, sheet, value_column, location)
        if value is not None:
            records.append(value_record(period, region, indicator_id, value, sheet, row_index, value_column, raw, flag))
    return pd.DataFrame.from_records(records, columns=VALUE_COLUMNS)


def _annex_month(path: Path, sheets: list[Sheet]) -> int:
    """The month of a filled 晾晒表, from its title (``截至2026年1月``)."""
    month = None
    for sheet in sheets:
        for row in sheet.rows[:3]:
            for value in row:
                match = re.search(r"截至(20\d{2})年(\d{1,2})月", normalize_text(value))
                if match:
                    month = int(match.group(2))
    if month is None:
        raise InputError(
            "晾晒表标题中找不到月份（应含“截至2026年1月”）/ no month in the 晾晒表's title",
            file=path,
            fix="在标题中写明“截至YYYY年M月”，或改用月度报送表（kpi template）",
        )
    return month


def _progress_shown(row: list, column: int, sheet: Sheet, location: dict) -> float | None:
    """进度 as printed in a filled 晾晒表 (a percent), or None for 未报送 or a blank."""
    raw = row[column] if column < len(row) else None
    if is_blank(raw) or normalize_text(raw) == "未报送":
        return None
    return parsed_cell(lambda text: parse_number(text, "%"), raw, sheet, column, location, "进度填百分比数值")


def _read_filled_annex(path: Path, registry: Registry) -> tuple[pd.DataFrame, list[str]]:
    """Values from a filled 晾晒表: 进度 × 指标 (growth: 进度 itself)."""

    targets = read_annex(path, registry, check_sums=False)
    sheets = read_sheets(path)
    period = f"{int(targets['year'].iloc[0]):04d}-{_annex_month(path, sheets):02d}"
    kinds = dict(zip(registry.indicators["indicator_id"], registry.indicators["kind"]))
    target = targets.set_index(["region", "indicator_id"])["target"]
    records = []
    for sheet, row_index, row, region, j, indicator_id, _, location in annex_cells(sheets, path, registry):
        shown = _progress_shown(row, j + 1, sheet, location)
        if shown is not None:
            level = kinds[indicator_id] in POINT_IN_TIME  # 进度 is the value itself
            value = shown if level else round(shown / 100 * target[(region, indicator_id)], 6)
            raw = row[j + 1]
            records.append(value_record(period, region, indicator_id, value, sheet, row_index, j + 1, raw, ""))
    notice = (
        f"{path.name}：按晾晒表读入，累计值 = 进度 × 指标，精度受进度取整影响"
        " / read from a filled 晾晒表: values are 进度 × target, as precise as 进度 was rounded"
    )
    return pd.DataFrame.from_records(records, columns=VALUE_COLUMNS), [notice]


def _layout(path: Path, sheets: list[Sheet], registry: Registry, period: str | None) -> Submission:
    for sheet in sheets:
        found = _wide_header(sheet, registry)
        if found is not None:
            return Submission(path, "wide", *_read_wide(path, sheet, found, registry, period))
    for sheet in sheets:
        for index, row in enumerate(sheet.rows[:30]):
            texts = [normalize_text(v) for v in row]
            if (
                "区域" in texts
                and index + 1 < len(sheet.rows)
                and "指标" in [normalize_text(v) for v in sheet.rows[index + 1]]
            ):
                values, notices = _read_filled_annex(path, registry)
                return Submission(path, "annex", values, notices)
    for sheet in sheets:
        found = _long_header(sheet)
        if found is not None:
            return Submission(path, "long", _read_long(path, sheet, found, registry))
    parts = [
        read_vertical(path, sheet, found, registry, period)
        for sheet in sheets
        if (found := vertical_header(sheet, path)) is not None
    ]
    if parts:
        return Submission(path, "vertical", pd.concat(parts, ignore_index=True))
    if path.suffix.lower() != ".parquet":  # a sheet of no layout this reads: say what it lacks
        raise no_layout(path, sheets, registry)
    tidy = read_progress(path, registry)  # a long table without a header row of its own (Parquet)
    values = tidy[["period", "region", "indicator_id", "value"]].assign(sheet="", row=0, column="", raw="", flag="")
    return Submission(path, "long", values[VALUE_COLUMNS])


def read_submission(path: str | Path, registry: Registry, period: str | None = None) -> Submission:
    """A returned monthly form in any accepted layout (see the module docstring). One cell given twice
    in one form (two rows for a region, two columns for an indicator) is refused, naming both."""
    path = Path(path)
    submission = _layout(path, read_sheets(path), registry, period)
    values = submission.values
    twice = values[values.duplicated(["period", "region", "indicator_id"], keep=False)]
    if not twice.empty:
        first, second = twice.iloc[0], twice.iloc[1]
        raise InputError(
            f"同一格填了两次：{first['region']} {first['indicator_id']} {first['period']}，"
            f"第 {first['row']} 行 {first['column']} 与第 {second['row']} 行 {second['column']}"
            " / one value given twice in one form",
            file=path,
            sheet=first["sheet"] or None,
            row=int(second["row"]) or None,
            value=[first["raw"], second["raw"]],
            fix="删去重复的行或列，只保留正确的一个",
        )
    return submission
