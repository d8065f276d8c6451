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
# # 03 迈向2027：目标轨迹 / Trajectories toward 2027
#
# 每项方案目标：应当走到哪里（要求路径）、实际走到哪里、按现在的速度能否达标、剩余年份每年需要完成多少。
# 方法（按目标类型）：水平类与存量类用 Eurostat 的增长率比值法（Statistics Canada / Open SDG 实现），
# 并给出联合国统计司 SDG Progress Chart 的预期进展比；新增类比较累计新增与均匀推进路径；年均增长类比较实际年均增速与目标增速；
# 零突破类看是否实现、何年实现。细节与出处见 `kpi/trajectory.py`。

# %% tags=["parameters"]
as_of_year = 2025  # 截至年份
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)

# %%
import matplotlib.pyplot as plt

from kpi import EXAMPLE_LABEL
from kpi.pipeline import open_processed
from kpi.plots import additions_chart, trajectory_charts, use_cjk_font
from kpi.trajectory import assess_plan

use_cjk_font()
data = open_processed(processed_dir)
registry = data.registry
county_annual = data.county_annual
assessments = assess_plan(registry.plan_targets, county_annual, as_of_year=as_of_year)
if county_annual["is_example"].any():
    real = county_annual.loc[~county_annual["is_example"], "name_zh"].unique()
    print(f"⚠ 年度数据含{EXAMPLE_LABEL}；真实数据见 source 列（{'、'.join(real) or '无'}）")

# %% [markdown]
# ## 各项目标的判断

# %%
# NBVAL_CHECK_OUTPUT
print(assessments["verdict_zh"].value_counts().to_string())
print()
shown = assessments[assessments["verdict"] != "insufficient_data"]
print(shown[["name_zh", "basis", "latest_year", "latest_value", "target_value", "ratio", "verdict_zh"]]
      .round(3).to_string(index=False))

# %%
fig = trajectory_charts(registry.plan_targets, county_annual, assessments, as_of_year)
plt.show()

# %%
fig = additions_chart(assessments)
plt.show()

# %% [markdown]
# ## 剩余年份需要的努力 / effort still needed

# %%
# NBVAL_CHECK_OUTPUT
effort = assessments[assessments["verdict"].isin(["acceleration_needed", "limited_progress", "deterioration", "on_track"])]
columns = ["name_zh", "unit", "latest_value", "target_value", "years_left", "needed_change_per_year",
           "best_change_so_far", "needed_growth_per_year", "best_growth_so_far", "responsible_units"]
print(effort[[c for c in columns if c in effort]].round(3).to_string(index=False))

# %% [markdown]
# ## 尚无数据的目标
# 以下目标方案中有明确数字，但项目尚无年度数据，不作判断（不编造数字）。

# %%
assessments.loc[assessments["verdict"] == "insufficient_data", ["name_zh", "target_value", "unit", "clause", "reason"]]
