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

# %% tags=["parameters"]
year = 2025
quarter = 4
region = "全县"  # 全县, or a region's canonical name
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)
made_at = ""  # filled by `kpi report`
code_version = ""  # filled by `kpi report`

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from kpi import EXAMPLE_LABEL
from kpi.monthly import month_board
from kpi.pipeline import open_processed
from kpi.plots import leaderboard_table, region_progress_chart, trajectory_charts, use_cjk_font
from kpi.progress import COMPOSITE_RULE, lagging
from kpi.quarterly import (check_region_series, data_notes, headline, quarter_end, quarterly_ranks, region_table,
                           validate_parameters)
from kpi.registry import COUNTY
from kpi.trajectory import assess_plan

use_cjk_font()
data = open_processed(processed_dir)
registry = data.registry
year, quarter, region = validate_parameters(year, quarter, region, registry)
period = quarter_end(year, quarter)
check_region_series(data.progress, region, registry)
board = month_board(data, period)
is_example = bool(board["is_example"].any())
display(Markdown(f"# {year}年第{quarter}季度 {region}“139”科技创新体系建设进展报告"))
if is_example:
    display(Markdown(f"<div style='border:2px solid #c00000;padding:6px;color:#c00000'><b>⚠ {EXAMPLE_LABEL}</b>："
                     "本报告中的进度数字不是官方数据，仅演示报告格式。</div>"))

# %% [markdown]
# ## 一、总体情况

# %%
# NBVAL_CHECK_OUTPUT
display(Markdown(headline(board, period, region, registry)))

# %% [markdown]
# ## 二、晾晒表（季末）
# 绿 = 超序时/达标，黄 = 基本序时，红 = 滞后/未达标，灰 = 未报送。

# %%
leaderboard_table(board, registry, period, highlight=region)

# %% [markdown]
# ## 三、本区域指标与排名

# %%
# NBVAL_CHECK_OUTPUT
display(region_table(board, period, region, registry))
if region != COUNTY:
    display(Markdown("**各季度末排名**"), quarterly_ranks(board, year, region, registry))

# %%
fig = region_progress_chart(board, registry, region, period)
plt.show()

# %% [markdown]
# ## 四、迈向2027（全县报告）

# %%
if region == COUNTY:
    county_annual = data.county_annual
    if county_annual["is_example"].any():
        display(Markdown(f"**⚠ 全县年度数据含{EXAMPLE_LABEL}**（真实数字见数据说明的来源）。"))
    assessments = assess_plan(registry.plan_targets, county_annual, as_of_year=year)
    known = assessments[assessments["verdict"] != "insufficient_data"]
    if known.empty:
        display(Markdown("尚无全县年度数据，2027年目标暂不作判断（用 `kpi template --year` 与 `kpi collect --year` 录入）。"))
    display(known[["name_zh", "latest_year", "latest_value", "target_value", "unit", "ratio", "verdict_zh", "responsible_units"]]
            .rename(columns={"name_zh": "目标", "latest_year": "最新年份", "latest_value": "最新值", "target_value": "2027目标",
                             "unit": "单位", "ratio": "比率", "verdict_zh": "判断", "responsible_units": "责任单位"})
            .round(3).reset_index(drop=True))
    fig = trajectory_charts(registry.plan_targets, county_annual, assessments, year)
    plt.show()
else:
    display(Markdown("区域报告不含2027年轨迹（方案目标为全县口径），见全县报告。"))

# %% [markdown]
# ## 五、滞后事项与责任单位

# %%
current = board[board["period"] == period]
behind = lagging(current if region == COUNTY else current[current["region"] == region], registry, limit=None)
display(behind.rename(columns={"region": "区域", "indicator": "指标", "status": "状态", "completion_rate": "完成率",
                               "time_share": "序时进度", "gap_points": "差距(百分点)", "rank": "排名",
                               "responsible_units": "责任单位", "clause": "方案条款"}).drop(columns="period"))

# %% [markdown]
# ## 六、数据说明

# %%
checks = data.sum_checks[data.sum_checks["year"] == year]
passed = [f"晾晒表全县=各区域合计 {int(checks['ok'].sum())}/{len(checks)} 项", "全部表格通过结构校验（pandera）",
          COMPOSITE_RULE.split(" / ")[0].rstrip("。")]
display(Markdown(data_notes(data.inputs, is_example, passed, made_at, code_version)))
