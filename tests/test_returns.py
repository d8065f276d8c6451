"""Each rule of reading a real return, on a small file made as an office makes it, worked out by hand:
units in headers and lines, furniture, where the period comes from, the vertical sheet, names, holds,
``--accept``, ``--dry-run``, and the command line's refusals."""

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.errors import InputError
from kpi.core.formatting import BEIJING
from kpi.core.units import conversion_factor, split_unit
from kpi.inputs.annex import read_annex
from kpi.inputs.form_context import period_in_text
from kpi.inputs.submissions import read_submission
from kpi.metadata import config as project
from kpi.metadata.plausibility import Checks, check_values
from kpi.outputs.forms import monthly_form
from kpi.store.collect import add_alias, project_registry
from kpi.store.returns import collect
from tests.support import run_kpi, shipped_plan, write_config, write_xls, write_xlsx

NOW = dt.datetime(2026, 4, 5, 9, 0, tzinfo=BEIJING)


def store_config(tmp_path):
    return replace(project.load(write_config(tmp_path)), store=tmp_path / "store")


def values_of(path, registry, period=None):
    got = read_submission(path, registry, period).values
    return {(r.region, r.indicator_id): r.value for r in got.itertuples()}


# ---------------------------------------------------------------- units
@pytest.mark.parametrize(
    "header, expected",
    [
        ("规上工业企业研发费用（万元）", ("规上工业企业研发费用", "万元")),
        ("规上工业企业研发费用(单位：万元)", ("规上工业企业研发费用", "万元")),
        ("规上工业企业研发费用/万元", ("规上工业企业研发费用", "万元")),
        ("规上工业企业研发费用，单位：亿元", ("规上工业企业研发费用", "亿元")),
        ("上期2026-02（参考）", ("上期2026-02(参考)", None)),
    ],
)
def test_a_header_names_its_unit(header, expected):
    assert split_unit(header) == expected


def test_units_convert_within_a_family_only():
    assert conversion_factor("万元", "亿元") == 1e-4 and conversion_factor("亿元", "万元") == 1e4
    assert conversion_factor("万家", "家") == 1e4
    for given, wanted in (("%", "件"), ("亿元", "家"), ("家", "件")):
        with pytest.raises(ValueError, match="不能换算"):
            conversion_factor(given, wanted)


def test_a_wan_yuan_header_converts_to_the_registrys_yi_yuan(tmp_path, registry):
    path = tmp_path / "壶山镇.csv"
    path.write_text('时期,2026-03\n区域,规上工业企业研发费用（万元）,新增发明专利（件）\n壶山镇,"1,520",3\n', "gb18030")
    assert values_of(path, registry) == {
        ("壶山镇", "rd_expense_above_scale"): pytest.approx(0.152),
        ("壶山镇", "new_invention_patents"): 3,
    }


def test_a_unit_line_above_and_a_unit_row_under_the_header(tmp_path, registry):
    above = tmp_path / "a.csv"
    above.write_text(
        "2026年3月科技指标\n单位：万元\n区域,规上工业企业研发费用,新增发明专利（件）\n新建镇,530,2\n", "utf-8"
    )
    assert values_of(above, registry)[("新建镇", "rd_expense_above_scale")] == pytest.approx(0.053)
    assert values_of(above, registry)[("新建镇", "new_invention_patents")] == 2  # 万元 is no unit of a count
    row = tmp_path / "b.csv"
    row.write_text("时期,2026-03\n区域,规上工业企业研发费用,新增发明专利\n单位,万元,件\n东渡镇,260,4\n", "utf-8")
    assert values_of(row, registry) == {
        ("东渡镇", "rd_expense_above_scale"): pytest.approx(0.026),
        ("东渡镇", "new_invention_patents"): 4,
    }


def test_a_unit_that_cannot_convert_is_refused_at_its_header_cell(tmp_path, registry):
    path = tmp_path / "c.xlsx"
    write_xlsx(path, [["时期", "2026-03"], ["区域", "新增发明专利（%）"], ["东方镇", 3]], "报送表")
    with pytest.raises(InputError) as caught:
        read_submission(path, registry)
    error = caught.value
    assert "不能换算" in error.problem and (error.row, error.column, error.value) == (2, "B", "新增发明专利（%）")


def test_an_annex_header_in_wan_yuan_converts_its_targets(tmp_path, registry):
    text = (
        (paths.RAW / "annex_2023.csv")
        .read_text("utf-8")
        .replace("规上工业企业研发费用 (亿元)", "规上工业企业研发费用 (万元)")
    )
    text = text.replace(",15.44,", ",154400,").replace(",4.26,", ",42600,")
    path = tmp_path / "annex.csv"
    path.write_text(text, "utf-8")
    targets = read_annex(path, registry, check_sums=False).set_index(["region", "indicator_id"])["target"]
    assert targets[("全县", "rd_expense_above_scale")] == pytest.approx(15.44)
    assert targets[("壶山镇", "rd_expense_above_scale")] == pytest.approx(4.26)


def test_a_count_must_be_whole(tmp_path, registry):
    path = tmp_path / "d.csv"
    path.write_text("时期,2026-03\n区域,新增高新技术企业数（家）\n壶山镇,2.5\n", "utf-8")
    with pytest.raises(InputError, match="整数"):
        read_submission(path, registry)


def test_a_sheet_whose_region_column_is_headed_otherwise_is_refused_at_that_row(tmp_path, registry):
    """An office's own sheet heads its region column 项目: refused at the header row, the headings accepted
    named; following the fix (区域) reads it, 3975 万元 as 0.3975 亿元. A sheet with no table at all is
    refused naming the layouts read."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in (
        ["新建镇科技指标报表（2026年3月）"],
        ["项目", "规上工业企业研发费用（万元）", "新增发明专利（件）"],
        ["新建镇", 3975, 4],
        ["填报人：王芳"],
    ):
        sheet.append(row)
    path = tmp_path / "新建镇.xlsx"
    workbook.save(path)
    with pytest.raises(InputError, match="没有区域列") as caught:
        read_submission(path, registry)
    assert (caught.value.row, caught.value.value) == (2, "项目") and "区域" in caught.value.fix
    sheet["A2"] = "区域"
    workbook.save(path)
    assert values_of(path, registry) == {
        ("新建镇", "rd_expense_above_scale"): 0.3975,
        ("新建镇", "new_invention_patents"): 4,
    }
    for heading in ("单位名称", "乡镇名称"):  # as townships' own sheets head it: read the same
        sheet["A2"] = heading
        workbook.save(path)
        assert values_of(path, registry)[("新建镇", "new_invention_patents")] == 4, heading
    other = tmp_path / "说明.csv"
    other.write_text("本月无变化\n详见附件\n", "utf-8")
    with pytest.raises(InputError, match="认不出报送表的格式"):
        read_submission(other, registry)


# ---------------------------------------------------------------- furniture and the period
def test_furniture_lines_are_never_data_or_the_period(tmp_path, registry):
    path = tmp_path / "e.xlsx"
    rows = [
        ["缙云县科技创新指标报送表（2026年2月）"],
        ["填报日期：2026年3月4日", None, "填报单位（盖章）："],
        ["区域", "新增发明专利（件）", "新增省科技型中小企业（家）"],
        ["壶山镇", 5, 2],
        [None],
        ["填报人：张三", "联系电话：13800000000"],
        ["审核人：李四"],
        ["注：数据截至2026年2月底"],
    ]
    write_xlsx(path, rows, "Sheet1")
    got = read_submission(path, registry).values
    assert set(got["period"]) == {"2026-02"} and set(got["region"]) == {"壶山镇"} and len(got) == 2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026年1-3月累计", (2026, 3)),
        ("2026年1月至3月", (2026, 3)),
        ("截至2026年3月底", (2026, 3)),
        ("202603", (2026, 3)),
        ("3月", (None, 3)),
        ("2026年4月2日", None),
        ("壶山镇20260402", None),
    ],
)
def test_what_a_piece_of_text_says_about_the_period(text, expected):
    assert period_in_text(text) == expected


def test_a_title_and_a_file_name_that_disagree_are_refused_with_both_named(tmp_path, registry):
    path = tmp_path / "壶山镇2026年2月.xlsx"
    write_xlsx(path, [["壶山镇2026年3月科技指标"], ["区域", "新增发明专利（件）"], ["壶山镇", 5]], "Sheet1")
    with pytest.raises(InputError) as caught:
        read_submission(path, registry, "2026-03")
    assert "标题“壶山镇2026年3月科技指标”" in caught.value.problem and "文件名“壶山镇2026年2月”" in caught.value.problem


# ---------------------------------------------------------------- a township's own vertical sheet
def test_a_one_region_vertical_sheet_in_an_old_xls(tmp_path, registry):
    rows = [
        ["科技创新主要指标完成情况表"],
        ["单位（盖章）：", None, "时间：2026年3月"],
        ["序号", "指标名称", "计量单位", "本月累计", "上年同期累计", "备注"],
        [1, "规上工业企业研发费用", "万元", 4260, 3900, ""],
        [2, "高新技术产业投资增长", "%", 15.2, 12.0, "同比"],
        [3, "新增发明专利", "件", 9, 7, ""],
        [4, "新增质押渠道高价值发明专利", None, None, None, "本月无"],
        ["填报人：王五", None, "联系电话：0578-1234567"],
    ]
    path = write_xls(tmp_path / "东渡镇.xls", rows, "Sheet1")
    got = read_submission(path, registry).values
    assert read_submission(path, registry).layout == "vertical"
    assert {(r.region, r.period, r.indicator_id): r.value for r in got.itertuples()} == {
        ("东渡镇", "2026-03", "rd_expense_above_scale"): pytest.approx(0.426),
        ("东渡镇", "2026-03", "hitech_investment_growth"): 15.2,
        ("东渡镇", "2026-03", "new_invention_patents"): 9,
    }
    assert got["column"].tolist() == ["D", "D", "D"] and got["row"].tolist() == [4, 5, 6]


def test_a_vertical_sheet_with_only_this_months_figures_is_refused(tmp_path, registry):
    path = write_xlsx(tmp_path / "新建镇2026年3月.xlsx", [["指标", "本月数"], ["新增发明专利", 2]], "Sheet1")
    with pytest.raises(InputError, match="没有累计数"):
        read_submission(path, registry)


def test_a_vertical_sheet_without_a_region_says_where_to_write_it(tmp_path, registry):
    path = write_xlsx(tmp_path / "报表2026年3月.xlsx", [["指标", "累计值"], ["新增发明专利", 2]], "Sheet1")
    with pytest.raises(InputError, match="哪个区域") as caught:
        read_submission(path, registry)
    assert "填报单位" in caught.value.fix


def test_one_cell_given_twice_in_one_form_is_refused(tmp_path, registry):
    path = tmp_path / "f.csv"
    path.write_text("时期,2026-03\n区域,新增发明专利\n壶山镇,3\n壶山,4\n", "utf-8")
    with pytest.raises(InputError, match="同一格填了两次"):
        read_submission(path, registry)


# ---------------------------------------------------------------- names
def test_long_official_names_and_names_without_suffix_are_suggested_not_guessed(tmp_path, registry):
    assert registry.suggest_region("丽缙高新技术产业园区") == "丽缙高新区"  # holds the alias 丽缙高新
    assert registry.suggest_region("丽水高新技术产业园区") == "丽水高新区"
    assert registry.suggest_region("新建镇人民政府") == "新建镇"
    assert registry.suggest_region("舒红镇") == "舒洪镇"
    with pytest.raises(KeyError):
        registry.resolve_region("丽水高新技术产业园区")
    assert "kpi alias 丽水高新技术产业园区 丽水高新区" in registry.region_fix("丽水高新技术产业园区")


def test_an_alias_is_kept_in_the_store_and_used(tmp_path, registry):
    config = store_config(tmp_path)
    add_alias(config, registry, "丽水高新技术产业园区", "丽水高新区", "region", NOW)
    with_alias = project_registry(config)
    assert with_alias.resolve_region("丽水高新技术产业园区") == "丽水高新区"
    assert not (paths.RAW / "aliases.csv").exists() and config.store_aliases.exists()
    with pytest.raises(InputError, match="已表示"):
        add_alias(config, with_alias, "丽水高新技术产业园区", "壶山镇", "region", NOW)


# ---------------------------------------------------------------- holds, --accept, --dry-run
def _slip_case(tmp_path):
    config = store_config(tmp_path)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "二月.csv").write_text("时期,2026-02\n区域,规上工业企业研发费用（亿元）\n壶山镇,0.6\n", "utf-8")
    (inbox / "三月.csv").write_text("时期,2026-03\n区域,规上工业企业研发费用（亿元）\n壶山镇,9200\n", "utf-8")
    return config, inbox


def test_a_unit_slip_is_held_until_accepted(tmp_path, registry):
    config, inbox = _slip_case(tmp_path)
    collect(config, registry, [inbox / "二月.csv"], "2026-02", now=NOW)
    held = collect(config, registry, [inbox / "三月.csv"], "2026-03", now=NOW)
    [row] = held.held.itertuples()
    assert row.cell == "B3" and "疑似单位错误" in row.hold_reason and row.likely_value == pytest.approx(0.92)
    store = pd.read_csv(config.store_progress, dtype=str)
    assert "2026-03" not in set(store["period"])  # held, not stored
    with pytest.raises(InputError, match="没有对应"):
        collect(config, registry, [inbox / "三月.csv"], "2026-03", now=NOW, accept=["三月.csv:C9"])
    accepted = collect(config, registry, [inbox / "三月.csv"], "2026-03", now=NOW, accept=["三月.csv:B3"])
    assert accepted.new_values == 1 and len(accepted.accepted) == 1 and accepted.held.empty
    log = pd.read_csv(config.store_held, dtype=str)
    assert log[["cell", "status", "resolution"]].values.tolist() == [["B3", "已确认", "kpi collect --accept"]]


def test_a_fall_below_last_month_is_held(tmp_path, registry):
    config = store_config(tmp_path)
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("时期,2026-02\n区域,新增发明专利\n东方镇,5\n", "utf-8")
    second.write_text("时期,2026-03\n区域,新增发明专利\n东方镇,3\n", "utf-8")
    collect(config, registry, [first], "2026-02", now=NOW)
    result = collect(config, registry, [second], "2026-03", now=NOW)
    assert "低于上月累计 5" in result.held["hold_reason"].iloc[0]


def test_growth_written_as_a_fraction_is_held_unless_its_header_says_percent(tmp_path, registry):
    bare, percent = tmp_path / "a.csv", tmp_path / "b.csv"
    bare.write_text("时期,2026-03\n区域,高新技术产业投资增长\n新建镇,0.125\n", "utf-8")
    percent.write_text("时期,2026-03\n区域,高新技术产业投资增长(%)\n新建镇,0.125\n", "utf-8")
    for path, flagged in ((bare, True), (percent, False)):
        incoming = read_submission(path, registry).values
        checked = check_values(incoming, incoming.iloc[:0], pd.DataFrame(), registry)
        assert (checked["hold_reason"].iloc[0] != "") == flagged, path
    assert checked["value"].iloc[0] == 0.125  # resolved by its header: 0.125 %


def test_a_completion_far_above_target_is_held_without_a_previous_month(registry):
    incoming = pd.DataFrame(
        {
            "period": "2026-03",
            "region": ["壶山镇", "新建镇"],
            "indicator_id": "rd_expense_above_scale",
            "value": [4260.0, 0.1],
            "flag": "",
        }
    )
    targets = pd.DataFrame(
        {"year": 2026, "region": ["壶山镇", "新建镇"], "indicator_id": "rd_expense_above_scale", "target": [4.26, 0.53]}
    )
    checked = check_values(incoming, incoming.iloc[:0], targets, registry, Checks())
    assert checked["hold_reason"].tolist()[1] == "" and "远超" in checked["hold_reason"].iloc[0]
    assert checked["likely_value"].iloc[0] == pytest.approx(0.426)  # 100 000 % vs 25 % due: ÷ 10^4 → 10 %


def test_dry_run_writes_nothing_and_says_what_it_would_store(tmp_path, registry):
    config, inbox = _slip_case(tmp_path)
    result = collect(config, registry, [inbox], "2026-02", now=NOW, dry_run=True)
    assert result.stored["value"].tolist() == [0.6] and not config.store.exists()
    assert [p.name for p, _ in result.refused] == ["三月.csv"]  # its own month, named in the fix


# ---------------------------------------------------------------- the forms sent out
def test_the_county_form_asks_only_what_the_county_owes_and_january_reads_right(registry):
    sheet = monthly_form(registry, "2026-01", ["全县"], pd.DataFrame(), shipped_plan()).active
    headers = [c.value for c in sheet[4] if c.value and "参考" not in c.value]
    assert headers == ["区域", "高新技术产业投资增长（%）"]
    assert "2026年1月的累计值" in sheet["A2"].value and "1月至1月" not in sheet["A2"].value


# ---------------------------------------------------------------- the command line
@pytest.mark.integration
def test_the_command_reports_every_problem_and_exits_2(tmp_path):
    write_config(tmp_path, progress=[tmp_path / "store" / "progress.csv"])
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.csv").write_text("时期,2026-03\n区域,新增发明专利\n舒红镇,3\n", "utf-8")
    (inbox / "b.xls").write_bytes(b"\xd0\xcf\x11\xe0 not really")
    (inbox / "c.csv").write_text("时期,2026-03\n区域,新增发明专利\n东方镇,3\n", "utf-8")
    result = run_kpi("collect", str(inbox), "--period", "2026-03", "--dry-run", cwd=tmp_path)
    assert result.returncode == 2 and "拒收 2 个文件" in result.stderr and "a.csv" in result.stderr
    assert "b.xls" in result.stderr and "Traceback" not in result.stderr
    assert "试运行" in result.stdout and not (tmp_path / "store").exists()
    alias = run_kpi("alias", "舒红镇", "舒洪镇", cwd=tmp_path)
    assert alias.returncode == 0 and (tmp_path / "store" / "aliases.csv").exists()
    listed = run_kpi("alias", cwd=tmp_path)
    assert "舒红镇" in listed.stdout and "舒洪镇" in listed.stdout


def test_an_annual_figure_in_another_unit_converts_by_its_unit_cell(tmp_path, registry):
    from kpi.inputs.annual_input import read_annual_submission
    from kpi.metrics.trajectory import annual_series
    from kpi.outputs.forms import annual_form

    series = annual_series(registry.plan_targets)
    workbook = annual_form(series, 2025, pd.DataFrame(columns=["year", "indicator_id", "value"]), shipped_plan())
    sheet = workbook.active
    header = [c.value for c in sheet[4]]
    code, unit, value = header.index("代码") + 1, header.index("单位") + 1, header.index("2025年数值") + 1
    for row in range(5, sheet.max_row + 1):
        if sheet.cell(row, code).value == "fiscal_st_spending":
            sheet.cell(row, unit, "万元")
            sheet.cell(row, value, 15000)
        if sheet.cell(row, code).value == "hitech_enterprises_stock":
            sheet.cell(row, unit, "%")
            sheet.cell(row, value, 180)
    path = tmp_path / "年度.xlsx"
    workbook.save(path)
    with pytest.raises(InputError, match="不能换算"):  # 家 written as %
        read_annual_submission(path, series, 2025)
    for row in range(5, sheet.max_row + 1):
        if sheet.cell(row, code).value == "hitech_enterprises_stock":
            sheet.cell(row, unit, "家")
    workbook.save(path)
    got = read_annual_submission(path, series, 2025).values.set_index("indicator_id")["value"]
    assert got["fiscal_st_spending"] == pytest.approx(1.5) and got["hitech_enterprises_stock"] == 180


def test_a_column_that_looks_like_an_indicator_is_refused_until_its_alias_exists(tmp_path, registry):
    config = store_config(tmp_path)
    path = tmp_path / "a.csv"
    path.write_text("时期,2026-03\n区域,研发费用（万元）,新增发明专利,排名\n壶山镇,1520,3,2\n", "utf-8")
    with pytest.raises(InputError) as caught:
        read_submission(path, registry)
    assert (
        caught.value.column == "第 2 列" and "kpi alias 研发费用 规上工业企业研发费用 --indicator" in caught.value.fix
    )
    add_alias(config, registry, "研发费用", "规上工业企业研发费用", "indicator", NOW)
    submission = read_submission(path, project_registry(config))
    assert values_of(path, project_registry(config)) == {
        ("壶山镇", "rd_expense_above_scale"): pytest.approx(0.152),  # its header's 万元, converted
        ("壶山镇", "new_invention_patents"): 3,
    }
    assert submission.notices == ["a.csv：未读取列“排名”（不是登记的指标）/ a column that is no indicator, not read"]


def test_a_bulk_long_table_with_another_unit_in_the_indicator_name_is_refused(tmp_path, registry):
    from kpi.inputs.progress_input import read_progress

    path = tmp_path / "bulk.csv"
    path.write_text("period,region,indicator_id,value\n2026-03,壶山镇,规上工业企业研发费用(万元),1520\n", "utf-8")
    with pytest.raises(InputError, match="不是登记单位"):
        read_progress(path, registry)
    path.write_text("period,region,indicator_id,value\n2026-03,壶山镇,规上工业企业研发费用(亿元),0.152\n", "utf-8")
    assert read_progress(path, registry)["value"].tolist() == [0.152]


def test_a_misspelt_indicator_in_a_vertical_sheet_is_refused_with_its_alias_command(tmp_path, registry):
    rows = [["壶山镇2026年3月指标"], ["指标", "累计值"], ["新增发明专理", 4]]
    path = write_xlsx(tmp_path / "壶山镇.xlsx", rows, "Sheet1")
    with pytest.raises(InputError) as caught:
        read_submission(path, registry)
    assert (caught.value.row, caught.value.column) == (3, "A")
    assert "kpi alias 新增发明专理 新增发明专利 --indicator" in caught.value.fix


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("wide.csv", "区域," + ",".join(f"c{i}" for i in range(2000)) + "\n", "过宽"),
        ("long_cell.csv", "时期,2026-03\n区域,新增发明专利\n壶山镇," + "9" * 200_000 + "\n", "过宽"),
        ("nul.csv", "时期,2026-03\n区域,新增发明专利\n壶山镇,3\x00\n", "空字符"),
    ],
)
def test_a_form_past_a_forms_bounds_is_refused_before_it_is_parsed(tmp_path, registry, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_submission(path, registry)


def test_a_workbook_whose_shared_strings_unpack_past_the_limit_is_refused(tmp_path, registry):
    import zipfile

    path = write_xlsx(tmp_path / "bomb.xlsx", [["区域", "新增发明专利"], ["壶山镇", 3]], "Sheet1")
    with zipfile.ZipFile(path, "a") as archive:  # 50 MB of padding that compresses to almost nothing
        archive.writestr("xl/sharedStrings2.xml", b" " * (50 * 2**20), compress_type=zipfile.ZIP_DEFLATED)
    with pytest.raises(InputError, match="工作簿过大") as caught:
        read_submission(path, registry)
    assert "sharedStrings2.xml" in caught.value.problem


def test_a_compound_file_named_xlsx_is_read_as_one_and_a_broken_one_refused_clearly(tmp_path, registry):
    rows = [["时期", "2026-03"], ["区域", "新增发明专利（件）"], ["壶山镇", 3]]
    renamed = write_xls(tmp_path / "saved_as_xls.xlsx", rows, "Sheet1")  # an .xls given the .xlsx name
    assert values_of(renamed, registry) == {("壶山镇", "new_invention_patents"): 3}
    broken = tmp_path / "locked.xlsx"  # Excel saves an encrypted .xlsx as a compound file too
    broken.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)
    with pytest.raises(InputError) as caught:
        read_submission(broken, registry)
    assert "无法读取该表格文件" in caught.value.problem and caught.value.file == broken


def test_a_hostile_file_name_is_text_in_the_ingest_page_and_in_the_status_csv(tmp_path, registry):
    from kpi.outputs.input_tables import progress_summary
    from kpi.store.returns import write_status

    name = '<img src=x onerror="alert(1)">.csv'
    progress = pd.DataFrame({"period": ["2026-03"], "source": [name]})
    sentence = progress_summary(progress, pd.DataFrame(columns=["period", "region"]))
    assert "<img" not in sentence and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.csv" in sentence
    config = store_config(tmp_path)
    path = tmp_path / "=HYPERLINK(1).csv"
    path.write_text("时期,2026-03\n区域,新增发明专利\n壶山镇,3\n", "utf-8")
    result = collect(config, registry, [path], "2026-03", now=NOW)
    written = write_status(result.status, "2026-03", tmp_path / "out")
    cells = pd.read_csv(written, encoding="utf-8-sig", dtype=str)["来源文件"].dropna().tolist()
    assert cells == ["'=HYPERLINK(1).csv"]  # shown as text by Excel, never run as a formula


def test_values_past_any_countys_scale_are_held_or_refused(tmp_path, registry):
    from kpi.inputs.progress_input import read_progress

    incoming = pd.DataFrame(
        {
            "period": "2026-03",
            "region": ["壶山镇", "新建镇"],
            "indicator_id": "new_invention_patents",
            "value": [1.7e308, 3.0],
            "flag": "",
        }
    )
    checked = check_values(incoming, incoming.iloc[:0], pd.DataFrame(), registry)
    assert "超过上限" in checked["hold_reason"].iloc[0] and checked["hold_reason"].iloc[1] == ""
    bulk = tmp_path / "bulk.csv"
    bulk.write_text("period,region,indicator_id,value\n2026-03,壶山镇,new_invention_patents,1e15\n", "utf-8")
    with pytest.raises(InputError, match="1e\\+12"):  # a bulk source is refused: its sum could overflow
        read_progress(bulk, registry)


def test_a_held_value_replaced_by_two_files_in_one_run_is_logged_once(tmp_path, registry):
    config, inbox = _slip_case(tmp_path)
    collect(config, registry, [inbox / "二月.csv"], "2026-02", now=NOW)
    collect(config, registry, [inbox / "三月.csv"], "2026-03", now=NOW)  # 9200: held
    fixes = []
    for name, value in (("甲.csv", "0.9"), ("乙.csv", "0.95")):
        fixes.append(tmp_path / name)
        fixes[-1].write_text(f"时期,2026-03\n区域,规上工业企业研发费用（亿元）\n壶山镇,{value}\n", "utf-8")
    result = collect(config, registry, fixes, "2026-03", now=NOW)
    assert result.new_values == 1 and len(result.corrections) == 1  # 0.9, then 0.95 over it
    log = pd.read_csv(config.store_held, dtype=str)
    assert log[["status", "resolution"]].values.tolist() == [["已更正", "新文件 乙.csv"]]


def test_a_name_as_close_to_two_regions_suggests_neither_alone(registry):
    assert registry.suggest_region("东放镇") is None  # 东方镇 and 东渡镇 are equally close
    fix = registry.region_fix("东放镇")
    assert "可能是“东渡镇”或“东方镇”" in fix and "kpi alias 东放镇 区域名称" in fix
