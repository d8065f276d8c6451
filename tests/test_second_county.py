"""A second county, start to finish, with no file under kpi/ or notebooks/ edited (issue #26).

云岭区 is the project's own invention (tests/fixtures/second_county/plan.txt): another name and short
name (“528”), a 2024—2028 horizon, 全区 as its total row, 11 regions (two of them development zones) and
9 indicators, among them a ratio (研发投入强度, 每万人发明专利拥有量) and a rank (科技创新指数位次, 前N位).
The test goes the documented way (docs/new_county.md): ``kpi init`` from the plan's text and its
annex, ``kpi check`` and the review, ``kpi import-annex``, forms for May and June filled and collected,
the June 晾晒表 and 情况通报, the second quarter's reports, and notebooks 03 and 05.

June, worked by hand (序时 = 50 %). Amounts are 50 % of their targets (completion 0.5), counts and the
patent ratio exactly at target (1.0), growth 10 % against 10以上 (1.0). So 综合 = (5.5 + r + k) / 9, where
r = ratio ÷ target and k = target ÷ rank, each kept within [0, 1.5]:

============  ======  ==========  ======  ============  ======  =======================  =========
region        ratio   target      status  rank (place)  target  status                   综合 (rank)
============  ======  ==========  ======  ============  ======  =======================  =========
云山街道       2.6     2.5以上      达标     5             前8位    达标 (k = 1.6 → 1.5)     0.8933 (2)
岭南街道       2.4     2.5以上      未达标   9             前8位    未达标                   0.8165 (10)
青溪街道       2.5     2.5以上      达标     10            前10位   达标 (equal)             0.8333 (8)
白石镇         3.1     2.5以上      达标     4             前6位    达标                     0.9156 (1)
枫林镇         2.2     2.5以上      未达标   7             前6位    未达标                   0.8041 (11)
松岗镇         2.7     2.5以上      达标     8             前10位   达标                     0.8700 (5)
桃源镇         2.5     2.5以上      达标     11            前10位   未达标                   0.8232 (9)
石门乡         1.9     2.5以上      未达标   6             11位以内  达标                     0.8622 (7)
龙潭乡         2.0     2.5以上      未达标   3             11位以内  达标                     0.8667 (6)
云岭经济开发区  3.6     3.5以上      达标     1             前3位    达标                     0.8921 (3)
云岭高新园区    3.4     3.5以上      未达标   2             前3位    达标                     0.8857 (4)
全区           2.9     3.0以上      未达标   28            前30位   达标                     0.8376 (—)
============  ======  ==========  ======  ============  ======  =======================  =========

Ranks among the 11 regions: the ratio highest first (3.6, 3.4, 3.1, 2.7, 2.6, 2.5 ×2 tied at 6, 2.4 …),
the rank lowest first. From May to June 云山街道's ratio dips (2.8 → 2.6) and its rank improves (7 → 5):
both normal for a level, neither "a value that falls", and every report is produced.
"""

import hashlib
import html
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from kpi.core import paths
from tests.second_county import REGIONS, fill
from tests.support import pdf_words, run_kpi

pytestmark = pytest.mark.integration
FIXTURES = paths.ROOT / "tests" / "fixtures" / "second_county"
RATIO_ID, RANK_ID = "yan_fa_tou_ru_qiang_du", "ke_ji_chuang_xin_zhi_shu_wei_ci"
HAND = pd.DataFrame(
    {
        "region": REGIONS,
        "ratio_status": [
            "达标",
            "未达标",
            "达标",
            "达标",
            "未达标",
            "达标",
            "达标",
            "未达标",
            "未达标",
            "达标",
            "未达标",
        ],
        "ratio_rank": [5, 8, 6, 3, 9, 4, 6, 11, 10, 1, 2],
        "rank_status": ["达标", "未达标", "达标", "达标", "未达标", "达标", "未达标", "达标", "达标", "达标", "达标"],
        "rank_rank": [5, 9, 10, 4, 7, 8, 11, 6, 3, 1, 2],
        "composite": [8.04, 7.3489, 7.5, 8.24, 7.2371, 7.83, 7.4091, 7.76, 7.8, 8.0286, 7.9714],
        "composite_rank": [2, 10, 8, 1, 11, 5, 9, 7, 6, 3, 4],
    }
).set_index("region")


def _tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and ".ipynb_checkpoints" not in p.parts
    }


def _ok(*args, cwd) -> str:
    done = run_kpi(*args, cwd=cwd)
    assert done.returncode == 0, f"kpi {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    code_before = {name: _tree(paths.ROOT / name) for name in ("kpi", "notebooks")}
    base = tmp_path_factory.mktemp("yunling")
    project = base / "yunling"
    _ok(
        "init",
        str(project),
        "--plan",
        str(FIXTURES / "plan.txt"),
        "--annex",
        str(FIXTURES / "annex_2025.csv"),
        cwd=base,
    )
    review = _ok("check", cwd=project)
    assert "待审核 16 项" in review
    _ok("check", "--reviewed", "all", cwd=project)  # the documented review step
    _ok("import-annex", str(FIXTURES / "annex_2025.csv"), "--year", "2025", cwd=project)
    for period in ("2025-05", "2025-06"):
        _ok("template", "--period", period, cwd=project)
        returned = base / "inbox" / period / f"汇总_{period}.xlsx"
        fill(project / "reports" / "forms" / period / f"报送表_{period}_汇总.xlsx", returned, period)
        _ok("collect", str(returned.parent), "--period", period, cwd=project)
    _ok("leaderboard", "--period", "2025-06", cwd=project)
    _ok("report", cwd=project)
    assert {name: _tree(paths.ROOT / name) for name in ("kpi", "notebooks")} == code_before
    return {"project": project, "review": review}


def test_init_drafts_the_plan_and_a_registry_that_loads(district):
    project = district["project"]
    toml = (project / "kpi.toml").read_text("utf-8")
    for line in (
        'name = "云岭区"',
        'total_name = "全区"',
        'short_name = "528"',
        'document_number = "云政办发〔2024〕8号"',
        "base_year = 2023",
        "target_year = 2028",
    ):
        assert line in toml
    regions = pd.read_csv(project / "data" / "raw" / "regions.csv", dtype=str)
    assert regions["region"].tolist() == ["全区", *REGIONS]
    assert regions.loc[regions["region"].str.endswith("区") & (regions["kind"] == "开发区"), "region"].size == 2
    indicators = pd.read_csv(project / "data" / "raw" / "indicators.csv", dtype=str).set_index("name_zh")
    assert indicators["kind"].to_dict() == {
        "规上工业企业研发费用": "amount",
        "研发投入强度": "ratio",
        "高新技术产业增加值增长": "growth",
        "高新技术产业投资": "amount",
        "科技创新指数位次": "rank",
        "新增高新技术企业": "count",
        "新增科技型中小企业": "count",
        "每万人发明专利拥有量": "ratio",
        "技术合同成交额": "amount",
    }
    assert indicators.at["科技创新指数位次", "higher_is_better"] == "false"
    assert indicators["sums_to_county"].eq("true").sum() == 5  # the amounts and counts whose regions add up
    plan = pd.read_csv(project / "data" / "raw" / "plan_targets.csv", dtype=str).set_index("name_zh")
    assert plan.loc["科技进步综合评价位次", ["target_value", "comparator", "basis"]].tolist() == ["30.0", "<=", "level"]
    assert plan.loc["每万人发明专利拥有量", "basis"] == "level"
    growth = plan.loc["规上工业企业研发费用年均增长"]
    assert (growth["basis"], growth["series_name"], growth["series_unit"]) == (
        "annual_growth",
        "规上工业企业研发费用",
        "亿元",
    )
    assert "indicators.csv:ke_ji_chuang_xin_zhi_shu_wei_ci" in district["review"]  # each drafted row, with why


def test_ratio_and_rank_statuses_ranks_and_composite_equal_the_hand_table(district):
    board = pd.read_csv(district["project"] / "reports" / "monthly" / "2025-06" / "leaderboard_2025-06.csv")
    regional = board[board["region"] != "全区"].set_index("region")
    for prefix, indicator_id in (("ratio", RATIO_ID), ("rank", RANK_ID)):
        cells = regional[regional["indicator_id"] == indicator_id].reindex(REGIONS)
        assert cells["status"].tolist() == HAND[f"{prefix}_status"].tolist(), prefix
        assert cells["rank"].astype(int).tolist() == HAND[f"{prefix}_rank"].tolist(), prefix
    composite = regional[regional["indicator_id"] == "composite"].reindex(REGIONS)
    assert composite["completion_rate"].to_numpy() == pytest.approx(HAND["composite"].to_numpy() / 9, abs=1e-4)
    assert composite["rank"].astype(int).tolist() == HAND["composite_rank"].tolist()
    total = board[board["region"] == "全区"].set_index("indicator_id")
    assert (total.at[RATIO_ID, "status"], total.at[RANK_ID, "status"]) == ("未达标", "达标")
    assert total.at["composite", "completion_rate"] == pytest.approx((5.5 + 2.9 / 3 + 30 / 28) / 9, abs=1e-4)
    assert total["rank"].isna().all()  # the total row is not ranked


def _texts(folder: Path) -> dict[str, str]:
    """Every published output as a reader gets its words: HTML without its images, the xlsx and docx
    XML, the PDFs' text, the CSVs."""
    import os

    texts = {}
    published = [  # the published quarter is a link into .builds: followed, the builds themselves not
        Path(top) / name
        for top, folders, names in os.walk(folder, followlinks=True)
        if not folders.__setitem__(slice(None), [f for f in folders if f != ".builds"])
        for name in names
    ]
    for path in sorted(published):
        if path.suffix == ".ipynb":
            continue
        if path.suffix == ".html":
            texts[str(path)] = re.sub(r"data:image/[^\"']+", "", path.read_text("utf-8"))
        elif path.suffix in (".csv", ".json"):
            texts[str(path)] = re.sub(r"[0-9a-f]{12,}", "", path.read_text("utf-8-sig"))
        elif path.suffix in (".xlsx", ".docx"):
            import zipfile

            with zipfile.ZipFile(path) as archive:  # character references (&#20840;) read as the characters
                xml = "".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))
            texts[str(path)] = html.unescape(xml)
        elif path.suffix == ".pdf" and shutil.which("pdftotext"):
            texts[str(path)] = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    return texts


def test_no_output_names_another_county_and_the_titles_are_its_own(district):
    reports = district["project"] / "reports"
    texts = _texts(reports)
    assert len(texts) >= 40
    for path, text in texts.items():
        for word in ("缙云", "“139”", "全县"):
            assert word not in text, (path, word)
        assert not re.search(r"(?<![0-9a-f])2027(?![0-9a-f])", text), path
    heading = texts[str(reports / "2025-Q2" / "total.html")]
    assert "全区“528”" in heading or "云岭区“528”" in heading
    assert "云岭区“528”科技创新情况通报" in texts[str(reports / "monthly" / "2025-06" / "情况通报_2025-06.docx")]
    assert (
        "2025年云岭区“528”科技创新争先创优晾晒表" in texts[str(reports / "monthly" / "2025-06" / "晾晒表_2025-06.xlsx")]
    )
    assert "迈向2028" in heading and "第28位" in heading and "前30位" in heading
    # the annex's targets as it wrote them (#27), in the report's 晾晒表 and the xlsx
    workbook = texts[str(reports / "monthly" / "2025-06" / "晾晒表_2025-06.xlsx")]
    for wording in ("进入全省前30位", "不低于10%", "3.0以上", "11位以内"):
        assert wording in heading and wording in workbook, wording


def test_a_board_wider_than_jinyuns_is_fitted_to_the_printed_page(district):
    """云岭区's 晾晒表 has nine indicators (Jinyun's seven fit at 9 pt): printed, it is zoomed to the page's
    width, never cut at its right edge (#27)."""
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (Debian poppler-utils) is not installed; make test installs it as root")
    words = pdf_words(district["project"] / "reports" / "2025-Q2" / "total.pdf")
    first = [w for w in words if w[0] == 1]
    assert any(w[7].startswith("综合") or w[7] == "得分" for w in first)  # the board's last column is there
    assert max(w[5] for w in first) <= first[0][1] - 8 / 25.4 * 72 + 1


def test_a_month_where_the_ratio_dips_and_the_rank_improves_produces_every_report(district):
    quarter = district["project"] / "reports" / "2025-Q2"
    slugs = pd.read_csv(district["project"] / "data" / "raw" / "regions.csv", dtype=str)["slug"]
    for slug in slugs:
        assert (quarter / f"{slug}.html").exists() and (quarter / f"{slug}.pdf").exists(), slug
    assert {p.name for p in (quarter / "analysis").glob("*.html")} == {
        "01_ingest.html",
        "02_leaderboard.html",
        "03_trajectories.html",
    }
    log = (quarter / "report.log").read_text("utf-8")
    assert "下降" not in log and "fall" not in log


def _outputs(notebook: Path) -> str:
    """What an executed notebook shows (its outputs' text and HTML), not its code."""
    import nbformat

    return "\n".join(
        str(output.get("data", {}).get("text/html", ""))
        + str(output.get("data", {}).get("text/markdown", ""))
        + str(output.get("data", {}).get("text/plain", ""))
        + str(output.get("text", ""))
        for cell in nbformat.read(notebook, as_version=4).cells
        for output in cell.get("outputs", [])
    )


def test_notebooks_03_and_05_run_for_the_district_on_its_defaults(district, tmp_path, warm_kernels):
    from kpi.publish.runner import execute_notebook

    processed = {"processed_dir": str(district["project"] / "data" / "processed")}
    explorer = _outputs(execute_notebook(paths.NOTEBOOKS / "05_explore.ipynb", tmp_path / "05.ipynb", processed))
    assert "云山街道" in explorer and "Traceback" not in explorer  # the first region, the latest month
    trajectories = _outputs(
        execute_notebook(paths.NOTEBOOKS / "03_trajectories.ipynb", tmp_path / "03.ipynb", processed)
    )
    assert "2028目标" in trajectories and "Traceback" not in trajectories
    for text in (explorer, trajectories):
        assert "缙云" not in text and "全县" not in text and not re.search(r"(?<![0-9a-f])2027(?![0-9a-f])", text)


@pytest.mark.parametrize(
    ("cell", "problem"),
    [("0", "位次不能小于 1"), ("2.5", "位次，应为整数"), ("-0.1", "比率不能小于 0")],
)
def test_a_township_sheet_with_an_impossible_rank_or_ratio_is_refused_at_its_cell(district, tmp_path, cell, problem):
    header = "科技创新指数位次（位）" if "位次" in problem else "研发投入强度（%）"
    sheet = tmp_path / "云山街道.csv"
    sheet.write_text(
        f"时期,2025-06\n区域,{header}\n云山街道,{cell}\n填报人：王五,电话：0578-1234567\n", encoding="gb18030"
    )
    before = (district["project"] / "data" / "county" / "progress.csv").read_bytes()
    done = run_kpi("collect", str(sheet), "--period", "2025-06", cwd=district["project"])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert problem in done.stderr and "云山街道.csv" in done.stderr and "第 3 行" in done.stderr
    assert repr(cell) in done.stderr and "修改方法 / fix" in done.stderr
    assert (district["project"] / "data" / "county" / "progress.csv").read_bytes() == before  # nothing written
