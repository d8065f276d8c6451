# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 交互探索 / Explorer
#
# 选择区域、指标和月份范围：趋势（含序时进度与上年同期）、各区域对比、单个区域的全部指标、单元格溯源，
# 以及三个测算（what-if）与导出。图表可悬停查看数值、拖动缩放。所有计算在 `kpi/explore.py`，本笔记本只连接控件。
# 用 `make explore` 可作为网页打开（不显示代码）。

# %% tags=["parameters"]
region = ""  # a region's name or alias (or the total); default: the first region of the registry
indicator = ""  # an indicator_id or name of the registry, or composite; default: its first indicator
start = ""  # first month shown, YYYY-MM (default: the first with data)
end = ""  # last month shown (default: the latest)
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)

# %%
import os

import ipywidgets as widgets
from IPython.display import HTML, display

from kpi import explore, explore_address, explore_export, explore_views
from kpi.facts import EXAMPLE_MARK
from kpi.processed import open_processed

data = open_processed(processed_dir)
registry = data.registry
board = explore.boards(data)
months = explore.periods(board)
asked = {"region": region, "indicator": indicator, "start": start, "end": end}
view = explore_address.start_view(registry, months, asked, os.environ.get("QUERY_STRING", ""))
region, indicator, start, end = view["region"][0], view["indicator"], view["start"], view["end"]
is_example = bool(board["is_example"].any())
names = explore.indicator_names(registry)
corrections = explore.corrections_log(data)
if is_example:
    display(HTML(f"<p style='color:#b03030'><b>{EXAMPLE_MARK}</b>：图表与测算均基于示例数据集。</p>"))

# %% [markdown]
# ## 选择 / Controls

# %%
regions_box = widgets.SelectMultiple(options=registry.region_names, value=view["region"], description="区域", rows=9)
indicator_box = widgets.Dropdown(options=[(names[i], i) for i in names], value=indicator, description="指标")
span_box = widgets.SelectionRangeSlider(
    options=months,
    index=(months.index(start), months.index(end)),
    description="月份",
    layout=widgets.Layout(width="640px"),
)
month_box = widgets.Dropdown(options=months, value=view["month"], description="对比月份")
all_regions_button = widgets.Button(description="全部区域")
all_regions_button.on_click(lambda _: setattr(regions_box, "value", tuple(registry.region_names)))
address_box = widgets.Text(
    description="本视图链接", placeholder="（在 make explore 的网页中显示）", layout=widgets.Layout(width="900px")
)
display(
    widgets.HBox([widgets.VBox([regions_box, all_regions_button]), widgets.VBox([indicator_box, span_box, month_box])]),
    address_box,
)

# %% [markdown]
# ## 趋势 / Trend

# %%
trend_chart = explore_views.trend_figure(
    explore.trend(board, [region], indicator, start, end),
    names[indicator],
    explore.measure_of(indicator, registry),
    is_example,
)
compare_chart = explore_views.compare_figure(
    explore.compare(board, end, indicator, registry),
    f"{end} 各区域：{names[indicator]}",
    explore.measure_of(indicator, registry),
    is_example,
)
region_output, drill_output, pace_output = widgets.Output(), widgets.Output(), widgets.Output()


def current_view() -> dict:
    first, last = span_box.value
    chosen = {"region": list(regions_box.value) or [region], "indicator": indicator_box.value}
    return {**chosen, "start": first, "end": last, "month": month_box.value, "change": change_box.value}


def update_address(change=None):
    address_box.value = explore_address.view_address(
        os.environ, {**current_view(), "indicator": names[indicator_box.value]}
    )


def redraw(change=None):
    chosen, shown_indicator = list(regions_box.value) or [region], indicator_box.value
    first, last = span_box.value
    update_address()
    explore_views.trend_figure(
        explore.trend(board, chosen, shown_indicator, first, last),
        names[shown_indicator],
        explore.measure_of(shown_indicator, registry),
        is_example,
        figure=trend_chart,
    )
    explore_views.compare_figure(
        explore.compare(board, month_box.value, shown_indicator, registry),
        f"{month_box.value} 各区域：{names[shown_indicator]}",
        explore.measure_of(shown_indicator, registry),
        is_example,
        figure=compare_chart,
    )
    for output, show in (
        (region_output, lambda: explore_views.show_region(board, registry, chosen[0], month_box.value, is_example)),
        (
            drill_output,
            lambda: explore_views.show_drill_down(
                data, board, (chosen[0], shown_indicator, month_box.value), corrections
            ),
        ),
        (
            pace_output,
            lambda: display(
                explore_views.pace_view(explore.pace_table(board, month_box.value, registry, chosen[0]), registry)
            ),
        ),
    ):
        output.clear_output(wait=True)
        with output:
            show()


for box in (regions_box, indicator_box, span_box, month_box):
    box.observe(redraw, names="value")
export_button, export_output = widgets.Button(description="导出当前视图"), widgets.Output()


def run_export(_=None):
    export_output.clear_output(wait=True)
    with export_output:
        display(explore_export.export_view(board, registry, current_view(), is_example))


export_button.on_click(run_export)
display(trend_chart, widgets.HBox([export_button]), export_output)

# %% [markdown]
# ## 对比 / Compare
# 颜色：绿 = 超序时/达标，黄 = 基本序时，红 = 滞后/未达标，灰 = 未报送。

# %%
display(compare_chart, region_output)

# %% [markdown]
# ## 溯源 / Drill-down
# 所选区域（第一个）× 指标 × 对比月份：每个数据点及其来源文件、更正记录、历月排名。

# %%
display(drill_output)

# %% [markdown]
# ## 测算 / What-if
# 本项目的测算（非方案规定）：一是改动所选区域、指标在对比月份的数值（填 12 改为该值，或 +5 / -2 在已报送的数上增减），按晾晒表同一规则重算该月的完成率、状态、排名与综合，列出变化的区域（不改动任何数据）；二是所选区域今后每月需完成多少才能达成全年目标；三是全域（总计）今后每年需增长多少才能实现方案的各项目标，与历年最好增速比较。

# %%
change_box = widgets.Text(value=view["change"], description="测算值", placeholder="12 或 +5")
what_if_button, what_if_output = widgets.Button(description="测算"), widgets.Output()


def run_what_if(_=None):
    shown = current_view()
    cell = (shown["region"][0], shown["indicator"], shown["month"])
    what_if_output.clear_output(wait=True)
    with what_if_output:
        display(explore_views.what_if_view(data, cell, change_box.value))


what_if_button.on_click(run_what_if)
change_box.observe(update_address, names="value")
display(widgets.HBox([change_box, what_if_button]), what_if_output, pace_output)
redraw()
if view["run_what_if"]:
    run_what_if()

# %%
# NBVAL_CHECK_OUTPUT
display(explore_views.growth_view(explore.growth_needed(data.plan_targets, data.county_annual, int(end[:4]))))
