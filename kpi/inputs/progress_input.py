"""Reading the monthly progress (进度): a county's forms, or a province's millions of rows.

``read_progress`` takes a long table (``period, region, indicator_id, value`` or 时期/区域/指标/数值)
from .csv, .parquet or .xlsx and returns the tidy ``period, region, indicator_id, value, is_example``
(and ``source`` when the table has it), every cell checked: hand-typed periods, aliases, full-width
digits, unit suffixes, percents given as fractions, duplicates, negative amounts, year-to-date falls.
A cell it cannot read raises :class:`kpi.core.errors.InputError` naming the file, row, column and value.

How it stays fast at scale (10^7 rows at about DuckDB's pace, ``benchmarks/``):

- CSV and Parquet are read by pyarrow, text columns dictionary-encoded: every check works on integer
  codes, and each distinct text (a region's name, a period) is parsed once;
- plain numbers are converted in one vectorised cast; only the other texts (``15.44亿元``, ``—``)
  go through :func:`kpi.core.parsing.parse_number`, once per distinct text;
- the rows are sorted only when they are not already in (period, region, indicator) order, and that
  one integer key finds the duplicates as neighbours: one pass;
- year-to-date falls are found on a (month × region·indicator) grid of each year, not by a sort;
- the pandera schema checks the whole table up to :data:`kpi.metadata.schemas.FULL_VALIDATION_ROWS` rows; above that it
  checks the column types and a seeded sample of rows (the uniqueness it would check is the
  duplicate pass above, which always covers every row).

Anything unusual about a CSV (a short row, a quoted line break) sends it to pandas' reader instead,
which accepts what the fast reader refuses; the checks after that are the same.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kpi.core.errors import InputError
from kpi.core.facts import KIND_RULES
from kpi.core.parsing import is_blank, is_example_text, parse_number, parse_period
from kpi.core.text import MARKED_FORMULA
from kpi.inputs.form_cells import kind_refusal
from kpi.inputs.raw_table import (
    RawTable,
    Values,
    distinct,
    find_columns,
    parse_distinct,
    plain_numbers,
    read_raw_table,
)
from kpi.inputs.ytd_falls import DataQualityWarning, find_falls, period_code, period_name, warn_falls
from kpi.metadata import schemas
from kpi.metadata.registry import Registry

# ---------------------------------------------------------------- the raw table


# ---------------------------------------------------------------- columns as integer codes


# ---------------------------------------------------------------- the reader


def _failer(table: RawTable, column: str, fix: str):
    def fail(record: int, raw: Any, exc: Exception) -> None:
        message = str(exc.args[0]) if exc.args else str(exc)
        raise InputError(message, value=raw, fix=fix, **table.location(record, column)) from None

    return fail


@dataclass
class Coded:
    """Records as integer codes into the registry: position of the region and indicator, the period
    as ``year * 12 + month - 1``, and the value. ``record`` is each one's index in the raw table."""

    record: np.ndarray
    period: np.ndarray
    region: np.ndarray
    indicator: np.ndarray
    value: np.ndarray
    is_example: np.ndarray
    source: Any = None  # the raw column, taken at ``record`` when the output is built

    def take(self, index: np.ndarray) -> "Coded":
        """The coded rows at ``index`` (a selection or an order), every column alike."""
        return Coded(
            self.record[index],
            self.period[index],
            self.region[index],
            self.indicator[index],
            self.value[index],
            self.is_example[index],
            self.source,
        )


def _code(table: RawTable, columns: dict, registry: Registry) -> tuple[Coded, Values]:
    """Every record of the table as codes, checking each distinct text once; blank rows (no
    region and no value) are skipped."""
    values = plain_numbers(table.columns[columns["value"]])
    value_blank = np.isnan(values.number)
    value_blank[values.messy] = [is_blank(text) for text in values.messy_text]
    region_codes, region_uniques = distinct(table.columns[columns["region"]])
    region_blank = np.array([is_blank(u) for u in region_uniques], dtype=bool)
    rows = np.flatnonzero(~(region_blank[region_codes] & value_blank)) if len(region_uniques) else np.zeros(0, np.int64)

    region_position = {name: i for i, name in enumerate(registry.region_names)}
    indicator_position = {name: i for i, name in enumerate(registry.indicators["indicator_id"])}
    parsed = {}
    for key, parse, fix in (
        ("period", lambda v: period_code(parse_period(v)), "写成 YYYY-MM，例如 2023-09"),
        (
            "region",
            lambda v: region_position[registry.resolve_region(v)],
            "改为已知区域名称，或登记别名：kpi alias 表中的名称 区域名称",
        ),
        (
            "indicator_id",
            lambda v: indicator_position[registry.resolve_indicator(v)],
            "用 data/raw/indicators.csv 中的 indicator_id 或中文名",
        ),
    ):
        codes, uniques = (region_codes, region_uniques) if key == "region" else distinct(table.columns[columns[key]])
        lookup = parse_distinct(codes, uniques, parse, rows, _failer(table, columns[key], fix))
        parsed[key] = np.array([-1 if v is None else v for v in lookup], dtype=np.int64)[codes[rows]]
    is_example = np.zeros(len(rows), dtype=bool)
    if columns["is_example"] is not None:
        codes, uniques = distinct(table.columns[columns["is_example"]])
        flags = parse_distinct(
            codes,
            uniques,
            is_example_text,
            rows,
            _failer(table, columns["is_example"], "填写 true 或 false"),
        )
        is_example = np.array([bool(f) for f in flags], dtype=bool)[codes[rows]] if len(flags) else is_example
    source = table.columns[columns["source"]] if columns["source"] is not None else None
    coded = Coded(
        rows, parsed["period"], parsed["region"], parsed["indicator_id"], values.number[rows], is_example, source
    )
    return coded, values


def _messy_values(coded: Coded, values: Values, table: RawTable, column: str, registry: Registry) -> np.ndarray:
    """Parse the texts the vectorised pass left (units, full-width digits, blanks) with the unit of
    each record's indicator; returns which records' text carried a % sign."""
    units = registry.indicators["unit"].to_numpy()
    where = np.full(table.n_rows, -1, dtype=np.int64)
    where[coded.record] = np.arange(len(coded.record))
    position = where[values.messy]
    kept = position >= 0
    percent_sign = np.zeros(len(coded.record), dtype=bool)
    if not kept.any():
        return percent_sign
    texts = pd.Series([t for t, k in zip(values.messy_text, kept) if k], dtype=object)
    position = position[kept]
    unit_of = units[coded.indicator[position]]
    fail = _failer(table, column, "填写数值（可带单位，如 15.44亿元），无数据留空")
    keys = pd.factorize(pd.Series(list(zip(texts.astype(str), texts.map(type).astype(str), unit_of))))[0]
    parsed: dict[int, float] = {}
    for i, key in enumerate(keys):
        if key not in parsed:
            try:
                number = parse_number(texts.iloc[i], unit_of[i])
            except ValueError as exc:
                fail(int(coded.record[position[i]]), texts.iloc[i], exc)
                raise
            parsed[key] = np.nan if number is None else number
    coded.value[position] = [parsed[k] for k in keys]
    percent_sign[position] = [isinstance(t, str) and ("%" in t or "％" in t) for t in texts]
    return percent_sign


def _check_kinds(coded: Coded, table: RawTable, column: str, registry: Registry) -> None:
    """Each value within what its kind allows (:func:`kpi.inputs.form_cells.kind_refusal`, the forms' rule too):
    nothing below the kind's minimum (a year-to-date amount is never negative, a rank at least 1), whole
    counts and ranks. Found on the whole column at once; the first offender is named."""
    kinds = registry.indicators["kind"]
    minimum = kinds.map(lambda k: KIND_RULES[k]["minimum"]).astype(float).fillna(-np.inf).to_numpy()
    whole = kinds.map(lambda k: KIND_RULES[k]["whole"]).to_numpy(bool)
    with np.errstate(invalid="ignore"):
        wrong = (coded.value < minimum[coded.indicator]) | (
            whole[coded.indicator] & (np.abs(coded.value - np.round(coded.value)) > 1e-6)
        )
    offenders = np.flatnonzero(wrong)
    if len(offenders):
        record = int(coded.record[offenders[0]])
        indicator = registry.indicators.iloc[int(coded.indicator[offenders[0]])]
        value = float(coded.value[offenders[0]])
        problem, fix = kind_refusal(indicator["kind"], value, indicator["name_zh"], indicator["unit"])
        raise InputError(problem, value=_raw_value(table, column, record), **table.location(record, column), fix=fix)


def _raw_value(table: RawTable, column: str, record: int) -> Any:
    cell = table.columns[column][record]
    return cell.as_py() if hasattr(cell, "as_py") else cell


def _resolve_percent_fractions(coded: Coded, percent_sign: np.ndarray, registry: Registry, path: Path) -> None:
    """Percent indicators given as fractions (0.034 for 3.4 %): when every value of such an indicator
    that carries no % sign lies within [−1, 1] (three or more of them, not all zero), read them as
    fractions and say so. A value written with % is always a percent."""
    is_percent = (registry.indicators["unit"] == "%").to_numpy()
    plain = is_percent[coded.indicator] & ~percent_sign & ~np.isnan(coded.value)
    n_indicators = len(is_percent)
    count = np.bincount(coded.indicator[plain], minlength=n_indicators)
    outside = np.bincount(coded.indicator[plain & (np.abs(coded.value) > 1)], minlength=n_indicators)
    nonzero = np.bincount(coded.indicator[plain & (coded.value != 0)], minlength=n_indicators)
    fractions = (count >= 3) & (outside == 0) & (nonzero > 0)
    for i in np.flatnonzero(fractions):
        coded.value[plain & (coded.indicator == i)] *= 100
        warnings.warn(
            DataQualityWarning(
                f"{path.name}: {registry.indicators['indicator_id'].iloc[i]} 的数值均在 ±1 以内，"
                "按小数读作百分比（×100） / read as fractions of one"
            ),
            stacklevel=4,
        )


def _sort_key(coded: Coded, registry: Registry) -> np.ndarray:
    """One int64 per record ordering (period, region in annex order, indicator in annex order)."""
    region_rank = np.argsort(np.argsort(registry.regions["annex_order"].astype(int).to_numpy(), kind="stable"))
    indicator_rank = np.argsort(np.argsort(registry.indicators["annex_order"].astype(int).to_numpy(), kind="stable"))
    n_regions, n_indicators = len(region_rank), len(indicator_rank)
    period = coded.period - (coded.period.min() if len(coded.period) else 0)
    return (period * n_regions + region_rank[coded.region]) * n_indicators + indicator_rank[coded.indicator]


def _sorted_unique(coded: Coded, registry: Registry, table: RawTable, column: str) -> Coded:
    """Sorted (only if not already) and without repeated keys; a key repeated with different values
    raises, naming every row that holds it."""
    key = _sort_key(coded, registry)
    if len(key) > 1 and not (key[1:] >= key[:-1]).all():
        order = np.argsort(key, kind="stable")
        coded, key = coded.take(order), key[order]
    repeat = np.flatnonzero(key[1:] == key[:-1]) + 1
    if not len(repeat):
        return coded
    conflict = repeat[coded.value[repeat] != coded.value[repeat - 1]]
    if len(conflict):
        conflicting_keys = np.unique(key[conflict])
        holders = np.flatnonzero(np.isin(key, conflicting_keys))
        first = holders[np.argmin(coded.record[holders])]
        same = np.sort(coded.record[key == key[first]])
        rows = [table.row(int(r)) for r in same]
        year, month = divmod(int(coded.period[first]), 12)
        region = registry.region_names[coded.region[first]]
        indicator = registry.indicators["indicator_id"].iloc[coded.indicator[first]]
        raise InputError(
            f"{year}-{month + 1:02d} {region} {indicator} 出现多次且数值不同（第 {rows} 行）"
            " / duplicate key with conflicting values",
            file=table.path,
            sheet=table.sheet,
            row=rows[1],
            column=column,
            value=[_number_of(table, column, int(r)) for r in same],
            fix="保留正确的一行，删除其余",
        )
    keep = np.ones(len(key), dtype=bool)
    keep[repeat] = False
    return coded.take(np.flatnonzero(keep))


def _number_of(table: RawTable, column: str, record: int) -> Any:
    raw = _raw_value(table, column, record)
    try:
        return parse_number(raw)
    except ValueError:
        return raw


def _tidy(coded: Coded, registry: Registry) -> pd.DataFrame:
    """The tidy frame from the codes: the text columns built by taking from the few distinct names."""
    period_codes, period_index = np.unique(coded.period, return_inverse=True)
    period_names = [period_name(int(c)) for c in period_codes]

    def text(names: list[str], codes: np.ndarray) -> pd.Series:
        return pd.Series(pa.array(names, pa.large_string()).take(pa.array(codes)), dtype="str")

    frame = pd.DataFrame(
        {
            "period": text(period_names, period_index),
            "region": text(registry.region_names, coded.region),
            "indicator_id": text(registry.indicators["indicator_id"].tolist(), coded.indicator),
            "value": coded.value,
            "is_example": coded.is_example,
        }
    )
    if coded.source is not None:
        source = coded.source
        if isinstance(source, pd.Series):
            frame["source"] = source.iloc[coded.record].astype(str).to_numpy()
        else:
            frame["source"] = pd.Series(source.take(pa.array(coded.record)).cast(pa.string()), dtype="str")
        frame["source"] = frame["source"].str.replace(MARKED_FORMULA, "", regex=True)  # as an export marks it
    return frame


def validate_progress(tidy: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The PROGRESS schema (:func:`kpi.metadata.schemas.validate_at_scale`: every row of a county's table, a
    seeded sample of a province's; uniqueness is the duplicate pass, which always sees every row)."""
    return schemas.validate_at_scale(tidy, schemas.PROGRESS, file=path)


def read_progress(path: str | Path, registry: Registry | None = None) -> pd.DataFrame:
    """Monthly progress as ``period, region, indicator_id, value, is_example`` (and ``source``).

    ``period`` is ``YYYY-MM``; amounts and counts are year-to-date cumulative, growth is % year on
    year. Blank values (empty, —, /) are dropped: a missing report is 未报送, never zero. An
    indicator may be named by id or Chinese name; regions by any registered alias. Rows come out in
    (period, region, indicator) annex order, each key once.
    """
    path = Path(path)
    registry = registry or Registry.load()
    table = read_raw_table(path)
    columns = find_columns(table)
    coded, values = _code(table, columns, registry)
    percent_sign = _messy_values(coded, values, table, columns["value"], registry)
    _check_kinds(coded, table, columns["value"], registry)
    _resolve_percent_fractions(coded, percent_sign, registry, path)
    coded = coded.take(np.flatnonzero(~np.isnan(coded.value)))
    coded = _sorted_unique(coded, registry, table, columns["value"])
    falls = find_falls(coded.period, coded.region, coded.indicator, coded.value, registry)
    tidy = validate_progress(_tidy(coded, registry), path)
    if len(falls[0]):
        warn_falls(tidy, falls, path)
    return tidy
