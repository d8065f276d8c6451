"""A quarter of returns made the way township offices make them (2023 Q3, the plan's real 2023 annex as
targets): their own vertical sheets with 填报人 and 填报日期 lines, a header in 万元 where the registry keeps
亿元, a 单位 row, an old .xls, a WPS .et, an .ods, a CSV from another system with a 单位 column, a long
official region name, a misspelt one, a growth rate written as a fraction, a ×10⁴ unit slip with no unit
anywhere, a broken file, an office lock file, a late form, a correction and a form for the wrong month.

Everything runs through the ``kpi`` command as a county analyst runs it, following each printed fix
literally. September's 晾晒表 must equal the table worked out by hand below."""

import csv
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pandas as pd
import pytest

from kpi.core import paths
from tests.support import ANNEX_INDICATOR_IDS as IDS
from tests.support import run_kpi, write_config, write_xls, write_xlsx

pytestmark = pytest.mark.integration
REGIONS = ["五云街道", "丽水高新区", "壶山镇", "新建镇", "东渡镇", "舒洪镇", "东方镇", "丽缙高新区"]
NAMES = [
    "规上工业企业研发费用",
    "高新技术产业增加值",
    "高新技术产业投资增长",
    "新增高新技术企业数",
    "新增省科技型中小企业",
    "新增发明专利",
    "新增质押渠道高价值发明专利",
]
UNITS = ["亿元", "亿元", "%", "家", "家", "件", "件"]
# Year-to-date values per region (REGIONS order), indicator (IDS order), month: July, August, September.
VALUES = {
    7: [
        [0.022, 0.12, 14, 0, 1, 2, 2],
        [3.6, 14.0, 18, 12, 9, 32, 18],
        [1.9, 7.0, 11, 6, 16, 21, 15],
        [0.32, 0.77, 13, 0, 2, 3, 1],
        [0.15, 0.63, 10, 1, 1, 4, 1],
        [0.25, 0.79, 16, 1, 2, 2, 2],
        [0.22, 0.9, 25, 0, 0, 1, 1],
        [2.1, 9.8, 14, 6, 12, 21, 12],
    ],
    8: [
        [0.026, 0.14, 15, 1, 2, 3, 2],
        [4.2, 16.0, 19, 15, 11, 37, 21],
        [2.2, 8.0, 12, 8, 19, 24, 18],
        [0.37, 0.88, 14, 1, 2, 3, 2],
        [0.17, 0.72, 11, 1, 2, 4, 1],
        [0.29, 0.9, 17, 2, 2, 3, 2],
        [0.26, 1.03, 28, 1, 1, 2, 1],
        [2.4, 11.2, 15, 7, 15, 24, 14],
    ],
    9: [
        [0.03, 0.161, 16, 1, 2, 3, 3],
        [4.848, 18.32, 20, 18, 13, 42, 24],
        [2.556, 9.15, 12.5, 9, 22, 27, 20],
        [0.424, 0.999, 15, 1, 3, 4, 2],
        [0.195, 0.812, 10, 2, 2, 5, 1],
        [0.336, 1.016, 18, 2, 3, 3, 3],
        [0.3, 1.168, 30, 1, 1, 2, 1],
        [2.712, 12.72, 15.6, 8, 17, 27, 16],
    ],
}
COUNTY_GROWTH = {7: 12, 8: 13, 9: 14}


def v(region: str, indicator: str, month: int) -> float:
    return VALUES[month][REGIONS.index(region)][IDS.index(indicator)]


# ---------------------------------------------------------------- files as offices make them
def write_ods(path: Path, rows: list[list], title: str) -> Path:
    """A minimal OpenDocument spreadsheet (what LibreOffice and WPS write as ``.ods``)."""

    def cell(value):
        if value is None:
            return "<table:table-cell/>"
        if isinstance(value, (int, float)):
            return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
        return f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(map(cell, row)) + "</table:table-row>" for row in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="{title}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", manifest)
    return path


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def vertical_rows(region_line: str, title: str, month: int, region: str, unit_of=None) -> list[list]:
    """A township's own one-region sheet: title, 填报单位 and 填报日期 lines, 序号/指标/单位/本月累计/备注,
    a 填报人 line under the table. ``unit_of``: the unit each row is written in (default the registry's)."""
    units = unit_of or UNITS
    factor = {"万元": 1e4, "亿元": 1, "%": 1, "家": 1, "件": 1}
    rows = [
        [title],
        [region_line, None, None, f"填报日期：2023年{month + 1}月3日"],
        ["序号", "指标", "单位", "1-{}月累计".format(month), "备注"],
    ]
    rows.append([None, "一、科技投入", None, None, None])  # a section heading, no value
    for number, (name, unit, indicator) in enumerate(zip(NAMES, units, IDS), start=1):
        rows.append([number, name, unit, round(v(region, indicator, month) * factor[unit], 6), ""])
    rows += [[None], ["填报人：李明", None, "联系电话：0578-3123456", "审核人：王芳"]]
    return rows


def fill_form(project: Path, period: str, region: str, out: Path, values: dict) -> Path:
    """The project's own form for ``region`` (``kpi template``), filled in as a clerk would."""
    workbook = openpyxl.load_workbook(project / "reports" / "forms" / period / f"报送表_{period}_{region}.xlsx")
    sheet = workbook.active
    for column, header in enumerate(sheet[4], start=1):
        name = str(header.value or "").split("（")[0]
        if name in NAMES:
            sheet.cell(5, column, values.get(IDS[NAMES.index(name)]))
    out.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(out)
    return out


def region_values(region: str, month: int) -> dict:
    return {i: v(region, i, month) for i in IDS}


def kpi(project: Path, *args, expect: int = 0):
    result = run_kpi(*args, cwd=project)
    assert result.returncode == expect, (args, result.stdout[-3000:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr
    return result


def last_fix_command(stderr: str, marker: str) -> list[str]:
    """The ``kpi …`` command a printed fix names after ``marker``, split as a shell would."""
    import shlex

    line = next(line for line in stderr.splitlines() if marker in line)
    command = line[line.index(marker) + len(marker) :].split("；")[0]
    return shlex.split(command)[1:]  # without the leading "kpi"


# ---------------------------------------------------------------- the quarter
@pytest.fixture(scope="module")
def quarter(tmp_path_factory):
    project = tmp_path_factory.mktemp("county")
    write_config(
        project, progress=[project / "store" / "progress.csv"], annex=[paths.RAW / "annex_2023.csv"], county_annual=[]
    )
    inbox = project / "inbox"
    log = {}
    for month in (7, 8, 9):
        kpi(project, "template", "--period", f"2023-{month:02d}")

    # July: the project's forms, 壶山镇's own vertical sheet in 万元, 丽水高新区's CSV under its long official name
    july = inbox / "2023-07"
    for region in ("五云街道", "新建镇", "东渡镇", "舒洪镇", "东方镇", "丽缙高新区"):
        fill_form(project, "2023-07", region, july / f"{region}7月.xlsx", region_values(region, 7))
    fill_form(project, "2023-07", "全县", july / "全县7月.xlsx", {"hitech_investment_growth": COUNTY_GROWTH[7]})
    units = ["万元", "万元", "%", "家", "家", "件", "件"]
    write_xlsx(
        july / "壶山镇科技指标.xlsx",
        vertical_rows("填报单位：壶山镇人民政府", "缙云县壶山镇2023年7月科技创新指标完成情况", 7, "壶山镇", units),
        "7月",
    )
    header = ["区域", "规上工业企业研发费用（万元）", "高新技术产业增加值（万元）", "高新技术产业投资增长(%)"]
    header += [f"{n}（{u}）" for n, u in zip(NAMES[3:], UNITS[3:])]
    hitech_row = [round(v("丽水高新区", i, 7) * (1e4 if k < 2 else 1), 4) for k, i in enumerate(IDS)]
    write_csv(
        july / "高新区报表.csv", [["2023年7月科技指标报表"], header, ["丽水高新技术产业园区", *hitech_row]], "gb18030"
    )
    (july / "~$全县7月.xlsx").write_bytes(b"lock")
    (july / "说明.docx").write_bytes(b"PK")
    log["july"] = kpi(project, "collect", str(july), "--period", "2023-07", expect=2)
    alias = last_fix_command(log["july"].stderr, "登记别名后重新收集：")
    log["alias"] = kpi(project, *alias)
    log["july_again"] = kpi(project, "collect", str(july), "--period", "2023-07")

    # August: 新建镇's .xls, 东渡镇's .et with a 单位 row, a long CSV with a 单位 column for five regions,
    # 舒洪镇 misspelt, a broken file, 全县's growth written as a fraction
    august = inbox / "2023-08"
    xinjian = vertical_rows("填报单位：新建镇", "新建镇科技创新指标月报", 8, "新建镇")
    write_xls(august / "新建镇.xls", xinjian, "8月")
    dongdu = [["东渡镇 2023年8月 科技指标"], ["区域", *NAMES], ["单位", "万元", "万元", "%", "家", "家", "件", "件"]]
    dongdu.append(["东渡镇", *[v("东渡镇", i, 8) * (1e4 if k < 2 else 1) for k, i in enumerate(IDS)]])
    dongdu.append(["填报人：赵六"])
    write_xls(august / "东渡镇.et", dongdu, "Sheet1")
    long_rows = [["时期", "区域", "指标", "单位", "数值"]]
    for region in ("五云街道", "丽水高新区", "壶山镇", "东方镇", "丽缙高新区"):
        for name, unit, indicator in zip(NAMES, UNITS, IDS):
            long_rows.append(["2023年8月", region, name, unit, v(region, indicator, 8)])
    write_csv(august / "统计系统导出.csv", long_rows, "utf-8-sig")
    shuhong = [["时期", "2023-08"], ["区域", *[f"{n}({u})" for n, u in zip(NAMES, UNITS)]]]
    write_csv(august / "舒洪.csv", [*shuhong, ["舒红镇", *[v("舒洪镇", i, 8) for i in IDS]]])
    (august / "损坏的表.xlsx").write_bytes(b"not a workbook")
    write_csv(
        august / "全县.csv", [["时期", "区域", "指标", "数值"], ["2023-08", "全县", "高新技术产业投资增长", 0.13]]
    )
    log["august"] = kpi(project, "collect", str(august), "--period", "2023-08", expect=2)
    late = inbox / "2023-08-resent"
    write_csv(late / "舒洪镇（更正）.csv", [*shuhong, ["舒洪镇", *[v("舒洪镇", i, 8) for i in IDS]]])
    write_csv(
        late / "全县（更正）.csv",
        [["时期", "区域", "指标", "数值"], ["2023-08", "全县", "高新技术产业投资增长", "13%"]],
    )
    log["august_resent"] = kpi(project, "collect", str(late), "--period", "2023-08")

    # September: forms, 五云街道's .ods, 丽缙高新区's R&D typed as 27120 (万元 into the 亿元 column, no unit
    # anywhere), 东方镇's August form sent again by mistake, 壶山镇's correction, 东方镇 late
    september = inbox / "2023-09"
    for region in ("丽水高新区", "新建镇", "东渡镇", "舒洪镇"):
        fill_form(project, "2023-09", region, september / f"{region}.xlsx", region_values(region, 9))
    fill_form(project, "2023-09", "全县", september / "全县.xlsx", {"hitech_investment_growth": COUNTY_GROWTH[9]})
    first_hushan = region_values("壶山镇", 9) | {"new_invention_patents": 26}
    fill_form(project, "2023-09", "壶山镇", september / "壶山镇.xlsx", first_hushan)
    slip = region_values("丽缙高新区", 9) | {"rd_expense_above_scale": 27120}
    fill_form(project, "2023-09", "丽缙高新区", september / "丽缙高新区.xlsx", slip)
    wuyun = [["五云街道 2023年9月"], ["区域", *[f"{n}（{u}）" for n, u in zip(NAMES, UNITS)]]]
    write_ods(september / "五云街道.ods", [*wuyun, ["五云街道", *[v("五云街道", i, 9) for i in IDS]]], "9月")
    fill_form(project, "2023-08", "东方镇", september / "东方镇（8月）.xlsx", region_values("东方镇", 8))
    log["september"] = kpi(project, "collect", str(september), "--period", "2023-09", expect=2)
    log["wrong_month_fix"] = kpi(project, *last_fix_command(log["september"].stderr, "单独收集："))
    log["board_before_late"] = kpi(project, "leaderboard", "--period", "2023-09")
    late = inbox / "2023-09-late"
    fill_form(project, "2023-09", "东方镇", late / "东方镇.xlsx", region_values("东方镇", 9))
    fill_form(project, "2023-09", "壶山镇", late / "壶山镇（更正）.xlsx", region_values("壶山镇", 9))
    fixed = region_values("丽缙高新区", 9)
    fill_form(project, "2023-09", "丽缙高新区", late / "丽缙高新区（更正）.xlsx", fixed)
    log["september_late"] = kpi(project, "collect", str(late), "--period", "2023-09")
    log["board"] = kpi(project, "leaderboard", "--period", "2023-09")
    board = pd.read_csv(project / "reports" / "monthly" / "2023-09" / "leaderboard_2023-09.csv", encoding="utf-8-sig")
    return project, log, board


def test_every_file_is_accounted_for_and_every_refusal_names_its_fix(quarter):
    project, log, _ = quarter
    july = log["july"]
    assert "忽略 2 个文件" in july.stdout and "~$全县7月.xlsx" in july.stdout and "说明.docx" in july.stdout
    assert "高新区报表.csv" in july.stderr and "最接近的是“丽水高新区”" in july.stderr
    assert "读取 9 个文件" in log["july_again"].stdout  # 7 forms, 壶山镇's sheet and the CSV, under its alias now
    august = log["august"].stderr
    assert "拒收 2 个文件" in august and "舒红镇" in august and "损坏的表.xlsx" in august  # both in one run
    assert "最接近的是“舒洪镇”" in august
    september = log["september"].stderr
    assert "这是 2023-08 的报送表，不是 2023-09" in september and "--period 2023-08" in september
    # the printed fix, followed literally, files that form under its own month: the same August values
    assert "新增 0 个数值，更正 0 个，相同 7 个" in log["wrong_month_fix"].stdout
    store = pd.read_csv(project / "store" / "progress.csv", dtype=str)
    assert not (
        (store["period"] == "2023-09") & (store["region"] == "东方镇") & (store["source_file"] == "东方镇（8月）.xlsx")
    ).any()


def test_units_layouts_and_furniture_are_read_right(quarter):
    project, _, _ = quarter
    store = pd.read_csv(project / "store" / "progress.csv", dtype={"period": str})
    value = store.set_index(["period", "region", "indicator_id"])["value"]
    for month in (7, 8):
        for region in REGIONS:
            for indicator in IDS:
                assert value[(f"2023-{month:02d}", region, indicator)] == pytest.approx(v(region, indicator, month)), (
                    month,
                    region,
                    indicator,
                )
    hushan = store[(store["period"] == "2023-07") & (store["region"] == "壶山镇")]
    assert set(hushan["source_file"]) == {"壶山镇科技指标.xlsx"} and len(hushan) == 7  # the 填报人 line is no region
    assert value[("2023-08", "全县", "hitech_investment_growth")] == 13  # the fraction was held, the resent 13% stored


def test_held_values_wait_for_a_person_and_the_log_says_what_became_of_them(quarter):
    project, log, _ = quarter
    assert "暂缓 1 个" in log["august"].stdout and "全县.csv:D2" in log["august"].stdout
    held = log["september"].stdout
    assert "丽缙高新区.xlsx:" in held and "疑似单位错误" in held and "可能应为 / likely 2.712" in held
    log_table = pd.read_csv(project / "store" / "held.csv", dtype=str)
    statuses = dict(zip(log_table["source_file"], log_table["status"]))
    assert statuses == {"全县.csv": "已更正", "丽缙高新区.xlsx": "已更正"}
    assert set(log_table["resolution"]) == {"新文件 全县（更正）.csv", "新文件 丽缙高新区（更正）.xlsx"}
    assert set(log_table["value"]) == {"0.13", "27120"}
    store = pd.read_csv(project / "store" / "progress.csv")
    assert store["value"].max() < 1000 and 0.13 not in set(store["value"])  # never stored, so never published


def test_corrections_are_logged(quarter):
    project, log, _ = quarter
    corrections = pd.read_csv(project / "store" / "corrections.csv", dtype=str)
    hushan = corrections[corrections["key"] == "2023-09 壶山镇 new_invention_patents"].iloc[0]
    assert (hushan["old_value"], hushan["new_value"]) == ("26", "27")
    assert "壶山镇（更正）.xlsx" in hushan["new_source"]


# September, worked out by hand: completion = year-to-date value ÷ the 2023 annex target; growth against
# its 15 % target (达标 at ≥ 15); 序时 = 9/12 = 75 %, 基本序时 down to 70 %; ranks highest first, ties share.
COMPLETION = {  # REGIONS order; growth is the growth itself
    "rd_expense_above_scale": [
        0.03 / 0.04,
        4.848 / 6.06,
        2.556 / 4.26,
        0.424 / 0.53,
        0.195 / 0.26,
        0.336 / 0.42,
        0.3 / 0.48,
        2.712 / 3.39,
    ],
    "hitech_value_added": [
        0.161 / 0.23,
        18.32 / 22.9,
        9.15 / 12.2,
        0.999 / 1.11,
        0.812 / 1.16,
        1.016 / 1.27,
        1.168 / 1.46,
        12.72 / 15.9,
    ],
    "new_hitech_enterprises": [1 / 1, 18 / 18, 9 / 10, 1 / 2, 2 / 2, 2 / 2, 1 / 2, 8 / 10],
    "new_sme_tech": [2 / 3, 13 / 26, 22 / 22, 3 / 3, 2 / 3, 3 / 3, 1 / 3, 17 / 17],
    "new_invention_patents": [3 / 4, 42 / 42, 27 / 36, 4 / 5, 5 / 5, 3 / 4, 2 / 5, 27 / 27],
    "new_pledge_hv_patents": [3 / 3, 24 / 30, 20 / 25, 2 / 3, 1 / 3, 3 / 3, 1 / 3, 16 / 20],
}
STATUS = {
    "rd_expense_above_scale": "超 超 滞 超 超 超 滞 超",
    "hitech_value_added": "基 超 超 超 基 超 超 超",
    "hitech_investment_growth": "达 达 未 达 未 达 达 达",
    "new_hitech_enterprises": "超 超 超 滞 超 超 滞 超",
    "new_sme_tech": "滞 滞 超 超 滞 超 滞 超",
    "new_invention_patents": "超 超 超 超 超 超 滞 超",
    "new_pledge_hv_patents": "超 超 超 滞 滞 超 滞 超",
    "composite": "超 超 超 超 滞 超 滞 超",
}
WORDS = {"超": "超序时", "基": "基本序时", "滞": "滞后", "达": "达标", "未": "未达标"}
RANK = {
    "rd_expense_above_scale": [5, 1, 8, 1, 5, 1, 7, 1],
    "hitech_value_added": [7, 2, 6, 1, 7, 2, 2, 2],
    "hitech_investment_growth": [4, 2, 7, 6, 8, 3, 1, 5],
    "new_hitech_enterprises": [1, 1, 5, 7, 1, 1, 7, 6],
    "new_sme_tech": [5, 7, 1, 1, 5, 1, 8, 1],
    "new_invention_patents": [5, 1, 5, 4, 1, 5, 8, 1],
    "new_pledge_hv_patents": [1, 3, 3, 6, 7, 1, 7, 3],
    "composite": [4, 3, 6, 5, 7, 1, 8, 2],
}
GROWTH = [16, 20, 12.5, 15, 10, 18, 30, 15.6]
COMPOSITE = [  # the mean of the seven completions, each within 0–150 %, growth as growth ÷ 15
    (0.75 + 0.7 + 16 / 15 + 1 + 2 / 3 + 0.75 + 1) / 7,
    (0.8 + 0.8 + 20 / 15 + 1 + 0.5 + 1 + 0.8) / 7,
    (0.6 + 0.75 + 12.5 / 15 + 0.9 + 1 + 0.75 + 0.8) / 7,
    (0.8 + 0.9 + 15 / 15 + 0.5 + 1 + 0.8 + 2 / 3) / 7,
    (0.75 + 0.7 + 10 / 15 + 1 + 2 / 3 + 1 + 1 / 3) / 7,
    (0.8 + 0.8 + 18 / 15 + 1 + 1 + 0.75 + 1) / 7,
    (0.625 + 0.8 + 1.5 + 0.5 + 1 / 3 + 0.4 + 1 / 3) / 7,  # 30 % growth counts 150 %, the cap
    (0.8 + 0.8 + 15.6 / 15 + 0.8 + 1 + 1 + 0.8) / 7,
]


def test_september_board_equals_the_hand_worked_table(quarter):
    _, _, board = quarter
    regional = board[board["region"] != "全县"].set_index(["indicator_id", "region"])
    for indicator in [*IDS, "composite"]:
        rows = regional.loc[indicator].reindex(REGIONS)
        assert rows["status"].tolist() == [WORDS[w] for w in STATUS[indicator].split()], indicator
        assert rows["rank"].astype(int).tolist() == RANK[indicator], indicator
        if indicator == "hitech_investment_growth":
            assert rows["actual"].tolist() == pytest.approx(GROWTH)
        elif indicator == "composite":
            assert rows["completion_rate"].tolist() == pytest.approx(COMPOSITE, abs=1e-6)
            assert rows["time_share"].tolist() == pytest.approx([(6 * 0.75 + 1) / 7] * 8)
        else:
            assert rows["completion_rate"].tolist() == pytest.approx(COMPLETION[indicator], abs=1e-6), indicator
    county = board[board["region"] == "全县"].set_index("indicator_id")
    assert (
        county.loc["hitech_investment_growth", "actual"] == 14
        and county.loc["hitech_investment_growth", "status"] == "未达标"
    )
    sums = {
        "rd_expense_above_scale": 11.401 / 15.44,
        "hitech_value_added": 44.346 / 56.23,
        "new_hitech_enterprises": 42 / 47,
        "new_sme_tech": 63 / 80,
        "new_invention_patents": 113 / 128,
        "new_pledge_hv_patents": 70 / 90,
    }
    for indicator, completion in sums.items():
        assert county.loc[indicator, "completion_rate"] == pytest.approx(completion, abs=1e-6), indicator
