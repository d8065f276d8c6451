"""The monthly 情况通报 as .docx: the document a county office signs and circulates, as a 公文 after
GB/T 9704-2012 (the page, type, 版头, 页码 and 版记 of :mod:`kpi.outputs.gongwen`).

版头 (发文机关标志 and 发文字号 from ``[publication]`` of kpi.toml; where it is silent, this project's
defaults: the organisation's 文件, and the county's first character and 科 with the year and month, e.g.
缙科〔2025〕6号, to be replaced by the office's own); the title and the month; 主送机关 (``recipients``, else
the kinds of region in the registry and the departments); 一、总体情况, 二、晾晒表 (a
table inside the 版心, each cell 状态标记 进度（排名）, coloured by status), 三、滞后事项 by the unit
responsible under the plan, 四、说明 (the rules applied); 署名 and 成文日期; 版记. The 示例 label where it
applies.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from kpi.core import formatting as fmt
from kpi.core.facts import COMPOSITE, MISSING, STATUS_COLOURS, STATUS_LEGEND, STATUS_MARKS
from kpi.metadata.identity import Imprint
from kpi.metadata.registry import Registry
from kpi.metrics.quarterly import GAP_COLUMN, headline, lagging_table, shown_progress
from kpi.outputs import gongwen as gw
from kpi.outputs.report_notes import conventions

TABLE_SIZE = 9  # the 晾晒表's cells: printed at 9 pt, inside the 156 mm 版心


def _shade(cell, colour: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), colour)
    cell._tc.get_or_add_tcPr().append(shading)


def _cell_text(cell, text: str, bold: bool = False, size: float = TABLE_SIZE) -> None:
    cell.text = ""
    added = cell.paragraphs[0]
    added.alignment = WD_ALIGN_PARAGRAPH.CENTER
    added.paragraph_format.space_before = added.paragraph_format.space_after = Pt(0)
    lines = text.split("\n")
    for number, line in enumerate(lines):
        run = added.add_run(line)
        gw.run_font(run, gw.FANGSONG, size, bold)
        if number < len(lines) - 1:
            run.add_break()


def board_cells(board: pd.DataFrame, period: str, registry: Registry) -> pd.DataFrame:
    """Each region × indicator (and 综合) as the bulletin prints it: ``进度（排名）`` and its status."""
    rows = board[board["period"] == period].reset_index(drop=True)
    shown = shown_progress(rows, registry)
    marks = rows["status"].astype(str).map(STATUS_MARKS).fillna("")
    text = [
        value if value == MISSING else f"{mark} {value}".strip() + ("" if pd.isna(rank) else f"\n（{int(rank)}）")
        for value, rank, mark in zip(shown, rows["rank"], marks)
    ]
    return rows[["region", "indicator_id", "status"]].assign(text=text, status=rows["status"].astype(str))


#: how many columns of 进度 fit the portrait 版心 at 9 pt; a wider 晾晒表 gets a page turned (横排表格)
PORTRAIT_COLUMNS = 8


def _board_table(document: Document, board: pd.DataFrame, period: str, registry: Registry) -> None:
    """二、晾晒表 inside the 版心: each cell “标记 进度” over “（排名）”, shaded by status, 综合得分 last;
    the region column 20 mm, the others sharing the rest; cell margins narrow, the header repeated. More
    columns than :data:`PORTRAIT_COLUMNS`: on pages of their own turned to landscape, the text after it
    back on portrait pages (GB/T 9704 横排表格)."""
    cells = board_cells(board, period, registry).set_index(["region", "indicator_id"])
    columns = [*registry.indicators["indicator_id"], COMPOSITE]
    names = {**registry.by_id["name_zh"].to_dict(), COMPOSITE: "综合得分"}
    turned = len(columns) > PORTRAIT_COLUMNS
    if turned:
        gw.page(document.add_section(WD_SECTION.NEW_PAGE), landscape=True)
    table = document.add_table(rows=1 + len(registry.region_names), cols=1 + len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(int(Mm(0.6).twips)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.append(margins)
    width = Mm(225 if turned else 156)  # the 版心's width, turned or not
    widths = [Mm(20), *[(width - Mm(20)) // len(columns)] * len(columns)]
    header = table.rows[0]
    header._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for j, label in enumerate(["区域", *(names[i] for i in columns)]):
        _cell_text(header.cells[j], label, bold=True)
    entries = cells.to_dict("index")
    for region, row in zip(registry.region_names, table.rows[1:]):
        row_cells = row.cells  # once a row: Table.cell(i, j) walks the whole table each time
        _cell_text(row_cells[0], region, bold=True)
        for indicator_id, cell in zip(columns, row_cells[1:]):
            entry = entries[(region, indicator_id)]
            _cell_text(cell, entry["text"])
            if entry["status"] in STATUS_COLOURS:
                _shade(cell, STATUS_COLOURS[entry["status"]])
    for row in table.rows:
        for cell, cell_width in zip(row.cells, widths):
            cell.width = cell_width
    if turned:
        gw.page(document.add_section(WD_SECTION.NEW_PAGE))


def gap_text(item: dict) -> str:
    """A lagging item's gap in words: ``落后12.5个百分点``, ``差1位``, ``差0.10%``."""
    if GAP_COLUMN in item:  # every gap in points
        return f"落后{str(item[GAP_COLUMN]).lstrip('-')}个百分点"
    gap = str(item["差距"]).lstrip("-")
    return f"落后{gap}" if gap.endswith("个百分点") else f"差{gap}"


def _against(item: dict) -> str:
    """What a lagging item is measured against: ``序时进度75.0%`` or ``目标15%``."""
    reference = str(item["序时进度或目标"]).replace(" ", "")
    return reference if reference.startswith("目标") else f"序时进度{reference}"


def _lagging_items(document: Document, board: pd.DataFrame, period: str, registry: Registry) -> None:
    """三、滞后事项: every lagging or unmet item, grouped by the unit responsible ((一)(二)… in 楷体)."""
    behind = lagging_table(board, period, registry.total_name, registry)
    if behind.empty:
        gw.paragraph(document, "本月无滞后或未达标事项。", indent=2)
    for number, (unit, items) in enumerate(behind.groupby("责任单位", sort=False), start=1):
        gw.paragraph(document, f"（{_chinese_number(number)}）{unit}（{len(items)}项）", gw.KAITI, indent=2)
        for item in items.to_dict("records"):
            clause = f"，方案条款{item['方案条款']}" if item["方案条款"] not in ("", "—") else ""
            gw.paragraph(
                document,
                f"{item['区域']}{item['指标']}：进度{item['进度']}，{_against(item)}，{gap_text(item)}"
                f"（{item['状态']}{clause}）。",
                indent=2,
            )


def _chinese_number(number: int) -> str:
    digits = "零一二三四五六七八九"
    return (
        digits[number]
        if number < 10
        else ("十" if number < 20 else digits[number // 10] + "十") + (digits[number % 10] if number % 10 else "")
    )


def _recipients(registry: Registry) -> str:
    """主送机关 from the kinds of region the registry has: 各乡镇（街道）、开发区，有关部门."""
    kinds = set(registry.regions["kind"])
    towns = "各乡镇（街道）" if kinds & {"镇", "乡", "街道"} else "各区域"
    return towns + ("、开发区" if "开发区" in kinds else "") + "，有关部门"


def bulletin(board: pd.DataFrame, registry: Registry, period: str, imprint: Imprint) -> Document:
    """The 情况通报 of ``period`` as a 公文 (see the module docstring): 版头, title, 主送, 总体情况, 晾晒表,
    滞后事项, 说明, 署名 and 成文日期, 版记."""
    year, month = int(period[:4]), int(period[5:7])
    issuer = imprint.organisation or imprint.county
    made = imprint.made_at or fmt.beijing_now()
    chosen = imprint.publication  # [publication] of kpi.toml; this project's defaults where it is silent
    number = chosen.get("document_number") or f"{imprint.county[:1]}科〔{{year}}〕{{month}}号"
    document = Document()
    gw.setup(document)
    gw.masthead(document, chosen.get("issuer_mark") or f"{issuer}文件", number.format(year=year, month=month))
    gw.paragraph(document)
    for line in (f"{imprint.plan.headline}情况通报", f"（{year}年{month}月）"):
        gw.paragraph(document, line, gw.XIAOBIAOSONG, gw.SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, exact=Pt(36))
    gw.paragraph(document)
    gw.paragraph(document, f"{chosen.get('recipients') or _recipients(registry)}：")
    if board["is_example"].any():
        warning = "注意：本通报基于示例数据（由固定种子生成，非官方），数字不是官方数据，仅演示格式。"
        gw.paragraph(document, warning, bold=True, colour="C00000", indent=2)
    gw.paragraph(document, "一、总体情况", gw.HEITI, indent=2)
    gw.paragraph(document, headline(board, period, registry.total_name, registry), indent=2)
    composite = board[(board["period"] == period) & (board["indicator_id"] == COMPOSITE) & board["rank"].notna()]
    order = "、".join(
        f"{r.region}（{fmt.rate(r.completion_rate)}）" for r in composite.sort_values("rank").itertuples()
    )
    if order:
        gw.paragraph(document, f"综合得分排名：{order}。", indent=2)
    gw.paragraph(document, "二、晾晒表", gw.HEITI, indent=2)
    level, shown = fmt.level_words(registry.indicators["kind"])
    legend = f"每格为“状态标记 进度（排名）”；{level}指标的进度为{shown}。{STATUS_LEGEND}。"
    gw.paragraph(document, legend, size=10.5, exact=Pt(18), indent=2)
    _board_table(document, board, period, registry)
    gw.paragraph(document, "三、滞后事项与责任单位", gw.HEITI, indent=2)
    _lagging_items(document, board, period, registry)
    gw.paragraph(document, "四、说明", gw.HEITI, indent=2)
    notes = [
        f"数据截至{year}年{month}月，为年初至今累计值；"
        + ("增长类指标为同比增幅。" if level == "增长类" else f"{level}指标为当月的{shown}。"),
        *conventions(imprint.rules, registry),
        "责任单位后注“据…”者，方案该条未列责任单位，由本项目依相近条款推断。",
        "未报送不计零、不排名。",
    ]
    for number, note in enumerate(notes, start=1):
        gw.paragraph(document, f"{number}. {note}", indent=2)
    gw.signature(document, issuer, fmt.chinese_date(made))
    gw.colophon(document, chosen.get("copy_to", ""), chosen.get("printer") or issuer, fmt.chinese_date(made))
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
