"""Files into cell grids: a workbook's sheets (hidden rows marked), a CSV in UTF-8 or GB18030, each
checked for size and readability first. Every reader of a hand-made form starts here."""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpi.core.errors import InputError
from kpi.core.parsing import Uncached, normalize_text


@dataclass
class Sheet:
    """One sheet of a file as a grid of cells (a CSV is one sheet without a name), with the rows
    Excel hides (skipped by every reader)."""

    name: str | None  # None for a CSV file
    rows: list[list[Any]]
    hidden_rows: frozenset[int] = frozenset()  # 0-based indexes of rows hidden in Excel (skipped)


def decode_text(data: bytes, path: Path, fix: str = "在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx") -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK and GB2312); neither is an
    :class:`InputError` with ``fix``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise InputError("无法识别的文本编码 / unknown text encoding", file=path, fix=fix) from None
    if _PRIVATE_USE.search(text):  # Chinese in GB18030 never maps there: another encoding read as GB18030
        try:
            data.decode("big5")
        except UnicodeDecodeError:
            raise InputError("无法识别的文本编码 / unknown text encoding", file=path, fix=fix) from None
        raise InputError(
            "文件似乎是繁体中文 Big5 编码（台湾、香港的 Excel 默认如此）/ the file looks Big5-encoded",
            file=path,
            fix=fix,
        )
    return text


_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def check_file(path: Path) -> None:
    """Refuse what cannot be a form before reading it: a missing path, a folder, an empty file."""
    if not path.exists():
        raise InputError("文件不存在 / file not found", file=path, fix="检查路径和文件名")
    if path.is_dir():
        raise InputError("这是一个文件夹，不是文件 / this is a folder", file=path, fix="给出文件路径")
    if path.stat().st_size == 0:
        raise InputError("文件为空 / the file is empty", file=path, fix="重新导出该文件")


MAX_SHEET_XML_BYTES = 40 * 2**20  # a county's forms are kilobytes; 40 MB of sheet XML is not a form


def _is_sheet_xml(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _check_workbook_size(path: Path, members=_is_sheet_xml) -> bool:
    """Refuse, before parsing, a workbook whose sheets (``members``) unpack to more than
    ``MAX_SHEET_XML_BYTES`` (a zip bomb costs seconds and gigabytes to parse); say whether any sheet
    holds a formula."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            unpacked = sum(i.file_size for i in parts)  # every part: shared strings can be the bomb too
            if unpacked > MAX_SHEET_XML_BYTES:
                largest = max(parts, key=lambda i: i.file_size)
                raise InputError(
                    f"工作簿过大：解压后 {unpacked / 2**20:.0f} MB（最大的部分 {largest.filename}），"
                    f"上限 {MAX_SHEET_XML_BYTES // 2**20} MB / the workbook unpacks to more than the limit",
                    file=path,
                    fix="只保留报送表所在的工作表，删除多余的行列后另存",
                )
            return any(b"<f" in archive.read(i) for i in parts if members(i.filename))
    except zipfile.BadZipFile:
        raise InputError(
            "不是有效的 Excel 文件 / not a valid .xlsx workbook (BadZipFile)",
            file=path,
            fix="用 Excel 打开确认能读，再另存为 .xlsx",
        ) from None


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a workbook (cached values, percent cells as displayed), or the CSV as one."""
    path = Path(path)
    check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        return [_csv_sheet(path)]
    if suffix in CALAMINE_SUFFIXES or path.read_bytes()[:4] == OLE_MAGIC:  # an encrypted .xlsx is OLE too
        return _calamine_sheets(path)
    if suffix not in (".xlsx", ".xlsm"):
        raise InputError(
            f"不支持的文件类型 {suffix} / unsupported file type",
            file=path,
            fix="提供 .xlsx、.xls、.et、.ods 或 .csv 文件",
        )
    import openpyxl

    has_formulas = _check_workbook_size(path)
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
        # a second reading only where formulas exist, to tell an uncached formula from an empty cell
        formulas = openpyxl.load_workbook(path, data_only=False) if has_formulas else workbook
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError, EOFError, zlib.error) as exc:
        raise InputError(
            f"不是有效的 Excel 文件 / not a valid .xlsx workbook ({type(exc).__name__})",
            file=path,
            fix="用 Excel 打开确认能读，再另存为 .xlsx",
        ) from None
    except SyntaxError as exc:  # a sheet's XML cut short or damaged (ElementTree's and lxml's ParseError)
        raise InputError(
            f"工作簿已损坏：其中的表格 XML 不完整 / a damaged workbook: broken sheet XML ({exc})",
            file=path,
            fix="用 Excel 打开确认能读，再另存为 .xlsx",
        ) from None
    sheets = []
    for worksheet, formula_sheet in zip(workbook.worksheets, formulas.worksheets):
        if worksheet.sheet_state != "visible":
            continue  # a hidden sheet is the clerk's scratch space, not data
        rows = []
        for row, formula_row in zip(worksheet.iter_rows(), formula_sheet.iter_rows()):
            values = []
            for cell, formula_cell in zip(row, formula_row):
                value = cell.value
                if value is None and isinstance(formula_cell.value, str) and formula_cell.value.startswith("="):
                    value = Uncached(formula_cell.value)
                elif (
                    isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and "%" in (cell.number_format or "")
                ):
                    value = value * 100  # a cell formatted 0.0% holds 0.034 for 3.4
                values.append(value)
            rows.append(values)
        hidden = frozenset(index - 1 for index, dimension in worksheet.row_dimensions.items() if dimension.hidden)
        sheets.append(Sheet(worksheet.title, rows, hidden))
    return sheets


#: Old Excel (.xls), WPS (.et: the same BIFF compound file) and OpenDocument (.ods): read by calamine.
CALAMINE_SUFFIXES = (".xls", ".et", ".ods")
MAX_LEGACY_BYTES = 20 * 2**20  # an .xls form is tens of kilobytes


OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # a compound file: .xls, .et, or an .xlsx saved with a password
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")  # the stream an encrypted .xlsx is kept in


#: a returned form is kilobytes: beyond these it is no form, and is refused before it is parsed
MAX_FORM_BYTES = 20 * 2**20
MAX_FORM_COLUMNS = 1000
MAX_FIELD_CHARS = 32_768


def refuse_larger_than(path: Path, limit: int, what: str, fix: str) -> None:
    """An :class:`InputError` naming the file's size and ``limit`` (in MB, or GB from one GB) when ``path``
    is larger: checked before a byte of it is read."""
    size = path.stat().st_size
    if size > limit:
        unit, scale = ("GB", 2**30) if limit >= 2**30 else ("MB", 2**20)
        raise InputError(
            f"文件过大（{size / scale:.1f} {unit}，上限 {limit / scale:g} {unit}）/ {what}", file=path, fix=fix
        )


def _csv_sheet(path: Path) -> Sheet:
    """A CSV form as one sheet, its size, width and fields bounded before and while it is read."""
    refuse_larger_than(
        path,
        MAX_FORM_BYTES,
        "larger than a form can be",
        fix="报送表只需各区域的几行；大批量数据请按 docs/input_formats.md作为进度数据源列入 kpi.toml",
    )
    scan_csv(path)  # a NUL byte: refused with its line, as in a bulk file
    text = decode_text(path.read_bytes(), path)
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if len(row) > MAX_FORM_COLUMNS or any(len(cell) > MAX_FIELD_CHARS for cell in row):
                raise csv.Error("wide")
            rows.append(row)
    except csv.Error:  # a row past the bounds, or a field past the csv module's own limit
        raise InputError(
            f"第 {len(rows) + 1} 行过宽（上限 {MAX_FORM_COLUMNS} 列、每格 {MAX_FIELD_CHARS} 字）/ a row beyond a form's size",
            file=path,
            row=len(rows) + 1,
            fix="核对文件是否为报送表；删去多余的列后另存",
        ) from None
    return Sheet(None, rows)


def _calamine_sheets(path: Path) -> list[Sheet]:
    """The visible sheets of an .xls, .et or .ods file (calamine, a maintained Rust reader; the format
    is told from the file's first bytes, so an .et saved as either kind reads). Calamine gives values,
    not number formats: a percent-formatted 0.125 comes as 0.125 (a growth fraction is then held by the
    plausibility check, never guessed)."""
    import python_calamine

    refuse_larger_than(
        path, MAX_LEGACY_BYTES, "larger than a form can be", fix="只保留报送表所在的工作表，另存为 .xlsx"
    )
    data = path.read_bytes()
    if data[:4] == OLE_MAGIC and ENCRYPTED_PACKAGE in data:  # an .xlsx saved with a password to open it
        raise InputError(
            "文件设有打开密码 / the file is password-protected", file=path, fix="在 Excel 或 WPS 中取消密码后另存再发回"
        )
    if data[:4] == b"PK\x03\x04":  # an .ods (or an .xlsx named otherwise): a zip
        _check_workbook_size(path, members=lambda name: name.endswith(".xml"))
    try:
        with path.open("rb") as handle:
            workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
            return [
                Sheet(meta.name, workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False))
                for meta in workbook.sheets_metadata
                if meta.visible == python_calamine.SheetVisibleEnum.Visible
                and meta.typ == python_calamine.SheetTypeEnum.WorkSheet
            ]
    except python_calamine.PasswordError:
        raise InputError(
            "文件设有打开密码 / the file is password-protected", file=path, fix="在 Excel 或 WPS 中取消密码后另存再发回"
        ) from None
    except (python_calamine.CalamineError, OSError, ValueError) as exc:
        raise InputError(
            f"无法读取该表格文件 / unreadable spreadsheet ({type(exc).__name__})",
            file=path,
            fix="用 Excel 或 WPS 打开确认能读，再另存为 .xlsx",
        ) from None


#: bounds of a bulk progress CSV (a province's months: the benchmarks read 10^7 rows), checked in one pass
#: over the bytes before anything is parsed. Within them ingest stays under about 3.5 GB of memory (3.0 GB
#: measured on a 1 GB file of 10^7 rows of 60-character values: benchmarks/hostile_inputs.py)
MAX_BULK_BYTES = 2**30
MAX_BULK_LINES = 20_000_000
MAX_BULK_COLUMNS = 64


def scan_csv(path: Path) -> None:
    """Refuse, before parsing, a CSV past the bulk bounds (size, lines) or with a NUL byte (a file saved
    as UTF-16, or a damaged one; named with its line): one pass through a memory map, in slices."""
    import mmap

    refuse_larger_than(
        path,
        MAX_BULK_BYTES,
        "larger than the limit",
        fix="按年份拆成几个文件，在 kpi.toml 的 [data] progress 中逐个列出",
    )
    lines, size = 0, path.stat().st_size
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        for start in range(0, size, 1 << 24):
            piece = data[start : start + (1 << 24)]
            nul = piece.find(b"\x00")
            if nul >= 0:
                raise InputError(
                    "文件中有空字符（NUL），不是普通文本 CSV / a NUL byte in the file",
                    file=path,
                    row=lines + piece[:nul].count(b"\n") + 1,
                    fix="用 Excel 或 WPS 打开后另存为“CSV UTF-8（逗号分隔）”",
                )
            lines += piece.count(b"\n")
            if lines > MAX_BULK_LINES:
                raise InputError(
                    f"文件超过 {MAX_BULK_LINES:,} 行（上限）/ more lines than the limit",
                    file=path,
                    fix="按年份拆成几个文件，在 kpi.toml 的 [data] progress 中逐个列出；删去空行",
                )


def cell_at(row: list[Any], column: int) -> Any:
    """A row's cell, None beyond the row's end (rows of a grid have their own lengths)."""
    return row[column] if column < len(row) else None


def column_name(sheet: Sheet, column: int) -> str:
    """How an error names a column: its letter in a workbook (``C``), ``第 3 列`` in a CSV."""
    if sheet.name is None:
        return f"第 {column + 1} 列"
    from openpyxl.utils import get_column_letter

    return get_column_letter(column + 1)


def parsed_cell(parse, raw, sheet: Sheet, column: int, location: dict, fix: str):
    """``parse(raw)``, or an :class:`InputError` at the cell (file, sheet, row, column, value) with ``fix``."""
    try:
        return parse(raw)
    except (ValueError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
        raise InputError(message, column=column_name(sheet, column), value=raw, fix=fix, **location) from None


def text_at(cells: list, column: int | None) -> str:
    """The normalised text of a cell of a row ('' beyond the row's end or without a column)."""
    return normalize_text(cells[column]) if column is not None and column < len(cells) else ""


def visible_rows(sheet: Sheet, start: int):
    """``(row_index, row)`` of the sheet from ``start`` on, the rows Excel hides skipped (0-based index)."""
    for row_index in range(start, len(sheet.rows)):
        if row_index not in sheet.hidden_rows:
            yield row_index, sheet.rows[row_index]


def values_without_region(sheet: Sheet, region_column: int, location: dict) -> InputError:
    """The error for a row with values but no region (file, sheet, row, the region's column)."""
    return InputError(
        "区域为空但有数值 / values without a region",
        column=column_name(sheet, region_column),
        fix="填写区域名称",
        **location,
    )
