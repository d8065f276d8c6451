"""A pandera schema for every tidy table the project reads or writes, derived from its fields
(:mod:`kpi.metadata.fields`; after PUDL's practice: no table leaves a module unvalidated). ``validate`` turns a failure into an ``InputError`` (a ``RunError`` for a table the code computed);
:func:`validate_at_scale` checks a large table on a seeded sample.

The registry's own tables (``INDICATORS``, ``PLAN_TARGETS``) are checked as they are loaded, the
inputs as they are read, and the tables the project computes (``LEADERBOARD``, ``SUM_CHECKS``,
``ASSESSMENTS``) as they are built.
"""

from __future__ import annotations

import functools

import pandas as pd
import pandera.pandas as pa

from kpi.core import compat
from kpi.core.errors import InputError, RunError
from kpi.metadata.fields import RESOURCES, Field, processed_file

#: tables up to this many rows are validated in full; larger ones by a seeded sample
FULL_VALIDATION_ROWS = 200_000
SAMPLE_ROWS = 50_000


def _matches_once_per_value(series, pattern: str):
    """A regex check that tests each distinct value once (periods repeat millions of times)."""
    codes, uniques = pd.factorize(series)
    ok = pd.Series(uniques).astype(str).str.fullmatch(pattern).to_numpy()
    return pd.Series(ok[codes], index=series.index)


def _checks(spec: Field) -> list[pa.Check]:
    """The pandera checks of a field's constraints; a categorical column's allowed values are checked on
    its categories, once, and a pattern once per distinct value."""
    checks = []
    if spec.isin and spec.dtype == "category":
        allowed = list(spec.isin)
        checks.append(
            pa.Check(lambda s: bool(pd.Index(s.cat.categories).isin(allowed).all()), name=f"categories in {allowed}")
        )
    elif spec.isin:
        checks.append(pa.Check.isin(list(spec.isin)))
    if spec.in_range is not None:
        checks.append(pa.Check.in_range(*spec.in_range))
    if spec.pattern is not None:
        pattern = spec.pattern
        words = spec.pattern_words or pattern
        checks.append(
            pa.Check(lambda s: _matches_once_per_value(s, pattern), name=f"格式应为 {words} / matches {words}")
        )
    if spec.min_length is not None:
        checks.append(pa.Check.str_length(min_value=spec.min_length))
    if spec.abs_max is not None:
        limit = spec.abs_max
        checks.append(pa.Check(lambda s: s.abs() <= limit, name=f"|value| ≤ {limit:.0e}"))
    if spec.minimum is not None:
        checks.append(pa.Check.ge(spec.minimum))
    return checks


@functools.cache  # one schema object per table, however many names it goes by
def schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of ``table``, derived from its fields (:data:`kpi.metadata.fields.RESOURCES`)."""
    resource = RESOURCES[table]
    dtypes = {"str": str, "float": float, "int": int, "bool": bool, "object": None}
    return pa.DataFrameSchema(
        {
            name: pa.Column(
                dtypes.get(spec.dtype, spec.dtype),
                _checks(spec),
                nullable=spec.nullable,
                required=spec.required,
                coerce=spec.coerce,
                unique=spec.unique,
            )
            for name, spec in resource.field_map().items()
        },
        strict=resource.strict,
        ordered=resource.ordered,
        unique=list(resource.key) or None,
        name=resource.title,
    )


ANNEX = schema("annex_targets")
PROGRESS = schema("progress")
COUNTY_ANNUAL = schema("county_annual")
PLAN_TARGETS = schema("plan_targets")
INDICATORS = schema("indicators")
LEADERBOARD = schema("leaderboard")
SUM_CHECKS = schema("annex_sum_checks")
ASSESSMENTS = schema("assessments")  # one row per plan target (kpi.metrics.plan_progress.assess_plan)

#: the processed tables a schema checks, by file (the registry's own are checked as it loads)
PROCESSED = {processed_file(name): schema(name) for name, resource in RESOURCES.items() if resource.processed}


def check_processed(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Every table of :data:`PROCESSED` in ``tables`` checked by its schema as it is about to be written
    (:func:`validate_at_scale`); the schema each passed, by file, as the ingest summary records it (the
    data notes report the record, never a claim of their own)."""
    for name, frame in tables.items():
        if name in PROCESSED:
            validate_at_scale(frame, PROCESSED[name], file=name)
    return {name: PROCESSED[name].name for name in tables if name in PROCESSED}


def validate_at_scale(frame, schema: pa.DataFrameSchema, file=None, computed: bool = False):
    """``schema`` on every row up to :data:`FULL_VALIDATION_ROWS`, else on a seeded sample of
    :data:`SAMPLE_ROWS` (a check that needs every row, such as uniqueness, is then the caller's)."""
    if len(frame) <= FULL_VALIDATION_ROWS:
        return validate(frame, schema, file, computed)
    validate(frame.sample(SAMPLE_ROWS, random_state=0), schema, file, computed)
    return frame


def validate(frame, schema: pa.DataFrameSchema, file=None, computed: bool = False):
    """Validate ``frame``; on failure raise an error naming the first failing cell: an ``InputError`` for
    a table read from a file (fix the cell), a ``RunError`` for one the code ``computed`` (a fault of
    the code, not of the input)."""
    compat.load_pandera_without_data_synthesis()
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        first = exc.failure_cases.iloc[0]
        index = first.get("index")
        if computed:
            raise RunError(
                f"计算得到的表 {schema.name} 未通过校验：{first.get('check')} / a computed table failed its schema",
                column=first.get("column"),
                value=first.get("failure_case"),
                fix="这是程序的错误，不是输入的错误：请保留输入文件并报告此消息（KPI_DEBUG=1 可看到出错位置）",
            ) from None
        raise InputError(
            f"表 {schema.name} 未通过校验：{first.get('check')} / schema check failed",
            file=file,
            row=None if index is None or index != index else int(index) + 2,
            column=first.get("column"),
            value=first.get("failure_case"),
            fix="按 data/raw/README.md 中的列说明修改该单元格",
        ) from None
