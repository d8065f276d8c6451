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
# 读取《缙云县“139”科技创新体系建设工程实施方案（2023—2027年）》的目标与附件晾晒表，以及月度进度数据，
# 显示读到了什么、通过了哪些校验。所有计算在 `kpi` 包中完成，本笔记本只负责展示。

# %% tags=["parameters"]
raw_dir = None  # data/raw
processed_dir = None  # data/processed (not written by this notebook)

# %%
from pathlib import Path

import matplotlib.pyplot as plt

from kpi import EXAMPLE_LABEL, paths
from kpi.ingest import annex_files, annex_sum_checks, read_annex, read_county_annual, read_progress
from kpi.plots import annex_targets_chart, use_cjk_font
from kpi.registry import Registry

use_cjk_font()
raw = Path(raw_dir) if raw_dir else paths.RAW
registry = Registry.load(raw)

# %% [markdown]
# ## 方案目标（data/raw/plan_targets.csv）
# 方案第一部分(二)、第二部分与第三部分中的每一项量化目标和“零突破”类里程碑，一行一项，注明条款与原文。

# %%
# NBVAL_CHECK_OUTPUT
plan = registry.plan_targets
print(f"方案目标共 {len(plan)} 项 / {len(plan)} plan targets")
print(plan.groupby("basis").size().rename("项数").to_string())

# %%
plan[["indicator_id", "name_zh", "target_value", "unit", "comparator", "basis", "clause", "responsible_units"]]

# %% [markdown]
# ## 附件：2023年晾晒表指标（官方，逐字转录）

# %%
# NBVAL_CHECK_OUTPUT
annex_2023 = read_annex(raw / "annex_2023.csv", registry)
indicator_names = registry.indicators.set_index("indicator_id")["name_zh"]
print(annex_2023.pivot(index="region", columns="indicator_id", values="target")
      .reindex(registry.region_names)[registry.indicators["indicator_id"]]
      .rename(columns=indicator_names).to_string())

# %% [markdown]
# ### 校验：全县 = 各区域合计（可加总的指标）

# %%
# NBVAL_CHECK_OUTPUT
annex = [read_annex(path, registry, check_sums=False) for path in annex_files(raw)]
import pandas as pd  # noqa: E402

checks = annex_sum_checks(pd.concat(annex, ignore_index=True), registry)
print(checks.to_string(index=False))
print("全部通过 / all passed" if checks["ok"].all() else "有差异 / differences found")

# %%
fig = annex_targets_chart(annex_2023, registry.indicators, 2023)
plt.show()

# %% [markdown]
# ## 月度进度数据
# 区域进度数据不公开，以下为**示例数据**（固定种子生成，见 `kpi/example_data.py`），不代表官方数字。

# %%
# NBVAL_CHECK_OUTPUT
progress = read_progress(raw / "example" / "progress_example.csv", registry)
print(f"{len(progress)} 行，时期 {progress['period'].min()} 至 {progress['period'].max()}")
if progress["is_example"].any():
    print(EXAMPLE_LABEL)
expected = pd.MultiIndex.from_product([sorted(progress["period"].unique()), registry.region_names])
reported = pd.MultiIndex.from_frame(progress[["period", "region"]].drop_duplicates())
print("未报送 / missing reports:", [f"{p} {r}" for p, r in expected.difference(reported)])

# %%
county_annual = read_county_annual(raw / "example" / "county_annual_example.csv")
county_annual.pivot(index="name_zh", columns="year", values="value")
