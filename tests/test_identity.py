"""The plan's identity is data (``[plan]`` and ``[county]`` of kpi.toml): titles, headings and labels read it,
so another county's plan prints as its own and no output says “139” or 缙云 unless its project file does."""

from dataclasses import replace

import docx
import openpyxl
import pytest

from kpi.core.errors import ConfigError
from kpi.metadata import config as project
from kpi.metadata.identity import PlanIdentity
from tests.support import run_kpi, shipped_plan, write_config

OTHER_PLAN = """
[plan]
name = "云岭区“528”科技创新工程实施方案（2024—2028年）"
short_name = "528"
subject = "科技创新工程"
document_number = "云政办发〔2024〕8号"
base_year = 2023
target_year = 2028
"""


def other_county(folder):
    """The shipped example data under another county's project file: another name, plan and horizon."""
    path = write_config(folder)
    text = path.read_text(encoding="utf-8")
    start, end = text.index("[plan]"), text.index("[data]")
    text = text[:start] + OTHER_PLAN.lstrip() + "\n" + text[end:]
    path.write_text(text.replace('name = "缙云县"', 'name = "云岭区"').replace("缙云县科技局", "云岭区科技局"), "utf-8")
    return path


def test_jinyun_states_its_own_identity():
    plan = shipped_plan()
    assert plan.headline == "缙云县“139”科技创新体系建设" and plan.horizon == "2023—2027年"
    assert (plan.target_label, plan.toward, plan.document_number) == ("2027年目标", "迈向2027", "缙政办发〔2023〕25号")


def test_a_project_file_without_a_plan_prints_no_one_elses():
    plan = PlanIdentity(county="某县")
    assert (plan.headline, plan.target_label, plan.toward, plan.horizon) == (
        "某县科技创新",
        "规划目标",
        "迈向规划目标",
        "",
    )
    assert plan.with_years(2022, 2027).horizon == "2023—2027年"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("base_year = 2028\ntarget_year = 2028", "应早于"),
        ('target_year = "2027年"', "整数年份"),
        ("horizon = 5", "未知的项"),
    ],
)
def test_a_wrong_plan_entry_is_named(tmp_path, entry, message):
    path = write_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    start, end = text.index("[plan]"), text.index("[data]")
    path.write_text(text[:start] + "[plan]\n" + entry + "\n\n" + text[end:], encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        project.load(path)
    assert caught.value.file == path and caught.value.fix


@pytest.mark.integration
def test_another_countys_titles_are_its_own(tmp_path):
    """The month's 晾晒表, 情况通报 and forms of a county whose plan is “528” to 2028: its name and short name
    in every title, nothing of Jinyun's."""
    other_county(tmp_path)
    for command in (
        ("leaderboard", "--period", "2023-09"),
        ("template", "--period", "2023-10"),
        ("template", "--year", "2024"),
    ):
        result = run_kpi(*command, cwd=tmp_path)
        assert result.returncode == 0, (command, result.stderr[-2000:])
    month = tmp_path / "reports" / "monthly" / "2023-09"
    sheet = openpyxl.load_workbook(month / "晾晒表_2023-09.xlsx").active
    assert sheet["A1"].value.startswith("2023年云岭区“528”科技创新工程争先创优晾晒表（截至2023年9月）")
    document = docx.Document(month / "情况通报_2023-09.docx")
    texts = [p.text for p in document.paragraphs]
    assert texts[1] == "云岭区科技局文件" and "云岭区“528”科技创新工程情况通报" in texts  # the 版头, the title
    assert document.core_properties.author == "云岭区科技局"
    forms = sorted((tmp_path / "reports" / "forms").rglob("*.xlsx"))
    assert forms
    texts = [document.core_properties.title, *(p.text for p in document.paragraphs)]
    for path in [month / "晾晒表_2023-09.xlsx", *forms]:
        for worksheet in openpyxl.load_workbook(path).worksheets:
            texts += [c.value for row in worksheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any("2028年目标" == t for t in texts)  # the annual form's target column
    assert [t for t in texts if "139" in t or "缙云" in t] == []


def test_a_changed_plan_brings_the_processed_tables_up_to_date(tmp_path):
    """A notebook opened after [plan] changed re-ingests (its titles would print the old plan otherwise)."""
    from kpi.ingest.pipeline import run_ingest
    from kpi.ingest.processed import inputs_changed

    path = write_config(tmp_path)
    config = project.load(path)
    run_ingest(config)
    assert not inputs_changed(config, config.processed)
    other = project.load(other_county(tmp_path / "other"))
    assert inputs_changed(replace(config, plan=other.plan), config.processed)
