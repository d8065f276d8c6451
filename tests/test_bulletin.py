"""The 情况通报 is a 公文 after GB/T 9704-2012 (issue #27): its page, type, languages, 版头, page numbers
and 版记 measured in the .docx, and a LibreOffice render checked against the standard's dimensions."""

import datetime as dt
import re
import subprocess

import pytest
from docx.oxml.ns import qn
from docx.shared import Pt

from kpi.core import paths
from kpi.core.formatting import BEIJING
from kpi.inputs.annex import read_annex
from kpi.inputs.progress_input import read_progress
from kpi.metadata.identity import Imprint
from kpi.metrics.leaderboard import build_leaderboard
from kpi.outputs.bulletin import bulletin
from tests.support import office_program, shipped_plan

MADE = dt.datetime(2026, 4, 5, 9, 30, tzinfo=BEIJING)


@pytest.fixture(scope="module")
def document(registry):
    targets = read_annex(paths.RAW / "annex_2023.csv", registry)
    board = build_leaderboard(targets, read_progress(paths.EXAMPLE / "progress_example.csv", registry), registry)
    return bulletin(board, registry, "2023-09", Imprint(shipped_plan(), "缙云县科技局", MADE))


def _runs(document):
    return [run for paragraph in document.paragraphs for run in paragraph.runs if run.text.strip()]


def _east_asian(run) -> str:
    return run._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def test_the_page_is_the_standards(document):
    section = document.sections[0]
    assert abs(section.page_width.mm - 210) < 0.1 and abs(section.page_height.mm - 297) < 0.1  # A4 portrait
    for measured, wanted in (
        (section.top_margin, 37),  # 天头 37 ± 1 mm
        (section.left_margin, 28),  # 订口 28 ± 1 mm
        (section.page_width - section.left_margin - section.right_margin, 156),  # 版心 156 mm wide
        (section.page_height - section.top_margin - section.bottom_margin, 225),  # … and 225 mm high
    ):
        assert abs(measured / 36000 - wanted) <= 1, (measured / 36000, wanted)  # EMU to mm


def test_type_and_languages(document):
    runs = _runs(document)
    by_text = {run.text: run for run in runs}
    title = by_text["缙云县“139”科技创新体系建设情况通报"]
    assert (_east_asian(title), title.font.size) == ("方正小标宋简体", Pt(22))  # 2号小标宋
    heading = by_text["一、总体情况"]
    assert (_east_asian(heading), heading.font.size) == ("黑体", Pt(16))  # 一级标题 3号黑体
    second = next(run for run in runs if re.match(r"（一）", run.text))
    assert _east_asian(second) == "楷体_GB2312"  # 二级标题 楷体
    body = next(run for run in runs if run.text.startswith("截至2023年9月"))
    assert (_east_asian(body), body.font.size) == ("仿宋_GB2312", Pt(16))  # 3号仿宋
    assert body._element.getparent().pPr.find(qn("w:spacing")).get(qn("w:line")) == "579"  # 22 lines: 28.95 pt
    for run in runs:
        language = run._element.rPr.find(qn("w:lang"))
        assert (language.get(qn("w:eastAsia")), language.get(qn("w:val"))) == ("zh-CN", "en-US"), run.text
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert document.settings.element.find(qn("w:themeFontLang")).get(qn("w:eastAsia")) == "zh-CN"


def test_masthead_page_numbers_signature_and_colophon(document):
    paragraphs = document.paragraphs
    texts = [p.text for p in paragraphs]
    mark = paragraphs[texts.index("缙云县科技局文件")]
    assert str(mark.runs[0].font.color.rgb) == "FF0000"
    number = paragraphs[texts.index("缙科〔2023〕9号")]
    border = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == "FF0000"  # the red separator under the 发文字号
    assert "各乡镇（街道）、开发区，有关部门：" in texts  # 主送机关
    assert texts.index("缙云县科技局") < texts.index("2026年4月5日")  # 署名 over 成文日期
    assert texts[-1] == "缙云县科技局\t2026年4月5日印发"  # 版记
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, side in ((section.footer, "RIGHT"), (section.even_page_footer, "LEFT")):
        number = footer.paragraphs[0]
        assert number.alignment.name == side and number.text == "—  —"  # “— N —” around the field
        assert " PAGE " in [t.text for t in number._p.iter(qn("w:instrText"))]
        assert {_east_asian(run) for run in number.runs} == {"宋体"} and number.runs[0].font.size == Pt(14)


@pytest.mark.integration
def test_libreoffice_renders_it_portrait_inside_the_type_area(document, tmp_path):
    office = office_program()
    if office is None:
        pytest.skip("LibreOffice Writer and pdftotext not installed (make test installs them)")
    path = tmp_path / "通报.docx"
    document.save(path)
    subprocess.run(
        [office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = tmp_path / "通报.pdf"
    layout = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', layout, flags=re.S)
    assert pages and all(abs(float(w) - 595.3) < 1 and abs(float(h) - 841.9) < 1 for w, h, _ in pages)  # A4 portrait
    millimetre = 72 / 25.4
    for number, (_, _, words) in enumerate(pages, start=1):
        boxes = [
            tuple(map(float, box)) + (text,)
            for *box, text in re.findall(
                r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', words
            )
        ]
        body = [b for b in boxes if b[1] < 262 * millimetre]  # all but the page number, under the 版心
        assert min(b[0] for b in body) >= (28 - 1) * millimetre
        for box in body:  # inside the right edge, but for a closing full-width mark LibreOffice hangs past it
            hanging = box[4][-1:] in "，。；：、）" and box[2] <= (184 + 1) * millimetre + 16
            assert box[2] <= (184 + 1) * millimetre or hanging, box
        assert min(b[1] for b in body) >= (37 - 1) * millimetre and max(b[3] for b in body) <= (262 + 1) * millimetre
        below = {b[4] for b in boxes if b[1] >= 262 * millimetre}
        assert below == {"—", str(number)}, (number, below)  # under the 版心: only “— N —”
        footer = max((b for b in boxes if b[4] == str(number)), key=lambda b: b[1])  # the lowest “N”
        assert footer[1] > 262 * millimetre, number  # “— N —” under the 版心, on every page
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    split = [(a, b) for a, b in zip(lines, lines[1:]) if re.search(r"\d$", a) and re.match(r"[\d.%]", b)]
    assert not split, split  # no number broken over two lines (完成8 | 5.5%)
    glyph_forms = _glyph_forms(pdf)
    assert not glyph_forms["JP only"] and not glyph_forms["neither"], glyph_forms  # no Japanese (or other) form
    assert len(glyph_forms["SC, not JP"]) >= 10, glyph_forms  # and the Chinese forms are told apart


def _glyph_forms(pdf) -> dict[str, set[str]]:
    """Which regional forms the characters LibreOffice embedded have (#27): each Chinese character's glyph
    in the PDF (a Type 1 subset, mapped back through its ToUnicode) compared, by its outline's bounds, with
    the same character in the SC and JP faces of the Noto CJK collection it came from."""
    from fontTools import t1Lib
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTCollection
    from pypdf import PdfReader

    def bounds(glyph_set, name):
        pen = BoundsPen(glyph_set)
        glyph_set[name].draw(pen)
        return pen.bounds

    forms: dict[str, set[str]] = {"JP only": set(), "SC, not JP": set(), "both": set(), "neither": set()}
    fonts = {
        str(font["/BaseFont"]): font
        for page in PdfReader(pdf).pages
        for font in (f.get_object() for f in page["/Resources"].get_object().get("/Font", {}).values())
    }
    for base, font in fonts.items():
        match = re.search(r"Noto(Sans|Serif)CJK\w*-(Regular|Bold)", base)
        program = font.get("/FontDescriptor", {}).get("/FontFile") if match else None
        if program is None:
            continue
        embedded_path = pdf.with_name("embedded.pfa")
        embedded_path.write_bytes(program.get_object().get_data())
        embedded = t1Lib.T1Font(str(embedded_path))
        embedded.parse()
        glyphs, encoding = embedded.getGlyphSet(), embedded.font["Encoding"]
        collection = TTCollection(f"/usr/share/fonts/opentype/noto/Noto{match[1]}CJK-{match[2]}.ttc")
        faces = {face["name"].getDebugName(1).split()[-1]: face for face in collection.fonts}
        unicode_map = font["/ToUnicode"].get_object().get_data().decode("latin-1")
        for code, unicode in re.findall(r"<([0-9A-F]{2})>\s*<([0-9A-F]{4})>", unicode_map):
            character = chr(int(unicode, 16))
            if not "\u4e00" <= character <= "\u9fff":
                continue
            shown = bounds(glyphs, encoding[int(code, 16)])
            same = {
                lang
                for lang in ("SC", "JP")
                if all(
                    abs(a - b) <= 1
                    for a, b in zip(bounds(faces[lang].getGlyphSet(), faces[lang].getBestCmap()[ord(character)]), shown)
                )
            }
            key = {frozenset({"JP"}): "JP only", frozenset({"SC"}): "SC, not JP", frozenset(): "neither"}.get(
                frozenset(same), "both"
            )
            forms[key].add(character)
    if not any(forms.values()):
        pytest.skip("LibreOffice embedded no Type 1 Noto CJK subset to compare (another LibreOffice version?)")
    return forms


def test_the_project_file_names_the_masthead_and_colophon(registry, document, tmp_path):
    from kpi.core.errors import ConfigError
    from kpi.metadata import config as project
    from tests.support import write_config

    chosen = {
        "issuer_mark": "缙云县科学技术局文件",
        "document_number": "缙科通〔{year}〕{month}号",
        "recipients": "各乡镇人民政府、街道办事处",
        "copy_to": "县委办、县政府办",
        "printer": "缙云县科学技术局办公室",
    }
    targets = read_annex(paths.RAW / "annex_2023.csv", registry)
    board = build_leaderboard(targets, read_progress(paths.EXAMPLE / "progress_example.csv", registry), registry)
    own = bulletin(board, registry, "2023-09", Imprint(shipped_plan(), "缙云县科技局", MADE, publication=chosen))
    texts = [p.text for p in own.paragraphs]
    assert (
        texts[1] == "缙云县科学技术局文件" and "缙科通〔2023〕9号" in texts and "各乡镇人民政府、街道办事处：" in texts
    )
    assert texts[-2:] == ["抄送：县委办、县政府办。", "缙云县科学技术局办公室\t2026年4月5日印发"]
    path = write_config(tmp_path)
    path.write_text(path.read_text("utf-8") + '\n[publication]\ndocument_number = "缙科〔{yr}〕号"\n', "utf-8")
    with pytest.raises(ConfigError, match="publication"):
        project.load(path)
