"""A pandera schema for every tidy table the project reads or writes (after PUDL's practice:
no table leaves a module unvalidated). ``validate`` turns a failure into an ``InputError`` (a ``RunError`` for a table the code computed);
:func:`validate_at_scale` checks a large table on a seeded sample.

The registry's own tables (``INDICATORS``, ``PLAN_TARGETS``) are checked as they are loaded, the
inputs as they are read, and the tables the project computes (``LEADERBOARD``, ``SUM_CHECKS``,
``ASSESSMENTS``) as they are built.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from kpi.core import compat
from kpi.core.errors import InputError, RunError
from kpi.core.facts import BASES, BOOLEAN_WORDS, COMPARATORS, KINDS, MAX_VALUE, SOURCES, STATUSES, VERDICTS_ZH

#: tables up to this many rows are validated in full; larger ones by a seeded sample
FULL_VALIDATION_ROWS = 200_000
SAMPLE_ROWS = 50_000

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
YEAR = pa.Column(int, pa.Check.in_range(2000, 2100))  # a calendar year of the plan's era

ANNEX = pa.DataFrameSchema(
    {
        "year": YEAR,
        "region": pa.Column(str),
        "indicator_id": pa.Column(str),
        "target": pa.Column(float, pa.Check(lambda s: s.notna() & (s.abs() < 1e12))),
        "comparator": pa.Column(str, pa.Check.isin(COMPARATORS)),
        "target_text": pa.Column(str),  # the cell's wording as written ("" where a number or another unit)
        "is_example": pa.Column(bool),
    },
    strict=True,
    unique=["year", "region", "indicator_id"],
    name="annex_targets（晾晒表指标）",
)

PROGRESS = pa.DataFrameSchema(
    {
        "period": pa.Column(str, pa.Check(lambda s: _matches_once_per_value(s, PERIOD_PATTERN), name="period YYYY-MM")),
        "region": pa.Column(str),
        "indicator_id": pa.Column(str),
        "value": pa.Column(
            float,
            [
                pa.Check(lambda s: s.notna()),
                # no county's figure is near 10^12 of its unit: beyond it is a slip, and sums could overflow
                pa.Check(lambda s: s.abs() <= MAX_VALUE, name=f"|value| ≤ {MAX_VALUE:.0e}"),
            ],
        ),
        "is_example": pa.Column(bool),
        "source": pa.Column(str, required=False),  # the file (form) the value came from
    },
    strict=True,
    unique=["period", "region", "indicator_id"],
    name="progress（进度）",
)

COUNTY_ANNUAL = pa.DataFrameSchema(
    {
        "year": YEAR,
        "indicator_id": pa.Column(str),
        "name_zh": pa.Column(str),
        "unit": pa.Column(str),
        "value": pa.Column(float, pa.Check(lambda s: s.abs() <= MAX_VALUE, name=f"|value| ≤ {MAX_VALUE:.0e}")),
        "is_example": pa.Column(bool),
        "source": pa.Column(str),
    },
    strict=True,
    unique=["year", "indicator_id"],
    name="county_annual（年度值）",
)

PLAN_TARGETS = pa.DataFrameSchema(
    {
        "indicator_id": pa.Column(str, unique=True),
        "name_zh": pa.Column(str),
        "name_en": pa.Column(str),
        "unit": pa.Column(str),
        "target_value": pa.Column(float),
        "comparator": pa.Column(str, pa.Check.isin(COMPARATORS)),
        "basis": pa.Column(str, pa.Check.isin(BASES)),
        "base_year": pa.Column(int, coerce=True),
        "target_year": pa.Column(int, coerce=True),
        "clause": pa.Column(str, pa.Check.str_length(min_value=1)),
        "responsible_units": pa.Column(str, pa.Check.str_length(min_value=1)),
        "quote": pa.Column(str, pa.Check.str_length(min_value=1)),
        # the annual series the target is judged on when not its own: a growth rate's level, a "new since
        # base" target's stock (its yearly additions are the stock's differences); blank = its own
        "series_id": pa.Column(str),
        "series_name": pa.Column(str),
        "series_unit": pa.Column(str),
    },
    strict=True,
    name="plan_targets（方案目标）",
)


INDICATORS = pa.DataFrameSchema(
    {
        "indicator_id": pa.Column(str, unique=True),
        "name_zh": pa.Column(str, pa.Check.str_length(min_value=1)),
        "unit": pa.Column(str),
        "kind": pa.Column(str, pa.Check.isin(KINDS)),
        "sums_to_county": pa.Column(str, pa.Check.isin(list(BOOLEAN_WORDS))),
        "higher_is_better": pa.Column(str, pa.Check.isin(list(BOOLEAN_WORDS))),
        "annex_block": pa.Column(str, pa.Check.str_matches(r"^\d+$")),
        "annex_order": pa.Column(str, pa.Check.str_matches(r"^\d+$")),
        "weight": pa.Column(str, pa.Check.str_matches(r"^(\d+(\.\d+)?)?$")),
    },
    strict=False,  # the text columns (names, clauses, units responsible) are free text
    name="indicators（指标登记表，读入时）",
)


def _categories_in(allowed) -> pa.Check:
    """A categorical column whose categories are all among ``allowed`` (checked once, not per row)."""
    return pa.Check(
        lambda s: bool(pd.Index(s.cat.categories).isin(list(allowed)).all()), name=f"categories in {allowed}"
    )


LEADERBOARD = pa.DataFrameSchema(
    {
        "period": pa.Column("category", pa.Check(lambda s: _matches_once_per_value(s, PERIOD_PATTERN))),
        "region": pa.Column("category"),
        "indicator_id": pa.Column("category"),
        "target": pa.Column(float, nullable=True),
        "comparator": pa.Column("category", _categories_in([*COMPARATORS, ""])),
        "actual": pa.Column(float, nullable=True),
        "completion_rate": pa.Column(float, nullable=True),
        "time_share": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "status": pa.Column("category", _categories_in(STATUSES)),
        "rank": pa.Column("Int64", pa.Check.ge(1), nullable=True),
        "actual_source": pa.Column("category", _categories_in(SOURCES)),
        "is_example": pa.Column(bool),
    },
    strict=True,  # one row per period × region × indicator (and 综合) by construction: the cube
    name="leaderboard（晾晒表）",
)

SUM_CHECKS = pa.DataFrameSchema(
    {
        "year": YEAR,
        "indicator_id": pa.Column(str),
        "county": pa.Column(float, nullable=True),
        "regions_sum": pa.Column(float, nullable=True),
        "difference": pa.Column(float, nullable=True),
        "ok": pa.Column(bool),
    },
    strict=True,
    unique=["year", "indicator_id"],
    name="annex_sum_checks（总计与各区域合计）",
)


def _number() -> pa.Column:
    """A figure of an assessment: a float, empty where the method has none (coerced: an all-empty
    column arrives as object)."""
    return pa.Column(float, nullable=True, coerce=True)


#: one row per plan target (kpi.metrics.plan_progress.assess_plan); its columns, in order, are ASSESSMENT_COLUMNS
ASSESSMENTS = pa.DataFrameSchema(
    {
        "indicator_id": pa.Column(str, unique=True),
        "name_zh": pa.Column(str),
        "unit": pa.Column(str),
        "basis": pa.Column(str, pa.Check.isin(BASES)),
        "target_value": pa.Column(float),
        "comparator": pa.Column(str, pa.Check.isin(COMPARATORS)),
        "target_year": pa.Column(int),
        "base_year": pa.Column(int),
        "clause": pa.Column(str),
        "responsible_units": pa.Column(str),
        "series": pa.Column(str),
        "series_unit": pa.Column(str),  # the unit of the series judged (a growth target's level: 亿元)
        "is_example": pa.Column(bool),
        "verdict": pa.Column(str, pa.Check.isin(list(VERDICTS_ZH))),
        "verdict_zh": pa.Column(str, pa.Check.isin(list(VERDICTS_ZH.values()))),
        "ratio": _number(),
        "cagr_obs": _number(),
        "cagr_req": _number(),
        "projected": _number(),
        "projected_linear": _number(),
        "unsd_ratio": _number(),
        "reason": pa.Column(nullable=True),  # text, or all empty when every target has data
        "base_value": _number(),
        "latest_year": _number(),
        "latest_value": _number(),
        "years_left": _number(),
        "needed_change_per_year": _number(),
        "needed_growth_per_year": _number(),
        "best_change_so_far": _number(),
        "best_growth_so_far": _number(),
        "completion": _number(),
        "expected_share": _number(),
        "gap_points": _number(),
        "pace_ratio": _number(),
        "required_final": _number(),
        "achieved_year": _number(),
        "base_year_used": _number(),
        "note": pa.Column(nullable=True),
        "province_year": _number(),
        "province_value": _number(),
        "above_province": pa.Column(nullable=True),  # True / False where the plan compares with the province
        "as_of_year": pa.Column(int),
    },
    strict=True,
    ordered=True,
    name="assessments（2027目标评估）",
)


#: the processed tables a schema checks, by file (the registry's own are checked as it loads)
PROCESSED = {
    "annex_targets.csv": ANNEX,
    "progress.csv": PROGRESS,
    "county_annual.csv": COUNTY_ANNUAL,
    "annex_sum_checks.csv": SUM_CHECKS,
}


def check_processed(tables: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Every table of :data:`PROCESSED` in ``tables`` checked by its schema as it is about to be written
    (:func:`validate_at_scale`); the schema each passed, by file, as the ingest summary records it (the
    data notes report the record, never a claim of their own)."""
    for name, frame in tables.items():
        if name in PROCESSED:
            validate_at_scale(frame, PROCESSED[name], file=name)
    return {name: PROCESSED[name].name for name in tables if name in PROCESSED}


def _matches_once_per_value(series, pattern: str):
    """A regex check that tests each distinct value once (periods repeat millions of times)."""
    codes, uniques = pd.factorize(series)
    ok = pd.Series(uniques).astype(str).str.fullmatch(pattern).to_numpy()
    return pd.Series(ok[codes], index=series.index)


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
