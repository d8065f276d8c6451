"""The project file's schema (kpi/metadata/project_file.py): what kpi.toml may hold, each entry's type and
range declared once, and one message naming the entry, its value and the fix for anything else."""

import pytest

from kpi.core.errors import ConfigError
from kpi.metadata import config as project
from kpi.metadata.project_file import ProjectFile
from tests.support import write_config


def _load_with(tmp_path, section: str, text: str):
    """A test project's file with ``text`` added to ``[section]`` (the section added when it has none)."""
    path = write_config(tmp_path)
    body = path.read_text(encoding="utf-8")
    heading = f"[{section}]\n"
    body = body.replace(heading, heading + text + "\n", 1) if heading in body else body + "\n" + heading + text + "\n"
    path.write_text(body, encoding="utf-8")
    return project.load(path)


@pytest.mark.parametrize(
    "section, text, problem, value, fix",
    [
        (
            "rules",
            "near_tolerance_points = 150",
            "[rules] near_tolerance_points 应为 0—100 之间的数",
            150,
            "例如 near_tolerance_points = 5",
        ),
        ("rules", "near_tolerance_points = true", "[rules] near_tolerance_points 应为 0—100 之间的数", True, "例如"),
        ("checks", "outlier_factor = 1", "[checks] outlier_factor 应为 2—1000 之间的数", 1, "例如 outlier_factor"),
        (
            "rules",
            "near_tolerence_points = 5",
            "[rules] 中有未知的项",
            ["near_tolerence_points"],
            "near_tolerance_points",
        ),
        ("output", "notebooks = 5", "notebooks 应为一个路径字符串", 5, 'notebooks = "notebooks"'),
        ("data", 'database = "mysql://x"', "[data] database 应为数据库地址", "mysql://x", "postgresql"),
        (
            "pacing.rd_expense_above_scale",
            'profile = "batch"\nreason = "…"',
            "[pacing.rd_expense_above_scale] 应写明 profile、reason、source",
            None,
            "profile",
        ),
        (
            "publication",
            'document_number = "缙科〔{yr}〕号"',
            "[publication] document_number 应为文字（发文字号中只可用 {year}、{month}）",
            "缙科〔{yr}〕号",
            "{year}",
        ),
        ("surveys", "x = 1", "未知的节 [surveys]", "surveys", "[county]"),
    ],
)
def test_a_wrong_entry_is_one_message_naming_it_its_value_and_the_fix(tmp_path, section, text, problem, value, fix):
    with pytest.raises(ConfigError) as caught:
        _load_with(tmp_path, section, text)
    error = caught.value
    assert problem in error.problem and fix in error.fix and error.file.name == "kpi.toml"
    if value is not None:
        assert error.value == value


def test_one_path_alone_is_a_list_of_one_and_numbers_keep_their_type(tmp_path):
    config = _load_with(tmp_path, "rules", "near_tolerance_points = 3\ncomposite_cap_percent = 150.5")
    assert config.rules == {"near_tolerance_points": 3, "composite_cap_percent": 150.5}
    assert isinstance(config.rules["near_tolerance_points"], int)  # written back as 3, not 3.0


def test_every_range_is_declared_in_the_schema():
    """The ranges a person is told are the schema's own (its JSON schema carries them), and no section takes
    a key it does not declare."""
    defs = ProjectFile.model_json_schema()["$defs"]
    near = defs["Rules"]["properties"]["near_tolerance_points"]["anyOf"][0]
    assert (near["ge"], near["le"]) == (0, 100)
    assert {"type": "integer", "minimum": 2000, "maximum": 2100} in defs["Plan"]["properties"]["target_year"]["anyOf"]
    assert {name: model.get("additionalProperties") for name, model in defs.items()} == dict.fromkeys(defs, False)
