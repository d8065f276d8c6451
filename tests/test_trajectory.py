"""Trajectory methods on hand-worked cases (figures checked with a calculator)."""

import math

import pandas as pd
import pytest

from kpi.core import paths
from kpi.inputs.annual_input import read_county_annual
from kpi.metrics.plan_progress import assess_plan, trajectory_table
from kpi.metrics.trajectory import (
    assess,
    assess_annual_growth,
    assess_milestone,
    assess_new_since_base,
    effort_needed,
    required_paths,
)


def test_exactly_on_the_required_path():
    # 100 → 133.1 in 3 years is 10 %/yr (1.1³ = 1.331); 161.051 in 2027 needs 10 %/yr from 2022 (1.1⁵)
    result = assess(2022, 100, 2025, 133.1, 2027, 161.051)
    assert result.cagr_obs == pytest.approx(0.10) and result.cagr_req == pytest.approx(0.10)
    assert result.ratio == pytest.approx(1.0) and result.verdict == "on_track" and result.verdict_zh == "进度正常"
    assert result.projected == pytest.approx(161.051)  # 133.1 × 1.1²
    assert result.unsd_ratio == pytest.approx(1.0)
    assert result.projected_linear == pytest.approx(133.1 + 2 * 33.1 / 3)  # 155.1667


def test_limited_progress_and_unsd_ratio():
    # 5 %/yr observed (1.05² = 1.1025) against 2^(1/5) − 1 = 14.87 %/yr required: ratio 0.336
    result = assess(2022, 100, 2024, 110.25, 2027, 200)
    assert result.ratio == pytest.approx(0.33625, abs=1e-5) and result.verdict == "limited_progress"
    assert result.projected == pytest.approx(127.628, abs=1e-3)  # 110.25 × 1.05³
    assert result.unsd_ratio == pytest.approx(0.27628, abs=1e-5)


def test_lower_is_better():
    # falling 10 %/yr against 12.94 %/yr needed to halve in five years: ratio 0.7725
    result = assess(2022, 100, 2024, 81, 2027, 50, higher_is_better=False)
    assert result.ratio == pytest.approx(0.7725, abs=1e-4) and result.verdict == "acceleration_needed"


@pytest.mark.parametrize(
    "latest, verdict", [(3.5, "target_achieved"), (2.3, "deterioration"), (2.45, "limited_progress")]
)
def test_verdicts(latest, verdict):
    assert assess(2022, 2.45, 2025, latest, 2027, 3.4).verdict == verdict


@pytest.mark.parametrize(
    "args, reason",
    [
        ((2022, 2.45, 2022, 2.45, 2027, 3.4), "少于两个年度"),
        ((2022, -1.0, 2025, 3.0, 2027, 5.0), "符号相反"),
        ((2022, math.nan, 2025, 3.0, 2027, 5.0), "缺少"),
    ],
)
def test_insufficient_data_says_why(args, reason):
    result = assess(*args)
    assert result.verdict == "insufficient_data" and result.verdict_zh == "数据不足" and reason in result.reason
    assert math.isnan(result.ratio)  # never a fake number


# ---------------------------------------------------------------- the edges, as Open SDG's ProgressMeasure
def test_one_year_that_already_meets_the_target_is_achieved():
    assert assess(2025, 3.5, 2025, 3.5, 2027, 3.4).verdict == "target_achieved"
    assert assess(2025, 3.0, 2025, 3.0, 2027, 3.4).verdict == "insufficient_data"


def test_zero_base_is_read_as_0_001():
    # (3 / 0.001)^(1/3) − 1 = 13.4225; (5 / 0.001)^(1/5) − 1 = 4.4928; ratio 2.9876
    result = assess(2022, 0.0, 2025, 3.0, 2027, 5.0)
    assert result.cagr_obs == pytest.approx(13.4225, abs=1e-4) and result.cagr_req == pytest.approx(4.4928, abs=1e-4)
    assert result.ratio == pytest.approx(2.9876, abs=1e-4) and result.verdict == "on_track"


def test_zero_target_is_read_as_0_001():
    # lower is better, 10 → 5 in 3 years toward 0 by 2027: (0.5)^(1/3) − 1 = −0.2063; (0.0001)^(1/5) − 1 = −0.8415
    result = assess(2022, 10.0, 2025, 5.0, 2027, 0.0, higher_is_better=False)
    assert result.ratio == pytest.approx(0.2063 / 0.8415, abs=1e-3) and result.verdict == "limited_progress"


def test_an_all_negative_series_flips_the_sign():
    # −10 → −5 toward −2: cagr_obs = 0.5^(1/3) − 1 = −0.2063, cagr_req = 0.2^(1/5) − 1 = −0.2752; ratio = +0.7497
    result = assess(2022, -10.0, 2025, -5.0, 2027, -2.0)
    assert result.ratio == pytest.approx(0.7497, abs=1e-3) and result.verdict == "acceleration_needed"


def test_a_missing_base_year_uses_the_next_one_and_says_so():
    from kpi.metrics.trajectory import base_of

    year, value, note = base_of(pd.Series({2023: 2.6, 2024: 2.7, 2025: 2.9}), 2022)
    assert (year, value) == (2023, 2.6) and "以2023年为基期" in note
    assert base_of(pd.Series({2022: 2.45, 2025: 2.9}), 2022) == (2022, 2.45, "")


def test_strict_comparators_read_the_right_direction():
    from kpi.metrics.trajectory import higher_is_better

    assert [higher_is_better(c) for c in (">=", ">", "=", "<=", "<")] == [True, True, True, False, False]


def test_no_unsd_ratio_when_the_base_already_met_the_target():
    result = assess(2022, 4.0, 2025, 3.0, 2027, 3.4)  # was past 3.4, fell below it
    assert result.verdict == "deterioration" and math.isnan(result.unsd_ratio)


def test_new_since_base():
    # 260 new high-tech enterprises in 2023–2027; 2022's 46 is the base year and does not count
    additions = pd.Series({2022: 46, 2023: 50, 2024: 52, 2025: 62})
    result = assess_new_since_base(additions, 2022, 2027, 260)
    assert result["latest_value"] == 164 and result["expected_share"] == pytest.approx(0.6)
    assert result["completion"] == pytest.approx(164 / 260)
    assert result["gap_points"] == pytest.approx((164 / 260 - 0.6) * 100)  # +3.08 points ahead
    assert result["pace_ratio"] == pytest.approx((164 / 260) / 0.6) and result["verdict"] == "on_track"
    assert math.isnan(result["ratio"])  # the Eurostat growth ratio is another quantity: never in the same column
    assert result["needed_change_per_year"] == 48  # (260 − 164) / 2
    assert result["best_change_so_far"] == 62


def test_annual_growth():
    # 3.10 → 4.41 亿元 over 2022–2025 is 12.47 %/yr against 15 %: ratio 0.831
    result = assess_annual_growth(pd.Series({2022: 3.10, 2023: 3.49, 2024: 3.95, 2025: 4.41}), 2022, 2027, 15)
    assert result["cagr_obs"] == pytest.approx(0.12467, abs=1e-5)
    assert result["ratio"] == pytest.approx(0.83114, abs=1e-5) and result["verdict"] == "acceleration_needed"
    assert result["required_final"] == pytest.approx(6.2352, abs=1e-4)  # 3.10 × 1.15⁵
    assert result["needed_growth_per_year"] == pytest.approx(0.18907, abs=1e-5)


def test_milestone():
    assert assess_milestone(pd.Series({2022: 0, 2023: 0, 2024: 1, 2025: 1}))["achieved_year"] == 2024
    pending = assess_milestone(pd.Series({2022: 0, 2025: 0}))
    assert pending["verdict"] == "not_yet_achieved" and pending["verdict_zh"] == "尚未实现"


def test_required_paths_and_effort():
    paths_ = required_paths(2022, 2.45, 2027, 3.4)
    assert paths_["required_compound"].iloc[[0, -1]].tolist() == pytest.approx([2.45, 3.4])
    assert paths_["required_linear"].iloc[1] == pytest.approx(2.64)  # 2.45 + 0.95 / 5
    effort = effort_needed(pd.Series({2022: 2.45, 2023: 2.61, 2024: 2.74, 2025: 2.86}), 2027, 3.4)
    assert effort["needed_change_per_year"] == pytest.approx(0.27)  # (3.4 − 2.86) / 2
    assert effort["best_change_so_far"] == pytest.approx(0.16)
    assert effort["needed_change_per_year"] > effort["best_change_so_far"]


def test_assess_plan_on_the_example_series(registry):
    annual = read_county_annual(paths.EXAMPLE / "county_annual_example.csv")
    table = assess_plan(registry.plan_targets, annual).set_index("indicator_id")
    assert len(table) == 31
    assert table.loc["rd_intensity", "verdict"] == "acceleration_needed"
    assert table.loc["fiscal_st_spending_growth", "series"] == "fiscal_st_spending"
    assert table.loc["national_incubator", "achieved_year"] == 2025
    assert table.loc["young_talent_inflow", "verdict"] == "insufficient_data"
    assert table.loc["rd_intensity", "is_example"]
    as_2024 = assess_plan(registry.plan_targets, annual, as_of_year=2024).set_index("indicator_id")
    assert as_2024.loc["rd_intensity", "latest_year"] == 2024
    fiscal = registry.plan_targets[registry.plan_targets["indicator_id"] == "fiscal_st_spending_growth"].iloc[0]
    path = trajectory_table(fiscal, annual)
    assert path["required_compound"].iloc[-1] == pytest.approx(6.2352, abs=1e-4)


def test_assess_frame_equals_assess_row_by_row():
    import numpy as np

    from kpi.metrics.plan_progress import assess_frame

    rng = np.random.default_rng(11)
    n = 400
    frame = pd.DataFrame(
        {
            "base_year": 2022,
            "base_value": rng.choice([0.0, 1.0, 2.45, 5.0, math.nan], n),
            "latest_year": rng.choice([2022, 2024, 2025], n),
            "latest_value": rng.uniform(0, 8, n).round(2),
            "target_year": 2027,
            "target_value": rng.choice([3.4, 5.0, 1.0], n),
            "higher_is_better": rng.choice([True, False], n),
        }
    )
    vectorised = assess_frame(frame)
    for row, result in zip(frame.itertuples(index=False), vectorised.itertuples(index=False)):
        expected = assess(*row)
        assert result.verdict == expected.verdict and result.verdict_zh == expected.verdict_zh
        for name in ("ratio", "projected", "projected_linear", "unsd_ratio", "cagr_obs", "cagr_req"):
            got, want = getattr(result, name), getattr(expected, name)
            assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(want), (name, row)


def test_the_second_condition_compares_with_the_province(registry):
    """一(二): R&D intensity must reach 3.4 % and exceed the provincial average (浙江省 3.22 % in 2024)."""
    from kpi.metrics.plan_progress import province_comparison

    province = registry.province
    assert province_comparison(pd.Series({2022: 2.5, 2024: 3.3}), province, "rd_intensity") == {
        "province_year": 2024,
        "province_value": 3.22,
        "above_province": True,
    }
    assert province_comparison(pd.Series({2022: 2.5, 2023: 3.1}), province, "rd_intensity") == {
        "province_year": 2023,
        "province_value": 3.2,
        "above_province": False,
    }
    assert province_comparison(pd.Series({2022: 2.5, 2023: 3.1}), province, "sme_tech_stock") == {}


def test_the_2027_table_shows_a_growth_target_as_growth(registry):
    """县财政科技投入年均增长: 3.10 → 4.41 亿元 in 3 years is 12.47 %/yr against 15 %, the level beside it."""
    from kpi.metrics.plan_progress import plan_table

    annual = pd.DataFrame(
        {
            "year": [2022, 2025],
            "indicator_id": "fiscal_st_spending",
            "name_zh": "县财政科技投入",
            "unit": "亿元",
            "value": [3.10, 4.41],
            "is_example": False,
            "source": "test",
        }
    )
    table = plan_table(assess_plan(registry.plan_targets, annual, as_of_year=2025)).set_index("目标")
    row = table.loc["县财政科技投入年均增长"]
    assert row["最新值"] == "12.5%（4.41亿元）" and row["2027目标"] == "年均增长 15%以上"
    assert row["增长率比"] == "0.83" and row["新增进度比"] == "—"
