"""The monthly 情况通报 as .docx: the document a county office actually circulates.

Title and period; a paragraph of the headline numbers; the 晾晒表 as a Word table (each cell
进度（排名）, coloured by status); the lagging items grouped by the unit responsible under the plan;
the rules and data notes, and the 示例 label where it applies. A4 landscape.

Fonts: 黑体 for headings, 仿宋 for the text, set as the East Asian font of every run. Word on
Chinese Windows has both; where a font is missing (LibreOffice on Linux), the reader substitutes
its CJK default (Noto Sans CJK on Debian), so the text always shows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from kpi import EXAMPLE_LABEL
from kpi import formatting as fmt
from kpi.facts import COMPOSITE, MISSING, STATUS_COLOURS, STATUS_LEGEND, STATUS_MARKS
from kpi.identity import Imprint
from kpi.quarterly import GAP_COLUMN, conventions, headline, lagging_table, shown_progress
from kpi.registry import Registry

HEADING_FONT, BODY_FONT = "黑体", "仿宋"


def _font(run, name: str, size: float, bold: bool = False, colour: str | None = None) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)  # the CJK face
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)


def _paragraph(
    document,
    text: str,
    font: str = BODY_FONT,
    size: float = 12,
    bold: bool = False,
    colour: str | None = None,
    align=None,
):
    paragraph = document.add_paragraph()
    _font(paragraph.add_run(text), font, size, bold, colour)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _shade(cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)


def _cell_text(cell, text: str, bold: bool = False, size: float = 9) -> None:
    cell.text = ""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), BODY_FONT, size, bold)


def board_cells(board: pd.DataFrame, period: str, registry: Registry) -> pd.DataFrame:
    """Each region × indicator (and 综合) as the bulletin prints it: ``进度（排名）`` and its status."""
    rows = board[board["period"] == period].reset_index(drop=True)
    shown = shown_progress(rows, registry)
    marks = rows["status"].astype(str).map(STATUS_MARKS).fillna("")
    text = [
        value if value == MISSING else f"{mark} {value}".strip() + ("" if pd.isna(rank) else f"（{int(rank)}）")
        for value, rank, mark in zip(shown, rows["rank"], marks)
    ]
    return rows[["region", "indicator_id", "status"]].assign(text=text, status=rows["status"].astype(str))


def _page(document: Document, organisation: str, made_at: dt.datetime | None) -> None:
    """A4 landscape, office margins, a footer with the compiling unit and the date."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(1.8))
    section.top_margin = section.bottom_margin = Cm(1.6)
    footer = section.footer.paragraphs[0]
    _font(footer.add_run(f"制表单位：{organisation}    " if organisation else ""), BODY_FONT, 9)
    _font(footer.add_run(f"{fmt.chinese_date(made_at or fmt.beijing_now())}"), BODY_FONT, 9)


def _board_table(document: Document, board: pd.DataFrame, period: str, registry: Registry) -> None:
    """二、晾晒表: each cell “进度（排名）”, shaded by status, 综合得分 last."""
    cells = board_cells(board, period, registry).set_index(["region", "indicator_id"])
    columns = [*registry.indicators["indicator_id"], COMPOSITE]
    names = {**registry.by_id["name_zh"].to_dict(), COMPOSITE: "综合得分"}
    table = document.add_table(rows=1 + len(registry.region_names), cols=1 + len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _cell_text(table.cell(0, 0), "区域", bold=True)
    for j, indicator_id in enumerate(columns, start=1):
        _cell_text(table.cell(0, j), names[indicator_id], bold=True)
    size = 9 if len(columns) <= 8 else 7.5  # more indicators than the annex's 7: smaller, not wrapped
    for i, region in enumerate(registry.region_names, start=1):
        _cell_text(table.cell(i, 0), region, bold=True)
        for j, indicator_id in enumerate(columns, start=1):
            entry = cells.loc[(region, indicator_id)]
            _cell_text(table.cell(i, j), entry["text"], size=size)
            if entry["status"] in STATUS_COLOURS:
                _shade(table.cell(i, j), STATUS_COLOURS[entry["status"]])


def gap_text(item: dict) -> str:
    """A lagging item's gap with its unit (:data:`kpi.quarterly.GAP_COLUMN` is in points)."""
    return f"{item[GAP_COLUMN]}个百分点" if GAP_COLUMN in item else str(item["差距"])


def _lagging_items(document: Document, board: pd.DataFrame, period: str, registry: Registry) -> None:
    """三、滞后事项: every lagging or unmet item, grouped by the unit responsible (方案条款)."""
    behind = lagging_table(board, period, registry.total_name, registry)
    if behind.empty:
        _paragraph(document, "本月无滞后或未达标事项。")
    for unit, items in behind.groupby("责任单位", sort=False):
        _paragraph(document, f"{unit}（{len(items)}项）", BODY_FONT, 12, bold=True)
        for item in items.to_dict("records"):
            _paragraph(
                document,
                f"· {item['区域']} {item['指标']}：进度{item['进度']}，序时进度或目标{item['序时进度或目标']}，"
                f"差{gap_text(item)}（{item['状态']}，方案条款{item['方案条款']}）。",
                size=11,
            )


def bulletin(board: pd.DataFrame, registry: Registry, period: str, imprint: Imprint) -> Document:
    """The 情况通报 of ``period`` (see the module docstring): 总体情况, 晾晒表, 滞后事项, 说明."""
    year, month = int(period[:4]), int(period[5:7])
    document = Document()
    _page(document, imprint.organisation, imprint.made_at)
    _paragraph(document, f"{imprint.plan.headline}情况通报", HEADING_FONT, 20, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, f"（{year}年{month}月）", BODY_FONT, 14, align=WD_ALIGN_PARAGRAPH.CENTER)
    if board["is_example"].any():
        warning = f"注意：本通报基于{EXAMPLE_LABEL}，数字不是官方数据，仅演示格式。"
        _paragraph(document, warning, BODY_FONT, 12, True, "C00000")
    _paragraph(document, "一、总体情况", HEADING_FONT, 15)
    _paragraph(document, headline(board, period, registry.total_name, registry))
    composite = board[(board["period"] == period) & (board["indicator_id"] == COMPOSITE) & board["rank"].notna()]
    order = "、".join(
        f"{r.region}（{fmt.rate(r.completion_rate)}）" for r in composite.sort_values("rank").itertuples()
    )
    if order:
        _paragraph(document, f"综合得分排名：{order}。")
    _paragraph(document, "二、晾晒表", HEADING_FONT, 15)
    level, shown = fmt.level_words(registry.indicators["kind"])
    legend = f"每格为“状态标记 进度（排名）”；{level}指标的进度为{shown}。{STATUS_LEGEND}。"
    _paragraph(document, legend, size=10)
    _board_table(document, board, period, registry)
    _paragraph(document, "三、滞后事项与责任单位", HEADING_FONT, 15)
    _lagging_items(document, board, period, registry)
    _paragraph(document, "四、说明", HEADING_FONT, 15)
    notes = [
        f"数据截至{year}年{month}月，为年初至今累计值；"
        + ("增长类指标为同比增幅。" if level == "增长类" else f"{level}指标为当月的{shown}。"),
        *conventions(imprint.rules, registry),
    ]
    for number, note in enumerate([*notes, "未报送不计零、不排名。"], start=1):
        _paragraph(document, f"{number}. {note}", size=10)
    _properties(document, f"{imprint.plan.headline}情况通报（{year}年{month}月）", imprint)
    return document


def _properties(document: Document, title: str, imprint: Imprint) -> None:
    """The document's own properties from the project (python-docx's template says 2013, python-docx)."""
    made = (imprint.made_at or fmt.beijing_now()).astimezone(dt.timezone.utc).replace(tzinfo=None)
    properties = document.core_properties
    properties.title, properties.subject = title, "情况通报"
    properties.author = properties.last_modified_by = imprint.organisation or imprint.county
    properties.created = properties.modified = made
    properties.revision, properties.language = 1, "zh-CN"
    properties.comments = properties.keywords = properties.category = ""
