"""kpi extract-targets: recall ≥ 95 % and precision ≥ 90 % on the seed and on a second plan of the genre."""

import subprocess
import sys

import pandas as pd
import pytest

from kpi import paths
from kpi.extract import chinese_number, compare, extract, fill_years, read_text, repair_lines
from kpi.ingest import read_annex
from tests.conftest import PLAN_TEXT

FIXTURES = paths.ROOT / "tests" / "fixtures"


@pytest.mark.parametrize("plan, reference", [
    (PLAN_TEXT, paths.RAW / "plan_targets.csv"),
    (FIXTURES / "plan_other_city.txt", FIXTURES / "plan_other_city_targets.csv"),  # GB18030, another city's plan
])
def test_recall_and_precision(plan, reference):
    draft, _ = extract(read_text(plan))
    result = compare(draft, pd.read_csv(reference))
    assert result["recall"] >= 0.95, result["missed"]
    assert result["precision"] >= 0.90, result["extra"]


def test_seed_rows_in_detail():
    draft, annex = extract(read_text(PLAN_TEXT))
    draft = fill_years(draft, read_text(PLAN_TEXT)).set_index("name_zh")
    assert draft.loc["县财政科技投入年均增长", ["target_value", "basis", "clause"]].tolist() == [15.0, "annual_growth", "一(二); 三(二)"]
    assert draft.loc["高校毕业生等青年人才", "target_value"] == 30000  # 3 万人
    assert draft.loc["省级新型研发机构（零突破）", "clause"] == "二(一)3"  # the page break inside 研发机/构 is repaired
    assert draft.loc["国家级高新区创建（新突破）", "review"] != ""  # an unclear one is kept and flagged
    assert (draft["base_year"] == 2022).all() and (draft["target_year"] == 2027).all()
    assert draft.loc["技术交易额", "responsible_units"] == "科技局、经济商务局、农业农村局"
    stock = draft[draft.index == "高新技术企业"].set_index("basis")
    assert stock.loc["cumulative", ["target_value", "comparator"]].tolist() == [400.0, ">="]  # 分别达到400家和1000家以上
    assert stock.loc["new_since_base", "target_value"] == 260
    assert not draft["quote"].str.contains("5%的企业").any()  # an eligibility condition is not a target


def test_annex_tables_are_extracted_to_the_annex_layout(tmp_path, registry):
    _, annex = extract(read_text(PLAN_TEXT))
    path = tmp_path / "annex_draft.csv"
    pd.DataFrame(annex).to_csv(path, index=False, header=False)
    shipped = read_annex(paths.RAW / "annex_2023.csv", registry)
    drafted = read_annex(path, registry)
    columns = ["year", "region", "indicator_id", "target", "comparator"]
    pd.testing.assert_frame_equal(drafted[columns], shipped[columns])


@pytest.mark.parametrize("text, value", [("3", 3), ("3.4", 3.4), ("十", 10), ("二十", 20), ("一百五十", 150), ("两", 2)])
def test_chinese_numbers(text, value):
    assert chinese_number(text) == value


def test_line_repair():
    lines = repair_lines("1.实现省级新型研发机\n\n构零突破。\n- 3 -\n2.下一条。")
    assert lines == ["1.实现省级新型研发机构零突破。", "2.下一条。"]


def test_cli_writes_a_draft_and_compares(tmp_path):
    out = tmp_path / "draft.csv"
    result = subprocess.run([sys.executable, "-m", "kpi.cli", "extract-targets", str(PLAN_TEXT), "--out", str(out),
                             "--compare", str(paths.RAW / "plan_targets.csv")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "recall 100.0%" in result.stdout and "precision 100.0%" in result.stdout
    draft = pd.read_csv(out)
    assert draft.columns[:12].tolist() == pd.read_csv(paths.RAW / "plan_targets.csv").columns.tolist()
    assert {"confidence", "review"} <= set(draft.columns)


def test_cli_never_writes_into_raw(tmp_path):
    before = sorted(p.name for p in paths.RAW.iterdir())
    result = subprocess.run([sys.executable, "-m", "kpi.cli", "extract-targets", str(PLAN_TEXT), "--out",
                             str(paths.RAW / "draft.csv")], capture_output=True, text=True)
    assert result.returncode == 2 and "data/raw" in result.stderr
    assert sorted(p.name for p in paths.RAW.iterdir()) == before
