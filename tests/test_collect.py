"""The township round: forms in any accepted layout, the store's merge rules, 报送情况, a year's annex,
the project file, and the monthly rank change — each on small inputs worked out by hand."""

import datetime as dt
from dataclasses import replace

import openpyxl
import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.atomic import formula_safe
from kpi.core.errors import ConfigError, InputError
from kpi.core.formatting import BEIJING
from kpi.inputs.annex import read_annex
from kpi.inputs.annual_input import read_annual_submission
from kpi.inputs.progress_input import read_progress
from kpi.inputs.submissions import read_submission
from kpi.metadata import config as project
from kpi.metadata.identity import Imprint
from kpi.metrics.leaderboard import build_leaderboard
from kpi.metrics.trajectory import annual_series
from kpi.outputs.forms import annual_form, monthly_form
from kpi.outputs.monthly import rank_change
from kpi.store.collect import import_annex, merge
from kpi.store.returns import collect, submission_status
from tests.support import shipped_plan, write_config

NOW = dt.datetime(2026, 2, 3, 14, 5, tzinfo=BEIJING)


def store_config(tmp_path):
    return replace(project.load(write_config(tmp_path)), store=tmp_path / "store")


# ---------------------------------------------------------------- reading returned files
def test_wide_sheet_with_chinese_headers(tmp_path, registry):
    path = tmp_path / "壶山镇.csv"
    path.write_text(
        "时期,区域,规上工业企业研发费用（亿元）,上期（参考）,新增发明专利,高新技术产业投资增长(%)\n"
        "2026年1月,壶山,0.15,9.9,3,-2.5\n"
        "2026-01,东方镇,,,—,7\n",
        encoding="gb18030",
    )
    values = read_submission(path, registry).values
    assert values[["period", "region", "indicator_id", "value"]].values.tolist() == [
        ["2026-01", "壶山镇", "rd_expense_above_scale", 0.15],
        ["2026-01", "壶山镇", "new_invention_patents", 3.0],
        ["2026-01", "壶山镇", "hitech_investment_growth", -2.5],
        ["2026-01", "东方镇", "hitech_investment_growth", 7.0],
    ]
    assert values["row"].tolist() == [2, 2, 2, 3] and values["column"].tolist() == [
        "第 3 列",
        "第 5 列",
        "第 6 列",
        "第 6 列",
    ]


def test_wide_sheet_takes_its_period_from_a_cell_above(tmp_path, registry):
    path = tmp_path / "form.csv"
    path.write_text("缙云县月度进度报送表\n时期,2026-02\n区域,新增发明专利（件）\n新建镇,4\n", encoding="utf-8")
    assert read_submission(path, registry).values["period"].tolist() == ["2026-02"]


@pytest.mark.parametrize("cell, message", [("abc", "不是数值"), ("-3", "不能为负"), ("5公顷", "单位")])
def test_wide_sheet_bad_cell_names_file_sheet_row_column_value(tmp_path, registry, cell, message):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "报送表"
    for row in (["时期", "2026-01"], ["区域", "新增发明专利（件）"], ["东渡镇", cell]):
        sheet.append(row)
    path = tmp_path / "东渡镇.xlsx"
    workbook.save(path)
    with pytest.raises(InputError) as caught:
        read_submission(path, registry)
    error = caught.value
    assert message in error.problem and (error.sheet, error.row, error.column, str(error.value)) == (
        "报送表",
        3,
        "B",
        cell,
    )
    assert error.file == path and error.fix


def test_long_table(tmp_path, registry):
    path = tmp_path / "long.csv"
    path.write_text("时期,区域,指标,数值\n2026-01,舒洪镇,新增发明专利,6\n", encoding="utf-8")
    submission = read_submission(path, registry)
    assert submission.layout == "long" and submission.values["value"].tolist() == [6.0]


def test_filled_leaderboard_is_read_as_progress_times_target(tmp_path, registry):
    from kpi.outputs.excel import write_leaderboard_xlsx

    targets = read_annex(paths.RAW / "annex_2023.csv", registry)
    progress = read_progress(paths.EXAMPLE / "progress_example.csv", registry)
    board = build_leaderboard(targets, progress, registry, ["2023-09"])
    path = write_leaderboard_xlsx(board, registry, "2023-09", tmp_path / "晾晒表.xlsx", Imprint(shipped_plan()))
    submission = read_submission(path, registry)
    assert submission.layout == "annex" and "进度 × 指标" in submission.notices[0]
    got = submission.values.set_index(["region", "indicator_id"])["value"]
    actual = board.set_index(["region", "indicator_id"])["actual"]
    # 五云街道's R&D: target 0.04 亿元, 进度 printed to 0.1 %: within 0.05 % of the target of the true value
    for key in [
        ("五云街道", "rd_expense_above_scale"),
        ("壶山镇", "new_invention_patents"),
        ("全县", "hitech_value_added"),
    ]:
        assert got[key] == pytest.approx(
            actual[key], abs=0.0005 * targets.set_index(["region", "indicator_id"])["target"][key]
        )
    assert got[("壶山镇", "hitech_investment_growth")] == pytest.approx(
        actual[("壶山镇", "hitech_investment_growth")], abs=0.05
    )
    assert ("东渡镇", "rd_expense_above_scale") not in got.index  # 未报送 stays missing, never 0
    assert set(submission.values["period"]) == {"2023-09"}


def test_template_round_trip(tmp_path, registry):
    previous = pd.DataFrame({"region": ["壶山镇"], "indicator_id": ["new_sme_tech"], "value": [12.0]})
    workbook = monthly_form(registry, "2026-02", ["壶山镇", "东方镇"], previous, shipped_plan())
    sheet = workbook.active
    assert sheet["J4"].value == "新增省科技型中小企业（家）"
    assert sheet["K5"].value == 12.0 and sheet["K4"].value == "上期2026-01（参考）"  # beside its cell
    sheet["B5"], sheet["J5"], sheet["F6"] = 0.5, 13, -1.5
    path = tmp_path / "form.xlsx"
    workbook.save(path)
    values = read_submission(path, registry, "2026-02").values
    assert values[["region", "indicator_id", "value", "column"]].values.tolist() == [
        ["壶山镇", "rd_expense_above_scale", 0.5, "B"],
        ["壶山镇", "new_sme_tech", 13.0, "J"],
        ["东方镇", "hitech_investment_growth", -1.5, "F"],
    ]


# ---------------------------------------------------------------- the store
def test_merge_supersedes_logs_and_keeps_identical(tmp_path):
    keys = ["period", "region", "indicator_id"]
    store = pd.DataFrame(
        [{"period": "2026-01", "region": "壶山镇", "indicator_id": "x", "value": 8.0, "source_file": "a.xlsx"}]
    )
    incoming = pd.DataFrame(
        [
            {
                "period": "2026-01",
                "region": "壶山镇",
                "indicator_id": "x",
                "value": 9.0,
                "source_file": "b.xlsx",
                "_at": "t1",
            },
            {
                "period": "2026-01",
                "region": "壶山镇",
                "indicator_id": "x",
                "value": 9.0,
                "source_file": "c.xlsx",
                "_at": "t2",
            },
            {
                "period": "2026-01",
                "region": "东方镇",
                "indicator_id": "x",
                "value": 1.0,
                "source_file": "c.xlsx",
                "_at": "t2",
            },
        ]
    )
    merged, corrections, added, unchanged = merge(store, incoming, keys, lambda row: row["source_file"])
    assert (added, unchanged) == (1, 1)
    assert corrections[["old_value", "new_value", "old_source", "new_source"]].values.tolist() == [
        ["8", "9", "a.xlsx", "b.xlsx"]
    ]
    assert merged.set_index("region")["source_file"].to_dict() == {"壶山镇": "b.xlsx", "东方镇": "c.xlsx"}


def test_collect_reads_every_file_stores_the_good_and_refuses_the_wrong_month(tmp_path, registry):
    config = store_config(tmp_path)
    good, bad = tmp_path / "in" / "a.csv", tmp_path / "in" / "b.csv"
    good.parent.mkdir()
    good.write_text("时期,区域,新增发明专利\n2026-01,壶山镇,3\n", encoding="utf-8")
    bad.write_text("时期,区域,新增发明专利\n2026-02,东方镇,3\n", encoding="utf-8")
    received = dt.datetime(2026, 2, 1, 9, 30, tzinfo=BEIJING)
    result = collect(config, registry, [good.parent], "2026-01", now=NOW, received=received)
    [(path, error)] = result.refused
    assert path == bad and "不是 2026-01" in error.problem
    assert f'kpi collect "{bad}" --period 2026-02' in error.fix  # its own month, from its own 时期 column
    assert result.new_values == 1 and config.store_progress.exists()
    stored = pd.read_csv(config.store_progress, dtype=str)
    assert stored["region"].tolist() == ["壶山镇"]  # 东方镇's February value is not stored under January
    stored = stored.iloc[0]
    assert (stored["source_file"], stored["source_row"], stored["source_column"]) == ("a.csv", "2", "第 3 列")
    assert stored["received_at"] == "2026-02-01T09:30:00+08:00"  # when it came in, not when collect ran
    assert (config.store / "received" / "2026-01").iterdir().__next__().name.endswith("_a.csv")


def test_submission_status(registry):
    rows = [("全县", "hitech_investment_growth"), ("壶山镇", "new_sme_tech")] + [
        ("东方镇", i) for i in registry.indicators["indicator_id"]
    ]
    store = pd.DataFrame(
        [
            {
                "period": "2026-01",
                "region": r,
                "indicator_id": i,
                "value": 1.0,
                "source_file": "f.xlsx",
                "received_at": "2026-02-03T14:05:00+08:00",
            }
            for r, i in rows
        ]
    )
    status = submission_status(store, registry, "2026-01").set_index("区域")
    assert status.loc["全县", "状态"] == "已报送" and status.loc["全县", "已报指标数"] == "1/1"  # owes only the growth
    assert status.loc["东方镇", "状态"] == "已报送" and status.loc["东方镇", "最近报送时间"] == "2026年2月3日 14:05"
    assert status.loc["壶山镇", "状态"] == "部分报送" and status.loc["壶山镇", "已报指标数"] == "1/7"
    assert status.loc["东渡镇", "状态"] == "未报送" and status.loc["东渡镇", "缺报指标"] == "全部"


def test_import_annex_checks_year_and_sums_and_keeps_the_replaced_one(tmp_path, registry):
    config = store_config(tmp_path)
    text = (paths.RAW / "annex_2023.csv").read_text(encoding="utf-8")
    source = tmp_path / "annex.csv"
    source.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="这是 2023 年的晾晒表，不是 2024 年"):
        import_annex(config, registry, source, 2024)
    source.write_text(text.replace("2023年", "2024年", 1).replace("0,全县,15.44", "0,全县,16.00"), encoding="utf-8")
    with pytest.raises(InputError, match="全县不等于各区域合计"):
        import_annex(config, registry, source, 2024)
    assert not config.store.exists()
    source.write_text(text.replace("2023年", "2024年", 1), encoding="utf-8")
    import_annex(config, registry, source, 2024, now=NOW)
    live = config.store_annex / "annex_2024.csv"
    import_annex(config, registry, live, 2024, now=NOW)  # re-importing the stored file itself loses nothing
    pd.testing.assert_frame_equal(read_annex(live, registry), read_annex(source, registry))
    source.write_text(
        text.replace("2023年", "2024年", 1).replace(",0.04,", ",0.045,").replace(",15.44,", ",15.445,"),
        encoding="utf-8",
    )
    import_annex(config, registry, source, 2024, now=NOW)  # a corrected annex, a second later or not
    targets = read_annex(live, registry).set_index(["region", "indicator_id"])["target"]
    assert targets[("五云街道", "rd_expense_above_scale")] == 0.045  # every digit, not the printed two
    kept = sorted(p.name[13:] for p in (config.store / "received" / "annex-2024").iterdir())
    assert kept == ["annex.csv", "annex.csv", "annex_2024.csv"]  # each version as it came, by its hash
    assert list(config.store_annex.iterdir()) == [live]


def test_annual_form_round_trip(tmp_path, registry):
    series = annual_series(registry.plan_targets)
    assert len(series) == 30 and series["series_id"].is_unique  # 31 targets; two share the R&D institutions stock
    assert series.set_index("series_id").loc["fiscal_st_spending", "unit"] == "亿元"
    known = pd.DataFrame({"year": [2024], "indicator_id": ["sme_tech_stock"], "value": [300.0]})
    workbook = annual_form(series, 2025, known, shipped_plan())
    sheet = workbook.active
    row = next(r for r in range(5, sheet.max_row + 1) if sheet.cell(r, 2).value == "sme_tech_stock")
    assert sheet.cell(row, 7).value == 300.0 and sheet.cell(row, 3).value == "科技型中小企业（累计）"
    sheet.cell(row, 8, 350)
    sheet.cell(row, 9, "科技局台账")
    path = tmp_path / "annual.xlsx"
    workbook.save(path)
    values = read_annual_submission(path, series, 2025).values
    assert values[["year", "indicator_id", "value", "note"]].values.tolist() == [
        [2025, "sme_tech_stock", 350.0, "科技局台账"]
    ]
    with pytest.raises(InputError, match="不是 2026 年"):
        read_annual_submission(path, series, 2026)


# ---------------------------------------------------------------- the project file
def test_project_file_errors_and_overrides(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[data]\nprogres = ["x.csv"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="未知的项"):
        project.load(bad)
    bad.write_text("[data\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="TOML"):
        project.load(bad)
    config = project.load(paths.ROOT / "kpi.toml")
    assert config.progress == (paths.EXAMPLE / "progress_example.csv",)
    moved = config.with_overrides(registry=tmp_path / "raw")
    assert moved.annex[0] == tmp_path / "raw" / "annex_2023.csv"  # inside the registry: moved with it
    assert moved.progress == config.progress  # the example data lie outside the registry: unchanged
    assert moved.annex[-1] == config.annex[-1]  # the store's folder is not inside the registry: unchanged
    missing = replace(config, progress=(tmp_path / "nowhere.csv",))
    with pytest.raises(ConfigError, match="不存在"):
        missing.sources("progress")
    assert replace(config, progress=(config.store / "progress.csv",)).sources("progress") == []  # nothing collected yet


def test_no_code_path_names_an_example_file():
    for path in [*(paths.ROOT / "kpi").rglob("*.py"), *(paths.ROOT / "notebooks").glob("*.py")]:
        if (
            path.name in ("dataset.py", "rehearsal.py") and path.parent.name == "example"
        ):  # the generators name what they write
            continue
        text = path.read_text(encoding="utf-8")
        assert (
            "_example.csv" not in text
            and "data/example" not in text
            and "raw/example" not in text
            and '"example" /' not in text
        ), path.name


# ---------------------------------------------------------------- the monthly board
def test_rank_change_hand_worked():
    board = pd.DataFrame(
        {
            "period": ["01", "01", "01", "02", "02", "02"],
            "region": ["A", "B", "C"] * 2,
            "indicator_id": ["x"] * 6,
            "rank": pd.array([1, 2, 3, 3, 2, pd.NA], dtype="Int64"),
        }
    )
    assert rank_change(board).tolist() == ["", "", "", "↓2", "–", ""]


def test_formula_safe_on_categorical_columns():
    frame = pd.DataFrame({"region": pd.Categorical(["=cmd", "壶山镇"]), "status": pd.Categorical(["滞后", "超序时"])})
    safe = formula_safe(frame)
    assert safe["region"].tolist() == ["'=cmd", "壶山镇"] and safe["status"].tolist() == ["滞后", "超序时"]


def test_a_blank_row_between_regions_loses_nothing(tmp_path, registry):
    path = tmp_path / "汇总.csv"
    path.write_text("时期,2026-01\n区域,新增发明专利（件）\n壶山镇,3\n,\n东方镇,4\n\n填表人：张三,\n", encoding="utf-8")
    values = read_submission(path, registry).values
    assert values[["region", "value"]].values.tolist() == [["壶山镇", 3.0], ["东方镇", 4.0]]
