"""The page of a 公文 after GB/T 9704-2012 《党政机关公文格式》, for python-docx documents.

- **Page** (5.2, 5.2.1): A4 portrait; 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm (so bottom 35 mm, right 26 mm).
- **Type** (5.2.2, 7.3.3): body 3号仿宋 (16 pt), 22 lines a page (exact line pitch 225 mm ÷ 22 = 28.95 pt),
  28 characters a line; title 2号小标宋 (22 pt); 一级标题 黑体, 二级标题 楷体, 3号. Fonts are named as offices
  have them (仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312, 宋体 for the page number); every run and the
  document defaults have their Chinese tagged zh-CN (Latin en-US, as Word has it), and the fonts are
  declared as serif faces of the GB2312 charset, so a machine without them substitutes a Chinese face,
  never a Japanese one.
- **版头** (7.2): 发文机关标志 in red, centred; 发文字号 under it; a red separator the width of the 版心.
- **页码** (7.5): 4号 Arabic numerals with a dash either side, “— 1 —”, 7 mm under the 版心, outside:
  odd pages right, even pages left, one character in.
- **版记** (7.4): 抄送 and 印发机关/印发日期 between rules (first and last thicker), 4号仿宋.

Only layout lives here; what the document says is the caller's (:mod:`kpi.outputs.bulletin`).
"""

from __future__ import annotations

from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

FANGSONG, XIAOBIAOSONG, HEITI, KAITI, SONGTI = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"
LATIN = "Times New Roman"
SIZE_2, SIZE_3, SIZE_4 = 22, 16, 14  # 2号, 3号, 4号 in points
LINE_PITCH = Pt(28.95)  # 225 mm ÷ 22 lines
RED = "FF0000"
PAGE = {"width": Mm(210), "height": Mm(297), "top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
#: how each font is declared in the font table: its family (serif, sans) for a reader that lacks it
FONT_FAMILIES = {FANGSONG: "roman", XIAOBIAOSONG: "roman", SONGTI: "roman", KAITI: "script", HEITI: "swiss"}


def run_font(run, name: str, size: float, bold: bool = False, colour: str | None = None) -> None:
    """A run in ``name`` (its East Asian face; Latin in Times New Roman) at ``size`` points, its Chinese
    tagged zh-CN."""
    run.font.name = LATIN
    run.font.size = Pt(size)
    run.font.bold = bold
    properties = run._element.get_or_add_rPr()
    fonts = properties.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:hint"), "eastAsia")
    _language(properties)
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)


def _language(properties) -> None:
    language = properties.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        properties.append(language)
    # Chinese text zh-CN; Latin text (digits, %) en-US, as a Chinese Word document has it: tagged zh-CN,
    # LibreOffice breaks a line inside a number (完成8 | 5.5%)
    language.set(qn("w:val"), "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")


def paragraph(container, text: str = "", font: str = FANGSONG, size: float = SIZE_3, **options):
    """A paragraph of ``text`` on the document's line grid: ``align``, ``indent`` (first line, in
    characters of ``size``), ``bold``, ``colour``, ``exact`` line pitch (default the 22-line grid)."""
    added = container.add_paragraph()
    if text:
        run_font(added.add_run(text), font, size, options.get("bold", False), options.get("colour"))
    layout = added.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = options.get("exact", LINE_PITCH)
    layout.space_before = layout.space_after = Pt(0)
    if options.get("indent"):
        layout.first_line_indent = Pt(size * options["indent"])
    if options.get("right_indent"):
        layout.right_indent = Pt(size * options["right_indent"])
    if options.get("align") is not None:
        added.alignment = options["align"]
    no_hanging = OxmlElement("w:overflowPunct")  # punctuation stays inside the 版心, never hangs past it
    no_hanging.set(qn("w:val"), "0")
    added._p.get_or_add_pPr().append(no_hanging)
    return added


def setup(document) -> None:
    """The document's defaults (zh-CN, 仿宋_GB2312 3号 on the line grid), its font table, odd and even
    footers, and the first section's page."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _language(defaults)
    fonts = defaults.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        defaults.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), LATIN)
    fonts.set(qn("w:eastAsia"), FANGSONG)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)  # the template's theme fonts are Japanese-tagged
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = LATIN, Pt(SIZE_3)
    _declare_fonts(document)
    theme_language = document.settings.element.find(qn("w:themeFontLang"))
    if theme_language is not None:  # the template says en-US / ja-JP: a reader then picks Japanese forms
        theme_language.set(qn("w:val"), "en-US")
        theme_language.set(qn("w:eastAsia"), "zh-CN")
    document.settings.odd_and_even_pages_header_footer = True
    page(document.sections[0])


def _declare_fonts(document) -> None:
    """Each face in the font table with its family and the GB2312 charset (86): what a reader that lacks
    it falls back on is then a Chinese serif (or sans for 黑体), not the locale's default."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from lxml import etree

    part = next(r.target_part for r in document.part.rels.values() if r.reltype == RELATIONSHIP_TYPE.FONT_TABLE)
    table = etree.fromstring(part.blob)
    for name, family in FONT_FAMILIES.items():
        font = etree.SubElement(table, qn("w:font"), {qn("w:name"): name})
        for tag, value in (("w:charset", "86"), ("w:family", family), ("w:pitch", "variable")):
            etree.SubElement(font, qn(tag), {qn("w:val"): value})
    part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)


def page(section, landscape: bool = False) -> None:
    """A section on the standard's page (landscape for a wide table: the same margins, turned), with
    its page numbers."""
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    width, height = (PAGE["height"], PAGE["width"]) if landscape else (PAGE["width"], PAGE["height"])
    section.page_width, section.page_height = width, height
    section.top_margin, section.bottom_margin = PAGE["top"], PAGE["bottom"]
    section.left_margin, section.right_margin = PAGE["left"], PAGE["right"]
    section.footer_distance = Mm(35 - 7) - Pt(SIZE_4)  # the number's line 7 mm under the 版心
    section.header_distance = Mm(15)
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        number = footer.paragraphs[0]
        for run in list(number.runs):
            run._element.getparent().remove(run._element)
        number.alignment = align
        layout = number.paragraph_format
        layout.left_indent = layout.right_indent = Pt(SIZE_4)  # one character in from the outside
        _page_number(number)


def _page_number(target) -> None:
    """“— N —” with N the PAGE field, in 4号宋体 half-width numerals."""
    run_font(target.add_run("— "), SONGTI, SIZE_4)
    begin, code, end = OxmlElement("w:fldChar"), OxmlElement("w:instrText"), OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    code.set(qn("xml:space"), "preserve")
    code.text = " PAGE "
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, code, end):
        field = target.add_run()
        run_font(field, SONGTI, SIZE_4)
        field._element.append(element)
    run_font(target.add_run(" —"), SONGTI, SIZE_4)


def rule(target, colour: str = RED, eighths: int = 12, where: str = "bottom") -> None:
    """A line the width of the 版心 under (or over) a paragraph: the red separator, the 版记's rules."""
    borders = target._p.get_or_add_pPr().find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        target._p.get_or_add_pPr().append(borders)
    line = OxmlElement(f"w:{where}")
    for key, value in (("w:val", "single"), ("w:sz", str(eighths)), ("w:space", "1"), ("w:color", colour)):
        line.set(qn(key), value)
    borders.append(line)


def masthead(document, issuer_mark: str, number: str) -> None:
    """版头: 发文机关标志 (red 小标宋, centred), two blank lines, 发文字号, the red separator under it."""
    paragraph(document, exact=Pt(60))
    paragraph(document, issuer_mark, XIAOBIAOSONG, 36, colour=RED, align=WD_ALIGN_PARAGRAPH.CENTER, exact=Pt(60))
    paragraph(document)
    paragraph(document)
    rule(paragraph(document, number, align=WD_ALIGN_PARAGRAPH.CENTER), RED, 18)


def signature(document, issuer: str, date_text: str) -> None:
    """署名 centred over 成文日期, the date four characters in from the right (7.3.5.2, no seal)."""

    def width(text: str) -> float:
        return sum(0.5 if ord(character) < 128 else 1 for character in text)

    paragraph(document)
    offset = 4 + (width(date_text) - width(issuer)) / 2
    paragraph(document, issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent=max(offset, 0))
    paragraph(document, date_text, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent=4)


def colophon(document, copy_to: str, printer: str, printed: str) -> None:
    """版记 at the end: 抄送 (when there is one) and 印发机关 with 印发日期 (right) between rules, the first
    and the last 0.35 mm, the one between 0.25 mm, in 4号仿宋, one character in from either side."""
    from docx.enum.text import WD_TAB_ALIGNMENT

    paragraph(document)
    lines = [f"抄送：{copy_to}。"] if copy_to else []
    lines.append(f"{printer}\t{printed}印发")
    for number, text in enumerate(lines):
        added = paragraph(document, text, size=SIZE_4, exact=Pt(24))
        layout = added.paragraph_format
        layout.left_indent = layout.right_indent = Pt(SIZE_4)
        layout.tab_stops.add_tab_stop(Mm(156) - Pt(2 * SIZE_4), WD_TAB_ALIGNMENT.RIGHT)
        if number == 0:
            rule(added, "000000", 8, "top")
        rule(added, "000000", 8 if number == len(lines) - 1 else 6, "bottom")
