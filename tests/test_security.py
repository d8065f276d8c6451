"""Exports cannot smuggle formulas or markup; file names come only from checked slugs."""

from dataclasses import replace

import pandas as pd
import pytest

from kpi.core.atomic import formula_safe
from kpi.core.errors import ConfigError, InputError
from kpi.metrics.quarterly import validate_parameters
from kpi.publish.batch_plan import plan_jobs
from kpi.publish.pages import index_html
from kpi.publish.workers import Job


def test_formula_injection_is_neutralised():
    frame = pd.DataFrame(
        {
            "region": ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "壶山镇"],
            "comparator": ["=", ">=", "=", "=", ">="],
            "actual": [-3.5, 1.0, 2.0, 3.0, 4.0],
        }
    )
    safe = formula_safe(frame, exclude=("comparator",))
    assert safe["region"].tolist() == ['\'=HYPERLINK("http://x")', "'+1+1", "'-2+3", "'@SUM(A1)", "壶山镇"]
    assert safe["comparator"].tolist() == frame["comparator"].tolist()  # closed vocabulary, checked by the schema
    assert safe["actual"].tolist() == [-3.5, 1.0, 2.0, 3.0, 4.0]  # numbers untouched


def test_index_escapes_data_text(tmp_path):
    job = Job("x", "<script>alert(1)</script>报告", "壶山镇", "nb.ipynb", str(tmp_path / "x.ipynb"), {}, "f")
    page = index_html(
        "kpi 0.1.0",
        2025,
        4,
        "2025-12",
        [job],
        {"x": "ok"},
        {"壶山镇": "<b>滞后</b>"},
        "晾晒表.xlsx",
        True,
        "2026-01-10T05:30:00+08:00",
        "<i>县</i>",
    )
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;滞后" in page and "<i>" not in page


def test_slugs_are_checked_before_they_become_file_names(registry, tmp_path):
    regions = registry.regions.copy()
    regions.loc[regions["region"] == "壶山镇", "slug"] = "../../etc"
    bad = replace(registry, regions=regions)
    with pytest.raises(InputError, match="slug"):
        plan_jobs(2025, 4, bad, tmp_path, tmp_path, tmp_path, "h", "c", analysis=False)


@pytest.mark.parametrize(
    "year, quarter, region, message",
    [(2025, 5, "全县", "quarter"), ("2025; rm -rf /", 4, "全县", "year"), (2025, 4, "../etc", "未知区域")],
)
def test_report_parameters_are_validated(registry, year, quarter, region, message):
    with pytest.raises(ConfigError, match=message):
        validate_parameters(year, quarter, region, registry)


# ------------------------------------------------------------------ every writer, one hostile project
HOSTILE_REGION = "=1+<img src=x onerror=alert(1)>"
HOSTILE_FILE = "@<img src=x onerror=alert(2)>.xlsx"
HOSTILE_SHEET = "+<img src=x onerror=alert(3)>"


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory):
    """A county whose registry names a region with markup and a formula, that receives a form whose file
    and sheet names are markup and formulas, and publishes everything: store exports, 报送情况, 晾晒表
    (CSV, xlsx), the quarter's reports (HTML, PDF, notebooks), the analysis pages and the 情况通报."""
    import shutil

    import openpyxl

    from kpi.core import paths
    from tests.support import run_kpi, write_config

    base = tmp_path_factory.mktemp("hostile")
    raw = base / "raw"
    shutil.copytree(paths.RAW, raw)
    regions = (raw / "regions.csv").read_text(encoding="utf-8")
    assert "3,壶山镇,Hushan Town,hushan,镇,壶山" in regions
    (raw / "regions.csv").write_text(
        regions.replace("3,壶山镇,Hushan Town,hushan,镇,壶山", f"3,{HOSTILE_REGION},Hushan Town,hushan,镇,壶山镇|壶山"),
        encoding="utf-8",
    )
    project = base / "p"
    write_config(project, raw=raw, progress=[project / "store" / "progress.csv"], annex=[raw / "annex_2023.csv"])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = HOSTILE_SHEET
    for row in (["时期", "2023年3月"], ["区域", "新增发明专利（件）"], ["壶山镇", 5], ["东方镇", 3], ["全县", 40]):
        sheet.append(row)
    (base / "inbox").mkdir()
    workbook.save(base / "inbox" / HOSTILE_FILE)
    commands = [
        ("collect", str(base / "inbox"), "--period", "2023-03"),
        ("leaderboard", "--period", "2023-03"),
        ("report", "--year", "2023", "--quarter", "1", "--regions", "壶山镇", "全县", "--jobs", "2"),
    ]
    for command in commands:
        result = run_kpi(*command, cwd=project)
        assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-3000:])
    return project


def _published(project, *suffixes):
    return [p for p in sorted(project.rglob("*")) if p.suffix in suffixes and ".processed-snapshots" not in str(p)]


@pytest.mark.integration
def test_every_csv_and_xlsx_cell_is_text_not_formula(hostile_project):
    import csv

    import openpyxl

    tables = _published(hostile_project / "store", ".csv") + _published(hostile_project / "reports", ".csv")
    workbooks = _published(hostile_project / "reports", ".xlsx")
    assert {p.name for p in tables} >= {"progress.csv", "报送情况_2023-03.csv", "leaderboard_2023-03.csv"}
    assert workbooks
    cells = []
    for path in tables:
        cells += [(path, c) for row in csv.reader(path.open(encoding="utf-8-sig")) for c in row]
    for path in workbooks:
        for sheet in openpyxl.load_workbook(path).worksheets:
            assert not sheet.title.startswith(("=", "+", "-", "@")), path
            cells += [(path, c.value) for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    comparators = {"=", ">=", "<="}  # a closed vocabulary, not a formula
    formulas = [
        (p.name, c)
        for p, c in cells
        if c not in comparators and (c.startswith(("=", "+", "@")) or (c.startswith("-") and not c[1:2].isdigit()))
    ]
    assert formulas == []
    texts = {c for _, c in cells}
    assert "'" + HOSTILE_REGION in texts and "'" + HOSTILE_FILE in texts


@pytest.mark.integration
def test_every_page_shows_hostile_names_as_text(hostile_project, new_page):
    pages = _published(hostile_project / "reports", ".html")
    assert {p.name for p in pages} >= {"index.html", "hushan.html", "county.html", "01_ingest.html"}
    dialogs, shown = [], ""
    page = new_page()
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in pages:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(200)
        assert page.locator("img[onerror]").count() == 0, path
        shown += page.inner_text("body")
    assert dialogs == []
    assert HOSTILE_REGION in shown and HOSTILE_FILE in shown  # shown as text, where they are shown at all


def test_published_files_name_no_path_of_this_machine(hostile_project):
    """Notebooks, pages, manifest and tables name paths relative to the project, never this machine's."""
    from kpi.core import paths

    for path in _published(hostile_project / "reports", ".ipynb", ".html", ".json", ".csv", ".md"):
        text = path.read_text(encoding="utf-8")
        assert str(hostile_project.parent) not in text and str(paths.ROOT) not in text, path


def test_docx_and_pdf_print_hostile_names_as_text(hostile_project):
    import subprocess
    import time

    import docx
    import pypdf

    bulletins = _published(hostile_project / "reports", ".docx")
    assert len(bulletins) == 2  # the month's and the quarter's
    for path in bulletins:
        document = docx.Document(path)
        text = "\n".join(p.text for p in document.paragraphs) + "\n".join(
            cell.text for table in document.tables for row in table.rows for cell in row.cells
        )
        assert HOSTILE_REGION in text, path
        properties = document.core_properties  # the project's, not python-docx's template's
        assert properties.author == "缙云县科技局" and "情况通报" in properties.title, path
        assert abs(properties.created.timestamp() - time.time()) < 3600, path
    pdfs = _published(hostile_project / "reports", ".pdf")
    if not pdfs:
        pytest.skip("no PDF printed (Chromium missing)")
    for path in pdfs:
        printed = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        assert HOSTILE_REGION in printed, path
        info = pypdf.PdfReader(path).metadata
        assert info.author == "缙云县科技局" and info.title.startswith("2023年第1季度 ") and "季度报告" in info.title
        assert "139" not in info.creator and "jinyun" not in info.creator  # the tool's name, not a county's
        assert abs(info.creation_date.timestamp() - time.time()) < 3600, path
