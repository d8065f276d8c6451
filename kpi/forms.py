"""The forms the townships fill in, and reading them back.

``monthly_form`` writes the wide layout a township actually sends — one row per region, one column
per indicator, Chinese headers with units — with the period and region filled in, last period's
year-to-date value beside each cell (grey, for reference), data validation, locked headers and a
line of instructions. ``annual_form`` does the same for the county's annual figures behind the
plan's 2027 targets.

``read_submission`` reads a returned file in any accepted layout:

- the wide form (header ``区域`` + indicator columns; a ``时期`` column, a ``时期`` cell above the
  table, or a title ``2026年1月`` gives the period);
- a long table (时期/区域/指标/数值, or period/region/indicator_id/value), through ``read_progress``;
- a filled 晾晒表 in the annex layout: 进度 is completion, so the value is 进度 × 指标 (the growth
  indicator's 进度 is the growth itself), approximate to the rounding of 进度 (said in a notice).

Every value keeps its provenance: file, sheet, row and column. Pure readers: nothing is written.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kpi.atomic import safe_cell
from kpi.errors import InputError
from kpi.excel import print_on_a4
from kpi.grids import Sheet, read_sheets
from kpi.parsing import is_blank, normalize_text, parse_number, parse_period
from kpi.progress_input import read_progress
from kpi.registry import Registry

REFERENCE_MARKERS = ("参考", "上期", "上月", "备注", "说明", "来源")
REGION_HEADERS = ("区域", "地区", "乡镇(街道)", "乡镇街道", "单位", "报送单位", "region")
PERIOD_HEADERS = ("时期", "月份", "统计期", "period")
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
REFERENCE_FILL = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)


@dataclass
class Submission:
    """What one returned file holds: tidy values with their provenance, and notices for the reader."""

    path: Path
    layout: str  # wide | long | annex | annual
    values: pd.DataFrame  # period (or year), region, indicator_id, value, sheet, row, column
    notices: list[str] = field(default_factory=list)


def form_filename(period: str, region: str, slug: str) -> str:
    """``报送表_2026-01_壶山镇.xlsx``: the region's name when it is plain letters (Chinese included),
    else its checked slug, so that a name from the registry never becomes a path."""
    label = region if re.fullmatch(r"\w+", region) else slug
    return f"报送表_{period}_{label}.xlsx"


def previous_period(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7])
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


# ---------------------------------------------------------------- writing the forms
def _style_header(cell) -> None:
    cell.font, cell.alignment, cell.border, cell.fill = Font(bold=True), WRAP, BORDER, HEADER_FILL


def _number_rule(error: str, operator: str, *bounds: str) -> DataValidation:
    """Excel's own check on a value cell: a decimal within ``bounds``, blank allowed, ``error`` shown."""
    return DataValidation(
        type="decimal",
        operator=operator,
        formula1=bounds[0],
        formula2=bounds[1] if len(bounds) > 1 else None,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="数值有误",
        error=error,
    )


def _title_rows(sheet, title: str, instructions: str, width: int) -> None:
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).alignment = WRAP
    note = sheet.cell(2, 1, instructions)
    note.alignment = Alignment(wrap_text=True, vertical="top")
    note.font = Font(color="C00000")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    sheet.row_dimensions[2].height = 48


def monthly_form(
    registry: Registry,
    period: str,
    regions: list[str],
    previous: pd.DataFrame,
    county: str,
    organisation: str = "",
) -> Workbook:
    """The monthly submission form of ``period`` for ``regions`` (one row each). ``previous``: the
    tidy progress of the previous period (for the grey reference cells; may be empty)."""
    year, month = int(period[:4]), int(period[5:7])
    before = previous_period(period)
    indicators = registry.indicators
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报送表"
    width = 1 + 2 * len(indicators)
    who = regions[0] if len(regions) == 1 else "各区域汇总"
    _title_rows(
        sheet,
        f"{county}“139”科技创新体系建设月度进度报送表（{year}年{month}月，{who}）",
        f"填写说明：在白色格中填写{year}年1月至{month}月的累计值（增长类指标填同比增幅，单位%）；"
        f"无数据请留空，不要填0；灰色格为上期（{before}）累计值，仅供参考；请勿改动表头、时期和区域。"
        "填好后保存为 .xlsx 发回。",
        width,
    )
    sheet.cell(3, 1, "时期").font = Font(bold=True)
    sheet.cell(3, 2, period)
    sheet.cell(3, 3, "报送单位").font = Font(bold=True)
    sheet.cell(3, 4, safe_cell(who))
    header_row = 4
    _style_header(sheet.cell(header_row, 1, "区域"))
    known = previous.set_index(["region", "indicator_id"])["value"] if not previous.empty else pd.Series(dtype=float)
    for number, indicator in enumerate(indicators.itertuples()):
        column = 2 + 2 * number
        label = f"{indicator.name_zh}（{indicator.unit}）"
        _style_header(sheet.cell(header_row, column, safe_cell(label)))
        _style_header(sheet.cell(header_row, column + 1, f"上期{before}（参考）"))
        sheet.column_dimensions[get_column_letter(column)].width = 16
        sheet.column_dimensions[get_column_letter(column + 1)].width = 11
        if indicator.kind == "growth":
            rule = _number_rule("请填写同比增幅（%），例如 15.2；无数据留空", "between", "-1000", "10000")
        else:
            rule = _number_rule(
                f"请填写年初至今累计值（{indicator.unit}），不小于0；无数据留空", "greaterThanOrEqual", "0"
            )
        sheet.add_data_validation(rule)
        for offset, region in enumerate(regions):
            row = header_row + 1 + offset
            entry = sheet.cell(row, column)
            entry.protection = Protection(locked=False)
            entry.border = BORDER
            entry.number_format = "0.00" if indicator.unit in ("亿元", "万元", "%") else "0"
            rule.add(entry)
            reference = sheet.cell(row, column + 1, known.get((region, indicator.indicator_id)))
            reference.fill, reference.border, reference.font = REFERENCE_FILL, BORDER, Font(color="808080")
    for offset, region in enumerate(regions):
        cell = sheet.cell(header_row + 1 + offset, 1, safe_cell(region))
        cell.border, cell.font = BORDER, Font(bold=True)
    sheet.column_dimensions["A"].width = 14
    sheet.row_dimensions[header_row].height = 45
    sheet.freeze_panes = sheet.cell(header_row + 1, 2)
    sheet.protection.sheet = True  # headers, period and region locked; the white cells are open
    print_on_a4(sheet, organisation, None, one_page=False)
    return workbook


def annual_form(series: pd.DataFrame, year: int, known: pd.DataFrame, county: str, organisation: str = "") -> Workbook:
    """The county's annual form of ``year``: one row per series behind the plan's 2027 targets
    (``kpi.trajectory.annual_series``), with the 2027 target, last year's value for reference, and
    a white cell for the value and one for its source."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "年度数据"
    headers = [
        "序号",
        "代码",
        "指标（方案名称）",
        "口径",
        "单位",
        "2027年目标",
        f"{year - 1}年（参考）",
        f"{year}年数值",
        "数据来源（如 统计公报、部门台账）",
    ]
    _title_rows(
        sheet,
        f"{county}“139”科技创新体系建设年度数据报送表（{year}年）",
        f"填写说明：在白色格中填写{year}年的全县数值（口径见第4列：年末值，或当年新增）；无数据留空，不要填0；"
        "灰色格为上年数值，仅供参考；请注明数据来源。请勿改动其他列。",
        len(headers),
    )
    sheet.cell(3, 1, "年份").font = Font(bold=True)
    sheet.cell(3, 3, year).alignment = Alignment(horizontal="left")  # column B holds the hidden codes
    header_row = 4
    for column, label in enumerate(headers, start=1):
        _style_header(sheet.cell(header_row, column, safe_cell(label)))
    last = (
        known[known["year"] == year - 1].set_index("indicator_id")["value"]
        if not known.empty
        else pd.Series(dtype=float)
    )
    rule = _number_rule("请填写数值；无数据留空", "between", "-1000000", "1000000")
    sheet.add_data_validation(rule)
    for number, item in enumerate(series.itertuples(), start=1):
        row = header_row + number
        values = [
            number,
            item.series_id,
            item.name_zh,
            item.measure,
            item.unit,
            item.target_text,
            last.get(item.series_id),
        ]
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row, column, safe_cell(value))
            cell.border = BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if column == 7:
                cell.fill, cell.font = REFERENCE_FILL, Font(color="808080")
        for column in (8, 9):
            cell = sheet.cell(row, column)
            cell.protection, cell.border = Protection(locked=False), BORDER
        rule.add(sheet.cell(row, 8))
    widths = dict(zip("ABCDEFGHI", (6, 30, 44, 24, 7, 30, 12, 12, 26)))
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width
    for row in range(header_row + 1, header_row + 1 + len(series)):  # room for the longest wrapped cell
        lines = max(math.ceil(len(str(sheet[f"{c}{row}"].value or "")) * 2 / widths[c]) for c in "CDF")
        sheet.row_dimensions[row].height = 15 * max(1, lines)
    sheet.row_dimensions[header_row].height = 30
    sheet.column_dimensions["B"].hidden = True  # the code is for reading back, not for the clerk
    sheet.freeze_panes = sheet.cell(header_row + 1, 3)
    sheet.protection.sheet = True
    print_on_a4(sheet, organisation, None, rows_to_repeat=f"{header_row}:{header_row}", one_page=False)
    return workbook


# ---------------------------------------------------------------- reading returned files
def _letter(sheet: Sheet, column: int) -> str:
    return f"第 {column + 1} 列" if sheet.name is None else get_column_letter(column + 1)


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


def _read_wide(path: Path, sheet: Sheet, found, registry: Registry, period: str | None) -> pd.DataFrame:
    header_index, region_column, columns, period_column = found
    units = dict(zip(registry.indicators["indicator_id"], registry.indicators["unit"]))
    kinds = dict(zip(registry.indicators["indicator_id"], registry.indicators["kind"]))
    top_period = _period_in_top(sheet.rows, header_index)
    records = []
    for row_index in range(header_index + 1, len(sheet.rows)):
        if row_index in sheet.hidden_rows:
            continue
        row = sheet.rows[row_index]
        cell = row[region_column] if region_column < len(row) else None
        location = dict(file=path, sheet=sheet.name, row=row_index + 1)
        if is_blank(cell):
            if all(is_blank(row[j]) for j in columns if j < len(row)):
                continue  # a blank row a clerk left between regions: the table goes on below it
            raise InputError(
                "区域为空但有数值 / values without a region",
                column=_letter(sheet, region_column),
                fix="填写区域名称",
                **location,
            )
        if normalize_text(cell).startswith(("注", "说明", "备注", "填表", "审核", "负责人")):
            break
        try:
            region = registry.resolve_region(cell)
        except KeyError as exc:
            raise InputError(
                str(exc.args[0]),
                column=_letter(sheet, region_column),
                value=cell,
                fix="改为已知区域名称，或在 data/raw/regions.csv 的 aliases 中登记别名",
                **location,
            ) from None
        row_period = top_period
        if period_column is not None and period_column < len(row) and not is_blank(row[period_column]):
            try:
                row_period = parse_period(row[period_column])
            except ValueError as exc:
                raise InputError(
                    str(exc),
                    column=_letter(sheet, period_column),
                    value=row[period_column],
                    fix="写成 YYYY-MM，例如 2026-01",
                    **location,
                ) from None
        row_period = row_period or period
        if row_period is None:
            raise InputError(
                "表中找不到时期 / no period in the form",
                fix="在表头上方写“时期 2026-01”，或加一列“时期”，或在命令中给出 --period",
                **location,
            )
        for j, indicator_id in columns.items():
            raw = row[j] if j < len(row) else None
            try:
                value = parse_number(raw, units[indicator_id])
            except ValueError as exc:
                raise InputError(
                    str(exc),
                    column=_letter(sheet, j),
                    value=raw,
                    fix="填写数值（可带单位，如 15.44亿元），无数据留空",
                    **location,
                ) from None
            if value is None:
                continue
            if kinds[indicator_id] != "growth" and value < 0:
                raise InputError(
                    "累计完成值不能为负 / a year-to-date amount or count cannot be negative",
                    column=_letter(sheet, j),
                    value=raw,
                    fix="核对数值",
                    **location,
                )
            records.append(
                {
                    "period": row_period,
                    "region": region,
                    "indicator_id": indicator_id,
                    "value": value,
                    "sheet": sheet.name or "",
                    "row": row_index + 1,
                    "column": _letter(sheet, j),
                }
            )
    return pd.DataFrame.from_records(
        records, columns=["period", "region", "indicator_id", "value", "sheet", "row", "column"]
    )


def _read_filled_annex(path: Path, registry: Registry) -> tuple[pd.DataFrame, list[str]]:
    """Values from a filled 晾晒表: 进度 × 指标 (growth: 进度 itself)."""
    from kpi.annex import read_annex

    targets = read_annex(path, registry, check_sums=False)
    year = int(targets["year"].iloc[0])
    sheets = read_sheets(path)
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
    period = f"{year:04d}-{month:02d}"
    kinds = dict(zip(registry.indicators["indicator_id"], registry.indicators["kind"]))
    target = targets.set_index(["region", "indicator_id"])["target"]
    records = []
    for sheet in sheets:
        for header_index, header in enumerate(sheet.rows):
            texts = [normalize_text(v) for v in header]
            if "区域" not in texts or header_index + 1 >= len(sheet.rows):
                continue
            region_column = texts.index("区域")
            sub = [normalize_text(v) for v in sheet.rows[header_index + 1]]
            for j, label in enumerate(sub):
                if label != "指标":
                    continue
                name = next(
                    (header[k] for k in range(j, region_column, -1) if k < len(header) and not is_blank(header[k])),
                    None,
                )
                indicator_id = registry.resolve_indicator(name)
                for row_index in range(header_index + 2, len(sheet.rows)):
                    row = sheet.rows[row_index]
                    cell = row[region_column] if region_column < len(row) else None
                    if (
                        is_blank(cell)
                        or normalize_text(cell) in ("区域", "序号")
                        or normalize_text(cell).startswith("注")
                    ):
                        break
                    region = registry.resolve_region(cell)
                    raw = row[j + 1] if j + 1 < len(row) else None
                    if is_blank(raw) or normalize_text(raw) == "未报送":
                        continue
                    try:
                        shown = parse_number(raw, "%")
                    except ValueError as exc:
                        raise InputError(
                            str(exc),
                            file=path,
                            sheet=sheet.name,
                            row=row_index + 1,
                            column=_letter(sheet, j + 1),
                            value=raw,
                            fix="进度填百分比数值",
                        ) from None
                    value = (
                        shown
                        if kinds[indicator_id] == "growth"
                        else round(shown / 100 * target[(region, indicator_id)], 6)
                    )
                    records.append(
                        {
                            "period": period,
                            "region": region,
                            "indicator_id": indicator_id,
                            "value": value,
                            "sheet": sheet.name or "",
                            "row": row_index + 1,
                            "column": _letter(sheet, j + 1),
                        }
                    )
    notice = (
        f"{path.name}：按晾晒表读入，累计值 = 进度 × 指标，精度受进度取整影响"
        " / read from a filled 晾晒表: values are 进度 × target, as precise as 进度 was rounded"
    )
    return pd.DataFrame.from_records(
        records, columns=["period", "region", "indicator_id", "value", "sheet", "row", "column"]
    ), [notice]


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


def read_annual_submission(path: str | Path, series: pd.DataFrame, year: int | None = None) -> Submission:
    """A returned annual form: the ``代码`` column (or the 指标 name) and the ``YYYY年数值`` column."""
    path = Path(path)
    by_name = {normalize_text(n): s for n, s in zip(series["name_zh"], series["series_id"])}
    known = set(series["series_id"])
    for sheet in read_sheets(path):
        for index, row in enumerate(sheet.rows[:20]):
            texts = [normalize_text(v) for v in row]
            value_columns = [
                (j, int(m.group(1))) for j, t in enumerate(texts) if (m := re.fullmatch(r"(20\d{2})年数值", t))
            ]
            if not value_columns:
                continue
            value_column, form_year = value_columns[0]
            if year is not None and form_year != year:
                raise InputError(
                    f"这是 {form_year} 年的年度报送表，不是 {year} 年 / a form for another year",
                    file=path,
                    sheet=sheet.name,
                    row=index + 1,
                    column=_letter(sheet, value_column),
                    value=row[value_column],
                    fix=f"收集 {form_year} 年的表时用 --year {form_year}",
                )
            code_column = texts.index("代码") if "代码" in texts else None
            name_column = next((j for j, t in enumerate(texts) if t.startswith("指标")), None)
            source_column = next((j for j, t in enumerate(texts) if t.startswith("数据来源")), None)
            records = []
            for row_index in range(index + 1, len(sheet.rows)):
                cells = sheet.rows[row_index]
                code = (
                    normalize_text(cells[code_column]) if code_column is not None and code_column < len(cells) else ""
                )
                name = (
                    normalize_text(cells[name_column]) if name_column is not None and name_column < len(cells) else ""
                )
                if not code and not name:
                    break
                series_id = code if code in known else by_name.get(name)
                location = dict(file=path, sheet=sheet.name, row=row_index + 1)
                if series_id is None:
                    raise InputError(
                        "未知的年度指标 / unknown annual series",
                        value=code or name,
                        column=_letter(sheet, code_column if code else name_column),
                        fix="使用 `kpi template --year` 生成的表，不要改动代码和指标列",
                        **location,
                    )
                raw = cells[value_column] if value_column < len(cells) else None
                try:
                    value = parse_number(raw)
                except ValueError as exc:
                    raise InputError(
                        str(exc), column=_letter(sheet, value_column), value=raw, fix="填写数值，无数据留空", **location
                    ) from None
                if value is None:
                    continue
                note = (
                    normalize_text(cells[source_column])
                    if source_column is not None and source_column < len(cells)
                    else ""
                )
                records.append(
                    {
                        "year": form_year,
                        "indicator_id": series_id,
                        "value": value,
                        "note": note,
                        "sheet": sheet.name or "",
                        "row": row_index + 1,
                        "column": _letter(sheet, value_column),
                    }
                )
            return Submission(
                path,
                "annual",
                pd.DataFrame.from_records(
                    records, columns=["year", "indicator_id", "value", "note", "sheet", "row", "column"]
                ),
            )
    raise InputError(
        "不是年度报送表：找不到“YYYY年数值”列 / not an annual form",
        file=path,
        fix="用 `kpi template --year YYYY` 生成年度报送表填写",
    )
