"""The plan's targets assessed together: one row per target (:func:`assess_plan`, by the methods
of :mod:`kpi.metrics.trajectory`), the vectorised equivalent for many series (:func:`assess_frame`), and the
tables the reports print from them (verdict counts, effort needed, targets without data)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.errors import InputError
from kpi.core.parsing import normalize_text
from kpi.metadata import fields, schemas
from kpi.metadata.identity import target_column
from kpi.metrics.trajectory import (
    ACCELERATION,
    ON_TRACK,
    VERDICTS_ZH,
    ZERO_SUBSTITUTE,
    additions_from_stock,
    assess,
    assess_annual_growth,
    assess_milestone,
    assess_new_since_base,
    base_of,
    effort_needed,
    higher_is_better,
    insufficient,
    required_paths,
    series_for,
    series_label,
)


def _series(county_annual: pd.DataFrame, indicator_id: str, as_of_year: int) -> pd.Series:
    rows = county_annual[(county_annual["indicator_id"] == indicator_id) & (county_annual["year"] <= as_of_year)]
    return rows.set_index("year")["value"].sort_index().astype(float)


ASSESSMENT_COLUMNS = fields.columns("assessments")  # one row per plan target, in this order


def province_comparison(series: pd.Series, province: pd.DataFrame, indicator_id: str) -> dict:
    """The plan's second condition for a target (一(二): R&D intensity “超过全省平均水平”): the county's
    latest value against the province's latest figure of the same year or before."""
    rows = (
        province[(province["indicator_id"] == indicator_id)].sort_values("year") if province is not None else province
    )
    if rows is None or rows.empty or series.empty:
        return {}
    latest_year = int(series.index[-1])
    known = rows[rows["year"] <= latest_year]
    if known.empty:
        return {}
    figure = known.iloc[-1]
    return {
        "province_year": int(figure["year"]),
        "province_value": float(figure["value"]),
        "above_province": bool(series.iloc[-1] > figure["value"]),
    }


def _assessed(target, series: pd.Series, province: pd.DataFrame | None) -> dict:
    """One target's assessment on its series, by the method of its ``basis`` (see :mod:`kpi.metrics.trajectory`)."""
    if series.empty:
        return insufficient("暂无该指标的年度数据 / no annual data for this target").as_dict()
    if target.basis == "new_since_base":
        return assess_new_since_base(series, target.base_year, target.target_year, target.target_value)
    if target.basis == "annual_growth":
        growth = assess_annual_growth(series, target.base_year, target.target_year, target.target_value)
        return {**growth, "base_value": series.get(target.base_year, math.nan)}
    if target.basis not in ("level", "cumulative"):
        return assess_milestone(series, target.target_value)
    base_year, base, note = base_of(series, target.base_year)
    latest_year, latest = int(series.index[-1]), float(series.iloc[-1])
    higher = higher_is_better(target.comparator)
    result = assess(base_year, base, latest_year, latest, target.target_year, target.target_value, higher)
    return {
        **province_comparison(series, province, target.indicator_id),
        **result.as_dict(),
        "base_value": base,
        "base_year_used": base_year,
        "note": note,
        "latest_year": latest_year,
        "latest_value": latest,
        **effort_needed(series, target.target_year, target.target_value, higher),
    }


def assess_plan(
    plan_targets: pd.DataFrame,
    county_annual: pd.DataFrame,
    as_of_year: int | None = None,
    province: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per plan target: latest value, verdict (English and Chinese), ratio, projections,
    effort needed — by the method of its ``basis``. Targets without data say so (数据不足)."""
    as_of_year = as_of_year or int(county_annual["year"].max())
    example_series = set(county_annual.loc[county_annual["is_example"], "indicator_id"])
    rows = []
    for target in plan_targets.itertuples():
        from_stock = additions_from_stock(target)
        source_id = series_for(target)
        series = _series(county_annual, source_id, as_of_year)
        if from_stock:  # yearly additions are the differences of the stock
            series = series.diff().dropna()
        record = {
            "indicator_id": target.indicator_id,
            "name_zh": target.name_zh,
            "unit": target.unit,
            "basis": target.basis,
            "target_value": target.target_value,
            "comparator": target.comparator,
            "target_year": target.target_year,
            "base_year": target.base_year,
            "clause": target.clause,
            "responsible_units": target.responsible_units,
            "series": f"diff({source_id})" if from_stock else source_id,
            "series_unit": series_label(target)[1],
            "is_example": source_id in example_series,
        }
        record.update(_assessed(target, series, province))
        rows.append(record)
    table = pd.DataFrame(rows).reindex(columns=ASSESSMENT_COLUMNS)  # every column, even when no target has data
    table["as_of_year"] = as_of_year
    return schemas.validate(table, schemas.ASSESSMENTS, computed=True)


def trajectory_table(
    plan_target: pd.Series, county_annual: pd.DataFrame, as_of_year: int | None = None
) -> pd.DataFrame:
    """Year by year for one level / cumulative / annual-growth target: actual, the required compound
    and linear paths, and the compound and linear projections from the latest year."""
    as_of_year = as_of_year or int(county_annual["year"].max())
    series_id = series_for(plan_target)
    series = _series(county_annual, series_id, as_of_year)
    target_year = int(plan_target["target_year"])
    base_year, base, _ = base_of(series, int(plan_target["base_year"]))
    if plan_target["basis"] == "annual_growth":
        target_value = base * (1 + plan_target["target_value"] / 100) ** (target_year - base_year)
    else:
        target_value = float(plan_target["target_value"])
    table = required_paths(base_year, base, target_year, target_value)
    table["actual"] = table["year"].map(series)
    latest_year, latest = int(series.index[-1]), float(series.iloc[-1])
    result = assess(
        base_year, base, latest_year, latest, target_year, target_value, higher_is_better(plan_target["comparator"])
    )
    ahead = table["year"] >= latest_year
    table["projected_compound"] = np.where(
        ahead, latest * (1 + result.cagr_obs) ** (table["year"] - latest_year), np.nan
    )
    slope = (latest - base) / (latest_year - base_year) if latest_year > base_year else math.nan
    table["projected_linear"] = np.where(ahead, latest + slope * (table["year"] - latest_year), np.nan)
    return table


def verdict_counts(assessments: pd.DataFrame) -> pd.DataFrame:
    """How many plan targets have each verdict."""
    counts = assessments["verdict_zh"].value_counts()
    return pd.DataFrame({"判断": counts.index, "目标数": counts.to_numpy()})


def effort_table(assessments: pd.DataFrame) -> pd.DataFrame:
    """For the targets judged on a path: what each remaining year must add, against the best year
    so far (the largest fall where lower is better), as readers see it (units kept; growth rates in %)."""
    rows = assessments[
        assessments["verdict"].isin(["acceleration_needed", "limited_progress", "deterioration", "on_track"])
    ].reset_index(drop=True)
    lower = rows["comparator"].isin(["<=", "<"]).any()  # then "best" is a fall for those rows: said so
    best_change, best_growth = (
        ("历年最好变化（越小越好者为最大降幅）", "历年最好增速（同上）") if lower else ("历年最大增量", "历年最快增长")
    )
    # the values are the judged series' (a growth target's level: 4.41 亿元, not 4.4 under %)
    series_unit = rows["series_unit"].where(rows["series_unit"].fillna("") != "", rows["unit"])
    growth = rows["basis"].eq("annual_growth")
    return pd.DataFrame(
        {
            "目标": rows["name_zh"],
            "单位": series_unit,
            "最新值": [fmt.number(v, u) for v, u in zip(rows["latest_value"], series_unit)],
            target_column(assessments): [("年均增长" if g else "") + t for g, t in zip(growth, fmt.targets(rows))],
            "剩余年数": [fmt.integer(v) for v in rows["years_left"]],
            "每年需增加": [fmt.needed(v, u) for v, u in zip(rows["needed_change_per_year"], series_unit)],
            best_change: [fmt.number(v, u) for v, u in zip(rows["best_change_so_far"], series_unit)],
            "每年需增长": [fmt.rate(v) for v in rows["needed_growth_per_year"]],
            best_growth: [fmt.rate(v) for v in rows["best_growth_so_far"]],
            "责任单位": rows["responsible_units"],
        }
    )


def no_data_table(assessments: pd.DataFrame) -> pd.DataFrame:
    """The plan targets with no annual data yet (数据不足), with their clause."""
    rows = assessments[assessments["verdict"] == "insufficient_data"].reset_index(drop=True)
    return pd.DataFrame(
        {
            "目标": rows["name_zh"],
            target_column(assessments): fmt.targets(rows),
            "方案条款": rows["clause"],
            "原因": rows["reason"].str.split(" / ").str[0],
        }
    )


def plan_targets_of(registry, indicator_id: str = "") -> pd.DataFrame:
    """The plan's targets, or the one named (its ``indicator_id`` or Chinese name in plan_targets.csv);
    an unknown name is an ``InputError`` listing the known ones."""

    targets = registry.plan_targets
    if not indicator_id:
        return targets
    asked = normalize_text(indicator_id)
    chosen = targets[(targets["indicator_id"] == asked) | (targets["name_zh"].map(normalize_text) == asked)]
    if chosen.empty:
        raise InputError(
            "未知的方案目标 / unknown plan target",
            value=indicator_id,
            fix=f"使用 plan_targets.csv 中的名称或 indicator_id：{'、'.join(targets['name_zh'])}",
        )
    return chosen


def _verdicts(latest: np.ndarray, achieved: np.ndarray, insufficient: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """The verdict of each row by :func:`kpi.metrics.trajectory.verdict_for_ratio`'s thresholds, vectorised."""
    return np.select(
        [np.isnan(latest), achieved, insufficient, ratio >= ON_TRACK, ratio >= ACCELERATION, ratio >= 0],
        [
            "insufficient_data",
            "target_achieved",
            "insufficient_data",
            "on_track",
            "acceleration_needed",
            "limited_progress",
        ],
        default="deterioration",
    )


def assess_frame(series: pd.DataFrame) -> pd.DataFrame:
    """:func:`assess` over many series at once (a province: every county × every target), vectorised.

    ``series`` has the columns base_year, base_value, latest_year, latest_value, target_year,
    target_value and higher_is_better; the result adds cagr_obs, cagr_req, ratio, projected,
    projected_linear, unsd_ratio, verdict and verdict_zh, row for row equal to :func:`assess`.
    """
    base_value, latest, target_value = (
        series[c].to_numpy(float) for c in ("base_value", "latest_value", "target_value")
    )
    observed = (series["latest_year"] - series["base_year"]).to_numpy(float)
    left = (series["target_year"] - series["latest_year"]).to_numpy(float)
    span = (series["target_year"] - series["base_year"]).to_numpy(float)
    higher = series["higher_is_better"].to_numpy(bool)
    base = np.where(base_value == 0, ZERO_SUBSTITUTE, base_value)  # Open SDG's substitutes for zeros
    target = np.where(target_value == 0, ZERO_SUBSTITUTE, target_value)
    achieved = np.where(higher, latest >= target_value, latest <= target_value)
    with np.errstate(divide="ignore", invalid="ignore"):
        no_rate = (observed < 1) | np.isnan(base) | np.isnan(latest) | (base * latest < 0) | (target / base <= 0)
        sign = np.where(base < 0, -1.0, 1.0)
        cagr_obs = np.where(latest == 0, -1.0, (latest / base) ** (1 / observed) - 1)
        cagr_req = (target / base) ** (1 / span) - 1
        projected = latest * (1 + cagr_obs) ** left
        direction = np.where(higher, 1.0, -1.0)
        ratio = np.where(
            cagr_req != 0,
            sign * direction * cagr_obs / np.abs(cagr_req),
            np.where(direction * cagr_obs >= 0, np.inf, -np.inf),
        )
        base_met = np.where(higher, base_value >= target_value, base_value <= target_value)
        unsd = np.where(
            (target_value != base_value) & ~base_met, (projected - base_value) / (target_value - base_value), np.nan
        )
        projected_linear = latest + (latest - base_value) / observed * left
    verdict = _verdicts(latest, achieved, no_rate & ~(achieved & ~np.isnan(latest)), ratio)
    numbers = {
        "cagr_obs": cagr_obs,
        "cagr_req": cagr_req,
        "ratio": ratio,
        "projected": projected,
        "projected_linear": projected_linear,
        "unsd_ratio": unsd,
    }
    result = series.copy()
    for name, values in numbers.items():
        result[name] = np.where(no_rate, np.nan, values)
    result["verdict"] = pd.Categorical(verdict, categories=list(VERDICTS_ZH))
    result["verdict_zh"] = result["verdict"].cat.rename_categories(VERDICTS_ZH)
    return result


def plan_table(assessments: pd.DataFrame) -> pd.DataFrame:
    """The plan's targets that have data, as the reader sees them. A growth target shows the growth
    achieved (%) against its target rate, with the level beside it in its own unit. 增长率比 is the
    Eurostat / Open SDG growth-rate ratio; 新增进度比 (targets counted as new since 2022) is the share
    added so far over the share of years elapsed: two quantities, two columns."""
    known = assessments[assessments["verdict"] != "insufficient_data"].reset_index(drop=True)
    growth = known["basis"].eq("annual_growth")
    achieved = known["cagr_obs"] * 100 if "cagr_obs" in known else pd.Series(float("nan"), index=known.index)
    return pd.DataFrame(
        {
            "目标": known["name_zh"],
            "最新年份": [fmt.integer(y) for y in known["latest_year"]],
            "最新值": [
                fmt.percent(g) + f"（{fmt.quantity(v, s)}）" if is_growth else fmt.quantity(v, u)
                for is_growth, g, v, u, s in zip(
                    growth, achieved, known["latest_value"], known["unit"], known["series_unit"]
                )
            ],
            target_column(assessments): [
                ("年均增长 " if is_growth else "") + fmt.target(t, c, u)
                for is_growth, t, c, u in zip(growth, known["target_value"], known["comparator"], known["unit"])
            ],
            "判断": [
                v
                + (f"；{'高于' if above else '未超过'}全省（{pv:g}%，{int(py)}年）" if pd.notna(pv) else "")
                + (f"（{n.split(' / ')[0]}）" if isinstance(n, str) and n else "")
                for v, above, pv, py, n in zip(
                    known["verdict_zh"],
                    known["above_province"],
                    known["province_value"],
                    known["province_year"],
                    known["note"],
                )
            ],
            "增长率比": [f"{r:.2f}" if pd.notna(r) else fmt.NOT_APPLICABLE for r in known["ratio"]],
            "新增进度比": [f"{r:.2f}" if pd.notna(r) else fmt.NOT_APPLICABLE for r in known["pace_ratio"]],
            "责任单位": known["responsible_units"],
        }
    )
