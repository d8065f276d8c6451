"""Reading the county's annual series (``year, indicator_id, name_zh, unit, value, is_example,
source``): the figures behind the plan's 2027 targets, one row per year and series."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from kpi import schemas
from kpi.errors import InputError
from kpi.grids import check_file, decode_text
from kpi.parsing import is_example_text, parse_numbers


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
    return schemas.validate(frame, schemas.COUNTY_ANNUAL, file=path)
