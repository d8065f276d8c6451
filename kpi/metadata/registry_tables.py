"""The registry's tables read from ``data/raw`` and checked: indicators (with what each kind may do),
regions (with their one total row), plan targets, pacing profiles, the province's figures.
:class:`kpi.metadata.registry.Registry` holds them together."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpi.core import paths
from kpi.core.errors import InputError
from kpi.core.facts import BOOLEAN_WORDS, KIND_RULES
from kpi.metadata import schemas


def read_registry_csv(path: Path) -> pd.DataFrame:
    """One registry file as text cells (UTF-8), or an :class:`InputError` saying how to restore it."""
    if not path.exists():
        raise InputError(
            "找不到登记表文件 / registry file not found",
            file=path,
            fix="从仓库恢复 data/raw/ 下的文件（git checkout -- data/raw）",
        )
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(
            f"登记表无法读取 / registry file unreadable: {type(exc).__name__}",
            file=path,
            fix="用 UTF-8 保存；每行列数应与表头一致；或 git checkout -- data/raw 恢复",
        ) from None


def load_indicators(raw_dir: Path = paths.RAW, check: bool = True) -> pd.DataFrame:
    """The 7 annex indicators (附件晾晒表), in annex order, with unit, kind, summing and direction
    (checked by :data:`kpi.metadata.schemas.INDICATORS` unless ``check`` is off; yes/no columns in the words
    of ``BOOLEAN_WORDS``)."""
    path = raw_dir / "indicators.csv"
    table = read_registry_csv(path)
    flags = ["sums_to_county", "higher_is_better"]
    table[flags] = table[flags].apply(lambda column: column.str.strip().str.lower())
    if check:
        table = schemas.validate(table, schemas.INDICATORS, file=path)
    table[flags] = table[flags].apply(lambda column: column.map(BOOLEAN_WORDS).astype(bool))
    if check:
        _check_kinds(table, path)
    table["annex_block"] = table["annex_block"].astype(int)
    table["annex_order"] = table["annex_order"].astype(int)
    table["weight"] = pd.to_numeric(table["weight"].replace("", "1")).astype(float)
    # 序时 is linear unless the project file declares a pacing profile for the indicator (Registry.with_pacing)
    table["pacing_profile"], table["pacing_reason"], table["pacing_source"] = "linear", "", ""
    return table.sort_values("annex_order", ignore_index=True)


def _check_kinds(table: pd.DataFrame, path: Path) -> None:
    """What each kind may do (:data:`kpi.core.facts.KIND_RULES`): only an amount or a count sums to the county;
    a rank is lower-is-better."""
    for position, row in enumerate(table.itertuples()):
        rule = KIND_RULES[row.kind]
        if row.sums_to_county and not rule["may_sum"]:
            wrong, column, fix = (
                "不能由各区域加总为总计行 / this kind does not sum",
                "sums_to_county",
                "sums_to_county 填 false",
            )
        elif rule.get("lower_is_better") and row.higher_is_better:
            wrong, column, fix = (
                "位次越小越好 / a rank is lower-is-better",
                "higher_is_better",
                "higher_is_better 填 false",
            )
        else:
            continue
        raise InputError(
            f"{row.kind}（{rule['zh']}）类指标{wrong}",
            file=path,
            row=position + 2,
            column=column,
            value=row.indicator_id,
            fix=fix + "（各类指标的规则见 docs/methods.md “指标类型”）",
        )


def load_regions(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """The total row (annex order 0: 全县, 全区, 全市…) and the regions (the annex's rows), canonical names,
    aliases (``|``-separated), slugs, kinds."""
    path = raw_dir / "regions.csv"
    table = read_registry_csv(path)
    table["annex_order"] = table["annex_order"].astype(int)
    if (table["annex_order"] == 0).sum() != 1:
        raise InputError(
            "区域表应有且只有一行 annex_order 为 0 的总计行 / exactly one total row (annex_order 0)",
            file=path,
            column="annex_order",
            value=table.loc[table["annex_order"] == 0, "region"].tolist(),
            fix="总计行（全县、全区或全市）的 annex_order 填 0，各区域从 1 起编号",
        )
    return table.sort_values("annex_order", ignore_index=True)


SERIES_COLUMNS = ("series_id", "series_name", "series_unit")


def load_plan_targets(raw_dir: Path = paths.RAW, check: bool = True) -> pd.DataFrame:
    """Every quantitative target and milestone of the plan (sections 一(二), 二, 三), checked by
    :data:`kpi.metadata.schemas.PLAN_TARGETS` unless ``check`` is off (basis, comparator, years, a clause and a
    quote for each)."""
    path = raw_dir / "plan_targets.csv"
    table = read_registry_csv(path)
    for column in SERIES_COLUMNS:  # optional: blank means the target's own series
        table[column] = table[column].fillna("").astype(str) if column in table else ""
    table["target_value"] = pd.to_numeric(table["target_value"], errors="coerce")  # a non-number: caught at its row
    if check:
        return schemas.validate(table, schemas.PLAN_TARGETS, file=path)
    return table.astype({"base_year": int, "target_year": int})  # what the schema coerces


def load_pacing_profiles(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """Monthly 序时进度 profiles for indicators whose results arrive in batches."""
    table = read_registry_csv(raw_dir / "pacing_profiles.csv")
    table["month"] = table["month"].astype(int)
    table["time_share"] = table["time_share"].astype(float)
    return table[["profile", "month", "time_share", "note"]]


def load_province(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """The province's figures (浙江省), each with its quote and source."""
    table = read_registry_csv(raw_dir / "province_reference.csv")
    return table.assign(year=table["year"].astype(int), value=table["value"].astype(float))
