"""Reading what the county hands over: the annex (晾晒表) targets and the monthly progress.

``read_annex`` and ``read_progress`` accept .xlsx or .csv (UTF-8, UTF-8 with BOM, GB18030 as
saved by Excel on Chinese Windows), Chinese or English headers, region aliases, full-width
characters and stray spaces. Anything they cannot read raises :class:`kpi.errors.InputError`
naming file, sheet, row, column and value. They never write; :func:`run_ingest` writes the
validated tidy tables to ``data/processed`` atomically, and only after everything has been read.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpi import schemas
from kpi.errors import InputError
from kpi.parsing import Uncached, is_blank, map_unique, normalize_text, parse_numbers, parse_period, parse_target
from kpi.registry import COUNTY, Registry

SUM_TOLERANCE = 0.005  # half a unit of the annex's last printed decimal (0.01 亿元)


class SumMismatchWarning(UserWarning):
    """全县 differs from the sum of the regions for an indicator that sums."""


class DataQualityWarning(UserWarning):
    """Readable but suspicious input: a year-to-date value that falls, percents given as fractions."""


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
    raise InputError("无法识别的文本编码 / unknown text encoding", file=path,
                     fix="在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx")


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
            sheets = [i for i in archive.infolist() if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
            unpacked = sum(i.file_size for i in sheets)
            if unpacked > MAX_SHEET_XML_BYTES:
                raise InputError(f"工作簿过大：工作表解压后 {unpacked / 2**20:.0f} MB，上限 {MAX_SHEET_XML_BYTES // 2**20} MB"
                                 " / the workbook unpacks to more than the limit", file=path,
                                 fix="只保留报送表所在的工作表，删除多余的行列后另存")
            return any(b"<f" in archive.read(i) for i in sheets)
    except zipfile.BadZipFile:
        raise InputError("不是有效的 Excel 文件 / not a valid .xlsx workbook (BadZipFile)", file=path,
                         fix="用 Excel 打开确认能读，再另存为 .xlsx") from None


def read_sheets(path: Path) -> list[Sheet]:
    """Every sheet of a workbook (cached values, percent cells as displayed), or the CSV as one."""
    path = Path(path)
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv" or suffix == ".txt":
        text = decode_text(path.read_bytes(), path)
        return [Sheet(None, [row for row in csv.reader(io.StringIO(text, newline=""))])]
    if suffix == ".xls":
        raise InputError("不支持旧版 .xls 格式 / legacy .xls is not supported", file=path,
                         fix="在 Excel 或 WPS 中“另存为” .xlsx 后再导入")
    if suffix not in (".xlsx", ".xlsm"):
        raise InputError(f"不支持的文件类型 {suffix} / unsupported file type", file=path,
                         fix="提供 .xlsx 或 .csv 文件")
    import openpyxl

    has_formulas = _check_workbook_size(path)
    try:
        workbook = openpyxl.load_workbook(path, data_only=True)
        # a second reading only where formulas exist, to tell an uncached formula from an empty cell
        formulas = openpyxl.load_workbook(path, data_only=False) if has_formulas else workbook
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, TypeError) as exc:
        raise InputError(f"不是有效的 Excel 文件 / not a valid .xlsx workbook ({type(exc).__name__})",
                         file=path, fix="用 Excel 打开确认能读，再另存为 .xlsx") from None
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
                elif isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in (cell.number_format or ""):
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
    raise InputError("找不到年份：标题行应含“2023年…晾晒表” / no year in the title or file name",
                     file=path, fix="在第一行写标题，例如“2023年缙云县“139”科技创新体系建设争先创优晾晒表”")


def read_annex(path: str | Path, registry: Registry | None = None, check_sums: bool = True,
               year: int | None = None) -> pd.DataFrame:
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
        raise InputError(f"这是 {found_year} 年的晾晒表，不是 {year} 年 / the annex is for another year", file=path,
                         value=found_year, fix=f"核对文件；若确为 {year} 年的指标，把标题中的年份改为 {year}")
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
                raise InputError("表头下一行应有“指标 / 进度 / 排名” / the row under the header must hold 指标/进度/排名",
                                 file=path, sheet=sheet.name, row=header_index + 2,
                                 fix="按附件格式：每个指标占三列，第二行为 指标、进度、排名")
            columns: list[tuple[int, str]] = []
            for j in target_columns:
                label = next((header[k] for k in range(j, region_column, -1)
                              if k < len(header) and not is_blank(header[k])), None)
                try:
                    columns.append((j, registry.resolve_indicator(label)))
                except KeyError as exc:
                    raise InputError(str(exc.args[0]), file=path, sheet=sheet.name, row=header_index + 1,
                                     column=_column_letter(j, sheet), value=label,
                                     fix="改为 data/raw/indicators.csv 中的指标名称，或在其中登记新指标") from None
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
                    raise InputError("区域为空但有数值 / values without a region", file=path, sheet=sheet.name,
                                     row=row_index + 1, column=_column_letter(region_column, sheet),
                                     fix="填写区域名称")
                if normalize_text(region_cell).startswith(("注", "说明", "备注", "数据来源")):
                    break
                try:
                    region = registry.resolve_region(region_cell)
                except KeyError as exc:
                    raise InputError(str(exc.args[0]), file=path, sheet=sheet.name, row=row_index + 1,
                                     column=_column_letter(region_column, sheet), value=region_cell,
                                     fix="改为已知区域名称，或在 data/raw/regions.csv 的 aliases 中登记别名") from None
                for j, indicator_id in columns:
                    raw = _cell(row, j)
                    location = dict(file=path, sheet=sheet.name, row=row_index + 1, column=_column_letter(j, sheet))
                    try:
                        target, comparator = parse_target(raw, units[indicator_id])
                    except ValueError as exc:
                        raise InputError(str(exc), value=raw, **location,
                                         fix="填写数值，可带“以上”，例如 15 或 15以上") from None
                    if target < 0 and kinds[indicator_id] != "growth":
                        raise InputError("数量或金额类指标的目标不能为负 / a count or amount target cannot be negative",
                                         value=raw, fix="改为 0 或正数", **location)
                    record = dict(year=year, region=region, indicator_id=indicator_id, target=target,
                                  comparator=comparator, is_example=is_example)
                    where = f"{sheet.name or ''} 第 {row_index + 1} 行 {location['column']}".strip()
                    key = (region, indicator_id)
                    if key in seen:
                        previous, previous_where = seen[key]
                        if (previous["target"], previous["comparator"]) != (target, comparator):
                            raise InputError(
                                f"同一区域和指标出现两个不同的目标（另见 {previous_where}，值 {previous['target']}）"
                                " / duplicate key with conflicting values", value=raw, **location,
                                fix="删除重复的一行，或改正其中一个数值")
                        continue
                    seen[key] = (record, where)
                    records.append(record)

    if not records:
        raise InputError("没有找到含“区域”表头的晾晒表 / no annex block (a header row with 区域) found",
                         file=path, fix="确认工作表包含附件格式的表格：序号、区域、各指标的 指标/进度/排名")
    table = pd.DataFrame.from_records(records)
    _check_complete(table, registry, path)
    table = _sort(table, registry)
    table = schemas.validate(table, schemas.ANNEX, file=path)
    if check_sums:
        checks = annex_sum_checks(table, registry)
        for row in checks[~checks["ok"]].itertuples():
            warnings.warn(SumMismatchWarning(
                f"{path.name}: {row.indicator_id} 全县 {row.county:g} ≠ 各区域合计 {row.regions_sum:g}"
                f"（差 {row.difference:+.4g}）"), stacklevel=2)
    return table


def _check_complete(table: pd.DataFrame, registry: Registry, path: Path) -> None:
    expected = pd.MultiIndex.from_product([registry.region_names, registry.indicators["indicator_id"]])
    found = pd.MultiIndex.from_frame(table[["region", "indicator_id"]])
    missing = expected.difference(found)
    if len(missing):
        listed = "、".join(f"{r}/{i}" for r, i in list(missing)[:6])
        raise InputError(f"晾晒表缺少 {len(missing)} 项目标：{listed}{'…' if len(missing) > 6 else ''}"
                         " / the annex is missing targets", file=path,
                         fix="每个区域（含全县）的每个指标都应有一个目标值")


def _sort(table: pd.DataFrame, registry: Registry, time_column: str | None = None) -> pd.DataFrame:
    keys = ([time_column] if time_column else []) + ["_region_order", "_indicator_order"]
    return (table.assign(_region_order=table["region"].map(registry.region_order),
                         _indicator_order=table["indicator_id"].map(registry.indicator_order))
            .sort_values(keys, kind="stable").drop(columns=["_region_order", "_indicator_order"])
            .reset_index(drop=True))


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


# ---------------------------------------------------------------- monthly progress
PROGRESS_HEADERS = {
    "period": ("period", "时期", "月份", "期间", "统计期"),
    "region": ("region", "区域", "地区", "乡镇(街道)", "乡镇街道"),
    "indicator_id": ("indicator_id", "indicator", "指标", "指标名称", "指标代码"),
    "value": ("value", "数值", "进度", "值", "累计值"),
    "is_example": ("is_example", "示例", "example"),
    "source": ("source", "source_file", "来源", "来源文件"),
}
OPTIONAL_COLUMNS = ("is_example", "source")


def _is_header(row: list[Any], wanted: set[str]) -> bool:
    return sum(normalize_text(v).lower() in wanted for v in row) >= 3


def _read_table(path: Path) -> tuple[pd.DataFrame, str | None, int]:
    """A plain table (one header row) as strings/objects; returns it, its sheet and header row.

    CSV and Parquet go through pandas' C reader (province-scale files), workbooks through openpyxl.
    The frame's index is the record's position after the header, so row = index + header row + 1.
    """
    wanted = {normalize_text(name).lower() for names in PROGRESS_HEADERS.values() for name in names}
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        _check_file(path)
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(f"不是有效的 Parquet 文件 / not a valid Parquet file ({type(exc).__name__})", file=path,
                             fix="重新导出该文件") from None
        frame.columns = [normalize_text(c) for c in frame.columns]
        return frame.reset_index(drop=True), None, 1
    if path.suffix.lower() in (".csv", ".txt"):
        _check_file(path)
        text = decode_text(path.read_bytes(), path)
        head = list(itertools.islice(csv.reader(io.StringIO(text, newline="")), 20))
        index = next((i for i, row in enumerate(head) if _is_header(row, wanted)), None)
        if index is not None:
            try:
                frame = pd.read_csv(io.StringIO(text), skiprows=index, header=0, dtype=str, keep_default_na=False,
                                    skip_blank_lines=False, engine="c")
            except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
                line = re.search(r"line (\d+)", str(exc))
                raise InputError(f"CSV 格式错误：某行的列数多于表头 / malformed CSV ({str(exc)[:120]})", file=path,
                                 row=int(line[1]) + index if line else None, fix="检查该行是否多了逗号或引号未闭合") from None
            frame.columns = [normalize_text(c) for c in frame.columns]
            return frame, None, index + 1
    sheets = read_sheets(path)
    for sheet in sheets:
        for index, row in enumerate(sheet.rows[:20]):
            if _is_header(row, wanted):
                width = len(row)
                body = [list(r[:width]) + [None] * (width - len(r)) for r in sheet.rows[index + 1:]]
                frame = pd.DataFrame(body, columns=[normalize_text(v) for v in row], dtype=object)
                frame.index = range(len(frame))
                hidden = [i - index - 1 for i in sheet.hidden_rows if i > index]
                return frame.drop(index=hidden, errors="ignore"), sheet.name, index + 1
    raise InputError("找不到表头：需要 时期/区域/指标/数值 (period/region/indicator_id/value) 列",
                     file=path, fix="第一行写列名：period,region,indicator_id,value（或 时期,区域,指标,数值）")


def _blank_mask(values: pd.Series) -> np.ndarray:
    """Which cells are blank (empty, —, /, NaN), deciding once per distinct text."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return np.array([is_blank(u) for u in uniques], dtype=bool)[codes] if len(uniques) else np.zeros(0, bool)


def read_progress(path: str | Path, registry: Registry | None = None) -> pd.DataFrame:
    """Monthly progress as ``period, region, indicator_id, value, is_example``.

    ``period`` is ``YYYY-MM``; amounts and counts are year-to-date cumulative, growth is % year on
    year. Blank values (empty, —, /) are dropped: a missing report is 未报送, never zero. An
    indicator may be named by id or Chinese name; regions by any registered alias.
    """
    path = Path(path)
    registry = registry or Registry.load()
    frame, sheet, header_row = _read_table(path)
    lower = {c.lower(): c for c in frame.columns}
    columns = {}
    for target, names in PROGRESS_HEADERS.items():
        found = next((lower[normalize_text(n).lower()] for n in names if normalize_text(n).lower() in lower), None)
        if found is None and target not in OPTIONAL_COLUMNS:
            raise InputError(f"缺少列“{names[1]}”({target}) / missing column; 现有列：{list(frame.columns)}",
                             file=path, sheet=sheet, row=header_row,
                             fix=f"加一列 {target}（或 {names[1]}）")
        columns[target] = found
    frame = frame[~(_blank_mask(frame[columns["region"]]) & _blank_mask(frame[columns["value"]]))]
    row_of = frame.index.to_series() + header_row + 1  # spreadsheet row of each record

    def fail(column: str, fix: str):
        def on_error(label, raw, exc):
            raise InputError(str(exc.args[0]) if exc.args else str(exc), file=path, sheet=sheet,
                             row=int(row_of.loc[label]), column=column, value=raw, fix=fix) from None
        return on_error

    def resolver(function):
        def parse(raw):
            try:
                return function(raw)
            except KeyError as exc:
                raise ValueError(exc.args[0]) from None
        return parse

    tidy = pd.DataFrame(index=frame.index)
    tidy["period"] = map_unique(frame[columns["period"]], parse_period,
                                fail(columns["period"], "写成 YYYY-MM，例如 2023-09")).astype(str)
    tidy["region"] = map_unique(frame[columns["region"]], resolver(registry.resolve_region),
                                fail(columns["region"], "改为已知区域名称，或在 data/raw/regions.csv 登记别名")).astype(str)
    tidy["indicator_id"] = map_unique(frame[columns["indicator_id"]], resolver(registry.resolve_indicator),
                                      fail(columns["indicator_id"], "用 data/raw/indicators.csv 中的 indicator_id 或中文名")).astype(str)
    tidy["value"] = float("nan")
    units = dict(zip(registry.indicators["indicator_id"], registry.indicators["unit"]))
    for indicator_id, index in tidy.groupby("indicator_id").groups.items():
        tidy.loc[index, "value"] = parse_numbers(frame.loc[index, columns["value"]], units[indicator_id],
                                                 fail(columns["value"], "填写数值（可带单位，如 15.44亿元），无数据留空"))
    if columns["is_example"] is not None:
        tidy["is_example"] = map_unique(frame[columns["is_example"]],
                                        lambda v: normalize_text(v).lower() in {"true", "1", "是", "yes", "示例"},
                                        fail(columns["is_example"], "填写 true 或 false")).astype(bool)
    else:
        tidy["is_example"] = False
    if columns["source"] is not None:  # provenance kept by `kpi collect`: the form each value came from
        tidy["source"] = frame[columns["source"]].astype(str)
    kinds = tidy["indicator_id"].map(registry.indicators.set_index("indicator_id")["kind"])
    negative = (kinds != "growth") & (tidy["value"] < 0)
    if negative.any():
        label = negative[negative].index[0]
        raise InputError("累计完成值不能为负 / a year-to-date amount or count cannot be negative", file=path, sheet=sheet,
                         row=int(row_of.loc[label]), column=columns["value"], value=frame.loc[label, columns["value"]],
                         fix="核对数值；增减变化请填在增长类指标中")
    tidy["value"] = _resolve_percent_fractions(tidy, frame[columns["value"]], units, path)
    tidy = tidy[tidy["value"].notna()]
    _check_duplicates(tidy, row_of, path, sheet, columns["value"])
    tidy = tidy.drop_duplicates(["period", "region", "indicator_id"])
    tidy = _sort(tidy, registry, time_column="period")
    tidy = schemas.validate(tidy, schemas.PROGRESS, file=path)
    falls = ytd_falls(tidy, registry)
    if not falls.empty:
        listed = "；".join(f"{r.region} {r.indicator_id} {r.previous_period}→{r.period}: {r.previous_value:g}→{r.value:g}"
                          for r in falls.head(5).itertuples())
        warnings.warn(DataQualityWarning(f"{path.name}: {len(falls)} 处年内累计值下降 / year-to-date values that fall: "
                                         f"{listed}{'…' if len(falls) > 5 else ''}（这些区域的季度报告将不予生成）"),
                      stacklevel=2)
    return tidy


def ytd_falls(progress: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """Rows whose year-to-date amount or count is below the previous reported month of the same year."""
    cumulative = registry.indicators.loc[registry.indicators["kind"] != "growth", "indicator_id"]
    rows = progress[progress["indicator_id"].isin(cumulative)].sort_values("period")
    groups = rows.groupby([rows["period"].str[:4], rows["region"], rows["indicator_id"]])
    rows = rows.assign(previous_value=groups["value"].shift(), previous_period=groups["period"].shift())
    return rows[rows["value"] < rows["previous_value"] - 1e-9].reset_index(drop=True)


def _resolve_percent_fractions(tidy: pd.DataFrame, raw: pd.Series, units: dict, path: Path) -> pd.Series:
    """Percent indicators given as fractions (0.034 for 3.4 %): when every value of such an indicator
    that carries no % sign lies within [−1, 1] (three or more of them, not all zero), read them as
    fractions and say so. A value written with % is always a percent."""
    values = tidy["value"].copy()
    for indicator_id, index in tidy.groupby("indicator_id").groups.items():
        if units[indicator_id] != "%":
            continue
        texts = map_unique(raw.loc[index], lambda v: isinstance(v, str) and "%" in unicodedata.normalize("NFKC", v),
                           lambda *_: None).astype(bool)
        plain = values.loc[index][~texts.to_numpy()].dropna()
        if len(plain) >= 3 and plain.abs().le(1).all() and plain.ne(0).any():
            values.loc[plain.index] = plain * 100
            warnings.warn(DataQualityWarning(f"{path.name}: {indicator_id} 的数值均在 ±1 以内，按小数读作百分比（×100）"
                                             " / read as fractions of one"), stacklevel=3)
    return values


def _check_duplicates(tidy: pd.DataFrame, row_of: pd.Series, path: Path, sheet, value_column: str) -> None:
    keys = ["period", "region", "indicator_id"]
    duplicated = tidy[tidy.duplicated(keys, keep=False)]
    if duplicated.empty:
        return
    conflicting = duplicated.groupby(keys)["value"].transform("nunique") > 1
    if not conflicting.any():
        return
    first = duplicated[conflicting].iloc[0]
    same = duplicated[(duplicated[keys] == first[keys]).all(axis=1)]
    rows = [int(row_of.loc[label]) for label in same.index]
    raise InputError(
        f"{first['period']} {first['region']} {first['indicator_id']} 出现多次且数值不同（第 {rows} 行）"
        " / duplicate key with conflicting values", file=path, sheet=sheet, row=rows[1], column=value_column,
        value=same["value"].tolist(), fix="保留正确的一行，删除其余")


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
        raise InputError(f"缺少列 {sorted(missing)} / missing columns", file=path, row=1, fix="按 data/raw/README.md 补齐列")
    years = pd.to_numeric(frame["year"], errors="coerce")
    if years.isna().any():
        row = int(years.isna().to_numpy().nonzero()[0][0])
        raise InputError("年份不是整数 / year is not a whole number", file=path, row=row + 2, column="year",
                         value=frame["year"].iloc[row], fix="填写四位年份，例如 2025")
    frame["year"] = years.astype(int)

    def on_error(label, raw, exc):
        raise InputError(str(exc), file=path, row=int(label) + 2, column="value", value=raw, fix="填写数值") from None

    frame["value"] = parse_numbers(frame["value"], "", on_error)
    frame["is_example"] = frame["is_example"].str.lower().isin({"true", "1"})
    return schemas.validate(frame, schemas.COUNTY_ANNUAL, file=path)
