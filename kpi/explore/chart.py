"""The explorer's chart widget: a Plotly figure, interactive (hover, zoom, a toolbar in Chinese with PNG
and SVG downloads), redrawn in place when the analyst changes the view, and a clicked point sent back.

Plotly's own ``FigureWidget`` carries plotly.js (about 5 MB) inside every chart's model: three charts made
a page wait 3 s on sending and evaluating it three times, and every redraw of a new chart again. This
widget (anywidget, its script in ``templates/explore_chart.js``) loads plotly.js once per page: from the
address in ``KPI_PLOTLY_URL`` where the server serves it (``make explore``; the browser caches it), else
from the kernel; the figure itself travels as its JSON."""

from __future__ import annotations

import functools
import json
import os

import anywidget
import traitlets

from kpi.core import paths

SCRIPT = paths.TEMPLATES / "explore_chart.js"
#: where a server that serves plotly.js as a static file (kpi.explore.server) tells its kernels the address
PLOTLY_URL_VARIABLE = "KPI_PLOTLY_URL"


#: the chart toolbar's words in Chinese (plotly.js ships English only: its config takes a dictionary)
TOOLBAR_ZH = {
    "Autoscale": "自动缩放",
    "Box Select": "框选",
    "Compare data on hover": "悬停时比较各线",
    "Double-click to zoom back out": "双击恢复原比例",
    "Download plot": "下载图片",
    "Download plot as a PNG": "下载图片（PNG，含标题）",
    "Download plot as JSON": "下载图表数据（JSON）",
    "Lasso Select": "套索选择",
    "Pan": "平移",
    "Produced with Plotly.js": "由 Plotly.js 绘制",
    "Reset axes": "重置坐标轴",
    "Show closest data on hover": "悬停时显示最近的数据",
    "Snapshot succeeded": "图片已生成",
    "Sorry, there was a problem downloading your snapshot!": "抱歉，图片下载失败！",
    "Taking snapshot - this may take a few seconds": "正在生成图片，请稍候",
    "Toggle Spike Lines": "显示或隐藏参考线",
    "Toggle show closest data on hover": "切换悬停显示",
    "Zoom": "缩放",
    "Zoom in": "放大",
    "Zoom out": "缩小",
}


def chart_config(title: str) -> dict:
    """A chart's plotly.js config: the toolbar in Chinese, nothing that sends the figures to Plotly's cloud
    (a county's unpublished numbers), no selection tools, and the PNG download at 1600 × 900 named by
    the chart's title."""
    return {
        "locale": "zh-CN",
        "locales": {"zh-CN": {"dictionary": TOOLBAR_ZH}},
        "displaylogo": False,
        "showLink": False,
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendDataToCloud", "editInChartStudio"],
        "toImageButtonOptions": {"format": "png", "filename": title[:80], "width": 1600, "height": 900, "scale": 1},
    }


@functools.cache
def plotly_source() -> str:
    """plotly.js as the plotly package ships it (offline: nothing is fetched from a CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


class Chart(anywidget.AnyWidget):
    """One chart of the explorer: :meth:`show` a ``plotly.graph_objects.Figure``; ``clicked`` holds the
    last point clicked (``x``, its trace's name)."""

    _esm = SCRIPT.read_text(encoding="utf-8")
    figure = traitlets.Dict().tag(sync=True)
    plotly_url = traitlets.Unicode(os.environ.get(PLOTLY_URL_VARIABLE, "")).tag(sync=True)
    config = traitlets.Dict().tag(sync=True)
    clicked = traitlets.Dict().tag(sync=True)

    def __init__(self, figure=None, **kwargs):
        super().__init__(**kwargs)
        self.on_msg(self._send_plotly)
        if figure is not None:
            self.show(figure)

    def _send_plotly(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("want") == "plotly_js":
            self.send({"plotly_js": plotly_source()})

    def show(self, figure) -> None:
        """Draw ``figure`` (its toolbar set by :func:`chart_config` from its title)."""
        shown = json.loads(figure.to_json())
        title = ((shown.get("layout") or {}).get("title") or {}).get("text") or "图表"
        with self.hold_sync():
            self.config = chart_config(title)
            self.figure = shown
