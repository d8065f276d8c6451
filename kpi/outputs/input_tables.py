"""The inputs as readers see them (notebook 01, the reports' data notes): the annex targets, the plan's
targets and how each is counted, the annex's sum checks, the files read, the county's annual series —
Chinese headers, formatted by :mod:`kpi.core.formatting`."""

from __future__ import annotations

import html

import pandas as pd

from kpi.core import formatting as fmt
from kpi.metadata.identity import target_column
from kpi.metadata.registry import Registry

BASIS_ZH = {
    "level": "水平值",
    "new_since_base": "新增（{start}—{end}累计）",  # the target's own span
    "cumulative": "存量",
    "annual_growth": "年均增长",
    "milestone": "零突破（里程碑）",
}
ROLE_ZH = {"registry": "登记表", "annex": "晾晒表指标", "progress": "月度进度", "county_annual": "年度数据（总计）"}


def annex_table(targets: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """One year's annex as readers see it: a row per region, a column per indicator, targets as written."""

    units = registry.by_id["unit"]
    cells = targets.assign(
        text=[
            fmt.target(v, c, units[i])
            for v, c, i in zip(targets["target"], targets["comparator"], targets["indicator_id"])
        ]
    )
    wide = cells.pivot(index="region", columns="indicator_id", values="text").reindex(
        index=registry.region_names, columns=registry.indicators["indicator_id"]
    )
    wide.columns = registry.indicators["name_zh"].tolist()
    return wide.rename_axis("区域").reset_index()


def basis_labels(plan: pd.DataFrame) -> pd.Series:
    """Each target's 口径 in words (:data:`BASIS_ZH`), additions with their own span: ``新增（2023—2027累计）``."""
    return pd.Series(
        [
            BASIS_ZH[basis].format(start=int(base) + 1, end=int(target))
            for basis, base, target in zip(plan["basis"], plan["base_year"], plan["target_year"])
        ],
        index=plan.index,
        dtype=object,
    )


def plan_targets_table(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan's targets as readers see them: target text, basis, years, clause, units responsible."""

    return pd.DataFrame(
        {
            "目标": plan["name_zh"],
            target_column(plan): fmt.targets(plan),
            "口径": basis_labels(plan),
            "条款": plan["clause"],
            "责任单位": plan["responsible_units"],
            "原文": plan["quote"],
        }
    )


def basis_counts(plan: pd.DataFrame) -> pd.DataFrame:
    """How many of the plan's targets are counted each way (口径 → 项数)."""
    counts = basis_labels(plan).value_counts()
    return pd.DataFrame({"口径": counts.index, "项数": counts.to_numpy()})


def sum_checks_table(checks: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """The annex's sum checks (the total row against the sum of its regions) as readers see them."""

    indicators = registry.by_id
    return pd.DataFrame(
        {
            "年份": checks["year"].astype(int),
            "指标": checks["indicator_id"].map(indicators["name_zh"]),
            registry.total_name: [
                fmt.number(v, indicators.loc[i, "unit"]) for v, i in zip(checks["county"], checks["indicator_id"])
            ],
            "各区域合计": [
                fmt.number(v, indicators.loc[i, "unit"]) for v, i in zip(checks["regions_sum"], checks["indicator_id"])
            ],
            "差额": [
                fmt.number(v, indicators.loc[i, "unit"]) for v, i in zip(checks["difference"], checks["indicator_id"])
            ],
            "结果": checks["ok"].map({True: "一致", False: "不一致"}),
        }
    )


def inputs_table(inputs: pd.DataFrame) -> pd.DataFrame:
    """The files a run read (role, name, sha256 prefix, size, example or not) as readers see them."""
    return pd.DataFrame(
        {
            "用途": inputs["role"].map(ROLE_ZH),
            "文件": inputs["file"],
            "sha256（前16位）": inputs["sha256"].str[:16],
            "备注": inputs["is_example"].astype(bool).map({True: "示例数据", False: ""}),
        }
    )


def county_annual_table(county_annual: pd.DataFrame) -> pd.DataFrame:
    """The county's annual series as readers see them: a row per series, a column per year."""

    if county_annual.empty:
        return pd.DataFrame({"指标": [], "单位": []})
    cells = county_annual.assign(text=[fmt.number(v, u) for v, u in zip(county_annual["value"], county_annual["unit"])])
    wide = cells.pivot_table(index=["name_zh", "unit"], columns="year", values="text", aggfunc="first", sort=False)
    wide.columns = [f"{int(y)}年" for y in wide.columns]
    return wide.fillna(fmt.NOT_APPLICABLE).rename_axis(["指标", "单位"]).reset_index()


def progress_summary(progress: pd.DataFrame, missing: pd.DataFrame) -> str:
    """One sentence on the progress read: how many values, which months, from which files, which
    region-months are wholly missing. File names come from outside (a clerk names them): HTML-escaped,
    so that a name such as ``<img onerror=…>`` is shown as text in every published page."""
    files = "、".join(html.escape(name) for name in sorted(progress["source"].astype(str).unique()))
    gaps = "、".join(f"{p} {html.escape(str(r))}" for p, r in missing.itertuples(index=False)) or "无"
    return (
        f"{len(progress)} 个数值，时期 {progress['period'].min()} 至 {progress['period'].max()}；"
        f"来源文件：{files}；整月未报送：{gaps}。"
    )
