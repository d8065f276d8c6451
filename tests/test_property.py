"""Property tests: random junk cells and layouts fed to the readers. The only exception allowed to
escape is the project's own InputError (and the warnings it documents)."""

import csv
import io
import warnings

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.core.errors import InputError
from kpi.inputs.annex import read_annex
from kpi.inputs.progress_input import read_progress

VOCABULARY = [
    "序号",
    "区域",
    "指标",
    "进度",
    "排名",
    "时期",
    "period",
    "region",
    "indicator_id",
    "value",
    "数值",
    "全县",
    "壶山镇",
    "丽水高新",
    "东方 镇",
    "规上工业企业研发费用 (亿元)",
    "新增发明专利（件）",
    "高新技术产业投资增长",
    "new_sme_tech",
    "15以上",
    "不低于15",
    "≥15",
    "15.44亿元",
    "1,234",
    "—",
    "/",
    "",
    "3.4%",
    "0.034",
    "-2",
    "2023-09",
    "2023年9月",
    "2023.9",
    "45199",
    "２０２３-０９",
    "注：说明",
    "=SUM(A1)",
    "2023年缙云县晾晒表",
    "nan",
    "true",
    "1e400",
    "١٢",
    "\x00",
    "12家",
    "壹佰",
]
cells = st.one_of(
    st.sampled_from(VOCABULARY),
    st.text(max_size=8),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
)
grids = st.lists(st.lists(cells, min_size=0, max_size=12), min_size=0, max_size=14)
SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("KPI_HYPOTHESIS_EXAMPLES", 120)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _csv_bytes(grid, encoding):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[str(c) for c in row] for row in grid])
    try:
        return buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return buffer.getvalue().encode("utf-8")


def _only_input_errors(reader, path, registry):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = reader(path, registry)
        except InputError as error:
            assert error.problem and error.file is not None
            return
    assert isinstance(result, pd.DataFrame)


@SETTINGS
@given(grid=grids, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), header=st.booleans())
def test_csv_junk(tmp_path, registry, grid, encoding, header):
    if header:  # often give the readers a plausible header so they go deeper
        grid = [
            ["2023年晾晒表"],
            ["序号", "区域", "规上工业企业研发费用", "", ""],
            ["", "", "指标", "进度", "排名"],
            *grid,
        ]
    path = tmp_path / "junk_2023.csv"
    path.write_bytes(_csv_bytes(grid, encoding))
    _only_input_errors(read_annex, path, registry)
    progress = tmp_path / "progress.csv"
    progress.write_bytes(
        _csv_bytes([["period", "region", "indicator_id", "value"], *grid] if header else grid, encoding)
    )
    _only_input_errors(read_progress, progress, registry)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=grids, hide=st.integers(0, 6))
def test_xlsx_junk(tmp_path, registry, grid, hide):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["2023年缙云县晾晒表"])
    sheet.append(["序号", "区域", "新增发明专利（件）", None, None, "period", "region", "indicator_id", "value"])
    sheet.append([None, None, "指标", "进度", "排名"])
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for row in grid:  # openpyxl cannot store NaN or control characters; Excel files never hold them
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else (None if c != c else c) for c in row])
    sheet.row_dimensions[hide + 1].hidden = True
    path = tmp_path / "junk_2023.xlsx"
    workbook.save(path)
    _only_input_errors(read_annex, path, registry)
    _only_input_errors(read_progress, path, registry)
