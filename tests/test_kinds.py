"""The indicator kinds (kpi.core.facts.KIND_RULES) on hand-worked cases at their edges: a ratio and a rank are
levels at their month, judged met / not met against the target, never "a year-to-date value that falls";
a rank is lower-is-better. A small district of three regions under a total row named 全区."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from kpi.core import formatting as fmt
from kpi.core.errors import InputError
from kpi.core.facts import COMPOSITE
from kpi.inputs.form_cells import kind_refusal
from kpi.inputs.ytd_falls import ytd_falls
from kpi.metrics.leaderboard import build_leaderboard, lagging, published_progress

INDICATORS = pd.DataFrame(
    {
        "indicator_id": ["rd_spend", "rd_intensity", "province_rank"],
        "name_zh": ["研发经费", "研发投入强度", "科技进步综合评价位次"],
        "unit": ["亿元", "%", "位"],
        "kind": ["amount", "ratio", "rank"],
        "sums_to_county": [True, False, False],
        "higher_is_better": [True, True, False],
        "annex_block": [1, 1, 1],
        "annex_order": [1, 2, 3],
        "weight": [1.0, 1.0, 1.0],
        "responsible_units": ["科技局"] * 3,
        "responsible_clause": ["一"] * 3,
        "pacing_profile": ["linear"] * 3,
    }
)
REGIONS = pd.DataFrame(
    {
        "annex_order": [0, 1, 2, 3],
        "region": ["全区", "甲街道", "乙镇", "丙园区"],
        "slug": ["total", "jia", "yi", "bing"],
        "kind": ["区", "街道", "镇", "开发区"],
        "aliases": ["", "", "", ""],
    }
)
# 2025 targets: 研发经费 全区 6 = 1 + 2 + 3; 研发投入强度 2.5%以上 everywhere; 位次 前30位 everywhere
TARGETS = pd.DataFrame(
    [(2025, r, "rd_spend", t, ">=") for r, t in zip(REGIONS["region"], [6, 1, 2, 3])]
    + [(2025, r, "rd_intensity", 2.5, ">=") for r in REGIONS["region"]]
    + [(2025, r, "province_rank", 30, "<=") for r in REGIONS["region"]],
    columns=["year", "region", "indicator_id", "target", "comparator"],
)


@pytest.fixture(scope="module")
def district(registry):
    return replace(registry, indicators=INDICATORS, regions=REGIONS)


def board(district, rows, periods):
    progress = pd.DataFrame(rows, columns=["period", "region", "indicator_id", "value"]).assign(is_example=False)
    return build_leaderboard(TARGETS, progress, district, periods).set_index(["period", "region", "indicator_id"])


JUNE = [
    ("2025-06", "甲街道", "rd_spend", 0.5),  # 50 % = 序时 → 超序时
    ("2025-06", "乙镇", "rd_spend", 0.8),  # 40 %: 10 points behind → 滞后
    ("2025-06", "丙园区", "rd_spend", 1.5),  # 50 %
    ("2025-06", "甲街道", "rd_intensity", 2.5),  # equal to its target: 达标
    ("2025-06", "乙镇", "rd_intensity", 2.49),  # just below: 未达标
    ("2025-06", "丙园区", "rd_intensity", 3.0),
    ("2025-06", "全区", "rd_intensity", 2.7),  # a ratio does not sum: the district's own
    ("2025-06", "甲街道", "province_rank", 30),  # equal to 前30位: 达标
    ("2025-06", "乙镇", "province_rank", 31),  # one place outside: 未达标
    ("2025-06", "丙园区", "province_rank", 12),  # the best
    # 全区's rank not reported: 未报送, and never the sum of the regions' ranks
]
JULY = [  # the ratio dips, the rank improves: both normal
    ("2025-07", "甲街道", "rd_spend", 0.6),
    ("2025-07", "甲街道", "rd_intensity", 2.2),
    ("2025-07", "甲街道", "province_rank", 20),
]


def test_ratio_and_rank_are_judged_met_or_not_at_their_edges(district):
    cells = board(district, JUNE, ["2025-06"]).loc["2025-06"]
    status = cells["status"].astype(str)
    assert status.xs("rd_intensity", level="indicator_id").to_dict() == {
        "全区": "达标",
        "甲街道": "达标",
        "乙镇": "未达标",
        "丙园区": "达标",
    }
    assert status.xs("province_rank", level="indicator_id").to_dict() == {
        "全区": "未报送",
        "甲街道": "达标",
        "乙镇": "未达标",
        "丙园区": "达标",
    }
    assert np.isnan(cells.loc[("全区", "province_rank"), "actual"])  # no sum of ranks
    assert cells["time_share"].xs("province_rank", level="indicator_id").isna().all()  # no 序时
    # ranks among regions: ratio highest first (3.0, 2.5, 2.49); rank lowest first (12, 30, 31)
    ranks = cells["rank"].astype("Int64")
    assert ranks.xs("rd_intensity", level="indicator_id").tolist()[1:] == [2, 3, 1]
    assert ranks.xs("province_rank", level="indicator_id").tolist()[1:] == [2, 3, 1]
    # completion (inside 综合 only): a ratio value ÷ target; a rank target ÷ value (lower is better)
    assert cells.loc[("乙镇", "rd_intensity"), "completion_rate"] == pytest.approx(2.49 / 2.5)
    assert cells.loc[("丙园区", "province_rank"), "completion_rate"] == pytest.approx(30 / 12)
    # 综合 = mean of completions kept within [0, 1.5]: 甲 (0.5 + 1 + 1) / 3; 乙 (0.4 + 0.996 + 30/31) / 3;
    # 丙 (0.5 + 1.2 + 1.5) / 3 → 丙 first, 甲 second, 乙 third
    composite = cells.xs(COMPOSITE, level="indicator_id")
    assert composite.loc["甲街道", "completion_rate"] == pytest.approx(2.5 / 3)
    assert composite.loc["乙镇", "completion_rate"] == pytest.approx((0.4 + 2.49 / 2.5 + 30 / 31) / 3)
    assert composite.loc["丙园区", "completion_rate"] == pytest.approx(3.2 / 3)
    assert composite["rank"].astype("Int64").tolist()[1:] == [2, 3, 1]


def test_a_ratio_that_dips_and_a_rank_that_improves_are_not_falls(district):
    progress = pd.DataFrame(JUNE + JULY, columns=["period", "region", "indicator_id", "value"])
    assert ytd_falls(progress, district).empty
    fallen = progress.assign(value=np.where(progress["indicator_id"] == "rd_spend", 0.1, progress["value"]))
    fallen.loc[len(fallen)] = ("2025-07", "甲街道", "rd_spend", 0.05)  # an amount that falls still is one
    assert ytd_falls(fallen, district)["indicator_id"].tolist() == ["rd_spend"]
    july = board(district, JUNE + JULY, ["2025-06", "2025-07"]).loc["2025-07"]
    assert july.loc[("甲街道", "rd_intensity"), "status"] == "未达标"  # 2.2 < 2.5
    assert july.loc[("甲街道", "province_rank"), "status"] == "达标"  # 20 ≤ 30
    assert july.loc[("乙镇", "province_rank"), "status"] == "未报送"  # a missing month is missing


def test_what_readers_see_for_each_kind(district):
    flat = board(district, JUNE, ["2025-06"]).reset_index()
    shown = dict(zip(zip(flat["region"], flat["indicator_id"]), published_progress(flat, district)))
    assert shown[("乙镇", "rd_spend")] == 40.0 and shown[("乙镇", "rd_intensity")] == 2.49
    assert shown[("乙镇", "province_rank")] == 31
    assert (
        fmt.progress(2.49, "ratio", "%") == "2.49%"
        and fmt.progress(2.9, "ratio", "%") == "2.90%"
        and fmt.progress(31, "rank", "位") == "第31位"
    )
    assert fmt.target(30, "<=", "位") == "前30位"
    behind = lagging(flat, district, limit=None)
    gaps = dict(zip(zip(behind["region"], behind["indicator_id"]), behind["gap_points"]))
    # a rank one place outside its target is 1 short; a ratio 0.01 short; an amount 10 points behind 序时
    assert gaps == {("乙镇", "rd_spend"): -10.0, ("乙镇", "province_rank"): -1.0, ("乙镇", "rd_intensity"): -0.0}


@pytest.mark.parametrize(
    ("kind", "value", "refused"),
    [("rank", 0, "不能小于 1"), ("rank", 2.5, "整数"), ("ratio", -0.1, "不能小于 0"), ("amount", -1, "不能为负")],
)
def test_a_value_outside_its_kind_is_refused(kind, value, refused):
    assert refused in kind_refusal(kind, value, "x", "位")[0]
    assert kind_refusal(kind, 1, "x", "位") is None


@pytest.mark.parametrize(
    ("change", "column"),
    [
        ({"kind": "rank", "sums_to_county": "false", "higher_is_better": "true"}, "higher_is_better"),
        ({"kind": "ratio"}, "sums_to_county"),
    ],
)
def test_the_registry_refuses_what_a_kind_cannot_do(raw_copy, change, column):
    from kpi.metadata.registry_tables import load_indicators

    path = raw_copy / "indicators.csv"
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for key, value in change.items():
        table.loc[0, key] = value
    table.to_csv(path, index=False)
    with pytest.raises(InputError, match=column) as caught:
        load_indicators(raw_copy)
    assert caught.value.row == 2


def test_the_methods_page_documents_every_kind_as_the_table_says():
    from kpi.core import paths
    from kpi.core.facts import KIND_RULES

    readme = (paths.ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    table = readme[readme.index("| kind | 中文 |") :].split("\n\n")[0].splitlines()[2:]
    rows = {line.split("|")[1].strip(" `"): [c.strip() for c in line.split("|")[2:-1]] for line in table}
    assert list(rows) == list(KIND_RULES)
    for kind, (zh, value, judged, sums, values, direction) in rows.items():
        rule = KIND_RULES[kind]
        assert zh == rule["zh"]
        assert ("序时" in judged) == rule["year_to_date"] and ("year to date" in value) == rule["year_to_date"]
        assert (sums == "may") == rule["may_sum"]
        assert ("whole" in values) == rule["whole"] and (f"≥ {rule['minimum']}" in values or rule["minimum"] is None)
        assert ("lower is better, always" == direction) == bool(rule.get("lower_is_better"))


def test_the_what_ifs_know_direction():
    from kpi.explore.data import monthly_pace_needed
    from kpi.metrics.trajectory import effort_needed

    # a target to reach: (120 − 60) ÷ 6 months left; reached: nothing more needed
    assert monthly_pace_needed(60, 120, 6) == 10 and monthly_pace_needed(130, 120, 6) == 0
    # a cap (lower is better): what each month may still add; once over, nothing
    assert monthly_pace_needed(60, 120, 6, higher=False) == 10 and monthly_pace_needed(130, 120, 6, False) == 0
    # a rank from 40 (2023) to 35 (2024) and 36 (2025), 前30位 by 2028: −2 places a year needed, and the
    # best year so far is the biggest fall (−5), not the biggest rise (+1)
    ranks = pd.Series([40.0, 35.0, 36.0], index=[2023, 2024, 2025])
    effort = effort_needed(ranks, 2028, 30, higher=False)
    assert effort["needed_change_per_year"] == pytest.approx(-2) and effort["best_change_so_far"] == -5
    assert effort["best_growth_so_far"] == pytest.approx(35 / 40 - 1)
    assert effort_needed(ranks, 2028, 30)["best_change_so_far"] == 1  # higher is better: the biggest rise
