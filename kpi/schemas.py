"""A pandera schema for every tidy table the project reads or writes (after PUDL's practice:
no table leaves a module unvalidated). ``validate`` turns a failure into an ``InputError``."""

from __future__ import annotations

import pandera.pandas as pa

from kpi.errors import InputError
from kpi.registry import BASES, COMPARATORS

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

ANNEX = pa.DataFrameSchema(
    {
        "year": pa.Column(int, pa.Check.in_range(2000, 2100)),
        "region": pa.Column(str),
        "indicator_id": pa.Column(str),
        "target": pa.Column(float, pa.Check(lambda s: s.notna() & (s.abs() < 1e12))),
        "comparator": pa.Column(str, pa.Check.isin(COMPARATORS)),
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
        "value": pa.Column(float, pa.Check(lambda s: s.notna())),
        "is_example": pa.Column(bool),
        "source": pa.Column(str, required=False),  # the file (form) the value came from
    },
    strict=True,
    unique=["period", "region", "indicator_id"],
    name="progress（进度）",
)

COUNTY_ANNUAL = pa.DataFrameSchema(
    {
        "year": pa.Column(int, pa.Check.in_range(2000, 2100)),
        "indicator_id": pa.Column(str),
        "name_zh": pa.Column(str),
        "unit": pa.Column(str),
        "value": pa.Column(float),
        "is_example": pa.Column(bool),
        "source": pa.Column(str),
    },
    strict=True,
    unique=["year", "indicator_id"],
    name="county_annual（全县年度值）",
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
        "base_year": pa.Column(int),
        "target_year": pa.Column(int),
        "clause": pa.Column(str, pa.Check.str_length(min_value=1)),
        "responsible_units": pa.Column(str, pa.Check.str_length(min_value=1)),
        "quote": pa.Column(str, pa.Check.str_length(min_value=1)),
    },
    strict=True,
    name="plan_targets（方案目标）",
)


def _matches_once_per_value(series, pattern: str):
    """A regex check that tests each distinct value once (periods repeat millions of times)."""
    import pandas as pd

    codes, uniques = pd.factorize(series)
    ok = pd.Series(uniques).astype(str).str.fullmatch(pattern).to_numpy()
    return pd.Series(ok[codes], index=series.index)


def validate(frame, schema: pa.DataFrameSchema, file=None):
    """Validate ``frame``; on failure raise an ``InputError`` naming the first failing cell."""
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        first = exc.failure_cases.iloc[0]
        index = first.get("index")
        raise InputError(
            f"表 {schema.name} 未通过校验：{first.get('check')} / schema check failed",
            file=file,
            row=None if index is None or index != index else int(index) + 2,
            column=first.get("column"),
            value=first.get("failure_case"),
            fix="按 data/raw/README.md 中的列说明修改该单元格",
        ) from None
