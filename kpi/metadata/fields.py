"""Every column the project reads, keeps or writes, described once (after PUDL's ``metadata/fields.py``).

:data:`FIELDS` says what a column holds: its pandas type, the heading a reader sees, its unit, how a
cell is shown (a :mod:`kpi.core.formatting` kind) and what values it may take. :data:`RESOURCES` says
which fields, in which order, make each table (with the few per-table differences: a leaderboard's
text columns are categorical, a held value is kept as the form wrote it), and its key.

Derived from here, never written again: the pandera schemas (:mod:`kpi.metadata.schemas`), the store's
tables (:mod:`kpi.store.database`), column orders (:func:`columns`), empty tables of the right types
(:func:`empty_frame`), Chinese headings (:func:`heading`, :func:`headings`) and number formats
(:func:`cell_kinds`, :func:`excel_format`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from kpi.core.facts import BASES, BOOLEAN_WORDS, COMPARATORS, KINDS, MAX_VALUE, SOURCES, STATUSES, VERDICTS_ZH

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
YEARS = (2000, 2100)  # a calendar year of a plan's era
INDICATOR_UNIT = "（按指标）"  # the field's unit is its indicator's (indicators.csv 单位)


@dataclass(frozen=True)
class Field:
    """One column: what it holds and what it may hold.

    ``dtype`` is the pandas type (``str``, ``float``, ``int``, ``bool``, ``category``, ``Int64``, or
    ``object`` for a column that is text or all empty); ``shown`` the :mod:`kpi.core.formatting` kind a
    reader's table formats it with (``text``, ``number``, ``rate``, ``integer``). The constraints
    (``isin``, ``in_range``, ``pattern``, ``min_length``, ``abs_max``, ``minimum``) become pandera checks;
    ``unit`` and ``description`` are the data dictionary's (:func:`data_dictionary`).
    """

    dtype: str
    heading: str
    description: str
    unit: str = ""
    shown: str = "text"
    nullable: bool = False
    required: bool = True
    coerce: bool = False
    unique: bool = False
    isin: tuple = ()
    in_range: tuple[float, float] | None = None
    pattern: str | None = None
    pattern_words: str = ""  # the pattern as a failed check names it to a person
    aliases: tuple = ()  # other headers a county's own file may give the column (besides name and heading)
    min_length: int | None = None
    abs_max: float | None = None
    minimum: float | None = None


def _figure(heading: str, description: str, unit: str = "", shown: str = "number") -> Field:
    """A figure of an assessment: a float, empty where the method has none (coerced: an all-empty
    column arrives as object)."""
    return Field("float", heading, description, unit=unit, shown=shown, nullable=True, coerce=True)


#: every column, by its English identifier
FIELDS: dict[str, Field] = {
    # ---- keys
    "period": Field(
        "str",
        "月份",
        "the month of a figure, YYYY-MM",
        pattern=PERIOD_PATTERN,
        pattern_words="YYYY-MM",
        aliases=("时期", "期间", "统计期"),
    ),
    "year": Field("int", "年份", "a calendar year", shown="integer", in_range=YEARS),
    "region": Field(
        "str",
        "区域",
        "the county (总计) or one of its regions, by its registered name",
        aliases=("地区", "乡镇(街道)", "乡镇街道"),
    ),
    "indicator_id": Field(
        "str",
        "指标",
        "the indicator's identifier in indicators.csv (shown by its name)",
        aliases=("indicator", "指标名称", "指标代码"),
    ),
    # ---- provenance
    "is_example": Field(
        "bool",
        "示例数据",
        "whether the figure is example data (every output then says 示例数据)",
        aliases=("示例", "example"),
    ),
    "source": Field("str", "来源文件", "the file (form) the value came from", aliases=("source_file", "来源")),
    "source_file": Field("str", "来源文件", "the received file the value came from"),
    "source_sha256": Field("str", "文件SHA-256", "the received file's SHA-256"),
    "source_sheet": Field("str", "工作表", "the sheet of the received file"),
    "source_row": Field("int", "行", "the row of the received file (1-based, as Excel numbers it)"),
    "source_column": Field("str", "列", "the column of the received file (A, B, …)"),
    "received_at": Field("str", "收到时间", "when the store received the value (ISO 8601)"),
    # ---- the registry (indicators.csv, plan_targets.csv)
    "name_zh": Field("str", "指标名称", "the indicator's name as the plan writes it"),
    "name_en": Field("str", "英文名称", "the indicator's name in English"),
    "unit": Field("str", "单位", "the unit the figures are in"),
    "kind": Field("str", "类型", "how progress is measured (kpi.core.facts.KIND_RULES)", isin=KINDS),
    "sums_to_county": Field(
        "str",
        "区域合计等于总计",
        "whether the regions' figures add up to the county's (是/否)",
        isin=tuple(BOOLEAN_WORDS),
    ),
    "higher_is_better": Field(
        "str", "越高越好", "whether a higher figure is better (是/否)", isin=tuple(BOOLEAN_WORDS)
    ),
    "annex_block": Field(
        "str", "附件分块", "the annex's block the indicator is printed in", pattern=r"^\d+$", pattern_words="整数"
    ),
    "annex_order": Field(
        "str", "附件顺序", "the indicator's place within its block", pattern=r"^\d+$", pattern_words="整数"
    ),
    "weight": Field(
        "str",
        "权重",
        "the indicator's weight in the composite; blank = equal",
        pattern=r"^(\d+(\.\d+)?)?$",
        pattern_words="非负数或留空",
    ),
    "plan_target_ids": Field("str", "对应方案目标", "the plan targets it serves (plan_targets.csv ids, ;-separated)"),
    "responsible_clause": Field("str", "责任条款", "the plan's clause that makes departments responsible for it"),
    "target_value": Field("float", "目标值", "the plan's target figure", unit=INDICATOR_UNIT, shown="number"),
    "basis": Field("str", "口径", "what the target counts (level, new since base, growth, …)", isin=BASES),
    "base_year": Field("int", "基期年份", "the year the plan counts from", shown="integer", coerce=True),
    "target_year": Field("int", "目标年份", "the year the target is due", shown="integer", coerce=True),
    "clause": Field("str", "条款", "the plan's clause the target comes from", min_length=1),
    "responsible_units": Field("str", "责任单位", "the departments the plan makes responsible", min_length=1),
    "quote": Field("str", "原文", "the plan's words, quoted", min_length=1),
    # the annual series a target is judged on when not its own: a growth rate's level, a "new since base"
    # target's stock (its yearly additions are the stock's differences); blank = its own
    "series_id": Field("str", "评估序列", "the indicator whose annual series the target is judged on; blank = its own"),
    "series_name": Field("str", "评估序列名称", "that series' name"),
    "series_unit": Field("str", "评估序列单位", "that series' unit (a growth target's level: 亿元)"),
    # ---- the annex (晾晒表) and the progress
    "target": Field(
        "float", "年度指标", "the year's target of a region", unit=INDICATOR_UNIT, shown="number", abs_max=MAX_VALUE
    ),
    "comparator": Field("str", "比较", "how the figure is compared with the target", isin=COMPARATORS),
    "target_text": Field("str", "指标原文", "the annex cell's wording as written (blank where a number)"),
    # no county's figure is near 10^12 of its unit: beyond it is a slip, and sums could overflow
    "value": Field(
        "float",
        "报送值",
        "the figure reported",
        unit=INDICATOR_UNIT,
        shown="number",
        abs_max=MAX_VALUE,
        aliases=("数值", "进度", "值", "累计值"),
    ),
    # ---- the leaderboard
    "actual": Field("float", "完成值", "the figure the leaderboard judges", unit=INDICATOR_UNIT, shown="number"),
    "completion_rate": Field("float", "完成率", "actual ÷ target (the composite: its weighted mean)", shown="rate"),
    "time_share": Field(
        "float", "序时进度", "the share of the year's target due by the month", shown="rate", in_range=(0, 1)
    ),
    "status": Field("str", "状态", "the cell's standing against 序时进度", isin=STATUSES),
    "rank": Field("Int64", "排名", "the region's rank among the regions (1 = first)", shown="integer", minimum=1),
    "rank_change": Field("str", "排名较上月", "the rank's change since the month before (↑2, ↓1, —)"),
    "actual_source": Field("str", "完成值来源", "where the judged figure came from", isin=SOURCES),
    "last_year": Field("float", "上年同期", "the figure of the same month a year before", shown="number"),
    # ---- the annex's sum check
    "county": Field("float", "总计", "the county's figure", shown="number"),
    "regions_sum": Field("float", "各区域合计", "the regions' figures added up", shown="number"),
    "difference": Field("float", "差额", "总计 − 各区域合计", shown="number"),
    "ok": Field("bool", "一致", "whether the two agree within rounding"),
    # ---- the 2027 assessments (kpi.metrics.plan_progress.assess_plan)
    "series": Field("str", "评估序列", "the series the target is judged on, as the reader sees it"),
    "verdict": Field("str", "判断代码", "the verdict's code", isin=tuple(VERDICTS_ZH)),
    "verdict_zh": Field("str", "判断", "the verdict in words", isin=tuple(VERDICTS_ZH.values())),
    "ratio": _figure("增长率比", "observed ÷ required growth (Open SDG's method)"),
    "cagr_obs": _figure("已实现年均增长", "the compound annual growth since the base year", shown="rate"),
    "cagr_req": _figure("所需年均增长", "the compound annual growth the target needs", shown="rate"),
    "projected": _figure("按已实现增长预计", "the target year's value at the growth achieved", unit=INDICATOR_UNIT),
    "projected_linear": _figure("按线性趋势预计", "the target year's value on a straight line", unit=INDICATOR_UNIT),
    "unsd_ratio": _figure("UNSD进度比", "progress made ÷ progress due (UNSD's method)"),
    "reason": Field("object", "原因", "why a target has no verdict (text, or all empty)", nullable=True),
    "base_value": _figure("基期值", "the series' value in the base year", unit=INDICATOR_UNIT),
    "latest_year": _figure("最新年份", "the latest year with a value", shown="integer"),
    "latest_value": _figure("最新值", "the series' latest value", unit=INDICATOR_UNIT),
    "years_left": _figure("剩余年数", "years from the latest value to the target year", shown="integer"),
    "needed_change_per_year": _figure("每年需增加", "the yearly change still needed", unit=INDICATOR_UNIT),
    "needed_growth_per_year": _figure("每年需增长", "the yearly growth still needed", shown="rate"),
    "best_change_so_far": _figure("历年最大年增量", "the largest yearly change so far", unit=INDICATOR_UNIT),
    "best_growth_so_far": _figure("历年最高增长", "the highest yearly growth so far", shown="rate"),
    "completion": _figure("完成度", "the share of the target reached", shown="rate"),
    "expected_share": _figure("应完成比例", "the share due by the latest year (time-proportional)", shown="rate"),
    "gap_points": _figure("落后百分点", "completion − 序时进度, in percentage points"),
    "pace_ratio": _figure("新增进度比", "additions made ÷ additions due"),
    "required_final": _figure("目标年需达到", "the target year's value the target needs", unit=INDICATOR_UNIT),
    "achieved_year": _figure("达标年份", "the year the target was first met", shown="integer"),
    "base_year_used": _figure("实际基期年份", "the base year used when the plan's has no value", shown="integer"),
    "note": Field("object", "说明", "a note on the method used (text, or all empty)", nullable=True),
    "province_year": _figure("全省数据年份", "the year of the province's figure compared with", shown="integer"),
    "province_value": _figure("全省值", "the province's figure (the plan's “超过全省平均水平”)"),
    "above_province": Field(
        "object", "高于全省", "True / False where the plan compares with the province", nullable=True
    ),
    "as_of_year": Field("int", "评估截至年份", "the last year the assessment reads", shown="integer"),
    # ---- the store's logs
    "key": Field("str", "键", "period|region|indicator of the corrected value"),
    "old_value": Field("str", "原值", "the value before the correction"),
    "new_value": Field("str", "新值", "the value after the correction"),
    "old_source": Field("str", "原来源", "the file the old value came from"),
    "new_source": Field("str", "新来源", "the file the new value came from"),
    "corrected_at": Field("str", "更正时间", "when the correction was stored"),
    "likely_value": Field("str", "可能的值", "what the held value probably meant (e.g. ÷10⁴ for a unit slip)"),
    "cell": Field("str", "单元格", "the cell the held value was read from (sheet!A1)"),
    "resolved_at": Field("str", "处理时间", "when a person decided on the held value"),
    "resolution": Field("str", "处理结果", "what a person decided (accepted, corrected, refused)"),
    "alias": Field("str", "别名", "a name an office writes"),
    "name": Field("str", "登记名称", "the registered name it stands for"),
    "added_at": Field("str", "添加时间", "when the alias was added"),
    "sha256": Field("str", "SHA-256", "the received file's SHA-256"),
    "file_name": Field("str", "文件名", "the received file's name"),
    "folder": Field("str", "回收文件夹", "the folder it was collected from"),
    "kept_as": Field("str", "存档文件", "its copy in the store's folder of received files"),
    "collected_at": Field("str", "收集时间", "when it was collected"),
}

_CATEGORY = {"dtype": "category"}
_TEXT = {"dtype": "str", "isin": (), "abs_max": None, "shown": "text", "unit": ""}


@dataclass(frozen=True)
class Resource:
    """A table: its title (the name a failed check prints), where it lives, its fields in order (a name, or
    a name with the few attributes this table changes) and its key (unique together)."""

    title: str
    home: str  # where a person finds it
    fields: tuple
    key: tuple[str, ...] = ()
    strict: bool = True
    ordered: bool = False
    processed: bool = False  # kept in ``data/processed`` (as :func:`processed_file`)
    found_by_header: bool = False  # a county's file of it may name a column by its heading or an alias
    export: str = ""  # a store table: the CSV, in the store's folder, a person reads it as (none: not exported)

    def field_map(self) -> dict[str, Field]:
        """Each of the table's fields, with the table's own differences applied."""
        out = {}
        for entry in self.fields:
            name, changes = entry if isinstance(entry, tuple) else (entry, {})
            out[name] = replace(FIELDS[name], **changes) if changes else FIELDS[name]
        return out


#: every table, by name
RESOURCES: dict[str, Resource] = {
    # the registry's own, checked as it is loaded (text columns of indicators.csv are free text)
    "indicators": Resource(
        "indicators（指标登记表，读入时）",
        "data/raw/indicators.csv（登记表，人工维护）",
        (
            ("indicator_id", {"unique": True}),
            ("name_zh", {"min_length": 1}),
            "name_en",
            "unit",
            "kind",
            "sums_to_county",
            "higher_is_better",
            "annex_block",
            "annex_order",
            "weight",
            "plan_target_ids",
            "responsible_clause",
            ("responsible_units", {"min_length": None}),
        ),
        strict=False,  # a county may keep notes of its own beside them
    ),
    "plan_targets": Resource(
        "plan_targets（方案目标）",
        "data/raw/plan_targets.csv（方案目标，人工维护）",
        (
            ("indicator_id", {"unique": True}),
            "name_zh",
            "name_en",
            "unit",
            "target_value",
            "comparator",
            "basis",
            "base_year",
            "target_year",
            "clause",
            "responsible_units",
            "quote",
            "series_id",
            "series_name",
            "series_unit",
        ),
    ),
    # data/processed: the hand-off to everything after ingest
    "annex_targets": Resource(
        "annex_targets（晾晒表指标）",
        "data/processed/annex_targets.parquet（kpi ingest 写）",
        ("year", "region", "indicator_id", "target", "comparator", "target_text", "is_example"),
        key=("year", "region", "indicator_id"),
        processed=True,
    ),
    "progress": Resource(
        "progress（进度）",
        "data/processed/progress.parquet（kpi ingest 写）；kpi.toml [data] progress 列出的进度文件同此列，表头可写中文",
        ("period", "region", "indicator_id", "value", "is_example", ("source", {"required": False})),
        key=("period", "region", "indicator_id"),
        processed=True,
        found_by_header=True,
    ),
    "county_annual": Resource(
        "county_annual（年度值）",
        "data/processed/county_annual.parquet（kpi ingest 写）；存储库的 county_annual 表，导出为 data/county/county_annual.csv",
        ("year", "indicator_id", "name_zh", "unit", "value", "is_example", "source"),
        key=("year", "indicator_id"),
        processed=True,
        export="county_annual.csv",
    ),
    "annex_sum_checks": Resource(
        "annex_sum_checks（总计与各区域合计）",
        "data/processed/annex_sum_checks.parquet（kpi ingest 写）",
        (
            "year",
            "indicator_id",
            ("county", {"nullable": True}),
            ("regions_sum", {"nullable": True}),
            ("difference", {"nullable": True}),
            "ok",
        ),
        key=("year", "indicator_id"),
        processed=True,
    ),
    # computed: one row per period × region × indicator (and 综合) by construction, the cube
    "leaderboard": Resource(
        "leaderboard（晾晒表）",
        "计算得出（kpi.metrics.leaderboard.build_leaderboard）；每月的 reports/monthly/YYYY-MM/leaderboard_YYYY-MM.csv 为其阅读列加 rank_change",
        (
            ("period", _CATEGORY),
            ("region", _CATEGORY),
            ("indicator_id", _CATEGORY),
            ("target", {"nullable": True, "abs_max": None}),
            ("comparator", {**_CATEGORY, "isin": (*COMPARATORS, "")}),
            ("actual", {"nullable": True}),
            ("completion_rate", {"nullable": True}),
            ("time_share", {"nullable": True}),
            ("status", _CATEGORY),
            ("rank", {"nullable": True}),
            ("actual_source", _CATEGORY),
            "is_example",
        ),
    ),
    "assessments": Resource(
        "assessments（2027目标评估）",
        "计算得出（kpi.metrics.plan_progress.assess_plan），季度报告与 03 号笔记本所用",
        (
            ("indicator_id", {"unique": True}),
            "name_zh",
            "unit",
            "basis",
            "target_value",
            "comparator",
            ("target_year", {"coerce": False}),
            ("base_year", {"coerce": False}),
            ("clause", {"min_length": None}),
            ("responsible_units", {"min_length": None}),
            "series",
            "series_unit",
            "is_example",
            "verdict",
            "verdict_zh",
            "ratio",
            "cagr_obs",
            "cagr_req",
            "projected",
            "projected_linear",
            "unsd_ratio",
            "reason",
            "base_value",
            "latest_year",
            "latest_value",
            "years_left",
            "needed_change_per_year",
            "needed_growth_per_year",
            "best_change_so_far",
            "best_growth_so_far",
            "completion",
            "expected_share",
            "gap_points",
            "pace_ratio",
            "required_final",
            "achieved_year",
            "base_year_used",
            "note",
            "province_year",
            "province_value",
            "above_province",
            "as_of_year",
        ),
        ordered=True,
    ),
    # the store (kpi.store.database): what the county sent, with where each value came from
    "stored_progress": Resource(
        "progress（库中进度）",
        "存储库的 progress 表，导出为 data/county/progress.csv",
        (
            "period",
            "region",
            "indicator_id",
            "value",
            "is_example",
            "source_file",
            "source_sha256",
            "source_sheet",
            "source_row",
            "source_column",
            "received_at",
        ),
        key=("period", "region", "indicator_id"),
        export="progress.csv",
    ),
    "corrections": Resource(
        "corrections（更正记录）",
        "存储库的 corrections 表，导出为 data/county/corrections.csv",
        ("key", "old_value", "new_value", "old_source", "new_source", "corrected_at"),
        export="corrections.csv",
    ),
    "held": Resource(
        "held（暂扣的数值）",
        "存储库的 held 表，导出为 data/county/held.csv",
        (
            "period",
            "region",
            "indicator_id",
            ("value", _TEXT),  # as the form wrote it
            "likely_value",
            "reason",
            "cell",
            "source_file",
            "source_sha256",
            "received_at",
            ("status", _TEXT),  # held, accepted, refused
            "resolved_at",
            "resolution",
        ),
        export="held.csv",
    ),
    "aliases": Resource(
        "aliases（别名）",
        "存储库的 aliases 表，导出为 data/county/aliases.csv",
        (("kind", {"isin": ("region", "indicator")}), "alias", "name", "added_at"),
        key=("kind", "alias"),
        export="aliases.csv",
    ),
    "received": Resource(
        "received（收到的文件）",
        "存储库的 received 表（收到的文件，按 SHA-256）",
        ("sha256", "file_name", "folder", "kept_as", "received_at", "collected_at"),
    ),
}


def processed_file(table: str) -> str:
    """The file ``data/processed`` keeps ``table`` in (Parquet: types kept, read by the code, not by people)."""
    return f"{table}.parquet"


def columns(table: str) -> list[str]:
    """The table's columns, in order."""
    return list(RESOURCES[table].field_map())


#: the columns that say where a row came from rather than what it says
PROVENANCE = ("actual_source", "is_example")


def reading_columns(table: str) -> list[str]:
    """The table's columns without :data:`PROVENANCE` (the leaderboard's: the order it is built in, the
    month's CSV and the explorer's)."""
    return [name for name in columns(table) if name not in PROVENANCE]


def empty_frame(table: str) -> pd.DataFrame:
    """The table with no rows, each column of its type."""
    types = {"str": str, "category": "category", "object": object}
    return pd.DataFrame(
        {name: pd.Series(dtype=types.get(f.dtype, f.dtype)) for name, f in RESOURCES[table].field_map().items()}
    )


def header_names(table: str) -> dict[str, tuple[str, ...]]:
    """Each column of ``table`` with every header a file may give it: its name, its heading, its aliases."""
    return {name: (name, f.heading, *f.aliases) for name, f in RESOURCES[table].field_map().items()}


def heading(name: str) -> str:
    """The Chinese heading a reader sees for the field ``name``."""
    return FIELDS[name].heading


def headings(names) -> dict[str, str]:
    """``{field: heading}`` for ``names``, to rename a table's columns for a reader."""
    return {name: FIELDS[name].heading for name in names}


def cell_kinds(names) -> dict[str, str]:
    """``{heading: formatting kind}`` of ``names`` (a renamed table's :func:`kpi.core.formatting.format_frame`
    kinds)."""
    return {FIELDS[name].heading: FIELDS[name].shown for name in names}


#: the Excel number format of each formatting kind a workbook sets (others stay General)
EXCEL_FORMATS = {"rate": "0.0%", "integer": "0"}


def excel_format(name: str) -> str | None:
    """The Excel number format of the field ``name``'s cells, or None (General)."""
    return EXCEL_FORMATS.get(FIELDS[name].shown)


_TYPES_ZH = {
    "str": "文本",
    "float": "数值",
    "int": "整数",
    "bool": "是/否",
    "category": "文本",
    "Int64": "整数",
    "object": "文本或空",
}


def data_dictionary() -> str:
    """Every table and its columns as a Markdown page (docs/data_dictionary.md is this page, and a test
    keeps it so): heading, type, unit, allowed values and meaning of each column, where the table lives
    and its key."""
    lines = [
        "# 数据字典 / Data dictionary",
        "",
        "Every table the project reads, keeps or writes, and its columns, generated from `kpi/metadata/fields.py`",
        "(`.venv/bin/python -m kpi.metadata.fields > docs/data_dictionary.md`; `tests/test_fields.py` fails when",
        "this page and the field table disagree). 单位“（按指标）”: the indicator's own unit (indicators.csv).",
    ]
    for name, resource in RESOURCES.items():
        lines += ["", f"## `{name}`: {resource.title}", "", f"{resource.home}。"]
        if resource.key:
            lines += ["", f"每行由 {'、'.join(f'`{k}`' for k in resource.key)} 唯一确定 / one row per key."]
        lines += ["", "| 列 / column | 中文 | 类型 | 单位 | 取值 | 说明 |", "| --- | --- | --- | --- | --- | --- |"]
        for column, spec in resource.field_map().items():
            allowed = [
                "、".join(f"`{v}`" if v else "空" for v in spec.isin) if spec.isin else "",
                f"{spec.in_range[0]:g}—{spec.in_range[1]:g}" if spec.in_range else "",
                spec.pattern_words or (f"`{spec.pattern}`" if spec.pattern else ""),
                f"≥ {spec.minimum:g}" if spec.minimum is not None else "",
                f"绝对值 ≤ {spec.abs_max:.0e}" if spec.abs_max else "",
                "非空" if spec.min_length else "",
                "可空" if spec.nullable else "",
            ]
            kind = _TYPES_ZH[spec.dtype]
            also = f"（表头亦可写作 {'、'.join(spec.aliases)}）" if spec.aliases and resource.found_by_header else ""
            lines.append(
                f"| `{column}` | {spec.heading} | {kind} | {spec.unit} | {'；'.join(a for a in allowed if a)} "
                f"| {spec.description}{also} |"
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(data_dictionary(), end="")
