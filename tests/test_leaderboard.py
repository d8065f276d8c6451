"""The leaderboard rules on hand-worked cases built from the seed's 2023 targets.

2023 targets (附件): 规上工业企业研发费用 五云 0.04, 丽水高新区 6.06, 壶山 4.26, 新建 0.53, 东渡 0.26,
舒洪 0.42, 东方 0.48, 丽缙 3.39 (亿元); 高新技术产业投资增长 15以上; 新增高新技术企业 丽水高新区 18.
"""

import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.facts import COMPOSITE
from kpi.inputs.annex import read_annex
from kpi.metrics.leaderboard import LEADERBOARD_COLUMNS, build_leaderboard, lagging


@pytest.fixture(scope="module")
def targets(registry):
    return read_annex(paths.RAW / "annex_2023.csv", registry)


def progress_frame(rows):
    frame = pd.DataFrame(rows, columns=["period", "region", "indicator_id", "value"])
    return frame.assign(value=frame["value"].astype(float), is_example=False)


def board_for(targets, registry, rows, period):
    board = build_leaderboard(targets, progress_frame(rows), registry, [period])
    return board.set_index(["region", "indicator_id"])


RD = "rd_expense_above_scale"


def test_completion_status_ties_and_missing(targets, registry):
    rows = [
        ("2023-09", "五云街道", RD, 0.03),  # 0.03/0.04 = 75.0 % = 序时 → 超序时
        ("2023-09", "丽水高新区", RD, 6.06),  # 100 %
        ("2023-09", "壶山镇", RD, 3.0672),  # 72 %: 3 points behind → 基本序时
        ("2023-09", "新建镇", RD, 0.265),  # 50 % → 滞后
        ("2023-09", "舒洪镇", RD, 0.42),  # 100 %, tied with 丽水高新区
        ("2023-09", "东方镇", RD, 0.96),  # 200 %, above target
        ("2023-09", "丽缙高新区", RD, 2.373),
    ]  # 70 %: exactly 5 points behind → still 基本序时
    board = board_for(targets, registry, rows, "2023-09")  # 东渡镇 sent nothing
    rd = board.xs(RD, level="indicator_id")
    assert rd.loc["五云街道", "completion_rate"] == pytest.approx(0.75)
    assert rd.loc["东方镇", "completion_rate"] == pytest.approx(2.0)
    assert (rd["time_share"] == 0.75).all()
    assert rd["status"].to_dict() == {
        "全县": "未报送",
        "五云街道": "超序时",
        "丽水高新区": "超序时",
        "壶山镇": "基本序时",
        "新建镇": "滞后",
        "东渡镇": "未报送",
        "舒洪镇": "超序时",
        "东方镇": "超序时",
        "丽缙高新区": "基本序时",
    }
    # 1, 2, 2, 4 …; no rank for 未报送 nor for 全县
    assert rd["rank"].to_dict() == {
        "全县": None,
        "五云街道": 4,
        "丽水高新区": 2,
        "壶山镇": 5,
        "新建镇": 7,
        "东渡镇": None,
        "舒洪镇": 2,
        "东方镇": 1,
        "丽缙高新区": 6,
    }
    assert pd.isna(rd.loc["东渡镇", "actual"])  # never zero
    # 全县 not reported and 东渡镇 missing: no sum can stand in for the county
    assert rd.loc["全县", "actual_source"] == "missing"


def test_county_falls_back_to_the_sum_of_regions(targets, registry):
    regions = ["五云街道", "丽水高新区", "壶山镇", "新建镇", "东渡镇", "舒洪镇", "东方镇", "丽缙高新区"]
    rows = [("2023-06", region, RD, 1.0) for region in regions]
    rows.append(("2023-06", "全县", "new_sme_tech", 40))
    board = board_for(targets, registry, rows, "2023-06")
    county = board.loc["全县"]
    assert county.loc[RD, "actual"] == 8.0 and county.loc[RD, "actual_source"] == "sum_of_regions"
    assert county.loc[RD, "completion_rate"] == pytest.approx(8 / 15.44)
    assert county.loc["new_sme_tech", "actual_source"] == "reported"  # its own value: 40 / 80
    assert county.loc["new_sme_tech", "completion_rate"] == 0.5
    assert county.loc["hitech_investment_growth", "status"] == "未报送"  # growth never sums


def test_growth_indicator(targets, registry):
    growth = "hitech_investment_growth"
    rows = [
        ("2023-09", "五云街道", growth, 15.0),
        ("2023-09", "丽水高新区", growth, 14.9),
        ("2023-09", "壶山镇", growth, 30.0),
        ("2023-09", "新建镇", growth, -2.5),
    ]
    board = board_for(targets, registry, rows, "2023-09").xs(growth, level="indicator_id")
    assert board.loc["五云街道", "status"] == "达标"  # 15 meets 15以上
    assert board.loc["丽水高新区", "status"] == "未达标"
    assert board.loc["新建镇", "status"] == "未达标"
    assert board.loc["壶山镇", "completion_rate"] == 2.0  # 30 / 15, comparable with the others
    assert board["time_share"].isna().all()  # 序时 does not apply to a growth rate
    assert board.loc[["壶山镇", "五云街道", "丽水高新区", "新建镇"], "rank"].tolist() == [1, 2, 3, 4]


BATCH = pd.DataFrame(
    [{"indicator_id": "new_hitech_enterprises", "profile": "batch_hitech", "reason": "分批认定", "source": "test"}]
)


@pytest.mark.parametrize(
    "period, share, status",
    [("2023-05", 0.0, "未到序时"), ("2023-07", 0.2, "超序时"), ("2023-09", 0.6, "超序时"), ("2023-12", 1.0, "滞后")],
)
def test_batch_paced_indicator(targets, registry, period, share, status):
    # 11 of 18 = 61.1 %: ahead of the batch profile until December (linear 序时 would say 滞后 from May)
    board = board_for(
        targets, registry.with_pacing(BATCH), [(period, "丽水高新区", "new_hitech_enterprises", 11)], period
    )
    row = board.loc[("丽水高新区", "new_hitech_enterprises")]
    assert row["time_share"] == share and row["status"] == status
    assert row["rank"] == 1


def test_pacing_is_linear_unless_declared(targets, registry):
    board = board_for(targets, registry, [("2023-05", "丽水高新区", "new_hitech_enterprises", 11)], "2023-05")
    row = board.loc[("丽水高新区", "new_hitech_enterprises")]
    assert row["time_share"] == pytest.approx(5 / 12) and row["status"] == "超序时"  # 61.1 % ≥ 41.7 %


def test_nothing_due_and_nothing_done_is_not_ranked(targets, registry):
    paced = registry.with_pacing(BATCH)
    rows = [("2023-03", r, "new_hitech_enterprises", 0) for r in ("五云街道", "丽水高新区", "壶山镇")]
    rows.append(("2023-03", "新建镇", "new_hitech_enterprises", 2))
    board = board_for(targets, paced, rows, "2023-03").xs("new_hitech_enterprises", level="indicator_id")
    assert set(board.loc[["五云街道", "丽水高新区", "壶山镇", "新建镇"], "status"]) == {"未到序时"}
    assert board.loc["新建镇", "rank"] == 1  # an early recognition still ranks
    assert board.loc[["五云街道", "丽水高新区", "壶山镇"], "rank"].isna().all()  # no tie of everybody at 1


def test_pacing_must_name_a_known_indicator_and_profile(registry):
    from kpi.core.errors import InputError

    with pytest.raises(InputError, match="未登记"):
        registry.with_pacing(BATCH.assign(indicator_id="nothing"))
    with pytest.raises(InputError, match="未定义"):
        registry.with_pacing(BATCH.assign(profile="monthly_magic"))
    with pytest.raises(InputError, match="增长率、比率、位次类"):
        registry.with_pacing(BATCH.assign(indicator_id="hitech_investment_growth"))


def test_rules_from_the_project_file_change_the_band_and_the_cap(targets, registry):
    from kpi.metadata.rules import Rules

    rows = [("2023-06", "丽水高新区", RD, 6.06 * 0.42)]  # 42 % against 50 %: 8 points behind
    strict = build_leaderboard(targets, progress_frame(rows), registry, ["2023-06"]).set_index(
        ["region", "indicator_id"]
    )
    loose = build_leaderboard(targets, progress_frame(rows), registry, ["2023-06"], Rules(near_tolerance_points=10))
    assert strict.loc[("丽水高新区", RD), "status"] == "滞后"
    assert loose.set_index(["region", "indicator_id"]).loc[("丽水高新区", RD), "status"] == "基本序时"


def test_month_12(targets, registry):
    rows = [("2023-12", "五云街道", RD, 0.04), ("2023-12", "丽水高新区", RD, 5.8176)]  # 100 %, 96 %
    board = board_for(targets, registry, rows, "2023-12").xs(RD, level="indicator_id")
    assert board.loc["五云街道", "time_share"] == 1.0
    assert board.loc["五云街道", "status"] == "超序时"
    assert board.loc["丽水高新区", "status"] == "基本序时"


def test_composite_caps_at_150_percent_and_needs_every_indicator(targets, registry):
    exact = targets[targets["region"] != "全县"]
    rows = [("2023-12", r.region, r.indicator_id, r.target) for r in exact.itertuples()]  # everyone at 100 %
    rows = [(p, r, i, v * 2 if (r, i) == ("东方镇", RD) else v) for p, r, i, v in rows]  # 200 % → 150 %
    rows = [row for row in rows if (row[1], row[2]) != ("新建镇", "new_sme_tech")]  # one gap
    board = board_for(targets, registry, rows, "2023-12").xs(COMPOSITE, level="indicator_id")
    assert board.loc["东方镇", "completion_rate"] == pytest.approx((1.5 + 6 * 1.0) / 7)
    assert board.loc["东方镇", "rank"] == 1
    assert board.loc["五云街道", "completion_rate"] == pytest.approx(1.0) and board.loc["五云街道", "rank"] == 2
    assert board.loc["新建镇", "status"] == "未报送" and pd.isna(board.loc["新建镇", "rank"])
    assert board.loc["东方镇", "time_share"] == 1.0


def test_output_columns_and_lagging(targets, registry):
    rows = [("2023-09", "新建镇", RD, 0.265), ("2023-09", "壶山镇", RD, 3.0672)]
    board = build_leaderboard(targets, progress_frame(rows), registry, ["2023-09"])
    assert board.columns[:10].tolist() == LEADERBOARD_COLUMNS
    assert len(board) == 9 * 8  # 9 rows (全县 + 8 regions) × (7 indicators + composite)
    behind = lagging(board, registry)
    assert behind.iloc[0][["region", "indicator", "gap_points"]].tolist() == ["新建镇", "规上工业企业研发费用", -25.0]
    assert behind.iloc[0]["responsible_units"] == "经济商务局、科技局、发改局、农业农村局"
