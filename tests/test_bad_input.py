"""The catalogue of real-world mess (docs/bad_input.md): each input either parses correctly or raises the
project's own InputError naming file, row, column and value with a fix; the CLI prints that one message
and exits 2. Every case id here has a row in docs/bad_input.md and vice versa."""

import datetime as dt
import re
import warnings

import openpyxl
import pytest

from kpi.cli import main as cli
from kpi.core import paths
from kpi.core.errors import InputError
from kpi.inputs.annex import read_annex
from kpi.inputs.progress_input import read_progress
from kpi.inputs.ytd_falls import DataQualityWarning
from tests.support import write_config

ANNEX = (paths.RAW / "annex_2023.csv").read_text(encoding="utf-8")
HEADER = "period,region,indicator_id,value\n"


def annex_csv(tmp, text=ANNEX, encoding="utf-8", name="annex_2023.csv"):
    path = tmp / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def progress_csv(tmp, body, header=HEADER, encoding="utf-8"):
    path = tmp / "progress.csv"
    path.write_bytes((header + body).encode(encoding))
    return path


def annex_xlsx(tmp, edit=None, sheets=None):
    rows = [r.split(",") for r in ANNEX.splitlines()]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append([None if c == "" else c for c in row])
    if edit:
        edit(workbook, sheet)
    path = tmp / "annex_2023.xlsx"
    workbook.save(path)
    return path


def progress_xlsx(tmp, rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["时期", "区域", "指标", "数值"])
    for row in rows:
        sheet.append(list(row))
    path = tmp / "progress.xlsx"
    workbook.save(path)
    return path


def replace(old, new, count=1):
    assert old in ANNEX, old
    return ANNEX.replace(old, new, count)


# ---- builders for the xlsx cases
def _formula(workbook, sheet):
    sheet["C4"] = "=C5+C6"  # openpyxl stores no cached value, like a file written by a script


def _hidden_conflict(workbook, sheet):
    sheet.insert_rows(6)
    for column, value in enumerate(["2", "丽水高新区", "9.99"], start=1):
        sheet.cell(6, column, value)
    sheet.row_dimensions[6].hidden = True


def _hidden_sheet(workbook, sheet):
    scratch = workbook.create_sheet("草稿")
    scratch.append(["序号", "区域", "新增发明专利（件）"])
    scratch.append(["", "", "指标"])
    scratch.append([1, "火星镇", 99])
    scratch.sheet_state = "hidden"


def _merged(workbook, sheet):
    sheet.merge_cells("C2:E2")
    sheet.merge_cells("A2:A3")


def _two_sheets(workbook, sheet):
    second = workbook.create_sheet("企业与专利")
    for row in list(sheet.iter_rows(min_row=14, values_only=True)):
        second.append(row)
    sheet.delete_rows(13, 20)


def _no_annex_sheet(workbook, sheet):
    workbook.remove(sheet)
    workbook.create_sheet("汇总").append(["说明", "本表无数据"])


def _truncated_xlsx(tmp):
    """A progress workbook whose sheet XML was cut off halfway (a copy interrupted, a mail gateway)."""
    import zipfile

    whole = progress_xlsx(tmp, [("2023-09", "东方镇", "new_sme_tech", 3)])
    cut = tmp / "cut.xlsx"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: len(data) // 2] if item.filename.startswith("xl/worksheets/") else data)
    return cut


def _password_xlsx(tmp):
    """A progress workbook saved with a password to open it (encrypted as Excel does: an OLE file)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = progress_xlsx(tmp, [("2023-09", "东方镇", "new_sme_tech", 3)])
    locked = tmp / "locked.xlsx"
    with open(plain, "rb") as source, open(locked, "wb") as target:
        OOXMLFile(source).encrypt("139", target)
    return locked


def _binary_parquet(tmp):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp / "progress.parquet"
    table = {"period": ["2023-09"], "region": ["东方镇"], "indicator_id": ["new_sme_tech"]}
    pq.write_table(pa.table({**table, "value": pa.array([b"\x00\x03"], pa.binary())}), path)
    return path


def _sparse(tmp, size):
    path = tmp / "progress.csv"
    with open(path, "wb") as handle:  # a hole: no disk used
        handle.write(HEADER.encode())
        handle.truncate(size)
    return path


# id → (description, build(tmp) → path, reader, expected): expected is "ok", ("ok", check) or
# ("error", message fragment, row, column)
CASES = {
    "file-missing": ("文件不存在", lambda t: t / "nope.csv", "annex", ("error", "文件不存在", None, None)),
    "file-empty": ("空文件", lambda t: annex_csv(t, b""), "annex", ("error", "文件为空", None, None)),
    "file-pdf-as-xlsx": (
        "PDF 改名为 .xlsx",
        lambda t: annex_csv(t, b"%PDF-1.7\n...", name="annex_2023.xlsx"),
        "annex",
        ("error", "不是有效的 Excel", None, None),
    ),
    "file-xls": (
        "旧版 .xls",
        lambda t: annex_csv(t, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", name="annex_2023.xls"),
        "annex",
        ("error", "另存为", None, None),
    ),
    "file-no-matching-sheet": (
        "工作簿中没有晾晒表",
        lambda t: annex_xlsx(t, _no_annex_sheet),
        "annex",
        ("error", "没有找到含“区域”表头", None, None),
    ),
    "file-formula-uncached": (
        "公式无缓存值",
        lambda t: annex_xlsx(t, _formula),
        "annex",
        ("error", "公式没有计算结果", 4, "C"),
    ),
    "enc-gb18030": (
        "GB18030 编码 CSV（中文 Windows Excel）",
        lambda t: annex_csv(t, ANNEX.replace("“139”", "139"), "gb18030"),
        "annex",
        "ok",
    ),
    "enc-utf8-bom": ("UTF-8 带 BOM", lambda t: annex_csv(t, ANNEX, "utf-8-sig"), "annex", "ok"),
    "enc-mixed-line-endings": (
        "混合换行符",
        lambda t: annex_csv(
            t,
            "\r\n".join(ANNEX.split("\n")[:8])
            + "\n"
            + "\r".join(ANNEX.split("\n")[8:14])
            + "\r"
            + "\n".join(ANNEX.split("\n")[14:]),
        ),
        "annex",
        "ok",
    ),
    "enc-unknown": (
        "无法识别的编码",
        lambda t: annex_csv(t, b"\xff\xfe\xff\xff\x81\x30" * 10),
        "annex",
        ("error", "无法识别的文本编码", None, None),
    ),
    "layout-title-and-notes": (
        "多余的标题行与注释行",
        lambda t: annex_csv(t, "缙云县科技局\n\n" + ANNEX + "\n注：数据来源为各乡镇报送\n填表人：张三\n"),
        "annex",
        "ok",
    ),
    "layout-merged-cells": ("合并单元格表头", lambda t: annex_xlsx(t, _merged), "annex", "ok"),
    "layout-blocks-on-two-sheets": ("两块表在不同工作表", lambda t: annex_xlsx(t, _two_sheets), "annex", "ok"),
    "layout-columns-reordered": (
        "列顺序不同",
        lambda t: progress_csv(t, "3,new_sme_tech,东方镇,2023-09\n", header="value,indicator_id,region,period\n"),
        "progress",
        ("ok", lambda df: df["value"].tolist() == [3.0]),
    ),
    "layout-unknown-indicator": (
        "未登记的指标",
        lambda t: progress_csv(t, "2023-09,东方镇,新增实用新型专利,3\n"),
        "progress",
        ("error", "未知指标", 2, "indicator_id"),
    ),
    "layout-hidden-rows": ("隐藏行（其中有冲突的旧数据）", lambda t: annex_xlsx(t, _hidden_conflict), "annex", "ok"),
    "layout-hidden-sheet": ("隐藏的草稿工作表", lambda t: annex_xlsx(t, _hidden_sheet), "annex", "ok"),
    "value-full-width": (
        "全角数字与标点",
        lambda t: annex_csv(t, replace("6,舒洪镇,0.42", "６,舒洪镇,０．４２")),
        "annex",
        "ok",
    ),
    "value-thousands": (
        "千分位",
        lambda t: progress_csv(t, '2023-09,全县,new_invention_patents,"1,234"\n'),
        "progress",
        ("ok", lambda df: df["value"].tolist() == [1234.0]),
    ),
    "value-units-in-cells": (
        "单元格内带单位",
        lambda t: progress_csv(
            t, "2023-09,壶山镇,rd_expense_above_scale,3.1亿元\n2023-09,东方镇,rd_expense_above_scale,3100万元\n"
        ),
        "progress",
        ("ok", lambda df: sorted(df["value"].tolist()) == [0.31, 3.1]),
    ),
    "value-percent-forms": (
        "百分数写法 3.4% / 0.034 / 3.4",
        lambda t: progress_csv(
            t,
            "2023-09,壶山镇,hitech_investment_growth,0.034\n2023-09,东方镇,hitech_investment_growth,0.05\n"
            "2023-09,新建镇,hitech_investment_growth,-0.01\n2023-09,舒洪镇,hitech_investment_growth,3.4%\n",
        ),
        "progress",
        ("ok", lambda df: sorted(df["value"].round(6).tolist()) == [-1.0, 3.4, 3.4, 5.0]),
    ),
    "value-comparators": (
        "15以上 / 不低于15 / ≥15",
        lambda t: annex_csv(
            t,
            replace("1,五云街道,0.04,,,0.23,,,15以上", "1,五云街道,0.04,,,0.23,,,不低于15").replace(
                "2,丽水高新区,6.06,,,22.90,,,15以上", "2,丽水高新区,6.06,,,22.90,,,≥15"
            ),
        ),
        "annex",
        ("ok", lambda df: set(df.loc[df["indicator_id"] == "hitech_investment_growth", "comparator"]) == {">="}),
    ),
    "value-blanks": (
        "空白、—、/",
        lambda t: progress_csv(
            t,
            "2023-09,壶山镇,new_sme_tech,\n2023-09,东方镇,new_sme_tech,—\n"
            "2023-09,新建镇,new_sme_tech,/\n2023-09,舒洪镇,new_sme_tech,0\n",
        ),
        "progress",
        ("ok", lambda df: df["region"].tolist() == ["舒洪镇"]),
    ),
    "value-negative-count": (
        "负的计数",
        lambda t: progress_csv(t, "2023-09,东方镇,new_sme_tech,-3\n"),
        "progress",
        ("error", "不能为负", 2, "value"),
    ),
    "value-fractional-count": (
        "计数带小数 2.5 家",
        lambda t: progress_csv(t, "2023-09,东方镇,new_sme_tech,2.5\n"),
        "progress",
        ("error", "应为整数", 2, "value"),
    ),
    "value-ytd-falls": (
        "年内累计值下降",
        lambda t: progress_csv(t, "2023-08,东方镇,new_sme_tech,5\n2023-09,东方镇,new_sme_tech,3\n"),
        "progress",
        ("warn", "年内累计值下降"),
    ),
    "value-text-for-number": (
        "数值处填了文字",
        lambda t: progress_csv(t, "2023-09,东方镇,new_sme_tech,三家\n"),
        "progress",
        ("error", "不是数值", 2, "value"),
    ),
    "value-unit-mismatch": (
        "单位与指标不符",
        lambda t: progress_csv(t, "2023-09,东方镇,new_invention_patents,12家\n"),
        "progress",
        ("error", "单位", 2, "value"),
    ),
    "value-duplicate-conflict": (
        "重复键且数值冲突",
        lambda t: progress_csv(t, "2023-09,东方镇,new_sme_tech,3\n2023-09,东方镇,new_sme_tech,4\n"),
        "progress",
        ("error", "数值不同", 3, "value"),
    ),
    "value-blank-target": (
        "目标为空",
        lambda t: annex_csv(t, replace("5,东渡镇,0.26", "5,东渡镇,")),
        "annex",
        ("error", "目标为空", 9, "第 3 列"),
    ),
    "period-excel-dates": (
        "Excel 日期与日期序列号",
        lambda t: progress_xlsx(
            t, [(45199, "东方镇", "new_sme_tech", 3), (dt.datetime(2023, 10, 31), "东方镇", "new_sme_tech", 4)]
        ),
        "progress",
        ("ok", lambda df: df["period"].tolist() == ["2023-09", "2023-10"]),
    ),
    "period-written-forms": (
        "2023年9月 / 2023.09 / 2023-9",
        lambda t: progress_csv(
            t, "2023年9月,东方镇,new_sme_tech,3\n2023.09,壶山镇,new_sme_tech,3\n2023-9,新建镇,new_sme_tech,3\n"
        ),
        "progress",
        ("ok", lambda df: set(df["period"]) == {"2023-09"}),
    ),
    "period-bad": (
        "无法识别的时期",
        lambda t: progress_csv(t, "九月,东方镇,new_sme_tech,3\n"),
        "progress",
        ("error", "无法识别的时期", 2, "period"),
    ),
    "region-alias": (
        "区域别名",
        lambda t: progress_csv(t, "2023-09,丽水高新,new_sme_tech,3\n2023-09,缙云县,new_sme_tech,30\n"),
        "progress",
        ("ok", lambda df: set(df["region"]) == {"丽水高新区", "全县"}),
    ),
    "region-stray-spaces": (
        "区域名中的空格",
        lambda t: progress_csv(t, "2023-09, 壶山 镇 ,new_sme_tech,3\n"),
        "progress",
        ("ok", lambda df: df["region"].tolist() == ["壶山镇"]),
    ),
    "region-unknown": (
        "未知区域",
        lambda t: progress_csv(t, "2023-09,壶山乡,new_sme_tech,3\n"),
        "progress",
        ("error", "最接近的是“壶山镇”", 2, "region"),
    ),
    "enc-big5": (
        "繁体中文 Big5 编码（台湾、香港的 Excel）",
        lambda t: progress_csv(t, "2023-09,壺山鎮,new_sme_tech,3\n", encoding="big5"),
        "progress",
        ("error", "Big5", None, None),
    ),
    "enc-nul": (
        "空字符（NUL，UTF-16 或损坏的文件）",
        lambda t: progress_csv(t, "2023-09,东方镇\x00,new_sme_tech,3\n"),
        "progress",
        ("error", "空字符", 2, None),
    ),
    "file-truncated-xml": ("工作表 XML 被截断", _truncated_xlsx, "progress", ("error", "XML 不完整", None, None)),
    "file-password": ("设有打开密码的 .xlsx", _password_xlsx, "progress", ("error", "文件设有打开密码", None, None)),
    "file-parquet-binary": ("Parquet 的二进制列", _binary_parquet, "progress", ("error", "二进制", None, "value")),
    "file-too-big": (
        "超过 1 GB 的进度 CSV",
        lambda t: _sparse(t, 2**30 + 1),
        "progress",
        ("error", "上限 1 GB", None, None),
    ),
    "file-too-many-lines": (
        "超过 2000 万行（例如大量空行）",
        lambda t: progress_csv(t, "\n" * 20_000_001),
        "progress",
        ("error", "20,000,000 行", None, None),
    ),
    "file-too-wide": (
        "表头超过 64 列",
        lambda t: progress_csv(t, "", header=HEADER.strip() + "".join(f",c{i}" for i in range(61)) + "\n"),
        "progress",
        ("error", "超过上限 64", 1, None),
    ),
    "value-huge-cell": (
        "20 万字的单元格",
        lambda t: progress_csv(t, "2023-09,东方镇,new_sme_tech," + "x" * 200_000 + "\n"),
        "progress",
        ("error", "共 200,002 个字符", 2, "value"),
    ),
    "column-missing": (
        "缺少数值列",
        lambda t: progress_csv(t, "2023-09,壶山镇,new_sme_tech\n", header="period,region,indicator_id\n"),
        "progress",
        ("error", "缺少列", 1, None),
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_catalogue(case, tmp_path, registry):
    _, build, kind, expected = CASES[case]
    path = build(tmp_path)
    reader = read_annex if kind == "annex" else read_progress
    if expected == "ok" or expected[0] == "ok":
        if case == "value-percent-forms":
            with pytest.warns(DataQualityWarning, match="按小数读作百分比"):
                frame = reader(path, registry)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error", DataQualityWarning)
                frame = reader(path, registry)
        if kind == "annex":
            assert len(frame) == 63
            assert (
                frame.set_index(["region", "indicator_id"]).loc[("丽水高新区", "rd_expense_above_scale"), "target"]
                == 6.06
            )
        if expected != "ok":
            assert expected[1](frame), frame
        return
    if expected[0] == "warn":
        with pytest.warns(DataQualityWarning, match=expected[1]):
            reader(path, registry)
        return
    _, message, row, column = expected
    with pytest.raises(InputError) as caught:
        reader(path, registry)
    error = caught.value
    assert message in str(error)
    assert error.file is not None and error.fix
    if row is not None:
        assert (error.row, error.column) == (row, column)


ERROR_CASES = [c for c, (_, _, _, e) in CASES.items() if isinstance(e, tuple) and e[0] == "error"]


@pytest.mark.parametrize("case", ERROR_CASES, ids=ERROR_CASES)
def test_cli_prints_one_message_and_exits_2(case, tmp_path, capsys):
    _, build, kind, expected = CASES[case]
    path = build(tmp_path)
    project = write_config(tmp_path / "project")
    if kind == "annex":
        argv = ["import-annex", str(path), "--year", "2023", "--config", str(project)]
    else:
        argv = ["leaderboard", "--period", "2023-09", "--progress", str(path), "--config", str(project)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and expected[1] in err and "修改方法" in err
    assert sorted(p.name for p in (tmp_path / "project").iterdir()) == ["kpi.toml"]  # nothing written


def test_catalogue_is_documented():
    doc = (paths.ROOT / "docs" / "bad_input.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", doc, flags=re.M))
    assert documented == set(CASES)
