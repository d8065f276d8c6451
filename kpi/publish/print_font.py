"""The PDFs' Chinese font: the system's Noto Sans CJK SC, its outlines converted to TrueType.

Chromium's PDF backend (Skia) embeds a TrueType font as a subset, but writes a font with CFF outlines,
as Noto Sans CJK has, as Type 3 glyph procedures (a few hundred font objects per report). With the same
design as TrueType a PDF prints in about 0.13 CPU-s less (of about 0.55), is less than half the size, and
carries real fonts that every viewer and print shop handles. So the set-up (``python -m kpi.publish.print_font``)
builds, from the very faces Chromium finds through fontconfig (Regular and Bold, Simplified Chinese forms), a TrueType copy of
the characters of GB 2312 with ASCII, Latin-1 and the CJK and full-width punctuation, renamed (OFL 1.1:
a modified font takes a name of its own; copyright and licence are kept). The printer's Chromium sees it
as an installed font (a fontconfig file of its own) and the page lists it before the generic families;
a character outside it falls back to Noto Sans CJK as before. Without the built font the PDFs are
printed exactly as they were, only slower.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from kpi.core import atomic

FAMILY = "KPI Print Sans SC"
#: each face built, by the fontconfig pattern of its source
FACES = {"Regular": "Noto Sans CJK SC:style=Regular", "Bold": "Noto Sans CJK SC:style=Bold"}
#: the Latin fonts of JupyterLab's own font lists (its light theme), before which the print font is put
LATIN = "system-ui, -apple-system, blinkmacsystemfont, 'Segoe UI', helvetica, arial"
#: the build's recipe: a change here makes the set-up build the fonts again
RECIPE = {"version": 1, "charset": "GB2312 + U+0020-007E, U+00A0-00FF, U+2000-206F, U+3000-303F, U+FF00-FFEF"}


def font_dir() -> Path:
    """Where the set-up puts the print fonts: beside the project's Python environment."""
    return Path(sys.prefix) / "share" / "kpi" / "print-font"


def face_file(folder: Path, style: str) -> Path:
    """A built face's file in ``folder``."""
    return folder / f"{FAMILY.replace(' ', '')}-{style}.ttf"


def _characters() -> str:
    """GB 2312 (every character the codec decodes) and the ranges named in :data:`RECIPE`."""
    pairs = (bytes([high, low]) for high in range(0xA1, 0xF8) for low in range(0xA1, 0xFF))
    chars = set()
    for pair in pairs:
        try:
            chars.add(pair.decode("gb2312"))
        except UnicodeDecodeError:
            pass
    for start, end in ((0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x3000, 0x303F), (0xFF00, 0xFFEF)):
        chars.update(map(chr, range(start, end + 1)))
    return "".join(sorted(chars))


def source_face(pattern: str) -> tuple[Path, int] | None:
    """The file and index of the face fontconfig gives Chromium for ``pattern``, if it is Noto Sans CJK SC."""
    if shutil.which("fc-match") is None:
        return None
    found = subprocess.run(
        ["fc-match", "-f", "%{family}|%{file}|%{index}", pattern], capture_output=True, text=True, check=False
    ).stdout
    families, _, rest = found.partition("|")
    file, _, index = rest.partition("|")
    if "Noto Sans CJK SC" not in families.split(",") or not Path(file).is_file():
        return None
    return Path(file), int(index or 0)


def _stamp(source: tuple[Path, int]) -> dict:
    """What a built face was made from: the recipe and the source file's path, index, size and time."""
    path, index = source
    stat = path.stat()
    return {**RECIPE, "source": str(path), "index": index, "bytes": stat.st_size, "mtime": int(stat.st_mtime)}


def convert(source: tuple[Path, int], style: str, target: Path) -> Path:
    """Subset the source face to :func:`_characters`, convert its cubic (CFF) outlines to quadratic
    (TrueType ``glyf``, at most 1 unit of 1000 per em away), give it :data:`FAMILY`, write it atomically."""
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(source[0], fontNumber=source[1], lazy=False)
    options = subset.Options()
    options.name_IDs, options.notdef_outline, options.hinting = ["*"], True, False
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=_characters())
    subsetter.subset(font)
    order, glyphs = font.getGlyphOrder(), font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    font["glyf"], font["loca"] = glyf, newTable("loca")
    font["head"].glyphDataFormat = 0
    font["post"].formatType = 3.0
    font.sfntVersion = "\x00\x01\x00\x00"
    _truetype_maxp(font["maxp"])
    _rename(font["name"], style)
    with atomic.atomic_path(target) as tmp:
        font.save(tmp)
    return target


def _truetype_maxp(maxp) -> None:
    """A TrueType ``maxp`` (version 1.0; the glyph statistics are recomputed as the font is saved)."""
    maxp.tableVersion = 0x00010000
    for field in (
        "maxPoints maxContours maxCompositePoints maxCompositeContours maxTwilightPoints maxStorage "
        "maxFunctionDefs maxInstructionDefs maxStackElements maxSizeOfInstructions maxComponentElements "
        "maxComponentDepth"
    ).split():
        setattr(maxp, field, 0)
    maxp.maxZones = 1


def _rename(names, style: str) -> None:
    """The family, full and PostScript names of :data:`FAMILY`; copyright, licence and the rest kept."""
    postscript = FAMILY.replace(" ", "") + f"-{style}"
    for record in names.names:
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (2, 17):
            record.string = style
        elif record.nameID in (3, 6):
            record.string = postscript
        elif record.nameID == 4:
            record.string = f"{FAMILY} {style}"


def built_faces(folder: Path | None = None) -> dict[str, Path]:
    """The print fonts that are built and current, by style ({} when none is)."""
    folder = folder or font_dir()
    try:
        stamps = json.loads((folder / "built.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    faces = {}
    if not fontconfig_file(folder).is_file():
        return faces
    for style, pattern in FACES.items():
        source, path = source_face(pattern), face_file(folder, style)
        if source is not None and path.is_file() and stamps.get(style) == _stamp(source):
            faces[style] = path
    return faces


def family_css() -> str:
    """The stylesheet the printer gives a page: :data:`FAMILY` in the page's font lists after their Latin
    fonts and before the generic families (which still serve any character not in it)."""
    ours = f'"{FAMILY}"'
    text = f"{LATIN}, {ours}, sans-serif, 'Apple Color Emoji', 'Segoe UI Emoji', 'Segoe UI Symbol'"
    code = f"menlo, consolas, 'DejaVu Sans Mono', {ours}, monospace"
    return (
        f":root {{ --jp-content-font-family: {text}; --jp-ui-font-family: {text}; "
        f"--jp-code-font-family-default: {code}; }}"
    )


def fontconfig_file(folder: Path | None = None) -> Path:
    """The fontconfig file the printer's Chromium is started with: the system's, and the print fonts."""
    return (folder or font_dir()) / "fonts.conf"


def _write_fontconfig(folder: Path) -> None:
    """:func:`fontconfig_file`: the system's configuration included, the print fonts' folder added (a
    browser started with it sees them as installed fonts: no web font to load and check for every page)."""
    system = os.environ.get("FONTCONFIG_FILE") or "/etc/fonts/fonts.conf"
    atomic.write_text(
        fontconfig_file(folder),
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>\n'
        f'  <include ignore_missing="yes">{escape(system)}</include>\n  <dir>{escape(str(folder.resolve()))}</dir>\n'
        f"  <cachedir>{escape(str((folder / 'cache').resolve()))}</cachedir>\n</fontconfig>\n",
    )
    if shutil.which("fc-cache"):  # the folder's cache made now, not by the first browser
        subprocess.run(["fc-cache", str(folder)], env={**os.environ, "FONTCONFIG_FILE": str(fontconfig_file(folder))})


def build(folder: Path | None = None) -> dict[str, Path]:
    """Build the faces that are missing or out of date (``python -m kpi.publish.print_font``); the faces built."""
    folder = folder or font_dir()
    current = built_faces(folder)
    stamps = {}
    with contextlib.suppress(OSError, ValueError):
        stamps = json.loads((folder / "built.json").read_text(encoding="utf-8"))
    todo = {style: source_face(pattern) for style, pattern in FACES.items() if style not in current}
    todo = {style: source for style, source in todo.items() if source is not None}
    if todo:
        from concurrent.futures import ProcessPoolExecutor

        folder.mkdir(parents=True, exist_ok=True)
        targets = [face_file(folder, style) for style in todo]
        with ProcessPoolExecutor(len(todo)) as pool:  # a face takes ~12 s: both at once
            list(pool.map(convert, todo.values(), todo, targets))
        stamps.update({style: _stamp(source) for style, source in todo.items()})
        _write_fontconfig(folder)
        atomic.write_text(folder / "built.json", json.dumps(stamps, indent=2) + "\n")
    return built_faces(folder)


if __name__ == "__main__":
    built = build()
    if len(built) == len(FACES):
        print(f"[setup] print font ready: {FAMILY} ({', '.join(built)}) in {font_dir()}")
    else:
        print(
            "[setup] print font not built (no Noto Sans CJK SC found through fontconfig): "
            "PDFs will embed the system's CJK font as Type 3 outlines (slower, larger)"
        )
