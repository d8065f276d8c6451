"""Screenshots of every kind of output, as a reader gets it, so that a reviewer looks at all of them
without running anything (`make screenshots` → docs/screenshots/):

- the index, the county report, one region's report and the 数据说明 appendix in Chromium, at 1366 px (a desktop) and 390 px (a phone);
- the first page of each report PDF (poppler's pdftoppm);
- the 晾晒表 .xlsx and the 情况通报 .docx as LibreOffice prints them (first page), and the same page in grey,
  as a black-and-white printer gives it.

    .venv/bin/python scripts/screenshots.py [REPORT_FOLDER] [--out DIR]   # default: the latest quarter
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from kpi.metadata import config as project
from kpi.outputs.report_notes import APPENDIX_FILE
from kpi.publish.pdf import FLAGS, chromium

PAGES = ("index", "county", "hushan", Path(APPENDIX_FILE).stem)
WIDTHS = (1366, 390)


def _browser_shots(folder: Path, out: Path) -> list[Path]:
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=FLAGS)
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for name in PAGES:
                if (folder / f"{name}.html").exists():
                    page.goto((folder / f"{name}.html").resolve().as_uri(), wait_until="load")
                    written.append(out / f"{name}-{width}.png")
                    page.screenshot(path=str(written[-1]), full_page=width != 390, type="png")
            page.close()
        browser.close()
    return written


def _first_page(pdf: Path, image: Path, grey: bool = False) -> Path:
    """The first page of ``pdf`` as ``image`` (PNG, 80 dpi), in grey when asked."""
    options = ["-gray"] if grey else []
    stem = image.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", *options, str(pdf), str(stem)], check=True
    )
    return image


def _office_shots(folder: Path, out: Path) -> list[Path]:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    documents = sorted(folder.glob("晾晒表_*.xlsx")) + sorted(folder.glob("情况通报_*.docx"))
    if office is None or not documents:
        return []
    written = []
    with tempfile.TemporaryDirectory() as work:
        for document in documents:
            subprocess.run(
                [office, "--headless", "--convert-to", "pdf", "--outdir", work, str(document)],
                check=True,
                capture_output=True,
                timeout=180,
            )
            pdf = Path(work) / f"{document.stem}.pdf"
            kind = document.suffix.lstrip(".")
            written.append(_first_page(pdf, out / f"{kind}.png"))
            written.append(_first_page(pdf, out / f"{kind}-grey.png", grey=True))
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", help="a quarter's report folder (default: the latest)")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "docs" / "screenshots"))
    args = parser.parse_args(argv)
    reports = project.load().reports
    folder = Path(args.folder) if args.folder else max(reports.glob("20??-Q?"), default=None)
    if folder is None or not (folder / "index.html").exists():
        print("no report folder: run `make report` first", file=sys.stderr)
        return 2
    if chromium() is None or not shutil.which("pdftoppm"):
        print("Chromium and poppler-utils are needed (Debian: apt-get install chromium poppler-utils)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = _browser_shots(folder, out)
    written += [_first_page(folder / f"{n}.pdf", out / f"{n}-pdf.png") for n in PAGES if (folder / f"{n}.pdf").exists()]
    written += _office_shots(folder, out)
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
