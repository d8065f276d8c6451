"""The field table (kpi.metadata.fields): every schema, store table, column order and heading derives from it."""

import re
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from kpi.core.errors import InputError
from kpi.metadata import fields, schemas
from kpi.store import database

KPI = Path(__file__).resolve().parents[1] / "kpi"


def test_every_table_is_its_fields_in_order():
    for name, resource in fields.RESOURCES.items():
        assert list(schemas.schema(name).columns) == fields.columns(name), name
        assert set(resource.key) <= set(fields.columns(name)), name
    assert list(schemas.LEADERBOARD.columns) == fields.columns("leaderboard")
    assert fields.reading_columns("leaderboard") == [
        "period",
        "region",
        "indicator_id",
        "target",
        "comparator",
        "actual",
        "completion_rate",
        "time_share",
        "status",
        "rank",
    ]


def test_a_tables_headings_are_distinct():
    """A table renamed for a reader keeps one column per heading."""
    for name in fields.RESOURCES:
        headings = list(fields.headings(fields.columns(name)).values())
        assert len(headings) == len(set(headings)), name


def test_the_store_is_built_from_the_same_fields():
    for table, (columns, key, _) in database.TABLES.items():
        sql = database.METADATA.tables[table]
        assert [c.name for c in sql.columns][1:] == columns  # after row_id
        kinds = {c.name: type(c.type) for c in sql.columns}
        assert kinds.get("value") in (None, sa.Float, sa.Text)
    assert database.TABLES["progress"][1] == ["period", "region", "indicator_id"]
    assert type(database.METADATA.tables["progress"].c.source_row.type) is sa.Integer
    assert type(database.METADATA.tables["held"].c.value.type) is sa.Text  # kept as the form wrote it
    assert database.TABLES["county_annual"][0] == fields.columns("county_annual")


def test_every_field_is_used():
    """A field no table lists and no code names is a description waiting to go stale."""
    listed = {name for resource in fields.RESOURCES.values() for name in resource.field_map()}
    code = "\n".join(p.read_text(encoding="utf-8") for p in KPI.rglob("*.py") if p.name != "fields.py")
    named = set(re.findall(r"""["']([a-z_]+)["']""", code))
    assert set(fields.FIELDS) - listed - named == set()


def test_derived_checks_refuse_what_the_field_forbids():
    good = pd.DataFrame(
        {
            "period": ["2026-01"],
            "region": ["壶山镇"],
            "indicator_id": ["x"],
            "value": [1.0],
            "is_example": [False],
        }
    )
    schemas.validate(good, schemas.PROGRESS)  # source is optional
    for column, value in (("period", "2026-13"), ("value", 2e12)):
        bad = good.assign(**{column: [value]})
        with pytest.raises(InputError) as caught:
            schemas.validate(bad, schemas.PROGRESS, file="p.csv")
        assert caught.value.column == column and caught.value.row == 2
    with pytest.raises(InputError):
        schemas.validate(pd.concat([good, good], ignore_index=True), schemas.PROGRESS)  # the key, unique
    empty = fields.empty_frame("county_annual")
    assert list(empty.columns) == fields.columns("county_annual") and empty["year"].dtype == "int64"
    assert len(schemas.validate(empty, schemas.COUNTY_ANNUAL)) == 0


def test_headings_and_formats_come_from_the_fields():
    assert fields.heading("time_share") == "序时进度" and fields.excel_format("time_share") == "0.0%"
    assert fields.cell_kinds(["rank", "actual"]) == {"排名": "integer", "完成值": "number"}
    from kpi.explore.export import HEADINGS

    assert HEADINGS["actual"] == fields.heading("actual")


def test_the_data_dictionary_page_is_the_field_table():
    """docs/data_dictionary.md is generated from the field table (the command is on the page); a field
    changed without regenerating it is caught here."""
    page = (KPI.parent / "docs" / "data_dictionary.md").read_text(encoding="utf-8")
    assert page == fields.data_dictionary(), (
        "regenerate: .venv/bin/python -m kpi.metadata.fields > docs/data_dictionary.md"
    )
    assert "| `completion_rate` | 完成率 | 数值 |" in page and "data/processed/progress.parquet" in page
