"""Reports as A4 PDFs, printed by Chromium (Debian's, driven through Playwright: no browser download).

One browser serves a whole batch. The print stylesheet puts every page on A4 landscape (the
晾晒表 is 27 columns wide), keeps table headers on every page, never breaks a row or a name, and
the footer numbers the pages (第 x 页 / 共 y 页) beside the unit that compiled them.
"""

from __future__ import annotations

import shutil
from concurrent.futures import Future
from pathlib import Path

from kpi import atomic

PRINT_CSS = """
@page { size: A4 landscape; margin: 12mm 10mm 14mm 10mm; }
@media print {
  html, body { background: white !important; }
  body { font-size: 11px; }
  .jp-Cell, .jp-OutputArea, .jp-RenderedHTMLCommon, .jp-Notebook { padding: 0 !important; margin: 0 !important; }
  .jp-Cell { break-inside: auto; }
  .jp-RenderedImage, img { break-inside: avoid; max-width: 100% !important; height: auto !important; }
  table { break-inside: auto; font-size: 10px !important; }
  thead { display: table-header-group; }
  tr, td, th { break-inside: avoid; }
  td, th { white-space: nowrap; }
  td.wrap { white-space: normal; }
  h1 { margin-top: 0 !important; }
  h2 { break-after: avoid; }
}
"""
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium() -> str | None:
    """Debian's Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def why_no_pdf() -> str | None:
    """None when PDFs can be printed here, else the reason (said in the log and the manifest)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright 未安装 / playwright is not installed"
    if chromium() is None:
        return "没有 Chromium / Chromium is not installed (Debian: apt-get install chromium)"
    return None


class PdfPrinter:
    """One Chromium in a thread of its own, printing each (HTML, PDF) pair handed to :meth:`submit` while
    the caller goes on; :meth:`submit` returns a future of the PDF (a batch's worker waits for its own
    report's; the batch's process hands over reports and waits at the end). :meth:`finish` waits for
    the last one and returns the PDFs written; an error in printing is raised there. Each PDF is
    written atomically."""

    def __init__(self, footer_left: str = ""):
        import queue
        import threading

        reason = why_no_pdf()
        if reason:
            raise RuntimeError(reason)
        self.footer = self._footer(footer_left)
        self.written: list[Path] = []
        self.error: BaseException | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="kpi-pdf", daemon=True)
        self._thread.start()

    def submit(self, source: Path, target: Path) -> Future:
        """Queue an HTML report to be printed to ``target`` (a PDF) by the printer's thread; the future
        holds ``target`` once printed, or the error."""
        future: Future = Future()
        self._queue.put((Path(source), Path(target), future))
        return future

    def finish(self) -> list[Path]:
        """Wait until every queued report is printed; the PDFs written (an error in the thread is raised here)."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.written

    @staticmethod
    def _footer(footer_left: str) -> str:
        import html

        return (
            f"<div style='font-size:8px;width:100%;padding:0 10mm;display:flex;justify-content:space-between;"
            f'font-family:"Noto Sans CJK SC",sans-serif\'><span>{html.escape(footer_left)}</span>'
            "<span>第 <span class='pageNumber'></span> 页，共 <span class='totalPages'></span> 页</span></div>"
        )

    def _run(self) -> None:
        from playwright.sync_api import sync_playwright

        finished = False
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium(), args=FLAGS)
                try:
                    page = browser.new_page()
                    while (item := self._queue.get()) is not None:
                        source, target, future = item
                        try:
                            self._print(page, source, target)
                        except Exception as exc:  # this report's future says so; finish() raises it
                            self.error = self.error or exc
                            future.set_exception(exc)
                        else:
                            future.set_result(target)
                    finished = True
                finally:
                    browser.close()
        except BaseException as exc:  # kept for finish(); the queue is drained so nobody waits forever
            self.error = self.error or exc
            while not finished:
                item = self._queue.get()
                finished = item is None
                if item is not None:
                    item[2].set_exception(exc)

    def _print(self, page, source: Path, target: Path) -> None:
        page.goto(source.resolve().as_uri(), wait_until="load")
        has_stylesheet = page.evaluate("document.getElementById('kpi-print') !== null")
        if not has_stylesheet:  # a page made before the print stylesheet was part of it
            page.add_style_tag(content=PRINT_CSS)
        with atomic.atomic_path(target) as tmp:
            page.pdf(
                path=str(tmp),
                prefer_css_page_size=True,
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=self.footer,
            )
        self.written.append(target)
