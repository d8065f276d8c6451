"""Reading the county's annual series (``year, indicator_id, name_zh, unit, value, is_example,
source``): the figures behind the plan's 2027 targets, one row per year and series; and the annual form
(``kpi template --year``) as a county office returns it (``read_annual_submission``)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from kpi.core.errors import InputError
from kpi.core.parsing import is_example_text, normalize_text, parse_number, parse_numbers
from kpi.core.text import MARKED_FORMULA
from kpi.core.units import conversion_factor, split_unit
from kpi.inputs.form_cells import Submission
from kpi.inputs.grids import (
    Sheet,
    check_file,
    column_name,
    decode_text,
    parsed_cell,
    read_sheets,
    text_at,
    visible_rows,
)
from kpi.metadata import schemas


def read_county_annual(path: str | Path) -> pd.DataFrame:
    """County-level annual values for the plan's indicators (``year, indicator_id, … value``)."""
    path = Path(path)
    check_file(path)
    text = decode_text(path.read_bytes(), path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"CSV 格式错误 / malformed CSV: {exc}", file=path, fix="每行列数应与表头一致") from None
    missing = {"year", "indicator_id", "name_zh", "unit", "value", "is_example", "source"} - set(frame.columns)
    if missing:
        raise InputError(
            f"缺少列 {sorted(missing)} / missing columns", file=path, row=1, fix="按 data/raw/README.md 补齐列"
        )
    years = pd.to_numeric(frame["year"], errors="coerce")
    if years.isna().any():
        row = int(years.isna().to_numpy().nonzero()[0][0])
        raise InputError(
            "年份不是整数 / year is not a whole number",
            file=path,
            row=row + 2,
            column="year",
            value=frame["year"].iloc[row],
            fix="填写四位年份，例如 2025",
        )
    frame["year"] = years.astype(int)

    def on_error(label, raw, exc):
        raise InputError(str(exc), file=path, row=int(label) + 2, column="value", value=raw, fix="填写数值") from None

    frame["value"] = parse_numbers(frame["value"], "", on_error)
    frame["is_example"] = frame["is_example"].map(is_example_text).astype(bool)
    frame["source"] = frame["source"].str.replace(MARKED_FORMULA, "", regex=True)  # as an export marks it
    return schemas.validate(frame, schemas.COUNTY_ANNUAL, file=path)


ANNUAL_COLUMNS = ["year", "indicator_id", "value", "note", "sheet", "row", "column"]


def _annual_header(path: Path, sheet: Sheet, year: int | None):
    """``(header_index, value_column, form_year, code_column, name_column, source_column)`` of an annual
    form's header (the row with ``YYYY年数值``), or None; a form of another year than ``year`` is an error."""
    for index, row in enumerate(sheet.rows[:20]):
        texts = [normalize_text(v) for v in row]
        labels = [split_unit(t) for t in texts]
        value_columns = [
            (j, int(m[1])) for j, (label, _) in enumerate(labels) if (m := re.fullmatch(r"(20\d{2})年数值", label))
        ]
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
        unit_column = texts.index("单位") if "单位" in texts else None
        units = (unit_column, labels[value_column][1])  # a 单位 column; a unit in the value's header
        return index, value_column, form_year, code_column, name_column, source_column, units
    return None


def _annual_rows(path: Path, sheet: Sheet, header, series: pd.DataFrame):
    """The records of an annual form below its header, each series found by its code or its name."""
    index, value_column, form_year, code_column, name_column, source_column, (unit_column, header_unit) = header
    by_name = {normalize_text(n): s for n, s in zip(series["name_zh"], series["series_id"])}
    unit_of = dict(zip(series["series_id"], series["unit"]))
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
        written = text_at(cells, unit_column) or header_unit or unit_of[series_id]
        fix = f"该指标的单位是“{unit_of[series_id]}”：改正单位栏，或按该单位填写"
        factor = parsed_cell(
            lambda u: conversion_factor(u, unit_of[series_id]),
            written,
            sheet,
            unit_column if text_at(cells, unit_column) else value_column,
            location,
            fix,
        )
        value = parsed_cell(
            lambda t: parse_number(t, written), raw, sheet, value_column, location, "填写数值，无数据留空"
        )
        if value is not None:
            value *= factor
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
