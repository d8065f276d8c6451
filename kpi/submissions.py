"""Reading a returned form (:mod:`kpi.forms`) in any accepted layout:

- the wide form (header ``区域`` + indicator columns; a ``时期`` column, a ``时期`` cell above the
  table, or a title ``2026年1月`` gives the period);
- a long table (时期/区域/指标/数值, or period/region/indicator_id/value), through ``read_progress``;
- a filled 晾晒表 in the annex layout: 进度 is completion, so the value is 进度 × 指标 (the growth
  indicator's 进度 is the growth itself), approximate to the rounding of 进度 (said in a notice).

Every value keeps its provenance: file, sheet, row and column. Pure readers: nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kpi.errors import InputError
from kpi.grids import Sheet, column_name, parsed_cell, read_sheets, text_at, values_without_region, visible_rows
from kpi.parsing import is_blank, normalize_text, parse_number, parse_period
from kpi.progress_input import read_progress
from kpi.registry import Registry

REFERENCE_MARKERS = ("参考", "上期", "上月", "备注", "说明", "来源")
REGION_HEADERS = ("区域", "地区", "乡镇(街道)", "乡镇街道", "单位", "报送单位", "region")
PERIOD_HEADERS = ("时期", "月份", "统计期", "period")


@dataclass
class Submission:
    """What one returned file holds: tidy values with their provenance, and notices for the reader."""

    path: Path
    layout: str  # wide | long | annex | annual
    values: pd.DataFrame  # period (or year), region, indicator_id, value, sheet, row, column
    notices: list[str] = field(default_factory=list)


def _indicator_of(label: object, registry: Registry) -> str | None:
    text = normalize_text(label)
    if not text or any(marker in text for marker in REFERENCE_MARKERS):
        return None
    try:
        return registry.resolve_indicator(text)
    except KeyError:
        return None


def _period_in_top(rows: list[list], header_index: int) -> str | None:
    """A period written above the table: a ``时期`` cell followed by its value, or a title ``2026年1月``."""
    for row in rows[:header_index]:
        texts = [normalize_text(v) for v in row]
        for j, text in enumerate(texts):
            if text in PERIOD_HEADERS:
                following = next((row[k] for k in range(j + 1, len(row)) if not is_blank(row[k])), None)
                if following is not None:
                    try:
                        return parse_period(following)
                    except ValueError:
                        return None
    for row in rows[:header_index]:
        for value in row:
            match = re.search(r"(20\d{2})年(\d{1,2})月", normalize_text(value))
            if match:
                return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"
    return None


def _wide_header(sheet: Sheet, registry: Registry) -> tuple[int, int, dict[int, str], int | None] | None:
    """(header row, region column, {column: indicator}, period column) of a wide table, if any."""
    for index, row in enumerate(sheet.rows[:20]):
        texts = [normalize_text(v) for v in row]
        region_column = next((j for j, t in enumerate(texts) if t in REGION_HEADERS), None)
        if region_column is None:
            continue
        if index + 1 < len(sheet.rows) and "指标" in [normalize_text(v) for v in sheet.rows[index + 1]]:
            return None  # the annex layout
        columns = {
            j: ind
            for j, value in enumerate(row)
            if j != region_column and (ind := _indicator_of(value, registry)) is not None
        }
        if columns:
            period_column = next((j for j, t in enumerate(texts) if t in PERIOD_HEADERS), None)
            return index, region_column, columns, period_column
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


def _wide_values(row: list, columns: dict[int, str], sheet: Sheet, location: dict, registry: Registry):
    """``(column, indicator_id, value)`` of each filled cell of a row; a negative year-to-date amount
    or count is an error (a growth rate may be negative)."""
    indicators = registry.by_id
    for j, indicator_id in columns.items():
        raw = row[j] if j < len(row) else None
        unit = indicators.at[indicator_id, "unit"]
        fix = "填写数值（可带单位，如 15.44亿元），无数据留空"
        value = parsed_cell(lambda text: parse_number(text, unit), raw, sheet, j, location, fix)
        if value is None:
            continue
        if indicators.at[indicator_id, "kind"] != "growth" and value < 0:
            raise InputError(
                "累计完成值不能为负 / a year-to-date amount or count cannot be negative",
                column=column_name(sheet, j),
                value=raw,
                fix="核对数值",
                **location,
            )
        yield j, indicator_id, value


WIDE_COLUMNS = ["period", "region", "indicator_id", "value", "sheet", "row", "column"]


def _read_wide(path: Path, sheet: Sheet, found, registry: Registry, period: str | None) -> pd.DataFrame:
    """The values of a wide form (one row per region, one column per indicator), each with its cell."""
    header_index, region_column, columns, period_column = found
    top_period = _period_in_top(sheet.rows, header_index) or period
    records = []
    for row_index, row in visible_rows(sheet, header_index + 1):
        cell = row[region_column] if region_column < len(row) else None
        location = dict(file=path, sheet=sheet.name, row=row_index + 1)
        if is_blank(cell):
            if all(is_blank(row[j]) for j in columns if j < len(row)):
                continue  # a blank row a clerk left between regions: the table goes on below it
            raise values_without_region(sheet, region_column, location)
        if normalize_text(cell).startswith(("注", "说明", "备注", "填表", "审核", "负责人")):
            break
        fix = "改为已知区域名称，或在 data/raw/regions.csv 的 aliases 中登记别名"
        region = parsed_cell(registry.resolve_region, cell, sheet, region_column, location, fix)
        row_period = _row_period(row, period_column, sheet, location, top_period)
        records += [
            (row_period, region, indicator_id, value, sheet.name or "", row_index + 1, column_name(sheet, j))
            for j, indicator_id, value in _wide_values(row, columns, sheet, location, registry)
        ]
    return pd.DataFrame.from_records(records, columns=WIDE_COLUMNS)


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
    from kpi.annex import annex_cells, read_annex

    targets = read_annex(path, registry, check_sums=False)
    sheets = read_sheets(path)
    period = f"{int(targets['year'].iloc[0]):04d}-{_annex_month(path, sheets):02d}"
    kinds = dict(zip(registry.indicators["indicator_id"], registry.indicators["kind"]))
    target = targets.set_index(["region", "indicator_id"])["target"]
    records = []
    for sheet, row_index, row, region, j, indicator_id, location in annex_cells(sheets, path, registry):
        shown = _progress_shown(row, j + 1, sheet, location)
        if shown is not None:
            growth = kinds[indicator_id] == "growth"
            value = shown if growth else round(shown / 100 * target[(region, indicator_id)], 6)
            records.append(
                (period, region, indicator_id, value, sheet.name or "", row_index + 1, column_name(sheet, j + 1))
            )
    notice = (
        f"{path.name}：按晾晒表读入，累计值 = 进度 × 指标，精度受进度取整影响"
        " / read from a filled 晾晒表: values are 进度 × target, as precise as 进度 was rounded"
    )
    return pd.DataFrame.from_records(records, columns=WIDE_COLUMNS), [notice]


def read_submission(path: str | Path, registry: Registry, period: str | None = None) -> Submission:
    """A returned monthly form in any accepted layout (see the module docstring)."""
    path = Path(path)
    sheets = read_sheets(path)
    for sheet in sheets:
        found = _wide_header(sheet, registry)
        if found is not None:
            return Submission(path, "wide", _read_wide(path, sheet, found, registry, period))
    for sheet in sheets:
        for index, row in enumerate(sheet.rows[:20]):
            texts = [normalize_text(v) for v in row]
            if (
                "区域" in texts
                and index + 1 < len(sheet.rows)
                and "指标" in [normalize_text(v) for v in sheet.rows[index + 1]]
            ):
                values, notices = _read_filled_annex(path, registry)
                return Submission(path, "annex", values, notices)
    tidy = read_progress(path, registry)  # the long layout; its own errors name the file and cell
    values = tidy[["period", "region", "indicator_id", "value"]].assign(sheet="", row=0, column="")
    return Submission(path, "long", values)


ANNUAL_COLUMNS = ["year", "indicator_id", "value", "note", "sheet", "row", "column"]


def _annual_header(path: Path, sheet: Sheet, year: int | None):
    """``(header_index, value_column, form_year, code_column, name_column, source_column)`` of an annual
    form's header (the row with ``YYYY年数值``), or None; a form of another year than ``year`` is an error."""
    for index, row in enumerate(sheet.rows[:20]):
        texts = [normalize_text(v) for v in row]
        value_columns = [(j, int(m[1])) for j, t in enumerate(texts) if (m := re.fullmatch(r"(20\d{2})年数值", t))]
        if not value_columns:
            continue
        value_column, form_year = value_columns[0]
        if year is not None and form_year != year:
            location = dict(file=path, sheet=sheet.name, row=index + 1, column=column_name(sheet, value_column))
            fix = f"收集 {form_year} 年的表时用 --year {form_year}"
            raise InputError.wrong_year(form_year, year, "年度报送表", fix, value=row[value_column], **location)
        code_column = texts.index("代码") if "代码" in texts else None
        name_column = next((j for j, t in enumerate(texts) if t.startswith("指标")), None)
        source_column = next((j for j, t in enumerate(texts) if t.startswith("数据来源")), None)
        return index, value_column, form_year, code_column, name_column, source_column
    return None


def _annual_rows(path: Path, sheet: Sheet, header, series: pd.DataFrame):
    """The records of an annual form below its header, each series found by its code or its name."""
    index, value_column, form_year, code_column, name_column, source_column = header
    by_name = {normalize_text(n): s for n, s in zip(series["name_zh"], series["series_id"])}
    known = set(series["series_id"])
    for row_index, cells in visible_rows(sheet, index + 1):
        code, name = text_at(cells, code_column), text_at(cells, name_column)
        if not code and not name:
            break
        series_id = code if code in known else by_name.get(name)
        location = dict(file=path, sheet=sheet.name, row=row_index + 1)
        if series_id is None:
            raise InputError(
                "未知的年度指标 / unknown annual series",
                value=code or name,
                column=column_name(sheet, code_column if code else name_column),
                fix="使用 `kpi template --year` 生成的表，不要改动代码和指标列",
                **location,
            )
        raw = cells[value_column] if value_column < len(cells) else None
        value = parsed_cell(parse_number, raw, sheet, value_column, location, "填写数值，无数据留空")
        if value is not None:
            note = text_at(cells, source_column)
            yield form_year, series_id, value, note, sheet.name or "", row_index + 1, column_name(sheet, value_column)


def read_annual_submission(path: str | Path, series: pd.DataFrame, year: int | None = None) -> Submission:
    """A returned annual form: the ``代码`` column (or the 指标 name) and the ``YYYY年数值`` column."""
    path = Path(path)
    for sheet in read_sheets(path):
        header = _annual_header(path, sheet, year)
        if header is not None:
            records = list(_annual_rows(path, sheet, header, series))
            return Submission(path, "annual", pd.DataFrame.from_records(records, columns=ANNUAL_COLUMNS))
    raise InputError(
        "不是年度报送表：找不到“YYYY年数值”列 / not an annual form",
        file=path,
        fix="用 `kpi template --year YYYY` 生成年度报送表填写",
    )
