"""The explorer's page (``notebooks/05_explore``, ``make explore``): its data, loaded once per kernel, and
its widgets wired to the views of :mod:`kpi.explore.figures` and :mod:`kpi.explore.views`.

``make explore`` keeps kernels ready (Voilà's preheated pool): a kernel imports, loads the data and
stops at :func:`page_query` until a page is asked for; then :func:`fresh` loads again only if the data
changed meanwhile (a ``kpi collect`` after the kernel started), and :class:`Explorer` draws the view the
page's address asks for. A control redraws only what depends on it."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import threading
from html import escape
from pathlib import Path
from urllib.parse import urlencode

import ipywidgets as widgets
import pandas as pd
from IPython.display import HTML, display
from ipywidgets import HBox, VBox

from kpi.core.errors import InputError
from kpi.core.facts import EXAMPLE_MARK
from kpi.explore import data as explore
from kpi.explore import figures
from kpi.explore.address import asked_view, start_view, view_address
from kpi.explore.chart import Chart
from kpi.explore.export import export_view
from kpi.explore.views import growth_view, pace_view, show_drill_down, what_if_view
from kpi.ingest.pipeline import open_processed
from kpi.ingest.processed import Processed, inputs_changed
from kpi.metadata import config as project


@dataclasses.dataclass
class Loaded:
    """What every view reads, computed once per kernel: the processed tables, the leaderboard of every
    month, the months, the indicators' names, the corrections, and ``stamp`` (what they were made from)."""

    data: Processed
    board: pd.DataFrame
    months: list[str]
    names: dict[str, str]
    corrections: pd.DataFrame
    processed_dir: str | Path | None
    stamp: str


def _stamp(processed_dir: str | Path | None) -> str:
    """What the processed folder was made from (its summary's digest), or "stale" if its inputs changed
    since (a ``kpi collect``: :func:`kpi.ingest.pipeline.open_processed` will ingest again)."""

    if processed_dir is None:
        config = project.load()
        if inputs_changed(config, config.processed):
            return "stale"
        folder = config.processed
    else:
        folder = Path(processed_dir) if Path(processed_dir).is_absolute() else project.load().root / processed_dir
    summary = folder / "ingest_summary.json"
    return hashlib.sha256(summary.read_bytes()).hexdigest() if summary.exists() else "missing"


def load(processed_dir: str | Path | None = None) -> Loaded:
    """The explorer's data (see :func:`kpi.ingest.pipeline.open_processed` for ``processed_dir``)."""
    data = open_processed(processed_dir)
    board = explore.boards(data)
    return Loaded(
        data=data,
        board=board,
        months=explore.periods(board),
        names=explore.indicator_names(data.registry),
        corrections=explore.corrections_log(data),
        processed_dir=processed_dir,
        stamp=_stamp(processed_dir),
    )


def fresh(loaded: Loaded) -> Loaded:
    """``loaded`` if its data are still the latest, else the data loaded again."""
    return loaded if _stamp(loaded.processed_dir) == loaded.stamp else load(loaded.processed_dir)


def page_query() -> str:
    """The page's query string. In a kernel of Voilà's preheated pool, this waits for the page's request
    (the kernel ran the notebook up to here before anyone asked); elsewhere it is what Voilà set when it
    started the kernel for the page, or "" (JupyterLab)."""
    if os.environ.get("VOILA_PREHEAT") == "True":
        wait_for_request()
    return os.environ.get("QUERY_STRING", "")


def wait_for_request() -> None:
    """Voilà's ``voila.utils.wait_for_request`` (its documented way for a preheated kernel to learn the
    page's request), without importing voila: the package imports jupyter_server, whose event schemas
    bring jsonschema's Lark grammars (python-jsonschema/jsonschema#1428; see :mod:`kpi.publish.runner`), 3 s of a
    kernel's CPU, three quarters of its start, for every page (py-spy, RESULTS.md). The same
    exchange: a websocket to the server's ``voila/query/<kernel id>``, one message of the request's CGI
    variables, put in the environment.

    A kernel kept ready waits for its page as long as the server keeps the socket open, as Voilà's own
    does: minutes or hours on an office server. (A deadline of 30 s once made every page opened later
    than that show the default view, whatever its address asked for.) With no server to ask (refused,
    silent for :data:`CONNECT_SECONDS`, or gone), the notebook's parameters decide."""
    # websockets is the explore extra's: imported only by a kernel Voilà keeps ready
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed, InvalidHandshake

    env = os.environ
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    address = f"{env.get('VOILA_APP_IP', '127.0.0.1')}:{env.get('VOILA_APP_PORT', '8866')}"
    url = f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{address}{base}voila/query/{env.get('VOILA_KERNEL_ID')}"
    received: list[str] = []

    async def receive() -> None:
        try:
            # no keepalive pings: a server busy past their timeout would close the socket, and the page lose its view
            async with connect(url, open_timeout=CONNECT_SECONDS, ping_interval=None) as socket:
                received.append(await socket.recv())
        except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed):
            pass

    # the kernel's own event loop runs this cell: the exchange runs on a loop of its own, in a thread
    thread = threading.Thread(target=lambda: asyncio.run(receive()), daemon=True)
    thread.start()
    thread.join()
    for key, value in (json.loads(received[0]) if received else {}).items():
        env[key] = value


#: how long a kept-ready kernel waits for the server to accept its socket (Voilà's own waits 5 s; a
#: server this busy still answers, and a page that waited for it keeps its view)
CONNECT_SECONDS = 30


#: what each control redraws (a region's change leaves the all-regions comparison and the county's path)
TREND, COMPARE, REGION, PATH, DRILL, PACE = "trend", "compare", "region", "path", "drill", "pace"
EVERYTHING = frozenset({TREND, COMPARE, REGION, PATH, DRILL, PACE})
REDRAWS = {
    "regions_box": {TREND, REGION, DRILL, PACE},
    "indicator_box": {TREND, COMPARE, PATH, DRILL},
    "span_box": {TREND},
    "month_box": {COMPARE, REGION, DRILL, PACE},
}


class Explorer:
    """The page's widgets: controls (regions, indicator, months, the month compared), charts (trend, all
    regions, one region's indicators, the county's path), the drill-down, the what-if, the export and the
    view's address; drawn for the notebook's ``parameters`` (region, indicator, start, end), then
    :meth:`open_page` shows what the page's address asks for."""

    def __init__(self, loaded: Loaded, parameters: dict):

        self.loaded, self.registry, self.parameters, self._quiet = loaded, loaded.data.registry, parameters, False
        self.address_problems: list[InputError] = []  # what was wrong with the page's address
        view = start_view(self.registry, loaded.months, parameters)
        self.is_example = bool(loaded.board["is_example"].any())
        names, months = loaded.names, loaded.months
        regions = self.registry.region_names
        self.regions_box = widgets.SelectMultiple(options=regions, value=view["region"], description="区域", rows=9)
        self.indicator_box = widgets.Dropdown(
            options=[(names[i], i) for i in names], value=view["indicator"], description="指标"
        )
        self.span_box = widgets.SelectionRangeSlider(
            options=months,
            index=(months.index(view["start"]), months.index(view["end"])),
            description="月份",
            layout=widgets.Layout(width="640px"),
        )
        self.month_box = widgets.Dropdown(options=months, value=view["month"], description="对比月份")
        self.all_button = widgets.Button(description="全部区域")
        self.address_box = widgets.Text(
            description="本视图链接",
            placeholder="（在 make explore 的网页中显示）",
            layout=widgets.Layout(width="900px"),
        )
        self.change_box = widgets.Text(value=view["change"], description="测算值", placeholder="12 或 +5")
        self.what_if_button, self.export_button = (
            widgets.Button(description="测算"),
            widgets.Button(description="导出当前视图"),
        )
        self.trend_chart, self.compare_chart, self.region_chart, self.path_chart = Chart(), Chart(), Chart(), Chart()
        self.drill_output, self.pace_output = widgets.Output(), widgets.Output()
        self.what_if_output, self.export_output = widgets.Output(), widgets.Output()
        for box, parts in REDRAWS.items():
            getattr(self, box).observe(lambda _, parts=parts: self._quiet or self.redraw(parts), names="value")
        self.all_button.on_click(lambda _: setattr(self.regions_box, "value", tuple(self.regions_box.options)))
        self.change_box.observe(lambda _: self._quiet or self.update_address(), names="value")
        self.compare_chart.observe(self.open_clicked_region, names="clicked")
        self.what_if_button.on_click(lambda _: self.run_what_if())
        self.export_button.on_click(lambda _: self.run_export())
        self.redraw(EVERYTHING)

    def open_page(self) -> None:
        """Show what this page's address asks for (:func:`page_query`, waited for in a preheated kernel),
        on the data as they are now (:func:`fresh`: loaded again, and everything redrawn, if they changed
        since this kernel started)."""

        query = page_query()
        loaded = fresh(self.loaded)
        parts = set() if loaded is self.loaded else set(EVERYTHING)
        if parts:
            self._quiet = True
            self.loaded, self.registry = loaded, loaded.data.registry
            self.is_example = bool(loaded.board["is_example"].any())
            self.regions_box.options, self.span_box.options = self.registry.region_names, loaded.months
            self.month_box.options = loaded.months
            self.indicator_box.options = [(loaded.names[i], i) for i in loaded.names]
            self._quiet = False
        view = self._view_of_address(asked_view(query))
        self.show_view(view, parts)

    def _view_of_address(self, asked: dict) -> dict:
        """The view the address asks for. A part it names wrongly (mistyped, or kept from data since
        changed) is left at its default and kept in :attr:`address_problems` for :meth:`notice`; the page
        opens either way."""
        self.address_problems = []
        while True:
            try:
                return start_view(self.registry, self.loaded.months, self.parameters, urlencode(asked))
            except InputError as problem:
                if problem.column not in asked:
                    raise  # the notebook's own parameters: its run stops, naming them
                self.address_problems.append(problem)
                del asked[problem.column]

    def show_view(self, view: dict, parts: set | None = None) -> None:
        """Set the controls to ``view`` and draw again what that changes (and ``parts``), once."""
        parts = set(parts or ())
        wanted = {
            "regions_box": tuple(view["region"]),
            "indicator_box": view["indicator"],
            "span_box": (view["start"], view["end"]),
            "month_box": view["month"],
        }
        self._quiet = True
        try:
            for box, value in wanted.items():
                if getattr(self, box).value != value:
                    getattr(self, box).value = value
                    parts |= REDRAWS[box]
            self.change_box.value = view["change"]
        finally:
            self._quiet = False
        self.redraw(parts) if parts else self.update_address()
        if view["run_what_if"]:
            self.run_what_if()

    def current_view(self) -> dict:
        """What the page shows: regions (the first if none is chosen), indicator id, months, what-if."""
        first, last = self.span_box.value
        regions = list(self.regions_box.value) or [self.regions_box.options[0]]
        return {
            "region": regions,
            "indicator": self.indicator_box.value,
            "start": first,
            "end": last,
            "month": self.month_box.value,
            "change": self.change_box.value,
        }

    def update_address(self) -> None:
        """The view's address in 本视图链接 (the indicator by its Chinese name)."""

        view = self.current_view()
        self.address_box.value = view_address(os.environ, {**view, "indicator": self.loaded.names[view["indicator"]]})

    def redraw(self, parts=EVERYTHING) -> None:
        """Draw ``parts`` of the page again for the current view."""

        view, board, registry = self.current_view(), self.loaded.board, self.registry
        region, indicator_id, month = view["region"][0], view["indicator"], view["month"]
        measure, name = explore.measure_of(indicator_id, registry), self.loaded.names[indicator_id]
        self.update_address()
        if TREND in parts:
            rows = explore.trend(board, view["region"], indicator_id, view["start"], view["end"])
            self.trend_chart.show(figures.trend_figure(rows, name, measure, self.is_example))
        if COMPARE in parts:
            rows = explore.compare(board, month, indicator_id, registry)
            self.compare_chart.show(figures.compare_figure(rows, f"{month} 各区域：{name}", measure, self.is_example))
        if REGION in parts:
            rows = explore.region_year(board, region, month)
            self.region_chart.show(figures.region_figure(rows, registry, region, self.is_example))
        if PATH in parts:
            path = explore.county_path(board, indicator_id, registry)
            self.path_chart.show(figures.path_figure(path, name, measure["unit"], registry.total_name, self.is_example))
        cell = (region, indicator_id, month)
        if DRILL in parts:
            with _replacing(self.drill_output):
                show_drill_down(self.loaded.data, board, cell, self.loaded.corrections)
        if PACE in parts:
            with _replacing(self.pace_output):
                display(pace_view(explore.pace_table(board, month, registry, region), registry))

    def open_clicked_region(self, change) -> None:
        """A bar of the comparison clicked: that region's trend (the region alone)."""
        region = (change["new"] or {}).get("x")
        if region in self.regions_box.options:
            self.regions_box.value = (region,)

    def run_what_if(self) -> None:
        """The what-if of 测算值 on the first region, the indicator and the month compared."""

        view = self.current_view()
        with _replacing(self.what_if_output):
            display(
                what_if_view(self.loaded.data, (view["region"][0], view["indicator"], view["month"]), view["change"])
            )

    def run_export(self) -> None:
        """The view's tables as .xlsx and CSV links (:func:`kpi.explore.export.export_view`)."""

        with _replacing(self.export_output):
            display(export_view(self.loaded.board, self.registry, self.current_view(), self.is_example))

    def notice(self):
        """The example-data notice (HTML, none for real data), and what was wrong with the page's address."""

        shown = (
            f"<p style='color:#b03030'><b>{EXAMPLE_MARK}</b>：图表与测算均基于示例数据集。</p>"
            if self.is_example
            else ""
        )
        for problem in self.address_problems:
            said = f"{problem.problem}（{problem.column} = {problem.value}）。{problem.fix}"
            shown += f"<p style='color:#b03030'><b>页面地址有误，此项按默认显示</b>：{escape(said)}</p>"
        return HTML(shown)

    def controls(self):
        """The controls, as the page shows them."""

        choose = HBox(
            [VBox([self.regions_box, self.all_button]), VBox([self.indicator_box, self.span_box, self.month_box])]
        )
        return VBox([choose, self.address_box])

    def growth(self):
        """The growth each plan target needs from the last year shown (:func:`kpi.explore.data.growth_needed`)."""

        data = self.loaded.data
        return growth_view(
            explore.growth_needed(data.plan_targets, data.county_annual, int(self.span_box.value[1][:4]))
        )


class _replacing:
    """``with _replacing(output):`` what is displayed replaces the output's content (no flicker)."""

    def __init__(self, output):
        self.output = output

    def __enter__(self):
        self.output.clear_output(wait=True)
        return self.output.__enter__()

    def __exit__(self, *exc):
        return self.output.__exit__(*exc)
