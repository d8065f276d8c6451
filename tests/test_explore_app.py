"""The explorer's page without a browser (#28): its figures' tooltips and small multiples, the county's
path, the widgets wired (what a control redraws, a bar's click, a page's address, data changed after the
kernel started), the chart widget, the server's corrections, and `make lab`'s copies. Numbers are the
example data's 2025-12 规上工业企业研发费用, worked by hand."""

import asyncio
import json
import os
import threading

import pytest

from kpi.core import paths
from kpi.explore import app as explore_app
from kpi.explore import data as explore
from kpi.explore import figures as explore_figures
from kpi.ingest.pipeline import run_ingest
from tests.support import config_for

RD = "rd_expense_above_scale"


@pytest.fixture(scope="module")
def processed_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore_app")
    config = config_for(paths.RAW, folder / "processed", folder / "reports")
    run_ingest(config)
    return config.processed


@pytest.fixture(scope="module")
def loaded(processed_dir):
    return explore_app.load(processed_dir)


@pytest.fixture()
def app(loaded):
    return explore_app.Explorer(loaded, {"region": "", "indicator": "", "start": "", "end": ""})


def test_a_bars_tooltip_says_value_target_completion_status_and_rank(loaded):
    """壶山镇 at 2025-12: 5.737 of 5.15 亿元 = 111.4 %, 超序时, first; 全县 has no rank."""
    registry = loaded.data.registry
    rows = explore.compare(loaded.board, "2025-12", RD, registry)
    figure = explore_figures.compare_figure(rows, "t", explore.measure_of(RD, registry), True)
    details = dict(zip(figure.data[0].x, figure.data[0].customdata))
    assert list(details["壶山镇"]) == ["5.74亿元", "5.15亿元", "111.4%", "超序时", "1"]
    assert list(details["全县"])[4] == "—"
    assert "%{customdata[2]}" in figure.data[0].hovertemplate and "排名" in figure.data[0].hovertemplate


def test_several_regions_are_small_multiples_with_shared_axes(loaded):
    registry = loaded.data.registry
    rows = explore.trend(loaded.board, ["壶山镇", "东方镇"], RD, "2025-01", "2025-12")
    figure = explore_figures.trend_figure(rows, "规上工业企业研发费用", explore.measure_of(RD, registry), True)
    panels = {trace.name: (trace.xaxis, trace.yaxis) for trace in figure.data if trace.name != "序时进度"}
    assert panels == {
        "壶山镇": ("x", "y"),
        "壶山镇 上年同期": ("x", "y"),
        "东方镇": ("x2", "y2"),
        "东方镇 上年同期": ("x2", "y2"),
    }
    assert figure.layout.xaxis2.matches == "x" and figure.layout.yaxis2.matches == "y"  # one scale
    assert [a.text for a in figure.layout.annotations][:2] == ["壶山镇", "东方镇"]  # each panel titled
    assert sum(trace.showlegend is not False for trace in figure.data if trace.name == "序时进度") == 1
    december = figure.data[0].customdata[-1]
    assert list(december) == ["5.74亿元", "5.15亿元", "111.4%", "超序时", "1"]
    one = explore_figures.trend_figure(rows[rows["region"] == "东方镇"], "x", explore.measure_of(RD, registry), False)
    assert "xaxis2" not in one.layout  # one region: one chart
    assert (
        one.layout.xaxis.dtick == "M1" and figure.layout.xaxis.dtick == "M3"
    )  # 12 months: monthly ticks; in panels, quarterly
    two = explore.trend(loaded.board, ["东方镇"], RD, "2025-02", "2025-03")
    assert explore_figures.trend_figure(two, "x", explore.measure_of(RD, registry), False).layout.xaxis.dtick == "M1"


def test_the_countys_path_runs_to_the_plans_last_year_by_region(loaded):
    """Each year's December: the regions add up to 全县 (2025: 19.621 亿元 against 18.67); 2026 and 2027
    are on the axis, empty."""
    registry = loaded.data.registry
    path = explore.county_path(loaded.board, RD, registry)
    county = path[path["region"] == "全县"].set_index("year")
    assert list(county.index) == [2023, 2024, 2025, 2026, 2027]
    assert county.at[2025, "actual"] == pytest.approx(19.621) and county.at[2025, "target"] == pytest.approx(18.67)
    assert county.loc[[2026, 2027], "actual"].isna().all()
    parts = path[(path["region"] != "全县") & (path["year"] == 2025)]
    assert len(parts) == 8 and parts["actual"].sum() == pytest.approx(19.621)
    growth = explore.county_path(loaded.board, "hitech_investment_growth", registry)
    assert set(growth["region"]) == {"全县"}  # a growth rate has no regional parts
    figure = explore_figures.path_figure(path, "规上工业企业研发费用", "亿元", "全县", True)
    assert figure.layout.barmode == "stack" and len(figure.data) == 9  # 8 regions and the target line
    assert list(figure.data[-1].x) == ["2023", "2024", "2025", "2026", "2027"]


def test_a_control_redraws_only_what_depends_on_it(app):
    compare_before, path_before = app.compare_chart.figure, app.path_chart.figure
    app.regions_box.value = ("东方镇",)
    assert app.trend_chart.figure["data"][0]["name"] == "东方镇"
    assert app.region_chart.figure["layout"]["title"]["text"].startswith("东方镇")
    assert app.compare_chart.figure is compare_before and app.path_chart.figure is path_before
    app.indicator_box.value = "new_invention_patents"
    assert "新增发明专利" in app.compare_chart.figure["layout"]["title"]["text"]
    assert "新增发明专利" in app.path_chart.figure["layout"]["title"]["text"]


def test_clicking_a_bar_opens_that_regions_trend(app):
    app.regions_box.value = ("壶山镇", "东方镇")
    app.compare_chart.clicked = {"x": "新建镇", "trace": "完成率", "at": 1}
    assert app.regions_box.value == ("新建镇",)
    assert app.trend_chart.figure["data"][0]["name"] == "新建镇"
    app.compare_chart.clicked = {"x": "not a region", "trace": "", "at": 2}
    assert app.regions_box.value == ("新建镇",)


def test_a_pages_address_sets_the_view_once(app, monkeypatch):
    monkeypatch.setenv("QUERY_STRING", "token=t&region=东方,壶山镇&indicator=新增发明专利&month=2025-06&change=%2B2")
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    drawn, asked = [], []
    monkeypatch.setattr(app, "run_what_if", lambda: asked.append(app.current_view()))
    original = app.redraw
    monkeypatch.setattr(app, "redraw", lambda parts=explore_app.EVERYTHING: (drawn.append(set(parts)), original(parts)))
    app.open_page()
    assert app.regions_box.value == ("东方镇", "壶山镇") and app.indicator_box.value == "new_invention_patents"
    assert app.month_box.value == "2025-06" and app.change_box.value == "+2"
    assert drawn == [set(explore_app.EVERYTHING)]  # regions, indicator and month changed: one redraw
    assert [(v["region"][0], v["indicator"], v["month"], v["change"]) for v in asked] == [
        ("东方镇", "new_invention_patents", "2025-06", "+2")
    ]  # a shared what-if opens computed


def test_a_mistyped_address_opens_the_default_view_and_says_what_was_wrong(app, monkeypatch):
    """A colleague's address with a region and a month the data do not have: the page opens, those parts at
    their defaults and the rest as asked, and its notice names each part and value, as text; the notebook's
    own parameters are still refused."""
    from kpi.core.errors import InputError

    monkeypatch.setattr(explore_app, "page_query", lambda: "token=t&region=<b>东方&indicator=新增发明专利&end=2025-13")
    app.open_page()
    assert app.regions_box.value == ("五云街道",)  # the default, where the address was wrong
    assert app.indicator_box.value == "new_invention_patents"  # what it asked for, where it was right
    assert app.span_box.value[1] == "2025-12"
    shown = app.notice().data
    assert shown.count("页面地址有误，此项按默认显示") == 2 and "用已知的区域名或别名" in shown
    assert "region = &lt;b&gt;东方" in shown and "<b>东方" not in shown and "end = 2025-13" in shown
    with pytest.raises(InputError, match="未知区域"):
        explore_app.Explorer(app.loaded, {"region": "东方村", "indicator": "", "start": "", "end": ""})


def test_data_changed_after_the_kernel_started_are_loaded_again(processed_dir, tmp_path):
    import shutil

    folder = tmp_path / "processed"
    shutil.copytree(processed_dir, folder)
    first = explore_app.load(folder)
    assert explore_app.fresh(first) is first  # nothing changed: nothing read again
    summary = folder / "ingest_summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text(encoding="utf-8")), "again": 1}), encoding="utf-8")
    again = explore_app.fresh(first)
    assert again is not first and again.stamp != first.stamp


def test_a_page_opened_after_the_data_changed_shows_them(processed_dir, tmp_path, monkeypatch):
    """A kernel kept ready since before a ``kpi collect``: its page loads the data again and draws it all."""
    import shutil

    folder = tmp_path / "processed"
    shutil.copytree(processed_dir, folder)
    app = explore_app.Explorer(explore_app.load(folder), {"region": "东方镇", "indicator": "", "start": "", "end": ""})
    before = app.loaded
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "")
    app.open_page()
    assert app.loaded is before  # unchanged: nothing read again
    summary = folder / "ingest_summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text(encoding="utf-8")), "again": 1}), encoding="utf-8")
    drawn = []
    monkeypatch.setattr(app, "redraw", lambda parts=explore_app.EVERYTHING: drawn.append(set(parts)))
    app.open_page()
    assert app.loaded is not before and drawn == [set(explore_app.EVERYTHING)]
    assert app.regions_box.value == ("东方镇",)  # the view kept (the notebook's parameters)


def _serve_page_requests(monkeypatch, handler) -> None:
    """A stand-in for the server's ``voila/query`` socket, each connection handled by ``handler``;
    ``VOILA_APP_PORT`` names it."""
    from websockets.asyncio.server import serve

    ready = threading.Event()

    def run_server():
        async def main():
            async with serve(handler, "127.0.0.1", 0) as server:
                monkeypatch.setenv("VOILA_APP_PORT", str(server.sockets[0].getsockname()[1]))
                ready.set()
                await asyncio.sleep(10)

        asyncio.run(main())

    threading.Thread(target=run_server, daemon=True).start()
    ready.wait(10)


def test_a_preheated_kernel_learns_its_pages_request_without_importing_voila(monkeypatch):
    """The exchange of voila.utils.wait_for_request: a websocket to voila/query/<kernel>, one JSON message
    of the request's variables, put in the environment."""
    import sys

    asked = []

    async def handler(socket):
        asked.append(socket.request.path)
        await socket.send(json.dumps({"QUERY_STRING": "region=东方镇", "SERVER_NAME": "127.0.0.1"}))

    _serve_page_requests(monkeypatch, handler)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_KERNEL_ID", "k-1")
    monkeypatch.setenv("VOILA_SERVER_URL", "/")
    for written in ("QUERY_STRING", "SERVER_NAME"):  # what the exchange writes: removed after the test
        monkeypatch.setenv(written, "")
    modules = set(sys.modules)
    assert explore_app.page_query() == "region=东方镇"
    assert asked == ["/voila/query/k-1"] and os.environ["SERVER_NAME"] == "127.0.0.1"
    assert not {m for m in set(sys.modules) - modules if m.startswith(("voila", "jupyter_server"))}


def test_the_chart_widget_carries_the_figure_and_plotly_once(loaded):
    import plotly.graph_objects as go

    from kpi.explore.chart import Chart, plotly_source

    chart = Chart(go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": {"text": "甲 2025-01—2025-12"}}))
    assert chart.figure["data"][0]["type"] == "bar" and chart.config["locale"] == "zh-CN"
    assert chart.config["toImageButtonOptions"]["filename"] == "甲 2025-01—2025-12"
    assert "sendDataToCloud" in chart.config["modeBarButtonsToRemove"] and chart.config["displaylogo"] is False
    sent = []
    chart.send = sent.append
    chart._send_plotly(chart, {"want": "plotly_js"}, [])
    assert len(sent) == 1 and sent[0]["plotly_js"] == plotly_source() and len(plotly_source()) > 1_000_000
    chart._send_plotly(chart, {"other": 1}, [])
    assert len(sent) == 1
    assert len(json.dumps(chart.get_state(), default=str)) < 50_000  # plotly.js is not in the model


def test_the_servers_corrections_apply_once(monkeypatch):
    """kpi.explore.server (through kpi.core.compat): the page sets the xsrf cookie (so that a closed tab's
    shutdown is accepted), and plotly.js is served from the package's own folder, its address told to the
    kernels; applied twice, each wraps once."""
    import types

    from voila.app import Voila
    from voila.handler import VoilaHandler

    from kpi.core.compat import set_xsrf_cookie_with_page
    from kpi.explore.chart import PLOTLY_URL_VARIABLE
    from kpi.explore.server import plotly_assets, serve_plotly

    monkeypatch.setattr(VoilaHandler, "prepare", VoilaHandler.prepare)  # both restored after the test
    monkeypatch.setattr(Voila, "setup_template_dirs", lambda self: None)  # a stand-in for Voilà's own
    monkeypatch.setenv(PLOTLY_URL_VARIABLE, "")
    for _ in range(2):
        set_xsrf_cookie_with_page()
        serve_plotly()
    assert VoilaHandler.prepare.sets_xsrf_cookie and not hasattr(VoilaHandler.prepare, "__wrapped__")
    server = types.SimpleNamespace(static_paths=["voila"], base_url="/base/")
    Voila.setup_template_dirs(server)
    assert server.static_paths == ["voila", plotly_assets()]  # once
    assert os.environ[PLOTLY_URL_VARIABLE] == "/base/voila/static/plotly.min.js"
    assert (paths.Path(plotly_assets()) / "plotly.min.js").exists()


def test_make_lab_copies_the_notebooks_once_and_keeps_an_analysts_changes(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("lab", paths.ROOT / "scripts" / "lab.py")
    lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab)
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / "01_a.ipynb").write_text("{}", encoding="utf-8")
    (shipped / "01_a.py").write_text("# a", encoding="utf-8")
    monkeypatch.setattr(lab, "SHIPPED", shipped)
    copies = tmp_path / "lab"
    assert lab.copy_notebooks(copies) == [f"复制 01_a.ipynb → {copies / '01_a.ipynb'}"]
    assert (copies / "01_a.py").read_text(encoding="utf-8") == "# a"
    (copies / "01_a.ipynb").write_text('{"mine": 1}', encoding="utf-8")  # the analyst's work
    assert lab.copy_notebooks(copies) == [] and "mine" in (copies / "01_a.ipynb").read_text(encoding="utf-8")
    (shipped / "01_a.ipynb").write_text('{"new": 1}', encoding="utf-8")
    said = lab.copy_notebooks(copies)
    assert len(said) == 1 and "已更新" in said[0] and "mine" in (copies / "01_a.ipynb").read_text(encoding="utf-8")
    settings = lab.write_settings(copies)
    locale = settings / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings"
    assert json.loads(locale.read_text(encoding="utf-8")) == {"locale": "zh_CN"}


def test_a_kept_ready_kernel_with_no_server_to_ask_keeps_the_notebooks_parameters(monkeypatch):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for name, value in {"VOILA_PREHEAT": "True", "VOILA_APP_PORT": str(port), "QUERY_STRING": ""}.items():
        monkeypatch.setenv(name, value)
    assert explore_app.page_query() == ""  # refused: nothing printed on the page, the defaults stand


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")  # a thread's traceback
def test_a_kept_ready_kernel_whose_server_goes_away_keeps_the_parameters_and_prints_nothing(monkeypatch, capfd):
    """A server shut down while its kernels wait (Ctrl+C on make explore): the socket closes with no
    message, and the kernel goes on with the notebook's parameters, no thread's traceback on its page."""

    async def handler(socket):
        await asyncio.sleep(0.5)
        await socket.close()

    _serve_page_requests(monkeypatch, handler)
    for name, value in {"VOILA_PREHEAT": "True", "VOILA_KERNEL_ID": "k-2", "QUERY_STRING": ""}.items():
        monkeypatch.setenv(name, value)
    assert explore_app.page_query() == ""
    assert capfd.readouterr().err == ""
