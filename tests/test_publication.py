"""What a county office prints and circulates: the 晾晒表 xlsx on one A4 page with its footer, the
情况通报 .docx with the same numbers as the CSV, one figure for a growth indicator everywhere, files
a web server can serve, and a region with no data."""

import os
import re
import shutil
import stat
import subprocess

import docx
import openpyxl
import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.facts import STATUS_MARKS
from tests.support import (
    ANNEX_INDICATOR_IDS,
    assert_statuses_survive_grey,
    office_program,
    pdf_words,
    run_kpi,
    status_greys,
    write_config,
)

pytestmark = pytest.mark.integration
PERIOD = "2025-12"


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    base = tmp_path_factory.mktemp("publication")
    project = write_config(base)
    result = run_kpi("leaderboard", "--period", PERIOD, "--config", str(project))
    assert result.returncode == 0, result.stderr
    folder = base / "reports" / "monthly" / PERIOD
    board = pd.read_csv(folder / f"leaderboard_{PERIOD}.csv", encoding="utf-8-sig")
    return base, folder, board


def published(row) -> str:
    """进度 as the CSV implies it: completion in %, or the growth itself."""
    value = row["actual"] if row["indicator_id"] == "hitech_investment_growth" else row["completion_rate"] * 100
    return "未报送" if pd.isna(value) else f"{value:.1f}%"


def test_xlsx_prints_on_one_a4_landscape_page_with_its_footer(month):
    _, folder, _ = month
    sheet = openpyxl.load_workbook(folder / f"晾晒表_{PERIOD}.xlsx").active
    setup = sheet.page_setup
    assert (setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight) == (9, "landscape", 1, 1)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    footer = sheet.oddFooter
    assert footer.left.text == "制表单位：缙云县科技局" and footer.center.text == "第 &P 页，共 &N 页"
    assert re.fullmatch(r"制表日期：20\d\d年\d{1,2}月\d{1,2}日", footer.right.text)
    margins = sheet.page_margins  # the footer (10 pt ≈ 0.14 in) set inside the bottom margin: printed whole
    assert margins.footer + 0.14 < margins.bottom and margins.header < margins.top
    properties = sheet.parent.properties  # the workbook's own title and author, not "openpyxl"
    assert (
        properties.creator == "缙云县科技局" and "争先创优晾晒表" in properties.title and properties.language == "zh-CN"
    )
    notes = " ".join(str(c.value) for c in sheet["A"] if isinstance(c.value, str))
    assert ".csv" not in notes and "5 个百分点" in notes and "本项目约定" in notes


def test_docx_holds_the_csv_numbers(month):
    _, folder, board = month
    document = docx.Document(folder / f"情况通报_{PERIOD}.docx")
    text = "\n".join(p.text for p in document.paragraphs)
    assert "缙云县“139”科技创新体系建设情况通报" in text and "（2025年12月）" in text and "示例数据" in text
    table = document.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header[0] == "区域" and header[-1] == "综合得分"
    indicators = [*ANNEX_INDICATOR_IDS, "composite"]
    checked = 0
    for row in table.rows[1:]:
        region = row.cells[0].text
        for indicator, cell in zip(indicators, row.cells[1:]):
            expected = board[(board["region"] == region) & (board["indicator_id"] == indicator)].iloc[0]
            shown = published(expected)
            if shown != "未报送":  # the status's mark before the number, the rank on a line of its own
                shown = f"{STATUS_MARKS[expected['status']]} {shown}".strip()
                shown += f"\n（{int(expected['rank'])}）" if pd.notna(expected["rank"]) else ""
            assert cell.text == shown, (region, indicator)
            checked += 1
    assert checked == 9 * 8
    assert document.sections[0].page_width < document.sections[0].page_height  # a 公文: portrait A4


def test_a_growth_indicator_shows_one_figure_everywhere(month):
    base, folder, board = month
    growth = board[(board["indicator_id"] == "hitech_investment_growth") & (board["region"] == "壶山镇")].iloc[0]
    figure = f"{growth['actual']:.1f}%"
    sheet = openpyxl.load_workbook(folder / f"晾晒表_{PERIOD}.xlsx").active
    row = next(r for r in sheet.iter_rows() if r[1].value == "壶山镇")
    xlsx_value = next(c for c in row if c.column == 10 and c.number_format.endswith("0.0%")).value  # the 3rd 进度
    assert f"{xlsx_value * 100:.1f}%" == figure
    document = docx.Document(folder / f"情况通报_{PERIOD}.docx")
    cell = next(r.cells[3].text for r in document.tables[0].rows if r.cells[0].text == "壶山镇")
    assert cell.split(" ", 1)[1].startswith(figure)  # after its status's mark
    from kpi.core.formatting import format_frame  # noqa: F401  (the shared formatter every output goes through)
    from kpi.ingest.processed import load_processed
    from kpi.metrics.quarterly import region_table
    from kpi.outputs.monthly import month_board

    data = load_processed(base / "processed")
    table = region_table(month_board(data, PERIOD), PERIOD, "壶山镇", data.registry).set_index("指标")
    assert table.loc["高新技术产业投资增长", "进度"] == figure
    assert table.loc["高新技术产业投资增长", "序时进度"] == "目标 15%以上"


def test_outputs_are_readable_by_a_web_server(month):
    base, folder, _ = month
    for path in [*folder.iterdir(), *(base / "processed").iterdir()]:
        if path.is_file() and not path.name.startswith("."):
            assert stat.S_IMODE(path.stat().st_mode) & 0o044 == 0o044, path.name  # group and others may read
    assert stat.S_IMODE(folder.stat().st_mode) & 0o055 == 0o055


def test_libreoffice_opens_the_xlsx_and_the_docx(month, tmp_path):
    office = office_program()
    if office is None:
        pytest.skip(
            "LibreOffice Calc/Writer or pdftotext is not installed (Debian: libreoffice-calc-nogui "
            "libreoffice-writer-nogui poppler-utils; make test installs them as root)"
        )
    _, folder, board = month
    for name in (f"晾晒表_{PERIOD}.xlsx", f"情况通报_{PERIOD}.docx"):
        shutil.copy(folder / name, tmp_path / name)
    assert run_kpi("template", "--period", "2026-01", "--forms", str(tmp_path / "forms")).returncode == 0
    shutil.copy(tmp_path / "forms" / "报送表_2026-01_壶山镇.xlsx", tmp_path / "form.xlsx")
    env = {**os.environ, "HOME": str(tmp_path)}  # a private LibreOffice profile
    subprocess.run(
        [
            office,
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(tmp_path / n) for n in (f"晾晒表_{PERIOD}.xlsx", f"情况通报_{PERIOD}.docx", "form.xlsx")),
        ],
        capture_output=True,
        timeout=240,
        env=env,
        check=True,
    )
    sheet_pdf, bulletin_pdf = tmp_path / f"晾晒表_{PERIOD}.pdf", tmp_path / f"情况通报_{PERIOD}.pdf"
    info = subprocess.run(["pdfinfo", str(sheet_pdf)], capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\b", info) and re.search(
        r"Page size:\s+84[12][.\d]* x 59[45][.\d]* pts \(A4\)", info
    ), info
    sheet_text = re.sub(
        r"\s+", "", subprocess.run(["pdftotext", str(sheet_pdf), "-"], capture_output=True, text=True).stdout
    )
    assert "争先创优晾晒表" in sheet_text and "制表单位：缙云县科技局" in sheet_text and "第1页，共1页" in sheet_text
    for pdf in (sheet_pdf, tmp_path / "form.pdf"):  # the footer printed whole, above the paper's edge (#27)
        footer = [w for w in pdf_words(pdf) if w[7].startswith(("制表单位", "制表日期", "第"))]
        assert len(footer) >= 3 and all(w[6] < w[2] - 8 for w in footer), (pdf.name, footer)
    assert_statuses_survive_grey(status_greys(sheet_pdf, page=1))  # black-and-white printers (#27)
    pages = max(w[0] for w in pdf_words(bulletin_pdf))
    assert_statuses_survive_grey(next(g for g in (status_greys(bulletin_pdf, p) for p in range(1, pages + 1)) if g))
    form_words = [w for w in pdf_words(tmp_path / "form.pdf") if w[7] != "制表单位：缙云县科技局"]
    small = [w for w in form_words if w[6] - w[4] < 10.3 and w[6] < w[2] - 40]  # the form at 9 pt or more
    assert not small, small[:5]
    bulletin_text = re.sub(
        r"\s+", "", subprocess.run(["pdftotext", str(bulletin_pdf), "-"], capture_output=True, text=True).stdout
    )
    composite = board[(board["region"] == "壶山镇") & (board["indicator_id"] == "composite")].iloc[0]
    assert (
        "情况通报" in bulletin_text
        # the cell may wrap its rank under its value: both there, in that order
        and re.search(f"{composite['completion_rate'] * 100:.1f}%.{{0,40}}（{int(composite['rank'])}）", bulletin_text)
    )


def test_a_region_with_no_data_gets_a_one_paragraph_report(tmp_path, warm_kernels):
    progress = pd.read_csv(paths.EXAMPLE / "progress_example.csv", dtype={"period": str})
    progress = progress[~((progress["region"] == "东方镇") & progress["period"].str.startswith("2025"))]
    progress.to_csv(tmp_path / "progress.csv", index=False)
    project = write_config(tmp_path / "p", progress=[tmp_path / "progress.csv"])
    assert run_kpi("ingest", "--config", str(project)).returncode == 0
    import papermill

    out = tmp_path / "dongfang.ipynb"
    papermill.execute_notebook(
        str(paths.NOTEBOOKS / "04_quarterly_report.ipynb"),
        str(out),
        kernel_name="python3",
        parameters={"region": "东方镇", "processed_dir": str(tmp_path / "p" / "processed")},
        progress_bar=False,
    )
    from kpi.publish.runner import notebook_to_html

    html = notebook_to_html(out, tmp_path / "dongfang.html").read_text(encoding="utf-8")
    visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S))
    assert "东方镇本年度7项晾晒指标均未报送" in visible
    assert not re.search(r"\bNaN\b|<NA>|\bnan\b", visible)
    assert "各季度末排名" not in visible  # no table of nothing


def test_a_template_change_is_a_code_change(tmp_path, monkeypatch):
    """The reports' fingerprint covers the package's templates as well as its modules: a changed page
    template (the 数据说明 appendix's CSS, say) rebuilds the quarter instead of keeping the old pages."""
    from kpi.publish import builds

    shutil.copytree(paths.ROOT / "kpi", tmp_path / "kpi", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(paths, "ROOT", tmp_path)
    before = builds.code_fingerprint()
    template = tmp_path / "kpi" / "templates" / "data_notes.html.j2"
    template.write_text(template.read_text("utf-8").replace("<h1>", "<h1 class='x'>"), "utf-8")
    assert builds.code_fingerprint() != before
