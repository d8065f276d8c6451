"""The PDFs' Chinese font (kpi.publish.print_font): Noto Sans CJK SC with TrueType outlines, built by the set-up.

It must be the same design as the face Chromium would otherwise use (same advances, outlines within a unit),
cover the characters the reports use, be rebuilt when its source or recipe changes, and be what the PDFs embed.
"""

import json
import shutil
import unicodedata

import pytest

from kpi.publish import print_font

SAMPLE = "缙云县科技局壶山镇晾晒表序时进度，（）：《》“”、。0123456789%ABCxyz"


def _source(style: str):
    source = print_font.source_face(print_font.FACES[style])
    if source is None:
        pytest.skip("no Noto Sans CJK SC found through fontconfig (make test installs fonts-noto-cjk)")
    return source


def test_the_character_set_is_gb2312_with_the_punctuation_and_latin_of_the_reports():
    chars = print_font._characters()
    hanzi = [c for c in chars if unicodedata.name(c, "").startswith("CJK UNIFIED IDEOGRAPH")]
    assert len(hanzi) == 6763  # GB 2312's two levels
    assert set(SAMPLE) <= set(chars)
    assert len(chars) == len(set(chars))


def test_the_set_up_built_the_print_font():
    _source("Regular")
    faces = print_font.built_faces()
    assert set(faces) == set(print_font.FACES), "make test's set-up runs `python -m kpi.publish.print_font`"
    assert print_font.fontconfig_file().is_file()


@pytest.mark.parametrize("style", sorted(print_font.FACES))
def test_the_print_font_is_the_same_design_as_its_source(style):
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    path, index = _source(style)
    built = print_font.built_faces().get(style)
    if built is None:
        pytest.fail("the print font is not built: run `.venv/bin/python -m kpi.publish.print_font`")
    source, ours = TTFont(path, fontNumber=index, lazy=True), TTFont(built, lazy=True)
    assert ours["name"].getDebugName(1) == print_font.FAMILY and "glyf" in ours and "CFF " not in ours
    assert ours["name"].getDebugName(0) == source["name"].getDebugName(0)  # the copyright notice kept
    assert ours["name"].getDebugName(13) == source["name"].getDebugName(13)  # the licence kept
    source_glyphs, our_glyphs = source.getGlyphSet(), ours.getGlyphSet()
    for char in SAMPLE:
        theirs, mine = source.getBestCmap()[ord(char)], ours.getBestCmap()[ord(char)]
        assert source["hmtx"][theirs][0] == ours["hmtx"][mine][0], char  # same advance: same line breaks
        bounds = []
        for glyphs, name in ((source_glyphs, theirs), (our_glyphs, mine)):
            pen = BoundsPen(glyphs)
            glyphs[name].draw(pen)
            bounds.append(pen.bounds)
        assert all(abs(a - b) <= 1.5 for a, b in zip(*bounds)), (char, bounds)  # within 1 unit of 1000 per em


def test_a_font_built_from_another_source_or_recipe_is_not_used(tmp_path, monkeypatch):
    _source("Regular")
    built = print_font.font_dir()
    if not (built / "built.json").is_file():
        pytest.fail("the print font is not built: run `.venv/bin/python -m kpi.publish.print_font`")
    for name in ("built.json", "fonts.conf"):
        shutil.copy(built / name, tmp_path / name)
    for style in print_font.FACES:
        print_font.face_file(tmp_path, style).symlink_to(print_font.face_file(built, style))
    assert set(print_font.built_faces(tmp_path)) == set(print_font.FACES)
    stamps = json.loads((tmp_path / "built.json").read_text(encoding="utf-8"))
    stamps["Bold"]["mtime"] += 1  # the system's font was updated since
    (tmp_path / "built.json").write_text(json.dumps(stamps), encoding="utf-8")
    assert set(print_font.built_faces(tmp_path)) == {"Regular"}
    monkeypatch.setitem(print_font.RECIPE, "version", print_font.RECIPE["version"] + 1)
    assert print_font.built_faces(tmp_path) == {}
    (tmp_path / "fonts.conf").unlink()
    monkeypatch.setitem(print_font.RECIPE, "version", print_font.RECIPE["version"] - 1)
    assert print_font.built_faces(tmp_path) == {}


def test_the_page_lists_the_print_font_after_its_latin_fonts_and_before_the_generic_ones():
    css = print_font.family_css()
    for variable in ("--jp-content-font-family", "--jp-ui-font-family", "--jp-code-font-family-default"):
        families = css.split(f"{variable}:", 1)[1].split(";", 1)[0]
        ours = families.index(f'"{print_font.FAMILY}"')
        generic = "monospace" if "code" in variable else "sans-serif"
        assert 0 < ours < families.index(generic), variable
