"""The forms the townships fill in. ``monthly_form`` writes the wide layout a township actually
sends — one row per region, one column per indicator, Chinese headers with units — with the period
and region filled in, last period's year-to-date value beside each cell (grey, for reference), data
validation, locked headers and a line of instructions. ``annual_form`` does the same for the
county's annual figures behind the plan's targets. :mod:`kpi.inputs.submissions` reads them back.
"""

from __future__ import annotations

import math
import re

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kpi.core.atomic import safe_cell
from kpi.core.facts import KIND_RULES
from kpi.metadata.identity import PlanIdentity
from kpi.metadata.registry import Registry
from kpi.outputs.excel import print_on_a4, title_rows

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
REFERENCE_FILL = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)


def form_filename(period: str, region: str, slug: str) -> str:
    """``报送表_2026-01_壶山镇.xlsx``: the region's name when it is plain letters (Chinese included),
    else its checked slug, so that a name from the registry never becomes a path."""
    label = region if re.fullmatch(r"\w+", region) else slug
    return f"报送表_{period}_{label}.xlsx"


def previous_period(period: str) -> str:
    """The month before ``period`` (``2026-01`` → ``2025-12``): the grey reference column of a form."""
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


#: column widths (Excel's character units) that print the forms one page wide on A4 landscape at 9 pt or
#: more for Jinyun's seven indicators (about 145 units fit at 11 pt scaled to 0.86; B, the code, is hidden)
FORM_WIDTHS = {"region": 9, "value": 12, "reference": 7}
ANNUAL_WIDTHS = (6, 30, 38, 22, 7, 26, 12, 12, 20)


def _indicator_columns(
    sheet, column: int, header_row: int, indicator, regions, known: pd.Series, before: str, total_name: str
):
    """One indicator's two columns of the monthly form: the white cells to fill (validated: a growth
    rate, or a year-to-date value not below 0) and last period's value beside them, grey."""
    label = f"{indicator.name_zh}（{indicator.unit}）"
    _style_header(sheet.cell(header_row, column, safe_cell(label)))
    _style_header(sheet.cell(header_row, column + 1, f"上期{before}（参考）"))
    sheet.column_dimensions[get_column_letter(column)].width = FORM_WIDTHS["value"]
    sheet.column_dimensions[get_column_letter(column + 1)].width = FORM_WIDTHS["reference"]
    if indicator.kind == "growth":
        rule = _number_rule("请填写同比增幅（%），例如 15.2；无数据留空", "between", "-1000", "10000")
    elif indicator.kind == "rank":
        rule = _number_rule("请填写本月位次（整数，1 以上）；无数据留空", "greaterThanOrEqual", "1")
    elif indicator.kind == "ratio":
        rule = _number_rule(f"请填写本月末的数值（{indicator.unit}），不小于0；无数据留空", "greaterThanOrEqual", "0")
    else:
        error = f"请填写年初至今累计值（{indicator.unit}），不小于0；无数据留空"
        rule = _number_rule(error, "greaterThanOrEqual", "0")
    sheet.add_data_validation(rule)
    for offset, region in enumerate(regions):
        row = header_row + 1 + offset
        entry = sheet.cell(row, column)
        entry.border = BORDER
        if region == total_name and indicator.sums_to_county:  # the total row owes only what does not sum
            entry.value, entry.fill, entry.font = "由各区域合计", REFERENCE_FILL, Font(color="808080")
            continue
        entry.protection = Protection(locked=False)
        entry.number_format = "0" if KIND_RULES[indicator.kind]["whole"] else "0.00"
        rule.add(entry)
        reference = sheet.cell(row, column + 1, known.get((region, indicator.indicator_id)))
        reference.fill, reference.border, reference.font = REFERENCE_FILL, BORDER, Font(color="808080")


def monthly_form(
    registry: Registry,
    period: str,
    regions: list[str],
    previous: pd.DataFrame,
    plan: PlanIdentity,
    organisation: str = "",
) -> Workbook:
    """The monthly submission form of ``period`` for ``regions`` (one row each), titled with ``plan``'s
    headline. ``previous``: the tidy progress of the previous period (grey reference cells; may be empty)."""
    year, month = int(period[:4]), int(period[5:7])
    before = previous_period(period)
    indicators = registry.indicators
    if regions == [registry.total_name]:  # the county's own form asks only what the county owes
        indicators = indicators[~indicators["sums_to_county"]]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报送表"
    width = 1 + 2 * len(indicators)
    who = regions[0] if len(regions) == 1 else "各区域汇总"
    title_rows(
        sheet,
        f"{plan.headline}月度进度报送表（{year}年{month}月，{who}）",
        width,
        f"填写说明：在白色格中填写{year}年{'1月' if month == 1 else f'1月至{month}月'}的累计值"
        "（增长类指标填同比增幅，单位%）；"
        f"无数据请留空，不要填0；灰色格为上期（{before}）累计值，仅供参考；请勿改动表头、时期和区域。"
        "填好后保存为 .xlsx 发回。",
        note_height=48,
    )
    sheet.cell(3, 1, "时期").font = Font(bold=True)
    sheet.cell(3, 2, period)
    sheet.cell(3, 3, "报送单位").font = Font(bold=True)
    sheet.cell(3, 4, safe_cell(who))
    header_row = 4
    _style_header(sheet.cell(header_row, 1, "区域"))
    known = previous.set_index(["region", "indicator_id"])["value"] if not previous.empty else pd.Series(dtype=float)
    for number, indicator in enumerate(indicators.itertuples()):
        _indicator_columns(sheet, 2 + 2 * number, header_row, indicator, regions, known, before, registry.total_name)
    for offset, region in enumerate(regions):
        cell = sheet.cell(header_row + 1 + offset, 1, safe_cell(region))
        cell.border, cell.font = BORDER, Font(bold=True)
    sheet.column_dimensions["A"].width = FORM_WIDTHS["region"]
    sheet.row_dimensions[header_row].height = 64  # four lines of a wrapped heading
    sheet.freeze_panes = sheet.cell(header_row + 1, 2)
    sheet.protection.sheet = True  # headers, period and region locked; the white cells are open
    print_on_a4(sheet, organisation, None, one_page=False)
    return workbook


def _annual_rows(sheet, header_row: int, series: pd.DataFrame, last: pd.Series) -> None:
    """One row per series: its code (hidden), name, measure, unit, the plan's target and last year's value
    (grey), then the white cells for this year's value (validated) and its source."""
    rule = _number_rule("请填写数值；无数据留空", "between", "-1000000", "1000000")
    sheet.add_data_validation(rule)
    for number, item in enumerate(series.itertuples(), start=1):
        row = header_row + number
        values = [number, item.series_id, item.name_zh, item.measure, item.unit, item.target_text]
        for column, value in enumerate([*values, last.get(item.series_id)], start=1):
            cell = sheet.cell(row, column, safe_cell(value))
            cell.border = BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if column == 7:
                cell.fill, cell.font = REFERENCE_FILL, Font(color="808080")
        for column in (8, 9):
            cell = sheet.cell(row, column)
            cell.protection, cell.border = Protection(locked=False), BORDER
        rule.add(sheet.cell(row, 8))


def annual_form(
    series: pd.DataFrame, year: int, known: pd.DataFrame, plan: PlanIdentity, organisation: str = ""
) -> Workbook:
    """The county's annual form of ``year``: one row per series behind the plan's targets
    (``kpi.metrics.trajectory.annual_series``), with the target (``plan.target_label``), last year's value for
    reference, and a white cell for the value and one for its source."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "年度数据"
    headers = [
        "序号",
        "代码",
        "指标（方案名称）",
        "口径",
        "单位",
        plan.target_label,
        f"{year - 1}年（参考）",
        f"{year}年数值",
        "数据来源（如 统计公报、部门台账）",
    ]
    title_rows(
        sheet,
        f"{plan.headline}年度数据报送表（{year}年）",
        len(headers),
        f"填写说明：在白色格中填写{year}年的{plan.county}数值（口径见第4列：年末值，或当年新增）；无数据留空，不要填0；"
        "灰色格为上年数值，仅供参考；请注明数据来源。请勿改动其他列。",
        note_height=48,
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
    _annual_rows(sheet, header_row, series, last)
    widths = dict(zip("ABCDEFGHI", ANNUAL_WIDTHS))
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
