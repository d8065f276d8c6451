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
# # 01 数据读取与校验 / Ingest and checks
#
# `kpi ingest` 按项目文件 `kpi.toml` 读取方案目标、各年晾晒表指标、月度进度与全县年度数据，校验后写入
# `data/processed`。本笔记本只读取这些处理后的表格，显示读到了什么、来自哪些文件、通过了哪些校验。

# %% tags=["parameters"]
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from kpi import EXAMPLE_LABEL
from kpi.pipeline import open_processed
from kpi.plots import annex_targets_chart, use_cjk_font

use_cjk_font()
data = open_processed(processed_dir)
registry = data.registry

# %% [markdown]
# ## 输入文件
# 每个输入文件的用途与 sha256 前16位（见 `data/processed/inputs.csv`）；生成器生成的文件在备注中注明。

# %%
print(data.inputs.assign(sha256=data.inputs["sha256"].str[:16], 备注=data.inputs["is_example"].map({True: "示例数据", False: ""}))
      [["role", "file", "sha256", "备注"]].rename(columns={"role": "用途", "file": "文件"}).to_string(index=False))

# %% [markdown]
# ## 方案目标
# 方案第一部分(二)、第二部分与第三部分中的每一项量化目标和“零突破”类里程碑，一行一项，注明条款与原文。

# %%
# NBVAL_CHECK_OUTPUT
plan = registry.plan_targets
print(f"方案目标共 {len(plan)} 项 / {len(plan)} plan targets")
print(plan.groupby("basis").size().rename("项数").to_string())

# %%
plan[["indicator_id", "name_zh", "target_value", "unit", "comparator", "basis", "clause", "responsible_units"]]

# %% [markdown]
# ## 各年晾晒表指标
# 2023年为方案附件（官方，逐字转录）；其余年份的来源见上方输入文件。

# %%
# NBVAL_CHECK_OUTPUT
indicator_names = registry.indicators.set_index("indicator_id")["name_zh"]
for year in data.annex_years():
    targets = data.targets_for(year)
    label = f"（{EXAMPLE_LABEL}）" if targets["is_example"].any() else ""
    print(f"{year}年{label}")
    print(targets.pivot(index="region", columns="indicator_id", values="target")
          .reindex(registry.region_names)[registry.indicators["indicator_id"]]
          .rename(columns=indicator_names).to_string())
    print()

# %% [markdown]
# ### 校验：全县 = 各区域合计（可加总的指标）

# %%
# NBVAL_CHECK_OUTPUT
print(data.sum_checks.to_string(index=False))
print("全部通过 / all passed" if data.sum_checks["ok"].all() else "有差异 / differences found")

# %%
first_year = data.annex_years()[0]
fig = annex_targets_chart(data.targets_for(first_year), registry.indicators, first_year)
plt.show()

# %% [markdown]
# ## 月度进度数据

# %%
# NBVAL_CHECK_OUTPUT
progress = data.progress
if data.progress_is_example:
    display(Markdown(f"**⚠ {EXAMPLE_LABEL}**：区域进度数据不公开，以下为固定种子生成的示例数据，不代表官方数字。"))
print(f"{len(progress)} 行，时期 {progress['period'].min()} 至 {progress['period'].max()}")
print("来源文件 / sources:", "、".join(sorted(progress["source"].astype(str).unique())))
missing = data.missing_reports()
print("未报送 / missing reports:", [f"{p} {r}" for p, r in missing.itertuples(index=False)])

# %%
county_annual = data.county_annual
county_annual.pivot(index="name_zh", columns="year", values="value") if len(county_annual) else Markdown("尚无全县年度数据。")
