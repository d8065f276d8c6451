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
# # 03 目标轨迹
#
# 每项方案目标：应当走到哪里（要求路径）、实际走到哪里、按现在的速度能否达标、剩余年份每年需要完成多少。
# 方法（按目标类型）：水平类与存量类用 Eurostat 的增长率比值法（Statistics Canada / Open SDG 实现），
# 并给出联合国统计司 SDG Progress Chart 的预期进展比；新增类比较累计新增与均匀推进路径；年均增长类比较实际年均增速与目标增速；
# 零突破类看是否实现、何年实现。细节与出处见 `kpi/metrics/trajectory.py`。

# %% tags=["parameters"]
as_of_year = 2025  # 截至年份
indicator = ""  # one plan target (its Chinese name or indicator_id in plan_targets.csv), or "" for all; the plan's targets are county-wide, so no region
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)

# %%
from IPython.display import Markdown, display

from kpi.core.facts import EXAMPLE_LABEL
from kpi.core.formatting import reader_table
from kpi.ingest.pipeline import open_processed
from kpi.metrics.plan_progress import (
    assess_plan,
    effort_table,
    no_data_table,
    plan_table,
    plan_targets_of,
    verdict_counts,
)
from kpi.outputs.plots import show, use_cjk_font
from kpi.outputs.trajectory_plots import additions_chart, trajectory_charts

use_cjk_font()
data = open_processed(processed_dir)
registry = data.registry
county_annual = data.county_annual
plan_targets = plan_targets_of(registry, indicator)
assessments = assess_plan(plan_targets, county_annual, as_of_year=as_of_year, province=registry.province)
if county_annual["is_example"].any():
    real = county_annual.loc[~county_annual["is_example"], "name_zh"].unique()
    display(
        Markdown(
            f"**⚠ 年度数据含{EXAMPLE_LABEL}**；真实数据：{'、'.join(real) or '无'}（来源见 `county_annual.csv` 的 source 列）"
        )
    )

# %% [markdown]
# ## 各项目标的判断

# %%
# NBVAL_CHECK_OUTPUT
display(reader_table(verdict_counts(assessments)), reader_table(plan_table(assessments), wrap=("责任单位",)))

# %%
show(trajectory_charts(plan_targets, county_annual, assessments, as_of_year, registry.province))

# %%
show(additions_chart(assessments))

# %% [markdown]
# ## 剩余年份需要的努力

# %%
# NBVAL_CHECK_OUTPUT
reader_table(effort_table(assessments), wrap=("责任单位",))

# %% [markdown]
# ## 尚无数据的目标
# 以下目标方案中有明确数字，但项目尚无年度数据，不作判断（不编造数字）。

# %%
reader_table(no_data_table(assessments))
