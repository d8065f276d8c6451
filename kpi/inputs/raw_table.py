"""A long table read as columns, fast: pyarrow for CSV and Parquet (text dictionary-encoded, each
distinct text parsed once), openpyxl through :mod:`kpi.inputs.grids` for workbooks, pandas for a CSV the fast
reader refuses. Where each record sits in the file is kept, for error messages."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa

from kpi.core.errors import InputError
from kpi.core.parsing import normalize_text
from kpi.inputs.grids import MAX_BULK_COLUMNS, check_file, decode_text, read_sheets, scan_csv
from kpi.metadata import fields

#: the headers a progress table's columns may have (English or Chinese), from the field table
PROGRESS_HEADERS = fields.header_names("progress")


_PLAIN_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"


@dataclass
class RawTable:
    """The input's columns (pyarrow arrays, or pandas Series for workbooks and odd CSVs) by
    normalised header, and where each record sits in the file: row = ``positions[i] + first_row``."""

    columns: dict[str, Any]
    n_rows: int
    sheet: str | None
    header_row: int  # 1-based row of the header
    positions: np.ndarray | None = None  # record → 0-based position after the header (hidden rows skipped)
    path: Path = field(default_factory=Path)

    def row(self, record: int) -> int:
        """The 1-based row in the file of record ``record`` (hidden rows counted), for error messages."""
        position = int(self.positions[record]) if self.positions is not None else int(record)
        return position + self.header_row + 1

    def location(self, record: int, column: str) -> dict:
        """Where a record's cell is, as :class:`kpi.core.errors.InputError` takes it: file, sheet, row, column."""
        return dict(file=self.path, sheet=self.sheet, row=self.row(record), column=column)


def _header_names() -> set[str]:
    return {normalize_text(name).lower() for names in PROGRESS_HEADERS.values() for name in names}


def _is_header(row: list[Any], wanted: set[str]) -> bool:
    return sum(normalize_text(v).lower() in wanted for v in row) >= 3


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    check_file(path)
    try:
        names = pq.read_schema(path).names
        table = pq.read_table(path, read_dictionary=[n for n in names if n.lower() != "value"])
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(
            f"不是有效的 Parquet 文件 / not a valid Parquet file ({type(exc).__name__})",
            file=path,
            fix="重新导出该文件",
        ) from None
    table = table.drop_columns([n for n in table.column_names if n.startswith("__index_level_")])
    for name, column in zip(table.column_names, table.columns):
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
            raise InputError(
                f"列 {name} 是二进制数据，不是文本或数值 / a binary column ({kind})",
                file=path,
                column=name,
                fix="导出时把该列存为文本（string）或数值",
            )
    return RawTable(
        {normalize_text(n): table.column(i) for i, n in enumerate(table.column_names)},
        table.num_rows,
        None,
        1,
        path=path,
    )


def _csv_head(path: Path) -> tuple[list[list[str]], str]:
    """The first rows of a CSV (to find the header) and the file's encoding."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    complete = head if len(head) < 1 << 16 else head[: head.rfind(b"\n") + 1] or head
    try:
        text, encoding = complete.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = decode_text(complete, path), "gb18030"
    return list(csv.reader(io.StringIO(text, newline="")))[:20], encoding


def _read_csv_arrow(path: Path, header_index: int, header: list[str], encoding: str) -> RawTable | None:
    """The CSV through pyarrow, text columns dictionary-encoded; ``None`` when the file has
    something only pandas' reader accepts (a short row, a quoted line break, a bad byte)."""
    import pyarrow.csv as pacsv

    names = [normalize_text(n) for n in header]
    if len(set(header)) != len(header):
        return None
    text_like = {normalize_text(n).lower() for key in TEXT_COLUMNS for n in PROGRESS_HEADERS[key]}
    types = {
        raw: pa.dictionary(pa.int32(), pa.string()) if name.lower() in text_like else pa.string()
        for raw, name in zip(header, names)
    }
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=header_index, encoding=encoding, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if table.column_names != header:
        return None
    return RawTable(dict(zip(names, table.columns)), table.num_rows, None, header_index + 1, path=path)


def _read_csv_pandas(path: Path, header_index: int) -> RawTable:
    text = decode_text(path.read_bytes(), path)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            skiprows=header_index,
            header=0,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise InputError(
            f"CSV 格式错误：某行的列数多于表头 / malformed CSV ({str(exc)[:120]})",
            file=path,
            row=int(line[1]) + header_index if line else None,
            fix="检查该行是否多了逗号或引号未闭合",
        ) from None
    return RawTable(
        {normalize_text(c): frame[c].astype(object) for c in frame.columns},
        len(frame),
        None,
        header_index + 1,
        path=path,
    )


def _read_workbook(path: Path, wanted: set[str]) -> RawTable | None:
    for sheet in read_sheets(path):
        for index, row in enumerate(sheet.rows[:20]):
            if _is_header(row, wanted):
                width = len(row)
                kept = [i for i in range(index + 1, len(sheet.rows)) if i not in sheet.hidden_rows]
                body = [list(sheet.rows[i][:width]) + [None] * (width - len(sheet.rows[i])) for i in kept]
                frame = pd.DataFrame(body, columns=range(width), dtype=object)
                columns = {normalize_text(v): frame[j] for j, v in enumerate(row)}
                return RawTable(
                    columns, len(frame), sheet.name, index + 1, np.asarray(kept, dtype=np.int64) - index - 1, path=path
                )
    return None


def read_raw_table(path: str | Path) -> RawTable:
    """The file as columns under its header row (found among the first 20 rows): Parquet and CSV
    through pyarrow, workbooks through openpyxl (visible sheets; hidden rows skipped)."""
    path = Path(path)
    wanted = _header_names()
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix in (".csv", ".txt"):
        check_file(path)
        scan_csv(path)
        head, encoding = _csv_head(path)
        index = next((i for i, row in enumerate(head) if _is_header(row, wanted)), None)
        if index is not None and len(head[index]) > MAX_BULK_COLUMNS:
            raise InputError(
                f"表头有 {len(head[index]):,} 列，超过上限 {MAX_BULK_COLUMNS} / more columns than the limit",
                file=path,
                row=index + 1,
                fix="进度表只需 时期、区域、指标、数值 等几列；删去多余的列后另存",
            )
        if index is not None:
            return _read_csv_arrow(path, index, head[index], encoding) or _read_csv_pandas(path, index)
    table = _read_workbook(path, wanted) if suffix not in (".csv", ".txt") else None
    if table is None:
        raise InputError(
            "找不到表头：需要 时期/区域/指标/数值 (period/region/indicator_id/value) 列",
            file=path,
            fix="第一行写列名：period,region,indicator_id,value（或 时期,区域,指标,数值）",
        )
    return table


def distinct(column: Any) -> tuple[np.ndarray, list]:
    """``(codes, uniques)``: each record's position in the list of distinct cell values (a null is
    one more distinct value, ``None``). Dictionary-encoded in Arrow, or factorised in pandas."""
    if isinstance(column, pd.Series):
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        return codes.astype(np.int64), list(uniques)
    encoded = column if pa.types.is_dictionary(column.type) else column.dictionary_encode()
    encoded = encoded.unify_dictionaries() if isinstance(encoded, pa.ChunkedArray) else encoded
    chunks = encoded.chunks if isinstance(encoded, pa.ChunkedArray) else [encoded]
    uniques = chunks[0].dictionary.to_pylist() if chunks else []
    indices = [
        c.indices.to_numpy(zero_copy_only=False)
        if c.null_count == 0
        else c.indices.fill_null(len(uniques)).to_numpy(zero_copy_only=False)
        for c in chunks
    ]
    codes = np.concatenate(indices).astype(np.int64) if indices else np.zeros(0, np.int64)
    if encoded.null_count:
        uniques.append(None)
    return codes, uniques


def parse_distinct(
    codes: np.ndarray,
    uniques: list,
    parse: Callable[[Any], Any],
    rows: np.ndarray,
    fail: Callable[[int, Any, Exception], None],
) -> list:
    """``parse`` applied to each distinct value used by ``rows`` (record indexes); ``fail(record,
    raw, exc)`` is called for the first record holding a value ``parse`` refuses, and must raise."""
    used = np.zeros(len(uniques) + 1, dtype=bool)
    used[codes[rows]] = True
    parsed: list = [None] * len(uniques)
    for code in np.flatnonzero(used[: len(uniques)]):
        try:
            parsed[code] = parse(uniques[code])
        except (ValueError, KeyError) as exc:
            first = rows[np.flatnonzero(codes[rows] == code)[0]]
            fail(int(first), uniques[code], ValueError(exc.args[0]) if isinstance(exc, KeyError) else exc)
            raise
    return parsed


@dataclass
class Values:
    """The value column read as numbers: ``number`` (NaN where not a plain number), ``messy`` (the
    records whose text needs :func:`parse_number`), and that text."""

    number: np.ndarray
    messy: np.ndarray  # record indexes
    messy_text: list


def plain_numbers(column: Any) -> Values:
    """Numbers in one vectorised pass: numeric columns as they are, texts that are plain decimals by
    one cast; every other text (units, full-width digits, —, thousands separators) is left for
    :func:`parse_number`. Nulls are blanks."""
    if isinstance(column, pd.Series):
        number = pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        messy = np.flatnonzero(np.isnan(number) & column.notna().to_numpy() | ~np.isfinite(number) & ~np.isnan(number))
        return Values(np.where(np.isinf(number), np.nan, number), messy, column.iloc[messy].tolist())
    import pyarrow.compute as pc

    array = column  # chunked as read: a combined copy of a 1 GB text column is what this avoids
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type) or pa.types.is_decimal(array.type):
        number = array.cast(pa.float64()).to_numpy(zero_copy_only=False)
        bad = np.flatnonzero(np.isinf(number))
        return Values(np.where(np.isinf(number), np.nan, number), bad, [float(number[i]) for i in bad])
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        series = pd.Series(array.to_pandas(), dtype=object)
        return plain_numbers(series)
    plain = pc.match_substring_regex(array, _PLAIN_NUMBER).fill_null(False)
    number = pc.cast(pc.if_else(plain, array, pa.scalar(None, array.type)), pa.float64()).to_numpy(zero_copy_only=False)
    messy_mask = ~plain.to_numpy(zero_copy_only=False) & ~array.is_null().to_numpy(zero_copy_only=False)
    messy = np.flatnonzero(messy_mask)
    infinite = np.isinf(number)
    if infinite.any():  # 1e400: left to parse_number, which refuses it by name
        messy = np.flatnonzero(messy_mask | infinite)
        number = np.where(infinite, np.nan, number)
    return Values(number, messy, array.take(pa.array(messy)).to_pylist() if len(messy) else [])


TEXT_COLUMNS = ("period", "region", "indicator_id", "is_example")


OPTIONAL_COLUMNS = ("is_example", "source")


def find_columns(table: RawTable) -> dict[str, str | None]:
    """The table's column for each field of :data:`PROGRESS_HEADERS` (Chinese or English header);
    a missing required column is an error naming the headers found and the ones accepted."""
    lower = {c.lower(): c for c in table.columns}
    columns: dict[str, str | None] = {}
    for target, names in PROGRESS_HEADERS.items():
        found = next((lower[normalize_text(n).lower()] for n in names if normalize_text(n).lower() in lower), None)
        if found is None and target not in OPTIONAL_COLUMNS:
            raise InputError(
                f"缺少列“{names[1]}”({target}) / missing column; 现有列：{list(table.columns)}",
                file=table.path,
                sheet=table.sheet,
                row=table.header_row,
                fix=f"加一列 {target}（或 {names[1]}）",
            )
        columns[target] = found
    return columns
