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
# # 02 晾晒表 / Leaderboard
#
# 按附件《争先创优晾晒表》的口径，计算指定月份各区域各指标的完成率、序时进度、状态和排名，并给出综合得分。
# 规则见 `kpi/progress.py`（每条规则的出处写在其文档字符串中）。

# %% tags=["parameters"]
period = "2023-09"  # YYYY-MM (2023-9, 2023年9月 also accepted)
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)

# %%
import matplotlib.pyplot as plt

from kpi import EXAMPLE_LABEL
from kpi.monthly import month_board
from kpi.parsing import parse_period
from kpi.pipeline import open_processed
from kpi.plots import completion_heatmap, leaderboard_table, rank_bump_chart, use_cjk_font
from kpi.progress import COMPOSITE_RULE, lagging, missing_reports

use_cjk_font()
period = parse_period(period)
year = int(period[:4])
data = open_processed(processed_dir)
registry = data.registry
board = month_board(data, period)
if board["is_example"].any():
    print(f"⚠ {EXAMPLE_LABEL}")

# %% [markdown]
# ## 晾晒表（交通灯：绿 = 超序时/达标，黄 = 基本序时，红 = 滞后/未达标，灰 = 未报送）

# %%
leaderboard_table(board, registry, period)

# %% [markdown]
# ### 关键数字 / key figures

# %%
# NBVAL_CHECK_OUTPUT
current = board[board["period"] == period]
composite = current[current["indicator_id"] == "composite"].set_index("region")
print(composite[["completion_rate", "time_share", "status", "rank", "rank_change"]].round(4).to_string())
print()
print(current["status"].value_counts().reindex(["超序时", "基本序时", "滞后", "达标", "未达标", "未报送"], fill_value=0).to_string())
print()
print(COMPOSITE_RULE.split(" / ")[0])

# %% [markdown]
# ## 完成率热力图

# %%
fig = completion_heatmap(board, registry, period)
plt.show()

# %% [markdown]
# ## 综合排名逐月变化

# %%
fig = rank_bump_chart(board, registry, year)
plt.show()

# %% [markdown]
# ## 落后于序时进度最多的区域与责任单位
# 责任单位取自方案对应条款（见 `data/raw/indicators.csv` 的 `responsible_clause`）；各乡镇（街道）、开发区对本区域数据负责。

# %%
# NBVAL_CHECK_OUTPUT
behind = lagging(board[board["period"] == period], registry, limit=10)
print(behind.to_string(index=False))
for row in missing_reports(board[board["period"] == period]).itertuples():
    print(f"未报送：{row.region}（{len(row.indicators_missing)} 项指标）")
