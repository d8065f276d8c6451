"""Reports as A4 PDFs, printed by Chromium (Debian's, driven through Playwright: no browser download).

One browser serves a whole batch. The print stylesheet puts every page on A4 landscape (the
晾晒表 is 27 columns wide), keeps table headers on every page, never breaks a row or a name, and
the footer numbers the pages (第 x 页 / 共 y 页) beside the unit that compiled them.
"""

from __future__ import annotations

import shutil
from concurrent.futures import Future
from pathlib import Path

from kpi.core import atomic
from kpi.publish import print_font

PRINT_CSS = """
@page { size: A4 landscape; margin: 12mm 8mm 14mm 8mm; }
@media print {
  html, body { background: white !important; }
  /* 12 px prints at 9 pt, the least a reader is given: body text a little larger, tables at 9 pt */
  body { font-size: 13px; }
  .jp-Cell, .jp-OutputArea, .jp-RenderedHTMLCommon, .jp-Notebook { padding: 0 !important; margin: 0 !important; }
  .jp-Cell { break-inside: auto; }
  /* a chart is never split: it is scaled to fit one page's height (A4 landscape less the margins) */
  .jp-RenderedImage, img { break-inside: avoid; }
  img { max-width: 100% !important; max-height: 178mm !important; width: auto !important; height: auto !important; }
  table { break-inside: auto; font-size: 12px !important; }
  table.board th, table.board td { padding: 1px 2px !important; }
  thead { display: table-header-group; }
  tr, td, th { break-inside: avoid; }
  td, th { white-space: nowrap; }
  td.wrap { white-space: normal; }
  h1 { margin-top: 0 !important; }
  h1, h2, h3, h4 { break-after: avoid; }
  /* a heading's cell and a short lead-in line stay with what follows them, never alone at a page's foot */
  .jp-MarkdownCell, .jp-OutputArea-child:has(.jp-RenderedMarkdown) { break-after: avoid; break-inside: avoid; }
}
"""
#: the pages on a screen: a wide table scrolls sideways inside its own box, its region column fixed (a phone)
SCREEN_CSS = """
@media screen {
  /* lab lays an output out as a table row inside a clipping box: neither can scroll, a wide table is cut */
  .jp-OutputArea .jp-OutputArea-child { display: block !important; overflow: visible !important; }
  .jp-OutputArea-child > .jp-OutputArea-output {
    display: block !important; overflow-x: auto !important; width: auto !important; box-sizing: border-box;
  }
  table.board th.row_heading, table.board th.blank, table.board th.index_name,
  table.kpi td:first-child, table.kpi th:first-child { position: sticky; left: 0; z-index: 1; background: #fff; }
}
"""
#: the printable width of that page (297 mm less the side margins) in CSS pixels, where tables are fitted
PRINT_WIDTH_PX = round((297 - 2 * 8) / 25.4 * 96)
#: a table wider than the printable width is zoomed to fit it, never cut (the 晾晒表 of a plan with more
#: indicators than Jinyun's seven); those that fit keep their size (9 pt)
FIT_TABLES_JS = """() => {
  const width = Math.min(document.body.getBoundingClientRect().width, document.documentElement.clientWidth);
  for (const table of document.querySelectorAll('table')) {
    for (let pass = 0; pass < 4; pass++) {  // a zoomed table re-flows (text is set anew): measure again
      const right = table.getBoundingClientRect().right, left = table.getBoundingClientRect().left;
      if (right <= width - 1) break;
      const zoom = parseFloat(table.style.zoom || "1");
      table.style.zoom = String(zoom * (width - 2 - Math.max(left, 0)) / (right - Math.max(left, 0)));
    }
  }
}"""
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


def stamp_metadata(pdf: Path, title: str, author: str) -> Path:
    """The PDF's document properties set from the project: its title (the page's), author (the
    organisation of kpi.toml) and creator; Chromium's creation date (the moment it printed) is kept. An
    incremental update: the printed bytes stay as they were, the new properties are appended."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter(io.BytesIO(Path(pdf).read_bytes()), incremental=True)
    writer.add_metadata({"/Title": title, "/Author": author, "/Creator": "kpi report"})
    with open(pdf, "wb") as handle:
        writer.write(handle)
    return Path(pdf)


class PdfPrinter:
    """One Chromium in a thread of its own, printing the (HTML, PDF) pairs handed to :meth:`submit` while
    the caller goes on, ``pages`` at a time (a tab each, so a renderer process each: a batch's reports print
    in parallel as they finish, the notebooks after them running meanwhile). :meth:`submit` returns a
    future of the PDF, which holds that report's error if it failed. :meth:`finish` waits for the last one
    and returns the PDFs written; it raises only what stopped the printer itself (a browser that did not
    start or died). Each PDF is written atomically."""

    def __init__(self, footer_left: str = "", pages: int = 1, author: str = ""):
        import asyncio
        import threading

        reason = why_no_pdf()
        if reason:
            raise RuntimeError(reason)
        self.with_print_font = len(print_font.built_faces()) == len(print_font.FACES)
        self.footer = self._footer(footer_left, self.with_print_font)
        self.author = author
        self.pages = max(1, pages)
        self.written: list[Path] = []
        self.error: BaseException | None = None
        self._tabs_ended = 0
        self._futures: list[Future] = []
        self._loop = asyncio.new_event_loop()
        self._queue: asyncio.Queue = asyncio.Queue()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._serve(),), name="kpi-pdf")
        self._thread.daemon = True
        self._thread.start()

    @property
    def waiting(self) -> int:
        """How many reports handed to this printer are not printed yet."""
        return sum(not future.done() for future in self._futures)

    def submit(self, source: Path, target: Path) -> Future:
        """Queue an HTML report to be printed to ``target`` (a PDF); the future holds ``target`` once
        printed, or the error."""
        future: Future = Future()
        self._futures.append(future)
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (Path(source), Path(target), future))
        return future

    def finish(self, raise_error: bool = True) -> list[Path]:
        """Wait until every queued report is printed; the PDFs written. A printer that failed (its
        browser did not start or died: :attr:`error`, also in each unprinted report's future) is raised
        here unless ``raise_error`` is false."""
        for _ in range(self.pages):
            self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
        self._thread.join()
        self._loop.close()
        if self.error is not None and raise_error:
            raise self.error
        return self.written

    @staticmethod
    def _footer(footer_left: str, with_print_font: bool) -> str:
        import html

        family = f'"{print_font.FAMILY}","Noto Sans CJK SC"' if with_print_font else '"Noto Sans CJK SC"'
        return (
            f"<div style='font-size:12px;width:100%;padding:0 8mm;display:flex;justify-content:space-between;"
            f"font-family:{family},sans-serif'><span>{html.escape(footer_left)}</span>"
            "<span>第 <span class='pageNumber'></span> 页，共 <span class='totalPages'></span> 页</span></div>"
        )

    def _env(self) -> dict[str, str]:
        """The browser's environment: this process's, with the print font's fontconfig file when built."""
        import os

        if not self.with_print_font:
            return dict(os.environ)
        return {**os.environ, "FONTCONFIG_FILE": str(print_font.fontconfig_file())}

    async def _serve(self) -> None:
        """The browser, and ``pages`` tabs taking reports from the queue until each gets its end mark."""
        import asyncio

        from playwright.async_api import async_playwright

        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=chromium(), args=FLAGS, env=self._env())
                try:
                    await asyncio.gather(*(self._tab(browser) for _ in range(self.pages)))
                finally:
                    await browser.close()
        except BaseException as exc:  # kept for finish(); what is still queued is failed, so nobody waits forever
            self.error = self.error or exc
            while self._tabs_ended < self.pages:
                item = await self._queue.get()
                self._tabs_ended += item is None
                if item is not None and not item[2].done():
                    item[2].set_exception(exc)

    async def _tab(self, browser) -> None:
        """One tab's share of the queue: opened with its first report, each report's error kept in its future."""
        page = None
        while (item := await self._queue.get()) is not None:
            source, target, future = item
            try:
                page = page or await browser.new_page()
                await self._print(page, source, target)
            except Exception as exc:  # this report's future says so
                future.set_exception(exc)
            else:
                future.set_result(target)
        self._tabs_ended += 1

    async def _print(self, page, source: Path, target: Path) -> None:
        await page.goto(source.resolve().as_uri(), wait_until="load")
        has_stylesheet = await page.evaluate("document.getElementById('kpi-print') !== null")
        if not has_stylesheet:  # a page made before the print stylesheet was part of it
            await page.add_style_tag(content=PRINT_CSS)
        if self.with_print_font:  # the TrueType print font (kpi.publish.print_font) before the system's CJK fonts
            await page.add_style_tag(content=print_font.family_css())
        await page.set_viewport_size({"width": PRINT_WIDTH_PX, "height": 800})
        await page.emulate_media(media="print")
        await page.evaluate(FIT_TABLES_JS)
        with atomic.atomic_path(target) as tmp:
            await page.pdf(
                path=str(tmp),
                prefer_css_page_size=True,
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=self.footer,
            )
            stamp_metadata(tmp, await page.title(), self.author)
        self.written.append(target)
