"""End to end: ``kpi report`` builds the quarterly reports through papermill, as a scheduler would run it."""

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from kpi.core import paths
from kpi.publish.pdf import PRINT_WIDTH_PX  # A4 landscape less the print margins, in CSS pixels
from tests.support import (
    assert_statuses_survive_grey,
    pdf_words,
    run_kpi,
    status_greys,
    tree_hashes,
    user_environment,
)

pytestmark = pytest.mark.integration
SLUGS = ["county", "wuyun", "lishui-hitech", "hushan", "xinjian", "dongdu", "shuhong", "dongfang", "lijin-hitech"]


def _report_q4(base: Path, *options: str):
    """``kpi report`` of 2025-Q4 on the copy of the raw data in ``base``, into ``base``."""
    folders = ["--raw", str(base / "raw"), "--processed", str(base / "processed"), "--out", str(base / "reports")]
    return run_kpi("report", "--year", "2025", "--quarter", "4", *options, *folders)


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    raw = base / "raw"
    shutil.copytree(paths.RAW, raw)
    before = tree_hashes(raw)
    result = _report_q4(base, "--jobs", "2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert tree_hashes(raw) == before  # raw is never modified
    return base, result


def test_quarter_folder_holds_every_report(report_run):
    base, _ = report_run
    out = base / "reports" / "2025-Q4"
    for slug in SLUGS:
        assert (out / f"{slug}.ipynb").exists() and (out / f"{slug}.html").exists(), slug
    for name in ("01_ingest", "02_leaderboard", "03_trajectories"):
        assert (out / "analysis" / f"{name}.html").exists()
    assert (out / "晾晒表_2025-12.xlsx").exists() and (out / "index.html").exists() and (out / "report.log").exists()
    assert not list(out.glob(".*")) and not (out / "failed").exists()  # no temporary or failed files


def test_published_notebooks_record_relative_paths(report_run):
    """A published notebook names the snapshot relative to the project (the shipped kpi.toml's folder
    here), the notebook it ran as notebooks/NAME and itself by name (not its temporary folder)."""
    base, _ = report_run
    notebook = json.loads((base / "reports" / "2025-Q4" / "hushan.ipynb").read_text(encoding="utf-8"))
    recorded = notebook["metadata"]["papermill"]
    assert recorded["output_path"] == "hushan.ipynb"
    assert recorded["input_path"] == "notebooks/04_quarterly_report.ipynb"
    folder = recorded["parameters"]["processed_dir"]
    assert not os.path.isabs(folder) and (paths.ROOT / folder).resolve().parent == base / ".processed-snapshots"
    injected = next(c for c in notebook["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert f'processed_dir = "{folder}"' in "".join(injected["source"])


def test_manifest(report_run):
    base, _ = report_run
    manifest = json.loads((base / "reports" / "2025-Q4" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == "2025-12" and manifest["example_data"] is True
    assert {r["file"] for r in manifest["inputs"]} >= {"progress_example.csv", "annex_2025_example.csv"}
    progress = (paths.EXAMPLE / "progress_example.csv").read_bytes()
    assert {
        "role": "progress",
        "file": "progress_example.csv",
        "sha256": hashlib.sha256(progress).hexdigest()[:16],
        "bytes": len(progress),
        "is_example": True,
    } in manifest["inputs"]
    assert manifest["packages"]["pandas"].startswith("3.")
    assert set(manifest["reports"]) == set(SLUGS) | {
        f"analysis/{n}" for n in ("01_ingest", "02_leaderboard", "03_trajectories")
    }
    assert all(r["outcome"] == "ok" and r["seconds"] > 0 for r in manifest["reports"].values())
    text = (base / "reports" / "2025-Q4" / "manifest.json").read_text(encoding="utf-8")
    assert manifest["project_file"] == "kpi.toml" and str(base) not in text and str(paths.ROOT) not in text


def test_reports_read_well(report_run):
    base, _ = report_run
    out = base / "reports" / "2025-Q4"
    for slug in SLUGS:
        notebook = nbformat.read(out / f"{slug}.ipynb", as_version=4)
        outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], slug
        stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
        assert "missing from font" not in stderr, slug
    html = (out / "hushan.html").read_text(encoding="utf-8")
    assert "2025年第4季度 壶山镇" in html and "示例数据" in html and "各季度末排名" in html
    assert "from kpi" not in html and "check_region_series" not in html  # code hidden
    assert '<html lang="zh">' in html  # else Chromium draws the Chinese in Noto Sans CJK's Japanese forms
    county = (out / "county.html").read_text(encoding="utf-8")
    assert "迈向2027" in county and "进度正常" in county
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("季度报告</a>") == 9 and "晾晒表_2025-12.xlsx" in index and "示例数据" in index


def test_second_run_executes_nothing(report_run):
    base, _ = report_run
    out = base / "reports" / "2025-Q4"
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file() and p.name != "report.log"}
    result = _report_q4(base)
    assert result.returncode == 0, result.stderr
    assert "nothing executed" in result.stdout
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.is_file() and p.name != "report.log"}
    assert after == before


def _own_progress(tmp_path) -> tuple[Path, list[str]]:
    """A copy of the example progress (the test changes it), and the options pointing a run at it, with
    processed tables and reports of the test's own."""
    progress = tmp_path / "progress_example.csv"
    shutil.copy(paths.EXAMPLE / progress.name, progress)
    folders = ["--processed", str(tmp_path / "processed"), "--out", str(tmp_path / "reports")]
    return progress, ["--progress", str(progress), *folders]


def test_a_broken_input_fails_one_region_cleanly(tmp_path):
    progress, folders = _own_progress(tmp_path)
    regions = ["--regions", "壶山镇", "东方镇", "--no-analysis", "--jobs", "2"]
    args = ["report", "--year", "2025", "--quarter", "4", *regions, *folders]
    assert run_kpi(*args).returncode == 0
    out = tmp_path / "reports" / "2025-Q4"
    good = (out / "dongfang.html").read_bytes()
    # 东方镇's November year-to-date patent count falls below October's: its own series is inconsistent
    lines = progress.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("2025-11,东方镇,new_invention_patents,"))
    lines[index] = "2025-11,东方镇,new_invention_patents,0,True"
    progress.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_kpi(*args)
    assert result.returncode == 1
    assert "dongfang" in result.stderr and "年内累计值下降" in result.stderr and "Traceback (most" not in result.stdout
    assert (out / "failed" / "dongfang.ipynb").exists()
    assert (out / "dongfang.html").read_bytes() == good  # the last good report is kept
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"]["dongfang"]["outcome"] == "failed"
    assert manifest["reports"]["hushan"]["outcome"] == "ok"
    assert "生成失败" in (out / "index.html").read_text(encoding="utf-8")


def test_overlapping_runs_are_serialised_by_a_lock(tmp_path):
    from filelock import FileLock

    (tmp_path / "reports").mkdir()
    with FileLock(str(tmp_path / "reports" / ".kpi-report.lock")):
        result = run_kpi(
            "report",
            "--regions",
            "全县",
            "--no-analysis",
            "--processed",
            str(tmp_path / "p"),
            "--out",
            str(tmp_path / "reports"),
            env={"KPI_LOCK_TIMEOUT": "1"},
        )
    assert result.returncode == 1 and "运行错误" in result.stderr and "另一个 kpi report 仍在运行" in result.stderr


@pytest.mark.parametrize("args, message", [(["--year", "2025"], "同时给出"), (["--regions", "火星镇"], "未知区域")])
def test_parameters_are_validated_before_anything_runs(tmp_path, args, message):
    result = run_kpi("report", *args, "--processed", str(tmp_path / "p"), "--out", str(tmp_path / "reports"))
    assert result.returncode == 2 and message in result.stderr
    assert not (tmp_path / "reports" / "2025-Q4").exists() or not list(
        (tmp_path / "reports" / "2025-Q4").glob("*.ipynb")
    )


def test_reports_in_a_real_browser(report_run, tmp_path, new_page):
    out = report_run[0] / "reports" / "2025-Q4"
    page = new_page(viewport={"width": 1300, "height": 900})
    elsewhere = []  # an offline government network reaches no other host: the pages ask none
    page.on(
        "request",
        lambda request: elsewhere.append(request.url) if not request.url.startswith(("file:", "data:")) else None,
    )
    page.goto((out / "index.html").as_uri())
    assert "缙云县" in page.title()
    links = page.eval_on_selector_all("a", "els => els.map(e => e.getAttribute('href'))")
    assert "hushan.html" in links and "晾晒表_2025-12.xlsx" in links
    for name in ("hushan.html", "county.html"):
        page.goto((out / name).as_uri())
        images = page.evaluate("Array.from(document.images).map(i => i.complete && i.naturalWidth > 0)")
        assert images and all(images), name
        text = page.inner_text("body")
        assert "晾晒表" in text and "示例数据" in text and "滞后事项与责任单位" in text
    page.screenshot(path=str(tmp_path / "hushan.png"), full_page=True)
    assert elsewhere == []
    for page_file in (out / "index.html", out / "hushan.html"):  # readable on a phone
        assert re.search(
            r'<meta[^>]*(name="viewport"[^>]*width=device-width|width=device-width[^>]*name="viewport")',
            page_file.read_text(encoding="utf-8"),
        )
    assert (tmp_path / "hushan.png").stat().st_size > 50_000


def test_one_region_rerun_keeps_the_others_in_index_and_manifest(report_run):
    base, _ = report_run
    out = base / "reports" / "2025-Q4"
    before = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    result = run_kpi(
        "report",
        "--regions",
        "壶山",
        "壶山镇",
        "--force",
        "--no-analysis",
        "--raw",
        str(base / "raw"),
        "--processed",
        str(base / "processed"),
        "--out",
        str(base / "reports"),
    )
    assert result.returncode == 0, result.stderr
    assert "[1/1] ok      hushan" in result.stdout  # an alias and the name: one region, run once
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count("季度报告</a>") == 9 and "01 数据读取与校验</a>" in index
    after = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert set(after) == set(before)
    assert after["hushan"]["finished_at"] >= before["hushan"]["finished_at"]
    assert {k: v for k, v in after.items() if k != "hushan"} == {k: v for k, v in before.items() if k != "hushan"}


def test_every_parameter_sent_is_declared(tmp_path):
    from kpi.core.errors import RunError
    from kpi.metadata.registry import Registry
    from kpi.publish.batch_plan import check_parameters, notebook_parameters, plan_jobs

    jobs = plan_jobs(2025, 4, Registry.load(paths.RAW), tmp_path, tmp_path, paths.NOTEBOOKS, "i", "c")
    assert len(jobs) == 12
    for job in jobs:
        assert set(job.parameters) <= notebook_parameters(Path(job.notebook)), job.key
        assert job.parameters["processed_dir"] == str(tmp_path.resolve())
    with pytest.raises(RunError, match="没有声明参数"):
        check_parameters(paths.NOTEBOOKS / "03_trajectories.ipynb", {"as_of_year": 2025, "region": "壶山镇"})


def test_last_years_filled_table_as_a_new_annex(report_run, tmp_path):
    """The filled 晾晒表 of 2025-12, retitled 2026, imported as 2026's annex, then scored."""
    import openpyxl

    base, _ = report_run
    workbook = openpyxl.load_workbook(base / "reports" / "2025-Q4" / "晾晒表_2025-12.xlsx")
    sheet = workbook.active
    sheet["A1"] = sheet["A1"].value.replace("2025年", "2026年")
    workbook.save(tmp_path / "2026.xlsx")
    from tests.support import write_config

    project = write_config(tmp_path / "p")
    result = run_kpi("import-annex", str(tmp_path / "2026.xlsx"), "--year", "2026", "--config", str(project))
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "p" / "store" / "annex").iterdir()] == ["annex_2026.csv"]  # the live one
    assert [p.name[13:] for p in (tmp_path / "p" / "store" / "received" / "annex-2026").iterdir()] == ["2026.xlsx"]
    result = run_kpi("ingest", "--config", str(project))
    assert result.returncode == 0 and "annex targets: 252 (2023, 2024, 2025, 2026)" in result.stdout, result.stderr


# ---------------------------------------------------------------- publication: print, PDF, no raw pandas


def _visible(html_text: str) -> str:
    import re

    without = re.sub(r"<(style|script)\b.*?</\1>", "", html_text, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", without)


def test_no_raw_pandas_in_any_page(report_run):
    import re

    out = report_run[0] / "reports" / "2025-Q4"
    pages = list(out.rglob("*.html"))
    assert len(pages) == 14  # 9 reports, 3 analyses, the index and the 数据说明 appendix
    for page in pages:
        text = page.read_text(encoding="utf-8")
        visible = _visible(text)
        assert not re.search(r"\bNaN\b|<NA>|\bnan\b|\bNone\b", visible), page.name
        assert not re.search(r"<tbody>\s*<tr>\s*<th[^>]*>\s*0\s*</th>", text), page.name  # a stray 0…n index
        assert not re.search(r"\d+\.0000|\b\d{4}\.0\b", visible), page.name  # 53.000, 2025.0


@pytest.mark.parametrize("slug", ["county", "hushan"])
def test_printed_to_a4_pdf(report_run, slug):

    pdf = report_run[0] / "reports" / "2025-Q4" / f"{slug}.pdf"
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-"
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; make test installs it as root")
    import re

    def text(*pages):
        raw = subprocess.run(["pdftotext", *pages, str(pdf), "-"], capture_output=True, text=True).stdout
        return re.sub(r"\s+", "", raw)  # pdftotext spaces out CJK runs

    first, everything = text("-f", "1", "-l", "1"), text()
    # page 1: the title (pdftotext may move its Latin digits) and the headline
    assert (
        "年第4季度" in first
        and "科技创新体系建设进展报告" in first
        and "一、总体情况" in first
        and "截至2025年12月" in first
    )
    assert "综合" in first and "得分" in first  # the 晾晒表's last column is on the page
    assert "第1页，共" in first and "制表单位：缙云县科技局" in first
    assert not re.search(r"\bNaN\b|<NA>|\bnan\b", everything)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "841.92 x 594.96" in info or "842 x 595" in info  # A4 landscape


def test_the_pdfs_embed_real_fonts_the_print_font_for_the_chinese(report_run):
    """Every font in the PDFs is an embedded TrueType subset: the Chinese in the print font (kpi.publish.print_font),
    regular and bold, none written as Type 3 glyph procedures (what Chromium makes of a CFF font)."""
    from kpi.publish import print_font

    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts (Debian poppler-utils) is not installed; make test installs it as root")
    if print_font.source_face(print_font.FACES["Regular"]) is None:
        pytest.skip("no Noto Sans CJK SC found through fontconfig: the PDFs keep the system's font")
    for slug in ("county", "hushan"):
        listing = subprocess.run(
            ["pdffonts", str(report_run[0] / "reports" / "2025-Q4" / f"{slug}.pdf")], capture_output=True, text=True
        ).stdout.splitlines()[2:]
        assert listing and not [line for line in listing if "Type 3" in line], slug
        assert all(" CID TrueType " in line and " yes yes yes " in line for line in listing), slug
        names = {line.split()[0].split("+")[-1] for line in listing}
        assert {"KPIPrintSansSC-Regular", "KPIPrintSansSC-Bold"} <= names, (slug, names)


def test_board_fits_the_printed_page_and_names_do_not_break(report_run, new_page):
    from kpi.publish.pdf import PRINT_CSS

    out = report_run[0] / "reports" / "2025-Q4"
    page = new_page(viewport={"width": int(PRINT_WIDTH_PX), "height": 800})
    for name in ("county.html", "hushan.html"):
        page.goto((out / name).as_uri())
        page.add_style_tag(content=PRINT_CSS)
        page.emulate_media(media="print")
        right = page.evaluate(
            "Math.max(...Array.from(document.querySelectorAll('table')).map(t => t.getBoundingClientRect().right))"
        )
        assert right <= PRINT_WIDTH_PX + 1, (name, right)
        heights = page.evaluate("""Array.from(document.querySelectorAll('table th, table td'))
            .filter(c => /^(全县|五云街道|丽水高新区|壶山镇|新建镇|东渡镇|舒洪镇|东方镇|丽缙高新区)$/.test(c.innerText.trim()))
            .map(c => { const r = document.createRange(); r.selectNodeContents(c); return r.getClientRects().length; })""")
        assert heights and max(heights) == 1, name  # each region name on one line


def test_a_report_reads_one_snapshot_whatever_an_ingest_does_meanwhile(tmp_path, faults):
    """``kpi report`` paused just after its snapshot; meanwhile a value changes and ``kpi ingest`` runs:
    the report, its notebook's parameters and its manifest are the snapshot's, not the new data's."""
    import sys

    progress, folders = _own_progress(tmp_path)
    command = [
        sys.executable,
        "-m",
        "kpi.cli",
        "report",
        "--year",
        "2025",
        "--quarter",
        "4",
        "--regions",
        "壶山镇",
    ]
    environment = user_environment(faults.pause_at("after-snapshot"))
    report = subprocess.Popen(
        [*command, "--no-analysis", *folders],
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    faults.wait_until_reached("after-snapshot", report)
    [snapshot] = [p for p in (tmp_path / ".processed-snapshots").iterdir() if p.name[0] != "."]
    progress.write_text(
        progress.read_text("utf-8").replace(",壶山镇,new_invention_patents,", ",壶山镇,new_invention_patents,1", 1),
        "utf-8",
    )
    changed = run_kpi("ingest", *folders[:4])
    assert changed.returncode == 0, changed.stderr
    faults.release("after-snapshot")
    out, err = report.communicate(timeout=300)
    assert report.returncode == 0, err[-3000:]
    summary = json.loads((tmp_path / "processed" / "ingest_summary.json").read_text("utf-8"))
    kept = json.loads((snapshot / "ingest_summary.json").read_text("utf-8"))
    assert summary["sha256"]["progress.parquet"] != kept["sha256"]["progress.parquet"]  # the ingest did change the data
    executed = (tmp_path / "reports" / "2025-Q4" / "hushan.ipynb").read_text("utf-8")
    parameters = json.loads(executed)["metadata"]["papermill"]["parameters"]
    assert (paths.ROOT / parameters["processed_dir"]).resolve() == snapshot.resolve()  # it read the snapshot
    manifest = json.loads((tmp_path / "reports" / "2025-Q4" / "manifest.json").read_text("utf-8"))
    recorded = {i["file"]: i["sha256"] for i in manifest["inputs"]}["progress_example.csv"]
    snapshot_inputs = pd.read_parquet(snapshot / "inputs.parquet").set_index("file")["sha256"]
    current_inputs = pd.read_parquet(tmp_path / "processed" / "inputs.parquet").set_index("file")["sha256"]
    assert recorded == snapshot_inputs["progress_example.csv"][:16] != current_inputs["progress_example.csv"][:16]


@pytest.mark.parametrize("slug", ["county", "hushan"])
def test_no_heading_or_lead_in_is_left_at_a_page_foot(report_run, slug):
    """What introduces something (一、… headings, a ⚠ line, “共 N 项…”) is printed on the page of what it
    introduces (#27): the last line of every page but the last is none of them."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; make test installs it as root")
    import re

    pdf = report_run[0] / "reports" / "2025-Q4" / f"{slug}.pdf"
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout.split("\f")
    for number, page in enumerate(pages[:-2], start=1):  # the text ends with a form feed: an empty last part
        lines = [  # pdftotext may set a closing 。 on a line of its own: it belongs to the line before
            line.strip() for line in page.splitlines() if line.strip(" 。，）") and "制表单位" not in line
        ]
        last = re.sub(r"\s+", "", lines[-1]) if lines else ""
        assert not re.match(r"^([一二三四五六七八九]、|⚠|共\d+项)", last), (slug, number, last)


def test_the_county_pdf_is_short_readable_and_whole(report_run):
    """The county's PDF (#27): no more pages than its content needs (10 before; 5 on the example data),
    every word at 9 pt or more (12 CSS px: a Noto Sans CJK word box 10.4 pt high) and inside the side
    margins, and each chart printed whole on one page (a chart split at a page break is drawn on two)."""
    if not (shutil.which("pdftotext") and shutil.which("pdfimages")):
        pytest.skip("pdftotext/pdfimages (Debian poppler-utils) are not installed; make test installs them")
    out = report_run[0] / "reports" / "2025-Q4"
    pdf = out / "county.pdf"
    words = pdf_words(pdf)
    pages = max(w[0] for w in words)
    assert pages <= 6, pages
    margin = 8 / 25.4 * 72
    small = [w for w in words if w[6] - w[4] < 10.3]
    assert not small, small[:5]
    outside = [w for w in words if w[3] < margin - 1 or w[5] > w[1] - margin + 1]
    assert not outside, outside[:5]
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
    drawn = [line.split()[0] for line in listing if line.split()[2] == "image"]
    charts = (out / "county.html").read_text("utf-8").count("<img")
    assert len(drawn) == charts, (drawn, charts)


def test_the_printed_board_keeps_its_statuses_in_grey(report_run, tmp_path):
    """The county PDF's 晾晒表 printed in black and white (#27): each status's cells one grey, the three
    greys apart, every cell marked ▲ ● ▼."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed; make test installs it as root")
    shutil.copy(report_run[0] / "reports" / "2025-Q4" / "county.pdf", tmp_path / "county.pdf")
    assert_statuses_survive_grey(status_greys(tmp_path / "county.pdf", page=1))


def test_the_provenance_is_an_appendix_and_the_report_says_it_in_two_lines(report_run):
    """§六 数据说明 is two lines (what the figures are, whose rules, where the appendix is); the files,
    hashes and sources are in 数据说明.html beside the reports, linked from the index."""
    out = report_run[0] / "reports" / "2025-Q4"
    report = _visible((out / "county.html").read_text("utf-8"))
    notes = report[report.index("六、数据说明") :]
    assert "示例数据" in notes and "数据说明.html" in notes and "方案未作规定" in notes
    assert "sha256" not in report and ".csv" not in report and "pandera" not in report
    appendix = (out / "数据说明.html").read_text("utf-8")
    assert "annex_2023.csv" in appendix and "sha256" in appendix and "官方" in appendix and "示例数据" in appendix
    assert "基本序时" in appendix and "晾晒表全县=各区域合计" in appendix
    validated = "4 张处理后表格通过结构校验（pandera）：annex_targets（晾晒表指标）、progress（进度）、"  # as recorded
    assert validated + "county_annual（年度值）、annex_sum_checks（总计与各区域合计）" in appendix
    assert 'href="数据说明.html"' in (out / "index.html").read_text("utf-8")


def test_one_command_screenshots_every_kind_of_output(report_run, tmp_path):
    """`make screenshots` (scripts/screenshots.py): the pages at desktop and phone width, each report PDF's
    first page, and the xlsx and docx as LibreOffice prints them, in colour and in grey."""
    from kpi.publish.pdf import why_no_pdf

    why = why_no_pdf()
    if why or not shutil.which("pdftoppm"):
        pytest.skip(f"{why} (make test installs it)" if why else "pdftoppm (Debian poppler-utils) is not installed")
    import runpy

    main = runpy.run_path(str(paths.ROOT / "scripts" / "screenshots.py"))["main"]
    assert main([str(report_run[0] / "reports" / "2025-Q4"), "--out", str(tmp_path)]) == 0
    made = {p.name for p in tmp_path.glob("*.png") if p.stat().st_size > 10_000}
    expected = {f"{page}-{width}.png" for page in ("index", "county", "hushan", "数据说明") for width in (1366, 390)}
    expected |= {"county-pdf.png", "hushan-pdf.png"}
    if shutil.which("soffice") or shutil.which("libreoffice"):
        expected |= {"xlsx.png", "xlsx-grey.png", "docx.png", "docx-grey.png"}
    assert made == expected


def test_on_a_phone_the_board_scrolls_with_its_regions_fixed(report_run, new_page):
    """At a phone's 390 px the 晾晒表 scrolls sideways inside its own box, and the region column stays put."""
    page = new_page(viewport={"width": 390, "height": 800})
    page.goto((report_run[0] / "reports" / "2025-Q4" / "hushan.html").as_uri())
    page.goto((report_run[0] / "reports" / "2025-Q4" / "index.html").as_uri())
    index_width = page.evaluate("document.documentElement.scrollWidth")
    page.goto((report_run[0] / "reports" / "2025-Q4" / "hushan.html").as_uri())
    moved = page.evaluate("""() => {
        const table = document.querySelector('table.board');
        const box = table.closest('.jp-OutputArea-output');
        const region = table.querySelector('tbody th.row_heading');
        const before = region.getBoundingClientRect().left;
        box.scrollLeft = 400;
        const text = [...document.querySelectorAll('.jp-RenderedMarkdown p, .jp-RenderedMarkdown h2')];
        return {scrolled: box.scrollLeft, page: document.documentElement.scrollWidth,
                shift: region.getBoundingClientRect().left - before, name: region.innerText,
                text: Math.max(...text.map(p => p.getBoundingClientRect().right))};
    }""")
    assert moved["scrolled"] > 100 and moved["page"] <= 390 + 1  # the box scrolls, not the page
    assert abs(moved["shift"]) <= 1 and moved["name"] == "全县"  # the region column did not move
    assert moved["text"] <= 390  # and the text wraps inside the screen, none of it cut at the right
    assert index_width <= 390  # the index page fits the phone's width
