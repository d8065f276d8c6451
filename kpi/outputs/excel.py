"""The filled 晾晒表 as .xlsx, in the official layout of the annex.

Title with the period; 序号, 区域; each indicator over 指标 / 进度 / 排名; block 2 ends with the
composite (综合 得分 / 排名). 进度 and 排名 cells are coloured by status (green 超序时/达标, amber
基本序时, red 滞后/未达标, grey 未报送); headers frozen; number formats as printed in Chinese
offices (0.00 for 亿元, 0.0% for 进度). Notes under the table state the rules and, for example
data, say so in red. The file reads back through :func:`kpi.inputs.annex.read_annex`.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from kpi.core import atomic
from kpi.core import formatting as fmt
from kpi.core.atomic import safe_cell
from kpi.core.facts import (
    COMPOSITE,
    EXAMPLE_LABEL,
    MISSING,
    STATUS_COLOURS,
    STATUS_LEGEND,
    STATUS_MARKS,
    SUB_COLUMNS,
    annex_title,
)
from kpi.core.formatting import EXCEL_FORMATS, beijing_now, chinese_date, level_words
from kpi.inputs.annex import annex_blocks, indicator_header
from kpi.metadata.identity import Imprint
from kpi.metadata.registry import Registry
from kpi.metadata.rules import Rules
from kpi.metrics.leaderboard import published_progress

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _fill(status: str) -> PatternFill | None:
    color = STATUS_COLOURS.get(status)
    return PatternFill("solid", start_color=color, end_color=color) if color else None


def title_rows(sheet, title: str, width: int, note: str = "", note_height: float | None = None) -> int:
    """A sheet's title across ``width`` columns (bold, 14 pt, centred) and, when given, a note in red
    under it (an example warning, a form's instructions); the next free row. The title is the workbook's
    too (its document properties, in Chinese)."""
    sheet.parent.properties.title, sheet.parent.properties.language = title, "zh-CN"
    sheet.cell(1, 1, title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).alignment = CENTER
    if not note:
        return 2
    cell = sheet.cell(2, 1, note)
    cell.font = Font(bold=note_height is None, color="C00000")
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    if note_height is not None:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[2].height = note_height
    return 3


def _block_header(sheet, row: int, block: pd.DataFrame, with_composite: bool) -> list[tuple]:
    """A block's two header rows (序号 | 区域 | each indicator over 指标 / 进度 / 排名, the last block
    ending with 综合); its column groups ``(label, indicator_id, sub-columns)``."""
    header_row, sub_row = row, row + 1
    sheet.cell(header_row, 1, "序号")
    sheet.cell(header_row, 2, "区域")
    sheet.merge_cells(start_row=header_row, start_column=1, end_row=sub_row, end_column=1)
    sheet.merge_cells(start_row=header_row, start_column=2, end_row=sub_row, end_column=2)
    groups = [(indicator_header(ind), ind["indicator_id"], SUB_COLUMNS) for _, ind in block.iterrows()]
    if with_composite:
        groups.append(("综合", COMPOSITE, ("得分", "排名", "较上月")))
    column = 3
    for label, _, subs in groups:
        sheet.cell(header_row, column, safe_cell(label))
        sheet.merge_cells(
            start_row=header_row, start_column=column, end_row=header_row, end_column=column + len(subs) - 1
        )
        for offset, sub in enumerate(subs):
            sheet.cell(sub_row, column + offset, sub)
        column += len(subs)
    for r in (header_row, sub_row):
        for c in range(1, column):
            cell = sheet.cell(r, c)
            cell.font, cell.alignment, cell.border = Font(bold=True), CENTER, BORDER
            cell.fill = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")
    return groups


def _value_cells(sheet, row: int, column: int, entry: dict, indicator_id: str, unit: str) -> list:
    """指标 and 进度 of one indicator (综合: its score), as printed in the annex."""
    if indicator_id == COMPOSITE:
        score = sheet.cell(row, column, None if entry["status"] == MISSING else float(entry["completion_rate"]))
        score.number_format = _marked("0.0%", entry["status"])
        return [score]
    if entry["comparator"] == "=":
        target = sheet.cell(row, column, float(entry["target"]))
        target.number_format = "0.00" if unit in ("亿元", "万元") or entry["kind"] == "ratio" else "0"
    else:
        wording = entry.get("target_text", "")
        target = sheet.cell(row, column, fmt.annex_target(entry["target"], entry["comparator"], unit, wording))
    progress = sheet.cell(row, column + 1)
    if entry["status"] == MISSING:
        progress.value = MISSING
    else:
        kind, shown = entry["kind"], float(entry["progress_shown"])
        if kind in EXCEL_FORMATS and not (kind == "ratio" and unit == "%"):
            progress.value, progress.number_format = shown, EXCEL_FORMATS[kind]
        else:  # a completion, a growth or a ratio in %: a percent cell
            progress.value, progress.number_format = shown / 100, "0.00%" if kind == "ratio" else "0.0%"
        progress.number_format = _marked(progress.number_format, entry["status"])
    return [target, progress]


def _marked(number_format: str, status: str) -> str:
    """A number format with the status's mark before the value (``"▲ "0.0%``): the cell stays a number
    and its status survives a printer without colour."""
    mark = STATUS_MARKS.get(status, "")
    return f'"{mark} "{number_format}' if mark else number_format


def _indicator_cells(sheet, row: int, column: int, entry: dict, is_total: bool, indicator_id: str, unit: str):
    """One region × indicator: values, rank (``合计`` where the total row is the sum of its regions), the
    composite's rank change, each cell bordered and coloured by status (target cells stay white)."""
    values = _value_cells(sheet, row, column, entry, indicator_id, unit)
    is_composite = indicator_id == COMPOSITE
    rank = None if pd.isna(entry["rank"]) else int(entry["rank"])
    rank_cell = sheet.cell(row, column + (1 if is_composite else 2), rank)
    rank_cell.number_format = "0"
    if is_composite:
        change = sheet.cell(row, column + 2, entry.get("rank_change", "") or None)
        change.border, change.alignment = BORDER, CENTER
    elif is_total and entry["actual_source"] == "sum_of_regions":
        rank_cell.value = "合计"
    for cell in (*values, rank_cell):
        cell.border, cell.alignment = BORDER, CENTER
    fill = _fill(entry["status"])
    if fill is not None:
        for cell in (*values, rank_cell) if is_composite else (*values[1:], rank_cell):
            cell.fill = fill


def _notes(board_cells: pd.DataFrame, registry: Registry, year: int, month: int, rules: Rules, is_example: bool):
    """The notes under the table: the project's conventions (stated as such), how the total row was filled,
    and for example data the red warning."""
    county_sources = board_cells.loc[registry.total_name]["actual_source"]
    summed = [registry.indicator(i)["name_zh"] for i, s in county_sources.items() if s == "sum_of_regions"]
    paced = "".join(
        f"；{r.name_zh}的序时进度按声明的节奏计算（{r.pacing_reason}；来源：{r.pacing_source}）"
        for r in registry.paced.itertuples()
    )
    total = registry.total_name
    county_note = f"{total}自报值" + (
        f"；{'、'.join(summed)} {total}未报送，按各区域合计（排名栏标“合计”）" if summed else ""
    )
    level, shown = level_words(registry.indicators["kind"])
    rank_order = "按实际增幅" if level == "增长类" else "按实际值，位次越小越好"
    notes = [
        "注：以下填表口径为本项目约定，方案未作规定。1. 进度 = 年度累计完成值 ÷ 年度指标（百分比，保留一位小数）；"
        f"{level}指标的进度为{shown}" + ("（%）。" if level == "增长类" else "。"),
        f"2. 序时进度 = 月份 ÷ 12（{year}年{month}月为 {month / 12:.1%}）{paced}；"
        f"进度不低于序时为超序时（▲ 绿），低于序时不超过 {rules.near_tolerance_points:g} 个百分点为基本序时（● 黄），"
        f"其余为滞后（▼ 红）；{level}指标达到目标为达标（▲ 绿），否则未达标（▼ 红）；未报送不计零、不排名。"
        f"图例：{STATUS_LEGEND}。",
        f"3. 排名：{len(registry.region_names) - 1} 个区域之间按完成率从高到低（{level.rstrip('类')}类{rank_order}），"
        f"并列取较好名次（1、2、2、4），{total}不参与排名；较上月：↑ 上升、↓ 下降、– 不变。",
        "4. " + rules.describe(registry.indicators["kind"]),
        f"5. {total}数据：{county_note}。",
    ]
    if is_example:
        notes.append(f"6. {EXAMPLE_LABEL}：本表数据（含推算的指标）由固定种子生成器生成，仅用于演示，不代表官方数字。")
    return notes


def leaderboard_workbook(board: pd.DataFrame, registry: Registry, period: str, imprint: Imprint) -> Workbook:
    """The filled annex for one ``period`` of a :func:`kpi.metrics.leaderboard.build_leaderboard` table: the
    annex's blocks and headers, 指标 / 进度 / 排名 per region coloured by status, 综合 last, the notes
    under it, set up for A4."""
    board = board[board["period"] == period]
    if board.empty:
        raise ValueError(f"no leaderboard rows for {period}")
    year, month = int(period[:4]), int(period[5:7])
    is_example = bool(board["is_example"].any())
    kinds = board["indicator_id"].map(registry.by_id["kind"]).astype(object).fillna("")
    cells = board.assign(progress_shown=published_progress(board, registry), kind=kinds)
    cells = cells.set_index(["region", "indicator_id"])
    entries = cells.to_dict("index")  # a dict a cell (a row taken as a Series, .loc, costs ~0.5 ms a cell)
    units = registry.by_id["unit"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"晾晒表{period}"
    blocks = annex_blocks(registry)
    width = 2 + 3 * max(len(b) for b in blocks) + 3
    title = (
        annex_title(year, imprint.plan.headline) + f"（截至{year}年{month}月）" + ("（示例数据）" if is_example else "")
    )
    warning = f"注意：本表含{EXAMPLE_LABEL}（进度和/或指标），不是官方数字" if is_example else ""
    row = title_rows(sheet, title, width, warning)
    for number, block in enumerate(blocks):
        row += 1 if number else 0  # a blank row between the blocks, as in the annex
        groups = _block_header(sheet, row, block, with_composite=number == len(blocks) - 1)
        row += 2
        for order, region in zip(registry.regions["annex_order"], registry.regions["region"]):
            sheet.cell(row, 1, int(order))
            sheet.cell(row, 2, safe_cell(region))
            column = 3
            for _, indicator_id, subs in groups:
                _indicator_cells(
                    sheet,
                    row,
                    column,
                    entries[(region, indicator_id)],
                    region == registry.total_name,
                    indicator_id,
                    units.get(indicator_id, ""),
                )
                column += len(subs)
            for c in (1, 2):
                sheet.cell(row, c).border, sheet.cell(row, c).alignment = BORDER, CENTER
            row += 1
    _write_notes(sheet, row + 1, _notes(cells, registry, year, month, imprint.rules, is_example), width)
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 13
    for c in range(3, width + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 10.5
    sheet.freeze_panes = sheet.cell(3 + is_example + 1, 3)  # title (+ note) and the first header rows
    print_on_a4(sheet, imprint.organisation, imprint.made_at, rows_to_repeat=f"1:{3 + is_example}")
    return workbook


def _write_notes(sheet, row: int, notes: list[str], width: int) -> None:
    """Each note on its own merged row, tall enough for its wrapped text; example notes in red."""
    for note in notes:
        cell = sheet.cell(row, 1, note)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.row_dimensions[row].height = 15 * math.ceil(len(note) / 70)  # ~70 CJK characters a line
        if "示例" in note:
            cell.font = Font(color="C00000", bold=True)
        row += 1


def print_on_a4(
    sheet, organisation: str, made_at: dt.datetime | None, rows_to_repeat: str | None = None, one_page: bool = True
) -> None:
    """A4 landscape, one page wide (and tall), centred; the footer names the unit that compiled the
    table (制表单位), the date in Chinese (Beijing time), and 第 x 页 共 y 页; that unit is the workbook's
    author (not the library that wrote it)."""

    sheet.parent.properties.creator = sheet.parent.properties.lastModifiedBy = organisation or None
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 1 if one_page else 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    # inches; the footer (10 pt, set 0.3 in above the paper's edge) must lie inside the bottom margin, or it is cut
    sheet.page_margins.top, sheet.page_margins.bottom = 0.5, 0.75
    sheet.page_margins.header, sheet.page_margins.footer = 0.25, 0.3
    if rows_to_repeat:
        sheet.print_title_rows = rows_to_repeat
    footer = sheet.oddFooter
    footer.left.text = f"制表单位：{organisation}" if organisation else ""
    footer.center.text = "第 &P 页，共 &N 页"
    footer.right.text = f"制表日期：{chinese_date(made_at or beijing_now())}"
    for part in (footer.left, footer.center, footer.right):
        part.size = 10


def write_leaderboard_xlsx(
    board: pd.DataFrame,
    registry: Registry,
    period: str,
    path: Path,
    imprint: Imprint,
) -> Path:
    """The filled 晾晒表 of ``period``, written atomically (see :func:`leaderboard_workbook`)."""
    return atomic.save_document(leaderboard_workbook(board, registry, period, imprint), path)
