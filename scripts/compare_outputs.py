"""Compare two output trees (``kpi report --out A/reports --processed A/processed`` before and after a
change that should change no output, e.g. moving modules): every file byte for byte, or, where a run
stamps its own time, version or fingerprints, after masking those; xlsx cell by cell, docx by its
XML parts, PDFs by their text page by page and their images, notebooks by their outputs and their
code less its imports, logs by their lines in any order.

    .venv/bin/python scripts/compare_outputs.py /tmp/before /tmp/after

Prints each file's verdict and exits 1 if any file differs beyond the masks (or exists on one side only).
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl

#: what a run stamps on its own outputs: times, durations, the code's version, fingerprints, the
#: injected parameters cell's id, the output folder's own path
MASKS = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"\d{8}T\d{6}(\.\d+)?"), "<time>"),
    # a Chinese date and time (the year may have wrapped onto the line before in a PDF's text)
    (re.compile(r"(\d{4}年)?\d{1,2}月\d{1,2}日\s*\d{1,2}:\d{2}(:\d{2})?"), "<时间>"),
    (re.compile(r'"(duration|seconds)": [\d.]+'), r'"\1": <n>'),
    (re.compile(r"\(\d+(\.\d+)?s(, dask)?\)"), "(<n>s)"),
    (re.compile(r"kpi \d+\.\d+\.\d+( \([^)]*\))?"), "kpi <version>"),
    (re.compile(r"\b[0-9a-f]{16,64}\b"), "<hash>"),
    (re.compile(r'"id": "[0-9a-f]{8}"'), '"id": "<id>"'),
    (re.compile(r"cell-id=[0-9a-f]{8}"), "cell-id=<id>"),
    (re.compile(r" at 0x[0-9a-f]+>"), " at <address>>"),  # an object's repr (a Styler's text/plain)
    (re.compile(r"(<time>),\d{3} "), r"\1 "),  # a log line's milliseconds
]
COUNTER = re.compile(r"\[\d+/\d+\]")  # a job's place in the order it finished
SNAPSHOT = ".processed-snapshots/"
SNAPSHOT_ID = re.compile(r"^[0-9a-f]+")


def _without_snapshots(text: str) -> str:
    """Each path to the snapshot a run read (``…/.processed-snapshots/<hash>``, wherever its folder is) as
    ``<snapshot>``: cut back to the quote or space before it (string search, not a regex, which would
    backtrack through every base64 image)."""
    parts = text.split(SNAPSHOT)
    for i in range(len(parts) - 1):
        start = max(parts[i].rfind(c) for c in "\"' \n") + 1
        parts[i] = parts[i][:start] + "<snapshot>"
        parts[i + 1] = SNAPSHOT_ID.sub("", parts[i + 1])
    return "".join(parts)


def masked(text: str, root: Path) -> str:
    """``text`` with this run's own stamps and folder replaced by placeholders."""
    text = _without_snapshots(text.replace(str(root), "<out>"))
    text = re.sub(r"(\.\./)+" + re.escape(str(root).lstrip("/")), "<out>", text)
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text


def xlsx_cells(path: Path) -> list:
    """Every sheet's cells: value, number format, font, fill and merged ranges."""
    book = openpyxl.load_workbook(path)
    cells = []
    for sheet in book.worksheets:
        cells.append((sheet.title, sorted(map(str, sheet.merged_cells.ranges))))
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value if not isinstance(cell.value, str) else masked(cell.value, Path("/nonexistent"))
                cells.append((cell.coordinate, value, cell.number_format, repr(cell.font), repr(cell.fill)))
    return cells


def docx_parts(path: Path, root: Path) -> dict[str, str]:
    """The document's XML parts, masked (docProps hold the save time)."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: masked(archive.read(name).decode("utf-8", "replace"), root)
            for name in sorted(archive.namelist())
            if name.endswith(".xml") or name.endswith(".rels")
        }


def pdf_summary(path: Path, root: Path) -> tuple:
    """Each page's text (pdftotext -layout), masked, and the list of images (size, colour)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    image_rows = [line.split()[3:7] for line in images.splitlines()[2:]]
    pages = [re.sub(r"[ \t]+", " ", page) for page in masked(text, root).split("\f")]  # a stamp's width moves text
    return pages, image_rows


def notebook_cells(path: Path, root: Path) -> list:
    """Each cell's outputs, masked, and its code without its import statements (a move of modules
    changes where a notebook imports from, not what it runs)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "code":
            tree = ast.parse(source)
            tree.body = [node for node in tree.body if not isinstance(node, (ast.Import, ast.ImportFrom))]
            source = ast.unparse(tree)
        outputs = masked(json.dumps(cell.get("outputs", []), ensure_ascii=False, sort_keys=True), root)
        cells.append((cell["cell_type"], masked(source, root), outputs))
    return cells


def files_of(root: Path) -> dict[str, Path]:
    """Every output file by its path under ``root``, through the quarters' links, builds and snapshots aside."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not {".builds", ".processed-snapshots"} & set(path.parts):
            found[path.relative_to(root).as_posix()] = path
    for link in sorted(root.rglob("*")):
        if link.is_symlink() and link.is_dir():
            for path in sorted(link.resolve().rglob("*")):
                if path.is_file():
                    found[(link.relative_to(root) / path.relative_to(link.resolve())).as_posix()] = path
    return {name: path for name, path in found.items() if not name.endswith((".lock", ".owner"))}


def same(name: str, before: Path, after: Path, roots: tuple[Path, Path]) -> str:
    """'identical', 'same after masks' or what differs."""
    if before.read_bytes() == after.read_bytes():
        return "identical"
    suffix = before.suffix
    if suffix == ".xlsx":
        return "same cell by cell" if xlsx_cells(before) == xlsx_cells(after) else "DIFFERENT cells"
    if suffix == ".docx":
        return "same XML" if docx_parts(before, roots[0]) == docx_parts(after, roots[1]) else "DIFFERENT XML"
    if suffix == ".pdf":
        return "same text and images" if pdf_summary(before, roots[0]) == pdf_summary(after, roots[1]) else "DIFFERENT"
    if suffix == ".ipynb":
        same_cells = notebook_cells(before, roots[0]) == notebook_cells(after, roots[1])
        return "same outputs and code" if same_cells else "DIFFERENT cells"
    if suffix == ".log":  # parallel jobs finish in any order: their lines and counters differ
        lines = [
            sorted(COUNTER.sub("[n/N]", masked(p.read_text(encoding="utf-8"), root)).splitlines())
            for p, root in zip((before, after), roots)
        ]
        return "same lines" if lines[0] == lines[1] else "DIFFERENT lines"
    text_before = masked(before.read_text(encoding="utf-8"), roots[0])
    text_after = masked(after.read_text(encoding="utf-8"), roots[1])
    return "same after masks" if text_before == text_after else "DIFFERENT text"


def main(argv: list[str]) -> int:
    """Compare the trees; 0 when every file is the same."""
    roots = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    before, after = files_of(roots[0]), files_of(roots[1])
    bad = 0
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            verdict = "only " + ("after" if name not in before else "before")
        else:
            verdict = same(name, before[name], after[name], roots)
        bad += verdict.startswith(("DIFFERENT", "only"))
        print(f"{verdict:22s} {name}")
    print(f"{len(set(before) | set(after))} files, {bad} different")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
