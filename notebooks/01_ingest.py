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
# # 01 数据读取与校验
#
# `kpi ingest` 按项目文件 `kpi.toml` 读取方案目标、各年晾晒表指标、月度进度与年度数据（总计），校验后写入
# `data/processed`。本笔记本只读取这些处理后的表格，显示读到了什么、来自哪些文件、通过了哪些校验。

# %% tags=["parameters"]
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)

# %%
from IPython.display import Markdown, display

from kpi.core.facts import EXAMPLE_LABEL
from kpi.core.formatting import reader_table
from kpi.ingest.pipeline import open_processed
from kpi.outputs.input_tables import (
    annex_table,
    basis_counts,
    county_annual_table,
    inputs_table,
    plan_targets_table,
    progress_summary,
    sum_checks_table,
)
from kpi.outputs.plots import annex_targets_chart, show, use_cjk_font

use_cjk_font()
data = open_processed(processed_dir)
registry = data.registry

# %% [markdown]
# ## 输入文件
# 每个输入文件的用途与 sha256 前16位（见 `data/processed/inputs.parquet`）；生成器生成的文件在备注中注明。

# %%
reader_table(inputs_table(data.inputs))

# %% [markdown]
# ## 方案目标
# 方案第一部分(二)、第二部分与第三部分中的每一项量化目标和“零突破”类里程碑，一行一项，注明条款与原文。

# %%
# NBVAL_CHECK_OUTPUT
plan = registry.plan_targets
display(Markdown(f"方案目标共 {len(plan)} 项"), reader_table(basis_counts(plan)))

# %%
reader_table(plan_targets_table(plan), wrap=("责任单位", "原文"))

# %% [markdown]
# ## 各年晾晒表指标
# 方案附件的年份为官方（逐字转录）；其余年份的来源见上方输入文件。

# %%
# NBVAL_CHECK_OUTPUT
for year in data.annex_years():
    targets = data.targets_for(year)
    label = f"（{EXAMPLE_LABEL}）" if targets["is_example"].any() else ""
    display(reader_table(annex_table(targets, registry), caption=f"{year}年晾晒表指标{label}"))

# %% [markdown]
# ### 校验：总计行 = 各区域合计（可加总的指标）

# %%
# NBVAL_CHECK_OUTPUT
display(reader_table(sum_checks_table(data.sum_checks, registry)))
display(Markdown("全部通过" if data.sum_checks["ok"].all() else "**有差异**"))

# %%
first_year = data.annex_years()[0]
show(annex_targets_chart(data.targets_for(first_year), registry, first_year))

# %% [markdown]
# ## 月度进度数据

# %%
# NBVAL_CHECK_OUTPUT
progress = data.progress
if data.progress_is_example:
    display(Markdown(f"**⚠ {EXAMPLE_LABEL}**：区域进度数据不公开，以下为固定种子生成的示例数据，不代表官方数字。"))
missing = data.missing_reports()
display(Markdown(progress_summary(progress, missing)))

# %%
reader_table(county_annual_table(data.county_annual)) if len(data.county_annual) else Markdown(
    f"尚无{registry.total_name}年度数据。"
)
