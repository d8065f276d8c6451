"""Reading what the county hands over: files into cell grids, the annex (晾晒表) targets, the county's
annual series. The monthly progress is read by :mod:`kpi.progress_input`.

``read_annex`` accepts .xlsx or .csv (UTF-8, UTF-8 with BOM, GB18030 as
saved by Excel on Chinese Windows), Chinese or English headers, region aliases, full-width
characters and stray spaces. Anything they cannot read raises :class:`kpi.errors.InputError`
naming file, sheet, row, column and value. They never write; :func:`run_ingest` writes the
validated tidy tables to ``data/processed`` atomically, and only after everything has been read.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kpi import schemas
from kpi.errors import InputError
from kpi.facts import EXAMPLE_WORDS, annex_title
from kpi.parsing import Uncached, is_blank, normalize_text, parse_numbers, parse_target
from kpi.registry import COUNTY, Registry

SUM_TOLERANCE = 0.005  # half a unit of the annex's last printed decimal (0.01 亿元)


class SumMismatchWarning(UserWarning):
    """全县 differs from the sum of the regions for an indicator that sums."""


@dataclass
class Sheet:
    name: str | None  # None for a CSV file
    rows: list[list[Any]]
    hidden_rows: frozenset[int] = frozenset()  # 0-based indexes of rows hidden in Excel (skipped)


# ---------------------------------------------------------------- reading files into cell grids
def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK and GB2312)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        "无法识别的文本编码 / unknown text encoding", file=path, fix="在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx"
    )


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputError("文件不存在 / file not found", file=path, fix="检查路径和文件名")
    if path.is_dir():
        raise InputError("这是一个文件夹，不是文件 / this is a folder", file=path, fix="给出文件路径")
    if path.stat().st_size == 0:
        raise InputError("文件为空 / the file is empty", file=path, fix="重新导出该文件")


MAX_SHEET_XML_BYTES = 40 * 2**20  # a county's forms are kilobytes; 40 MB of sheet XML is not a form


def _check_workbook_size(path: Path) -> bool:
    """Refuse, before parsing, a workbook whose sheets unpack to more than ``MAX_SHEET_XML_BYTES``
    (a zip bomb costs seconds and gigabytes to parse); say whether any sheet holds a formula."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = [
                i for i in archive.infolist() if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
            ]
            unpacked = sum(i.file_size for i in sheets)
            if unpacked > MAX_SHEET_XML_BYTES:
                raise InputError(
                    f"工作簿过大：工作表解压后 {unpacked / 2**20:.0f} MB，上限 {MAX_SHEET_XML_BYTES // 2**20} MB"
                    " / the workbook unpacks to more than the limit",
                    file=path,
                    fix="只保留报送表所在的工作表，删除多余的行列后另存",
                )
            return any(b"<f" in archive.read(i) for i in sheets)
    except zipfile.BadZipFile:
        raise InputError(
            "不是有效的 Excel 文件 / not a valid .xlsx workbook (BadZipFile)",
            file=path,
            fix="用 Excel 打开确认能读，再另存为 .xlsx",
        ) from None


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a workbook (cached values, percent cells as displayed), or the CSV as one."""
    path = Path(path)
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        text = decode_text(path.read_bytes(), path)
        return [Sheet(None, [row for row in csv.reader(io.StringIO(text, newline=""))])]
    if suffix == ".xls":
        raise InputError(
            "不支持旧版 .xls 格式 / legacy .xls is not supported",
            file=path,
            fix="在 Excel 或 WPS 中“另存为” .xlsx 后再导入",
        )
    if suffix not in (".xlsx", ".xlsm"):
        raise InputError(f"不支持的文件类型 {suffix} / unsupported file type", file=path, fix="提供 .xlsx 或 .csv 文件")
    import openpyxl

    has_formulas = _check_workbook_size(path)
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
        # a second reading only where formulas exist, to tell an uncached formula from an empty cell
        formulas = openpyxl.load_workbook(path, data_only=False) if has_formulas else workbook
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise InputError(
            f"不是有效的 Excel 文件 / not a valid .xlsx workbook ({type(exc).__name__})",
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


# ---------------------------------------------------------------- the annex
def _cell(row: list[Any], column: int) -> Any:
    return row[column] if column < len(row) else None


def _column_letter(column: int, sheet: Sheet) -> str:
    if sheet.name is None:
        return f"第 {column + 1} 列"
    from openpyxl.utils import get_column_letter

    return get_column_letter(column + 1)


def _find_year(sheets: list[Sheet], path: Path) -> tuple[int, bool]:
    """Year and example flag from the title row (``2023年…晾晒表``), else from the file name."""
    for sheet in sheets:
        for row in sheet.rows[:5]:
            for value in row:
                text = normalize_text(value)
                match = re.search(r"(20\d{2})年", text)
                if match and ("晾晒" in text or "指标" in text or "科技" in text):
                    return int(match.group(1)), "示例" in text
    match = re.search(r"(20\d{2})", path.stem)
    if match:
        return int(match.group(1)), "example" in path.stem.lower() or "示例" in path.stem
    raise InputError(
        "找不到年份：标题行应含“2023年…晾晒表” / no year in the title or file name",
        file=path,
        fix=f"在第一行写标题，例如“{annex_title(2023, '某某县')}”",
    )


def read_annex(
    path: str | Path, registry: Registry | None = None, check_sums: bool = True, year: int | None = None
) -> pd.DataFrame:
    """The annex targets (指标) as a tidy table ``year, region, indicator_id, target, comparator, is_example``.

    Reads every block of the official layout (序号 | 区域 | per indicator 指标/进度/排名), on one
    sheet or several; header cells may be merged. ``15以上`` → ``15`` with comparator ``>=``.
    With ``check_sums``, warns (:class:`SumMismatchWarning`) where 全县 ≠ Σ regions for an
    indicator that sums (附件: the county row is the total of the regions). ``year``, when given,
    must match the title's year (or stands in for a title without one).
    """
    path = Path(path)
    registry = registry or Registry.load()
    sheets = read_sheets(path)
    try:
        found_year, is_example = _find_year(sheets, path)
    except InputError:
        if year is None:
            raise
        found_year, is_example = year, False
    if year is not None and found_year != year:
        raise InputError(
            f"这是 {found_year} 年的晾晒表，不是 {year} 年 / the annex is for another year",
            file=path,
            value=found_year,
            fix=f"核对文件；若确为 {year} 年的指标，把标题中的年份改为 {year}",
        )
    year = found_year
    units = dict(zip(registry.indicators["indicator_id"], registry.indicators["unit"]))
    kinds = dict(zip(registry.indicators["indicator_id"], registry.indicators["kind"]))
    records: list[dict] = []
    seen: dict[tuple[str, str], tuple[dict, str]] = {}

    for sheet in sheets:
        rows = sheet.rows
        for header_index, header in enumerate(rows):
            normalised = [normalize_text(v) for v in header]
            if "区域" not in normalised or header_index + 1 >= len(rows):
                continue
            region_column = normalised.index("区域")
            sub_header = [normalize_text(v) for v in rows[header_index + 1]]
            target_columns = [j for j, v in enumerate(sub_header) if v == "指标"]
            if not target_columns:
                raise InputError(
                    "表头下一行应有“指标 / 进度 / 排名” / the row under the header must hold 指标/进度/排名",
                    file=path,
                    sheet=sheet.name,
                    row=header_index + 2,
                    fix="按附件格式：每个指标占三列，第二行为 指标、进度、排名",
                )
            columns: list[tuple[int, str]] = []
            for j in target_columns:
                label = next(
                    (header[k] for k in range(j, region_column, -1) if k < len(header) and not is_blank(header[k])),
                    None,
                )
                try:
                    columns.append((j, registry.resolve_indicator(label)))
                except KeyError as exc:
                    raise InputError(
                        str(exc.args[0]),
                        file=path,
                        sheet=sheet.name,
                        row=header_index + 1,
                        column=_column_letter(j, sheet),
                        value=label,
                        fix="改为 data/raw/indicators.csv 中的指标名称，或在其中登记新指标",
                    ) from None
            for row_index in range(header_index + 2, len(rows)):
                if row_index in sheet.hidden_rows:
                    continue
                row = rows[row_index]
                region_cell = _cell(row, region_column)
                if normalize_text(region_cell) in ("区域", "序号"):
                    break
                if is_blank(region_cell):
                    if all(is_blank(_cell(row, j)) for j, _ in columns):
                        break  # end of the block
                    raise InputError(
                        "区域为空但有数值 / values without a region",
                        file=path,
                        sheet=sheet.name,
                        row=row_index + 1,
                        column=_column_letter(region_column, sheet),
                        fix="填写区域名称",
                    )
                if normalize_text(region_cell).startswith(("注", "说明", "备注", "数据来源")):
                    break
                try:
                    region = registry.resolve_region(region_cell)
                except KeyError as exc:
                    raise InputError(
                        str(exc.args[0]),
                        file=path,
                        sheet=sheet.name,
                        row=row_index + 1,
                        column=_column_letter(region_column, sheet),
                        value=region_cell,
                        fix="改为已知区域名称，或在 data/raw/regions.csv 的 aliases 中登记别名",
                    ) from None
                for j, indicator_id in columns:
                    raw = _cell(row, j)
                    location = dict(file=path, sheet=sheet.name, row=row_index + 1, column=_column_letter(j, sheet))
                    try:
                        target, comparator = parse_target(raw, units[indicator_id])
                    except ValueError as exc:
                        raise InputError(
                            str(exc), value=raw, **location, fix="填写数值，可带“以上”，例如 15 或 15以上"
                        ) from None
                    if target < 0 and kinds[indicator_id] != "growth":
                        raise InputError(
                            "数量或金额类指标的目标不能为负 / a count or amount target cannot be negative",
                            value=raw,
                            fix="改为 0 或正数",
                            **location,
                        )
                    record = dict(
                        year=year,
                        region=region,
                        indicator_id=indicator_id,
                        target=target,
                        comparator=comparator,
                        is_example=is_example,
                    )
                    where = f"{sheet.name or ''} 第 {row_index + 1} 行 {location['column']}".strip()
                    key = (region, indicator_id)
                    if key in seen:
                        previous, previous_where = seen[key]
                        if (previous["target"], previous["comparator"]) != (target, comparator):
                            raise InputError(
                                f"同一区域和指标出现两个不同的目标（另见 {previous_where}，值 {previous['target']}）"
                                " / duplicate key with conflicting values",
                                value=raw,
                                **location,
                                fix="删除重复的一行，或改正其中一个数值",
                            )
                        continue
                    seen[key] = (record, where)
                    records.append(record)

    if not records:
        raise InputError(
            "没有找到含“区域”表头的晾晒表 / no annex block (a header row with 区域) found",
            file=path,
            fix="确认工作表包含附件格式的表格：序号、区域、各指标的 指标/进度/排名",
        )
    table = pd.DataFrame.from_records(records)
    _check_complete(table, registry, path)
    table = _sort(table, registry)
    table = schemas.validate(table, schemas.ANNEX, file=path)
    if check_sums:
        checks = annex_sum_checks(table, registry)
        for row in checks[~checks["ok"]].itertuples():
            warnings.warn(
                SumMismatchWarning(
                    f"{path.name}: {row.indicator_id} 全县 {row.county:g} ≠ 各区域合计 {row.regions_sum:g}"
                    f"（差 {row.difference:+.4g}）"
                ),
                stacklevel=2,
            )
    return table


def _check_complete(table: pd.DataFrame, registry: Registry, path: Path) -> None:
    expected = pd.MultiIndex.from_product([registry.region_names, registry.indicators["indicator_id"]])
    found = pd.MultiIndex.from_frame(table[["region", "indicator_id"]])
    missing = expected.difference(found)
    if len(missing):
        listed = "、".join(f"{r}/{i}" for r, i in list(missing)[:6])
        raise InputError(
            f"晾晒表缺少 {len(missing)} 项目标：{listed}{'…' if len(missing) > 6 else ''}"
            " / the annex is missing targets",
            file=path,
            fix="每个区域（含全县）的每个指标都应有一个目标值",
        )


def _sort(table: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    keys = ["_region_order", "_indicator_order"]
    return (
        table.assign(
            _region_order=table["region"].map(registry.region_order),
            _indicator_order=table["indicator_id"].map(registry.indicator_order),
        )
        .sort_values(keys, kind="stable")
        .drop(columns=["_region_order", "_indicator_order"])
        .reset_index(drop=True)
    )


def annex_sum_checks(annex: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """For each year and summing indicator: 全县, Σ regions, difference, ``ok`` within 0.005."""
    summing = registry.indicators.loc[registry.indicators["sums_to_county"], "indicator_id"]
    part = annex[annex["indicator_id"].isin(summing)]
    is_county = part["region"] == COUNTY
    county = part[is_county].set_index(["year", "indicator_id"])["target"]
    regions_sum = part[~is_county].groupby(["year", "indicator_id"])["target"].sum()
    checks = pd.DataFrame({"county": county, "regions_sum": regions_sum}).reset_index()
    checks["regions_sum"] = checks["regions_sum"].round(6)
    checks["difference"] = (checks["county"] - checks["regions_sum"]).round(6)
    checks["ok"] = checks["difference"].abs() <= SUM_TOLERANCE
    order = checks["indicator_id"].map(registry.indicator_order)
    return checks.assign(_o=order).sort_values(["year", "_o"]).drop(columns="_o").reset_index(drop=True)


# ---------------------------------------------------------------- county annual series
def read_county_annual(path: str | Path) -> pd.DataFrame:
    """County-level annual values for the plan's indicators (``year, indicator_id, … value``)."""
    path = Path(path)
    _check_file(path)
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
    frame["is_example"] = frame["is_example"].str.strip().str.lower().isin(EXAMPLE_WORDS)
    return schemas.validate(frame, schemas.COUNTY_ANNUAL, file=path)


def __getattr__(name: str):
    """``read_progress``, ``ytd_falls`` and ``DataQualityWarning`` moved to :mod:`kpi.progress_input`;
    the old import path still finds them there (scripts and benchmarks written against it)."""
    if name in ("read_progress", "ytd_falls", "DataQualityWarning"):
        from kpi import progress_input

        return getattr(progress_input, name)
    raise AttributeError(f"module 'kpi.ingest' has no attribute {name!r}")
