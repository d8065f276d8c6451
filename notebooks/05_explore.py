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
# 全县到方案目标年的进程，以及测算（what-if）与导出。图表可悬停查看数值、拖动缩放；点击对比图的柱形可看该区域的趋势。
# 所有计算在 `kpi/explore/data.py`，控件的连接在 `kpi/explore/app.py`，本笔记本只调用它们。
# 用 `make explore` 可作为网页打开（不显示代码）。

# %% tags=["parameters"]
region = ""  # a region's name or alias (or the total); default: the first region of the registry
indicator = ""  # an indicator_id or name of the registry, or composite; default: its first indicator
start = ""  # first month shown, YYYY-MM (default: the first with data)
end = ""  # last month shown (default: the latest)
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)

# %%
from IPython.display import display

from kpi.explore import app as explore_app

# once per kernel: make explore keeps kernels ready with the data loaded and the page drawn
app = explore_app.Explorer(
    explore_app.load(processed_dir), dict(region=region, indicator=indicator, start=start, end=end)
)

# %%
app.open_page()  # what the page's address asks for (waits for it in a kernel kept ready)
display(app.notice())

# %% [markdown]
# ## 选择 / Controls

# %%
display(app.controls())

# %% [markdown]
# ## 趋势 / Trend
# 选多个区域时每个区域一格（坐标轴相同）；点线为该区域上年同期。

# %%
display(app.trend_chart, app.export_button, app.export_output)

# %% [markdown]
# ## 对比 / Compare
# 颜色：绿 = 超序时/达标，黄 = 基本序时，红 = 滞后/未达标，灰 = 未报送。点击柱形：看该区域的趋势。

# %%
display(app.compare_chart, app.region_chart)

# %% [markdown]
# ## 全县进程 / Path to the plan's target year
# 各年最新月份的全县数值（可相加的指标按区域分色），与当年目标比较；尚未到来的年份留空。

# %%
display(app.path_chart)

# %% [markdown]
# ## 溯源 / Drill-down
# 所选区域（第一个）× 指标 × 对比月份：每个数据点及其来源文件、更正记录、历月排名。

# %%
display(app.drill_output)

# %% [markdown]
# ## 测算 / What-if
# 本项目的测算（非方案规定）：一是改动所选区域、指标在对比月份的数值（填 12 改为该值，或 +5 / -2 在已报送的数上增减），按晾晒表同一规则重算该月的完成率、状态、排名与综合，列出变化的区域（不改动任何数据）；二是所选区域今后每月需完成多少才能达成全年目标；三是全域（总计）今后每年需增长多少才能实现方案的各项目标，与历年最好增速比较。

# %%
display(app.change_box, app.what_if_button, app.what_if_output, app.pace_output)

# %%
# NBVAL_CHECK_OUTPUT
display(app.growth())
