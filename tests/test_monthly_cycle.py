"""One real monthly cycle, end to end, on a temporary copy of the project with NO example data:
templates → eight returned forms (one late, one corrected in a second file) → collect → the
monthly 晾晒表 → two months later the quarter's reports. Every number must trace to a form."""

import json
import re
import shutil
from pathlib import Path

import nbformat
import openpyxl
import pandas as pd
import pytest

from kpi.core import paths
from kpi.metadata.registry import Registry
from tests.support import ANNEX_INDICATOR_IDS as INDICATORS
from tests.support import run_kpi

pytestmark = pytest.mark.integration
REGIONS = ["五云街道", "丽水高新区", "壶山镇", "新建镇", "东渡镇", "舒洪镇", "东方镇", "丽缙高新区"]

REAL_CONFIG = """[county]
name = "缙云县"
organisation = "缙云县科技局"

[data]
registry = "data/raw"
store = "data/county"
annex = ["data/raw/annex_2023.csv", "data/county/annex"]
progress = ["data/county/progress.csv"]
county_annual = ["data/county/county_annual.csv"]

[output]
processed = "data/processed"
reports = "reports"
"""


def kpi(project: Path, *args):
    """``kpi`` run in the project's folder, as the README's monthly cycle runs it."""
    return run_kpi(*args, cwd=project)


def value_for(region: str, indicator: str, month: int) -> float:
    """The year-to-date value this test's townships report: worked out here, traced below."""
    r, i = REGIONS.index(region) + 1, INDICATORS.index(indicator) + 1
    if indicator == "hitech_investment_growth":
        return round(10 + r - i / 10, 1)  # growth, %: any sign allowed
    if indicator in ("rd_expense_above_scale", "hitech_value_added"):
        return round(0.05 * r * i * month, 2)  # 亿元, year to date
    return float(r + i) * month  # counts, year to date


def fill(form: Path, out: Path, month: int, override: dict | None = None) -> Path:
    """Fill a template as a township clerk would: the white cells under each indicator header."""
    workbook = openpyxl.load_workbook(form)
    sheet = workbook.active
    header = [c.value for c in sheet[4]]
    registry = Registry.load(paths.RAW)
    for row in range(5, sheet.max_row + 1):
        region = sheet.cell(row, 1).value
        for column, label in enumerate(header, start=1):
            if column == 1 or not label or "参考" in label:
                continue
            indicator = registry.resolve_indicator(label)
            if region == "全县":  # the county reports only what does not sum: the growth rate
                value = 12.5 if indicator == "hitech_investment_growth" else None
            else:
                value = (override or {}).get((region, indicator), value_for(region, indicator, month))
            sheet.cell(row, column, value)
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    project = tmp_path_factory.mktemp("county")
    shutil.copytree(paths.RAW, project / "data" / "raw")
    (project / "kpi.toml").write_text(REAL_CONFIG, encoding="utf-8")
    annex_2026 = project / "incoming" / "2026年晾晒表.csv"  # the county's 2026 targets (here: 2023's, retitled)
    annex_2026.parent.mkdir()
    annex_2026.write_text(
        (paths.RAW / "annex_2023.csv").read_text(encoding="utf-8").replace("2023年", "2026年", 1), encoding="utf-8"
    )
    steps = {
        "annex": kpi(project, "import-annex", str(annex_2026), "--year", "2026"),
        "template": kpi(project, "template", "--period", "2026-01"),
    }
    forms = project / "reports" / "forms" / "2026-01"
    inbox = project / "inbox" / "2026-01"
    for region in ["全县", *[r for r in REGIONS if r != "东渡镇"]]:  # 东渡镇 is late
        fill(forms / f"报送表_2026-01_{region}.xlsx", inbox / f"{region}.xlsx", 1)
    steps["collect"] = kpi(project, "collect", str(inbox), "--period", "2026-01")
    steps["leaderboard_early"] = kpi(project, "leaderboard", "--period", "2026-01")
    late = fill(forms / "报送表_2026-01_东渡镇.xlsx", project / "late" / "东渡镇.xlsx", 1)
    steps["collect_late"] = kpi(project, "collect", str(late), "--period", "2026-01")
    correction = fill(
        forms / "报送表_2026-01_壶山镇.xlsx",
        project / "late" / "壶山镇（更正）.xlsx",
        1,
        override={("壶山镇", "new_sme_tech"): 9.0},
    )
    steps["collect_correction"] = kpi(project, "collect", str(correction), "--period", "2026-01")
    steps["wrong_period"] = kpi(project, "collect", str(correction), "--period", "2026-02")
    steps["no_quarter_end"] = kpi(project, "report", "--no-analysis")
    steps["leaderboard"] = kpi(project, "leaderboard", "--period", "2026-01")
    steps["leaderboard_year"] = kpi(project, "leaderboard", "--period", "2026")
    for year, stock, intensity in ((2022, 120, 2.5), (2025, 180, 2.9)):  # the base year and the latest
        steps[f"annual_template_{year}"] = kpi(project, "template", "--year", str(year))
        annual = openpyxl.load_workbook(project / "reports" / "forms" / f"{year}-annual" / f"年度数据表_{year}.xlsx")
        sheet = annual.active
        for row in range(5, sheet.max_row + 1):
            code = sheet.cell(row, 2).value
            if code == "hitech_enterprises_stock":
                sheet.cell(row, 8, stock)
                sheet.cell(row, 9, "科技局台账")
            elif code == "rd_intensity":
                sheet.cell(row, 8, intensity)
        annual.save(project / "inbox" / f"年度数据_{year}.xlsx")
        steps[f"collect_annual_{year}"] = kpi(
            project, "collect", str(project / "inbox" / f"年度数据_{year}.xlsx"), "--year", str(year)
        )
    for month in (2, 3):  # two months later: the quarter closes
        period = f"2026-{month:02d}"
        steps[f"template_{month}"] = kpi(project, "template", "--period", period)
        for region in REGIONS:
            fill(
                project / "reports" / "forms" / period / f"报送表_{period}_{region}.xlsx",
                project / "inbox" / period / f"{region}.xlsx",
                month,
            )
        steps[f"collect_{month}"] = kpi(project, "collect", str(project / "inbox" / period), "--period", period)
    steps["leaderboard_march"] = kpi(project, "leaderboard", "--period", "2026-03")
    steps["missing_annex"] = kpi(project, "report", "--year", "2027", "--quarter", "1")
    steps["report"] = kpi(project, "report", "--year", "2026", "--quarter", "1", "--jobs", "2")
    return project, steps


def test_every_step_succeeds(cycle):
    _, steps = cycle
    for name in (
        "annex",
        "template",
        "collect",
        "leaderboard_early",
        "collect_late",
        "collect_correction",
        "leaderboard",
        "leaderboard_year",
        "annual_template_2022",
        "collect_annual_2022",
        "annual_template_2025",
        "collect_annual_2025",
        "template_2",
        "collect_2",
        "template_3",
        "collect_3",
        "leaderboard_march",
        "report",
    ):
        assert steps[name].returncode == 0, (name, steps[name].stderr[-3000:])
        assert "Traceback" not in steps[name].stderr, name


def test_templates(cycle):
    project, _ = cycle
    forms = sorted(p.name for p in (project / "reports" / "forms" / "2026-01").iterdir())
    assert len(forms) == 10 and "报送表_2026-01_汇总.xlsx" in forms and "报送表_2026-01_壶山镇.xlsx" in forms
    sheet = openpyxl.load_workbook(project / "reports" / "forms" / "2026-03" / "报送表_2026-03_壶山镇.xlsx").active
    assert sheet["B3"].value == "2026-03" and sheet["D3"].value == "壶山镇" and sheet["A5"].value == "壶山镇"
    assert "填写说明" in sheet["A2"].value and sheet.protection.sheet
    assert sheet["B5"].protection.locked is False and sheet["A4"].protection.locked is not False
    assert sheet["C4"].value == "上期2026-02（参考）"
    assert sheet["C5"].value == value_for("壶山镇", "rd_expense_above_scale", 2)  # last month's value beside the cell
    rules = {str(v.sqref): (v.type, v.operator, v.formula1) for v in sheet.data_validations.dataValidation}
    assert rules["B5"] == ("decimal", "greaterThanOrEqual", "0")
    assert rules["F5"][0] == "decimal" and rules["F5"][1] == "between"  # growth: any sign


def test_submission_status_names_the_late_region_until_it_reports(cycle):
    project, steps = cycle
    assert "未报齐 / incomplete: 东渡镇" in steps["collect"].stdout
    line = next(x for x in steps["collect"].stdout.splitlines() if x.strip().startswith("东渡镇"))
    assert line.split()[:3] == ["东渡镇", "未报送", "0/7"]
    status = pd.read_csv(project / "reports" / "monthly" / "2026-01" / "报送情况_2026-01.csv", encoding="utf-8-sig")
    assert status.set_index("区域").loc["东渡镇", "状态"] == "已报送"  # written again after the late form
    assert "东渡镇" not in steps["collect_late"].stdout.split("未报齐 / incomplete:")[1].splitlines()[0]


def test_correction_is_logged_and_supersedes(cycle):
    project, steps = cycle
    log = pd.read_csv(project / "data" / "county" / "corrections.csv", dtype=str)
    assert len(log) == 1
    entry = log.iloc[0]
    assert entry["key"] == "2026-01 壶山镇 new_sme_tech" and entry["old_value"] == "8" and entry["new_value"] == "9"
    assert "壶山镇.xlsx" in entry["old_source"] and "壶山镇（更正）.xlsx" in entry["new_source"]
    assert "更正 / corrected: 2026-01 壶山镇 new_sme_tech: 8 → 9" in steps["collect_correction"].stdout
    received = sorted(p.name.split("_", 1)[1] for p in (project / "data" / "county" / "received" / "2026-01").iterdir())
    assert "壶山镇.xlsx" in received and "壶山镇（更正）.xlsx" in received  # nothing lost
    board = pd.read_csv(project / "reports" / "monthly" / "2026-01" / "leaderboard_2026-01.csv", encoding="utf-8-sig")
    cell = board[(board["region"] == "壶山镇") & (board["indicator_id"] == "new_sme_tech")].iloc[0]
    assert cell["actual"] == 9


def test_every_number_traces_to_a_form(cycle):
    project, _ = cycle
    store = pd.read_csv(project / "data" / "county" / "progress.csv", dtype={"period": str})
    received = project / "data" / "county" / "received"
    for row in store.itertuples():  # the kept copy of the form, found by its hash, holds the value at that cell
        kept = received / row.period / f"{row.source_sha256[:12]}_{row.source_file}"
        sheet = openpyxl.load_workbook(kept, data_only=True)[row.source_sheet]
        assert sheet[f"{row.source_column}{row.source_row}"].value == pytest.approx(row.value), row
    files = {p.name for p in project.rglob("*.xlsx") if "inbox" in p.parts or "late" in p.parts}
    processed = pd.read_parquet(project / "data" / "processed" / "progress.parquet")
    assert set(processed["source"]) <= set(files) and not processed["is_example"].any()
    board = pd.read_csv(project / "reports" / "monthly" / "2026-01" / "leaderboard_2026-01.csv", encoding="utf-8-sig")
    regional = board[(board["region"] != "全县") & (board["indicator_id"] != "composite")]
    for row in regional.itertuples():
        expected = (
            9.0
            if (row.region, row.indicator_id) == ("壶山镇", "new_sme_tech")
            else value_for(row.region, row.indicator_id, 1)
        )
        assert row.actual == pytest.approx(expected), row
    county = board[board["region"] == "全县"].set_index("indicator_id")
    assert county.loc["hitech_investment_growth", "actual"] == 12.5  # the county's own form
    assert county.loc["new_sme_tech", "actual"] == sum(value_for(r, "new_sme_tech", 1) for r in REGIONS) - 8 + 9


def test_monthly_leaderboard_and_rank_change(cycle):
    project, steps = cycle
    folder = project / "reports" / "monthly" / "2026-01"
    assert (folder / "晾晒表_2026-01.xlsx").exists() and (folder / "leaderboard_2026-01.csv").exists()
    assert "2026-01 综合排名" in steps["leaderboard"].stdout
    march = pd.read_csv(project / "reports" / "monthly" / "2026-03" / "leaderboard_2026-03.csv", encoding="utf-8-sig")
    changes = set(march["rank_change"].fillna(""))
    assert changes <= {"", "–"} | {f"{a}{n}" for a in "↑↓" for n in range(1, 8)} and changes & {"–"}
    january = pd.read_csv(folder / "leaderboard_2026-01.csv", encoding="utf-8-sig")
    assert january["rank_change"].isna().all()  # the first month of a year has nothing to compare with
    # with only January in the data, the whole year is just January
    assert "wrote" in steps["leaderboard_year"].stdout and "2026-02" not in steps["leaderboard_year"].stdout


def test_predictable_situations_exit_2_and_write_nothing(cycle):
    project, steps = cycle
    wrong = steps["wrong_period"]
    assert (
        wrong.returncode == 2
        and "这是 2026-01 的报送表，不是 2026-02" in wrong.stderr
        and "Traceback" not in wrong.stderr
    )
    assert not (project / "data" / "county" / "received" / "2026-02" / "壶山镇（更正）.xlsx").exists()
    early = steps["no_quarter_end"]
    assert early.returncode == 2 and "还没有季末月份" in early.stderr and "kpi leaderboard" in early.stderr
    missing = steps["missing_annex"]
    assert missing.returncode == 2 and "没有 2027 年的晾晒表指标" in missing.stderr
    assert "kpi import-annex" in missing.stderr and "--year 2027" in missing.stderr
    assert not (project / "reports" / "2027-Q1").exists()


def test_quarterly_reports_on_real_data(cycle):
    project, _ = cycle
    out = project / "reports" / "2026-Q1"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("季度报告</a>") == 9
    texts = [index, *(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))]
    for text in texts:  # what a reader sees: the page without its style sheets and scripts
        visible = re.sub(r"<(style|script)\b.*?</\1>", "", text, flags=re.S | re.I)
        assert "示例" not in visible and "example" not in visible.lower(), visible[:300]
    for notebook in out.rglob("*.ipynb"):
        outputs = json.dumps(
            [c.get("outputs", []) for c in nbformat.read(notebook, as_version=4).cells], ensure_ascii=False
        )
        assert "示例" not in outputs, notebook.name
        assert '"output_type": "error"' not in outputs, notebook.name
    workbook = openpyxl.load_workbook(out / "晾晒表_2026-03.xlsx")
    assert not any("示例" in str(c.value) for row in workbook.active.iter_rows() for c in row if c.value)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["example_data"] is False
    assert {i["file"] for i in manifest["inputs"]} >= {"progress.csv", "county_annual.csv", "annex_2026.csv"}
    county = (out / "county.html").read_text(encoding="utf-8")
    assert "高新技术企业（累计）" in county  # the annual figure entered through the annual form
    ingest = (out / "analysis" / "01_ingest.html").read_text(encoding="utf-8")
    assert "progress.csv" in ingest and "progress_example" not in ingest
