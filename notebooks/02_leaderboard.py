# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 晾晒表
#
# 按附件《争先创优晾晒表》的口径，计算指定月份各区域各指标的完成率、序时进度、状态和排名，并给出综合得分。
# 规则见 `kpi/metrics/leaderboard.py`（每条规则的出处写在其文档字符串中）。

# %% tags=["parameters"]
period = ""  # YYYY-MM (2023-9, 2023年9月 also accepted); default: the latest month with data
region = ""  # a region to highlight in the 晾晒表 (any registered name or alias), or "" for none
indicator = "综合得分"  # the indicator of the monthly rank chart: its Chinese name or id, or 综合得分 (composite)
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)

# %%
import pandas as pd
from IPython.display import HTML, Markdown, display

from kpi.core.facts import EXAMPLE_LABEL
from kpi.core.formatting import reader_table
from kpi.core.parsing import parse_period
from kpi.ingest.pipeline import open_processed
from kpi.metrics.leaderboard import missing_reports
from kpi.metrics.quarterly import lagging_table
from kpi.outputs.monthly import composite_table, month_board, status_counts
from kpi.outputs.plots import rank_bump_chart, show, use_cjk_font
from kpi.outputs.report_notes import conventions
from kpi.outputs.status_views import completion_heatmap, leaderboard_table

use_cjk_font()
data = open_processed(processed_dir)
period = parse_period(period) if period else data.latest_period
year = int(period[:4])
registry = data.registry
region = registry.resolve_region(region) if region else None
indicator = registry.resolve_shown(indicator)
board = month_board(data, period)
if board["is_example"].any():
    display(HTML(f"<p style='color:#c00000'><b>⚠ {EXAMPLE_LABEL}</b></p>"))

# %% [markdown]
# ## 晾晒表（▲ 超序时/达标 绿，● 基本序时 黄，▼ 滞后/未达标 红，○ 未到序时；未报送不计零）

# %%
leaderboard_table(board, registry, period, highlight=region)

# %% [markdown]
# ### 关键数字

# %%
# NBVAL_CHECK_OUTPUT
display(reader_table(composite_table(board, period)), reader_table(status_counts(board, period)))
display(Markdown("\n".join(f"- {line}" for line in conventions(data.rules, registry))))

# %% [markdown]
# ## 完成率热力图

# %%
show(completion_heatmap(board, registry, period))

# %% [markdown]
# ## 综合排名逐月变化

# %%
show(rank_bump_chart(board, registry, year, indicator))

# %% [markdown]
# ## 滞后事项与责任单位
# 全部滞后或未达标事项，按方案对应条款的责任单位分组；各乡镇（街道）、开发区对本区域数据负责。

# %%
# NBVAL_CHECK_OUTPUT
display(reader_table(lagging_table(board, period, registry.total_name, registry), wrap=("责任单位",)))
for row in missing_reports(board[board["period"] == period]).itertuples():
    display(reader_table(pd.DataFrame({"未报送的区域": [row.region], "缺报指标数": [len(row.indicators_missing)]})))
