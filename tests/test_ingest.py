"""read_annex / read_progress on the shipped data and on the forms people actually send."""

import csv
import io
import shutil
import warnings

import openpyxl
import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.errors import InputError
from kpi.ingest.pipeline import run_ingest
from kpi.inputs.annex import SumMismatchWarning, read_annex
from kpi.inputs.progress_input import read_progress
from tests.support import ANNEX_INDICATOR_IDS as IDS
from tests.support import config_for, tree_hashes

# The annex of the seed, typed again by hand: region → the 7 targets in annex order.
SEED_ANNEX = {
    "全县": (15.44, 56.23, 15, 47, 80, 128, 90),
    "五云街道": (0.04, 0.23, 15, 1, 3, 4, 3),
    "丽水高新区": (6.06, 22.90, 15, 18, 26, 42, 30),
    "壶山镇": (4.26, 12.20, 15, 10, 22, 36, 25),
    "新建镇": (0.53, 1.11, 15, 2, 3, 5, 3),
    "东渡镇": (0.26, 1.16, 15, 2, 3, 5, 3),
    "舒洪镇": (0.42, 1.27, 15, 2, 3, 4, 3),
    "东方镇": (0.48, 1.46, 15, 2, 3, 5, 3),
    "丽缙高新区": (3.39, 15.9, 15, 10, 17, 27, 20),
}


def as_dict(annex: pd.DataFrame) -> dict:
    return {(r.region, r.indicator_id): (r.target, r.comparator) for r in annex.itertuples()}


def expected_dict() -> dict:
    return {
        (region, i): (float(v), ">=" if i == "hitech_investment_growth" else "=")
        for region, values in SEED_ANNEX.items()
        for i, v in zip(IDS, values)
    }


def test_shipped_annex_reproduces_the_seeds_63_numbers(registry):
    annex = read_annex(paths.RAW / "annex_2023.csv", registry)
    assert len(annex) == 63
    assert as_dict(annex) == expected_dict()
    assert (annex["year"] == 2023).all() and not annex["is_example"].any()
    assert list(annex.columns) == [
        "year",
        "region",
        "indicator_id",
        "target",
        "comparator",
        "target_text",
        "is_example",
    ]
    written = annex.set_index(["region", "indicator_id"])["target_text"]  # each cell's words, as the seed has them
    assert (
        written["全县", "hitech_investment_growth"] == "15以上"
        and written["丽缙高新区", "hitech_value_added"] == "15.9"
    )


def test_regions_sum_to_the_county_by_hand(registry):
    annex = read_annex(paths.RAW / "annex_2023.csv", registry).set_index(["region", "indicator_id"])["target"]
    regions = [r for r in SEED_ANNEX if r != "全县"]
    # 0.04+6.06+4.26+0.53+0.26+0.42+0.48+3.39 = 15.44; 1+18+10+2+2+2+2+10 = 47
    assert sum(annex[(r, "rd_expense_above_scale")] for r in regions) == pytest.approx(15.44)
    assert sum(annex[(r, "new_hitech_enterprises")] for r in regions) == 47
    assert sum(annex[(r, "new_pledge_hv_patents")] for r in regions) == 90


def _seed_grid() -> list[list[str]]:
    return list(csv.reader(io.StringIO((paths.RAW / "annex_2023.csv").read_text(encoding="utf-8"))))


def _write_xlsx(path, sheets: dict[str, list[list]], merge_headers=True):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append([None if c == "" else c for c in row])
        if merge_headers:
            for row_index, row in enumerate(rows, start=1):
                if row and row[1] == "区域":
                    for col in range(3, len(row), 3):
                        if row[col - 1]:
                            sheet.merge_cells(
                                start_row=row_index, start_column=col, end_row=row_index, end_column=col + 2
                            )
    workbook.save(path)


def test_xlsx_two_sheets_merged_headers_numbers_and_full_width(tmp_path, registry):
    grid = _seed_grid()
    block1, block2 = grid[:12], [grid[0]] + grid[13:]
    # a county clerk's version: numbers typed as numbers, one full-width cell, stray spaces, an alias
    block1[3][2] = 15.44
    block1[4][1] = " 五云 街道 "
    block2[3][2] = "４７"
    block2[11][1] = "丽缙高新"
    path = tmp_path / "annex_2023.xlsx"
    _write_xlsx(path, {"经济指标": block1, "企业与专利": block2})
    assert as_dict(read_annex(path, registry)) == expected_dict()


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_encodings_from_excel(tmp_path, registry, encoding):
    path = tmp_path / "annex_2023.csv"
    text = (paths.RAW / "annex_2023.csv").read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes(text.replace("“139”", "139").encode(encoding))
    assert as_dict(read_annex(path, registry)) == expected_dict()


def test_sum_mismatch_is_reported(tmp_path, registry):
    path = tmp_path / "annex_2023.csv"
    path.write_text(
        (paths.RAW / "annex_2023.csv").read_text(encoding="utf-8").replace("0,全县,15.44", "0,全县,15.54"),
        encoding="utf-8",
    )
    with pytest.warns(SumMismatchWarning, match=r"rd_expense_above_scale 全县 15.54 ≠ 各区域合计 15.44"):
        read_annex(path, registry)


def _broken_annex(tmp_path, old, new):
    path = tmp_path / "annex_2023.csv"
    text = (paths.RAW / "annex_2023.csv").read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "old, new, row, column, message",
    [
        ("3,壶山镇", "3,壶山乡", 7, "第 2 列", "最接近的是“壶山镇”"),
        ("4,新建镇,0.53", "4,新建镇,0.5x3", 8, "第 3 列", "不是数值"),
        ("5,东渡镇,0.26", "5,东渡镇,", 9, "第 3 列", "目标为空"),
        ("新增发明专利（件）", "新增实用新型专利（件）", 14, "第 9 列", "未知指标"),
    ],
)
def test_annex_errors_name_file_row_column_value(tmp_path, registry, old, new, row, column, message):
    path = _broken_annex(tmp_path, old, new)
    with pytest.raises(InputError) as caught:
        read_annex(path, registry)
    error = caught.value
    assert (error.row, error.column) == (row, column)
    assert message in str(error) and str(path) in str(error) and error.fix


def test_annex_duplicate_conflict(tmp_path, registry):
    text = (paths.RAW / "annex_2023.csv").read_text(encoding="utf-8")
    text = text.replace(
        "8,丽缙高新区,3.39,,,15.9,,,15以上,,\n",
        "8,丽缙高新区,3.39,,,15.9,,,15以上,,\n9,丽缙高新区,3.40,,,15.9,,,15以上,,\n",
    )
    path = tmp_path / "annex_2023.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="两个不同的目标"):
        read_annex(path, registry)


@pytest.mark.parametrize(
    "content, suffix, message",
    [
        (b"", ".csv", "文件为空"),
        (b"%PDF-1.4 not a workbook", ".xlsx", "不是有效的 Excel"),
        (b"\xd0\xcf\x11\xe0", ".xls", ".xls"),
        (b"year,region\n2023,x\n", ".csv", "找不到年份"),
    ],
)
def test_bad_files(tmp_path, registry, content, suffix, message):
    path = tmp_path / f"annex{suffix}"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_annex(path, registry)


def test_missing_file(tmp_path, registry):
    with pytest.raises(InputError, match="文件不存在"):
        read_annex(tmp_path / "nope.xlsx", registry)


# ------------------------------------------------------------------ progress
def test_shipped_progress(registry):
    progress = read_progress(paths.EXAMPLE / "progress_example.csv", registry)
    assert len(progress) == 9 * 7 * 36 - 7  # 东渡镇 sends nothing for 2023-09
    assert progress["is_example"].all()
    assert list(progress.columns) == ["period", "region", "indicator_id", "value", "is_example"]
    assert progress.query("period == '2023-09' and region == '东渡镇'").empty


def test_progress_chinese_headers_names_and_formats(tmp_path, registry):
    path = tmp_path / "progress.csv"
    path.write_bytes(
        "时期,区域,指标,数值\n"
        "2023年9月,壶山镇,规上工业企业研发费用,3.1亿元\n"
        '2023.09,丽水高新,新增发明专利,"1,234"\n'
        "2023-9,全县,hitech_investment_growth,１６．５%\n"
        "2023-09,东方镇,新增发明专利,—\n".encode("gb18030")
    )
    progress = read_progress(path, registry)
    assert progress[["period", "region", "indicator_id", "value"]].values.tolist() == [
        ["2023-09", "全县", "hitech_investment_growth", 16.5],
        ["2023-09", "丽水高新区", "new_invention_patents", 1234.0],
        ["2023-09", "壶山镇", "rd_expense_above_scale", 3.1],
    ]  # the blank (—) for 东方镇 is absent, not zero
    assert not progress["is_example"].any()


@pytest.mark.parametrize(
    "line, row, column, message",
    [
        ("2023-09,壶山乡,new_sme_tech,3", 3, "region", "最接近的是“壶山镇”"),
        ("2023-09,壶山镇,new_sme_tech,three", 3, "value", "不是数值"),
        ("2023-13,壶山镇,new_sme_tech,3", 3, "period", "超出范围"),
        ("2023-09,壶山镇,new_widgets,3", 3, "indicator_id", "未知指标"),
        ("2023-09,东方镇,new_sme_tech,4", 3, "value", "数值不同"),
    ],
)
def test_progress_errors(tmp_path, registry, line, row, column, message):
    path = tmp_path / "progress.csv"
    path.write_text(f"period,region,indicator_id,value\n2023-09,东方镇,new_sme_tech,3\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_progress(path, registry)
    assert (caught.value.row, caught.value.column) == (row, column)
    assert message in str(caught.value)


def test_progress_exact_duplicate_is_kept_once(tmp_path, registry):
    path = tmp_path / "progress.csv"
    path.write_text(
        "period,region,indicator_id,value\n2023-09,东方镇,new_sme_tech,3\n2023-09,东方镇,新增省科技型中小企业,3\n",
        encoding="utf-8",
    )
    assert len(read_progress(path, registry)) == 1


def test_progress_missing_column(tmp_path, registry):
    path = tmp_path / "progress.csv"
    path.write_text("period,region,indicator_id,amount\n2023-09,东方镇,new_sme_tech,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="缺少列"):
        read_progress(path, registry)


# ------------------------------------------------------------------ the pipeline
def test_run_ingest_writes_validated_tables(raw_copy, tmp_path):
    before = tree_hashes(raw_copy)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run_ingest(config_for(raw_copy, tmp_path / "processed"))
    assert tree_hashes(raw_copy) == before  # raw is never modified
    names = sorted(p.name for p in (tmp_path / "processed").iterdir() if not p.name.endswith(".lock"))
    assert names == [
        "annex_sum_checks.parquet",
        "annex_targets.parquet",
        "county_annual.parquet",
        "indicators.csv",
        "ingest_summary.json",
        "inputs.parquet",
        "pacing.parquet",
        "pacing_profiles.csv",
        "plan_targets.csv",
        "progress.parquet",
        "provenance.csv",
        "province_reference.csv",
        "regions.csv",
    ]
    assert result.sum_checks["ok"].all() and len(result.sum_checks) == 18
    assert len(result.annex) == 3 * 63


def test_bad_input_writes_nothing_and_keeps_last_good(raw_copy, tmp_path):
    processed = tmp_path / "processed"
    progress = tmp_path / "progress_example.csv"
    shutil.copy(paths.EXAMPLE / progress.name, progress)
    run_ingest(config_for(raw_copy, processed, progress=progress))
    good = {k: v for k, v in tree_hashes(processed).items() if not k.endswith(".lock")}
    progress.write_text(
        progress.read_text(encoding="utf-8").replace(
            "2025-12,全县,rd_expense_above_scale,", "2025-12,全县,rd_expense_above_scale,x"
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError):
        run_ingest(config_for(raw_copy, processed, progress=progress))
    assert {k: v for k, v in tree_hashes(processed).items() if not k.endswith(".lock")} == good
    assert not [
        p for p in processed.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")
    ]  # no temp files


def test_the_schemas_the_processed_tables_passed_are_recorded_and_a_failing_one_is_not_written(tmp_path):
    """Ingest checks each processed table by its schema just before writing and records which passed
    (the data notes print that record, not a fixed claim); a table that fails stops the run."""
    from kpi.metadata import schemas
    from kpi.outputs.report_notes import checks_passed

    sums = pd.DataFrame({"year": [2025, 2025], "ok": [True, False]})
    # nothing recorded, nothing claimed
    assert checks_passed(sums, 2025, "全县", {}) == ["晾晒表全县=各区域合计 1/2 项"]
    assert checks_passed(sums, 2025, "全县", {"progress.parquet": "progress（进度）"})[1] == (
        "1 张处理后表格通过结构校验（pandera）：progress（进度）"
    )
    progress = pd.DataFrame(
        {"period": ["2025-13"], "region": ["壶山镇"], "indicator_id": ["x"], "value": [1.0], "is_example": [False]}
    )
    with pytest.raises(InputError, match="progress") as caught:
        schemas.check_processed({"progress.parquet": progress, "inputs.parquet": pd.DataFrame()})
    assert caught.value.file == "progress.parquet" and caught.value.column == "period"
