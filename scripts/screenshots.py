"""Refresh docs/screenshots/: the index, the county report and one region's report, as Chromium shows
them, so that a reviewer sees the pages without running anything.

    .venv/bin/python scripts/screenshots.py [reports/2025-Q4]    # default: the latest quarter in reports/
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from kpi import config as project
from kpi.pdf import FLAGS, chromium

PAGES = {"index.png": "index.html", "county.png": "county.html", "hushan.png": "hushan.html"}


def main() -> int:
    reports = project.load().reports
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else max(reports.glob("20??-Q?"), default=None)
    if folder is None or not (folder / "index.html").exists():
        print("no report folder: run `make report` first", file=sys.stderr)
        return 2
    if chromium() is None:
        print("Chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    target = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=FLAGS)
        page = browser.new_page(viewport={"width": 1240, "height": 900})
        for image, html in PAGES.items():
            page.goto((folder / html).resolve().as_uri(), wait_until="load")
            page.screenshot(path=str(target / image), full_page=True, type="png")
            print(f"wrote {target / image}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
