"""The project file's schema (``kpi.toml``): every section, key, type and range declared once, here, with
the message and the fix a person reads when an entry is wrong. A key not declared is refused (a typo is an
error, not silently ignored); ``"2027"`` is not a year and ``true`` is not a number (strict types).

:mod:`kpi.metadata.config` reads the file and resolves its paths; this module says what it may hold.
pydantic checks it; :func:`validate_project_file` turns the first failure into one :class:`ConfigError`
naming the entry, its value and the fix.
"""

from __future__ import annotations

import string
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model, model_validator
from pydantic_core import PydanticCustomError

from kpi.core.errors import ConfigError
from kpi.core.facts import DEFAULT_TOTAL_NAME
from kpi.metadata.fields import YEARS
from kpi.metadata.plausibility import CHECK_KEYS, Checks
from kpi.metadata.rules import Rules

#: [rules]: this project's conventions, each within its range (kpi.metadata.rules.Rules holds the defaults)
RULE_KEYS = {
    "near_tolerance_points": (0, 100),
    "composite_cap_percent": (100, 1000),
    "composite_floor_percent": (0, 100),
}


def entry(problem: str, fix: str, default: Any = None, **constraints) -> Any:
    """A declared entry: its default, its constraints, and what a person reads when it is wrong
    (``problem`` may name ``{key}``, ``{low}`` and ``{high}``)."""
    return Field(default, json_schema_extra={"problem": problem, "fix": fix}, **constraints)


class Section(BaseModel):
    """A section of the project file: only its declared keys, each of its declared type."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


Text = Annotated[str, Field(min_length=1)]
PATH = "{key} 应为一个路径字符串 / {key} must be a path"
PATHS = "[data] {key} 应为路径列表 / {key} must be a list of paths"


def _one_or_many(value: Any) -> Any:
    """One path written alone is a list of one."""
    return [value] if isinstance(value, str) else value


PathList = Annotated[list[Annotated[str, Field(min_length=1)]], BeforeValidator(_one_or_many)]


class County(Section):
    """[county]: the name every title prints, the compiling unit, the annex's total row."""

    name: Text = entry("项目文件未写县名 / [county] name is missing", '在 kpi.toml 中写 [county] name = "某某县"', ...)
    organisation: str = entry("[county] organisation 应为文字 / not a text", 'organisation = "某某县科技局"', "")
    total_name: Text = entry(
        "[county] total_name 应为文字 / not a text", 'total_name = "全区"（晾晒表的总计行）', DEFAULT_TOTAL_NAME
    )


_YEAR_PROBLEM = "[plan] {key} 应为 {low}—{high} 的整数年份 / [plan] {key} must be a year"


class Plan(Section):
    """[plan]: the plan's title, short name, subject, 文号, and the years its targets run between."""

    name: str | None = entry("[plan] name 应为文字 / not a text", 'name = "某某县科技创新实施方案（2023—2027年）"')
    short_name: str | None = entry("[plan] short_name 应为文字 / not a text", 'short_name = "139"')
    subject: str | None = entry("[plan] subject 应为文字 / not a text", 'subject = "科技创新体系建设工程"')
    document_number: str | None = entry(
        "[plan] document_number 应为文字 / not a text", 'document_number = "某政办发〔2023〕25号"'
    )
    base_year: int | None = entry(_YEAR_PROBLEM, "例如 base_year = 2022", ge=YEARS[0], le=YEARS[1])
    target_year: int | None = entry(_YEAR_PROBLEM, "例如 target_year = 2027", ge=YEARS[0], le=YEARS[1])

    @model_validator(mode="after")
    def _base_before_target(self) -> "Plan":
        if self.base_year and self.target_year and self.base_year >= self.target_year:
            raise PydanticCustomError("years_order", "base_year must come before target_year")
        return self


class Data(Section):
    """[data]: where the inputs are (paths relative to the file)."""

    registry: Text | None = entry(PATH, 'registry = "data/raw"')
    store: Text | None = entry(PATH, 'store = "data/county"')
    database: str | None = entry(
        "[data] database 应为数据库地址 / database must be a URL",
        '例如 database = "postgresql+psycopg://kpi@localhost/jinyun"；不写则用存储文件夹中的 SQLite 文件',
        pattern=r"^(postgresql://|postgresql\+psycopg://|sqlite:///)",
    )
    example: Text | None = entry(PATH, "示例数据所在文件夹的路径（相对于 kpi.toml）")
    annex: PathList = entry(PATHS, '例如 annex = ["data/county/annex.csv"]', [])
    progress: PathList = entry(PATHS, '例如 progress = ["data/county/progress.csv"]', [])
    county_annual: PathList = entry(PATHS, '例如 county_annual = ["data/county/county_annual.csv"]', [])


class Output(Section):
    """[output]: where what is derived goes."""

    processed: Text | None = entry(PATH, 'processed = "data/processed"')
    reports: Text | None = entry(PATH, 'reports = "reports"')
    notebooks: Text | None = entry(PATH, 'notebooks = "notebooks"')


def _numbers(name: str, ranges: dict, defaults: dict):
    """A section of numbers, each within its declared range (``[rules]``, ``[checks]``)."""
    problem = f"[{name}] {{key}} 应为 {{low}}—{{high}} 之间的数 / out of range"
    return create_model(
        name.title(),
        __base__=Section,
        __doc__=f"[{name}]: each a number within its range.",
        **{
            key: (
                int | float | None,
                entry(problem, f"例如 {key} = {defaults[key]}（本项目的默认约定）", ge=low, le=high),
            )
            for key, (low, high) in ranges.items()
        },
    )


RULE_DEFAULTS = {key: int(value) if float(value).is_integer() else value for key, value in asdict(Rules()).items()}
CHECK_DEFAULTS = asdict(Checks())
RulesSection = _numbers("rules", RULE_KEYS, RULE_DEFAULTS)
ChecksSection = _numbers("checks", CHECK_KEYS, CHECK_DEFAULTS)


class Pacing(Section):
    """[pacing.<indicator_id>]: a monthly profile, the reason for it and its source, each written out."""

    profile: Text  # a wrong pacing is one message for all three (_config_error)
    reason: Text
    source: Text


def _document_number(value: Any) -> Any:
    """A 发文字号 may hold ``{year}`` and ``{month}`` and nothing else in braces."""
    if isinstance(value, str) and {f for _, f, _, _ in string.Formatter().parse(value) if f} - {"year", "month"}:
        raise PydanticCustomError("number_fields", "only {year} and {month}")
    return value


PUBLICATION = "[publication] {key} 应为文字（发文字号中只可用 {{year}}、{{month}}）/ not a text"
PUBLICATION_FIX = '例如 document_number = "缙科〔{year}〕{month}号"'


class Publication(Section):
    """[publication]: the 情况通报's 版头 and 版记 (GB/T 9704: 发文机关标志, 发文字号 with ``{year}`` and ``{month}``
    filled in, 主送机关, 抄送, 印发机关); each left out takes the default :mod:`kpi.outputs.bulletin` states."""

    issuer_mark: str | None = entry(PUBLICATION, PUBLICATION_FIX)
    document_number: Annotated[str | None, BeforeValidator(_document_number)] = entry(PUBLICATION, PUBLICATION_FIX)
    recipients: str | None = entry(PUBLICATION, PUBLICATION_FIX)
    copy_to: str | None = entry(PUBLICATION, PUBLICATION_FIX)
    printer: str | None = entry(PUBLICATION, PUBLICATION_FIX)


class ProjectFile(Section):
    """The whole file: its sections (each optional but [county])."""

    county: County
    plan: Plan = Plan()
    data: Data = Data()
    output: Output = Output()
    rules: RulesSection = RulesSection()
    checks: ChecksSection = ChecksSection()
    pacing: dict[str, Pacing] = {}
    publication: Publication = Publication()


def validate_project_file(document: dict, path: Path) -> ProjectFile:
    """``document`` (the file's TOML) checked against :class:`ProjectFile`; the first thing wrong is a
    :class:`ConfigError` naming the entry, its value and the fix."""
    try:
        return ProjectFile.model_validate(document)
    except ValidationError as exc:
        # an unknown key first: a typo explains what follows it
        errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
        raise _config_error(errors[0], document, path) from None


def _config_error(error: dict, document: dict, path: Path) -> ConfigError:
    """One pydantic error in the reader's words."""
    location = [str(part) for part in error["loc"] if not isinstance(part, int)]
    section = location[0] if location else ""
    if error["type"] == "extra_forbidden" and len(location) == 1:
        known = ", ".join(f"[{name}]" for name in ProjectFile.model_fields)
        return ConfigError(
            f"未知的节 [{section}] / unknown section", file=path, value=section, fix=f"可用的节：{known}"
        )
    model = ProjectFile.model_fields[section].annotation if section in ProjectFile.model_fields else None
    if section == "pacing":
        indicator = location[1] if len(location) > 1 else ""
        return ConfigError(
            f"[pacing.{indicator}] 应写明 profile、reason、source 三项 / a pacing needs its profile, reason and source",
            file=path,
            value=document.get("pacing", {}).get(indicator),
            fix='例如 [pacing.指标代码] profile = "batch_hitech"，reason = "…"，source = "…"',
        )
    if error["type"] == "extra_forbidden":
        return ConfigError(
            f"[{section}] 中有未知的项 / unknown key",
            file=path,
            value=[location[-1]],
            fix=f"可用的项：{', '.join(sorted(model.model_fields))}",
        )
    if error["type"] == "years_order":
        plan = document.get("plan", {})
        return ConfigError(
            "[plan] base_year 应早于 target_year / the base year must come before the target year",
            file=path,
            value=[plan.get("base_year"), plan.get("target_year")],
            fix="base_year 是目标起算的年份（例如方案 2023—2027 年则为 2022），target_year 是目标年份",
        )
    key = location[1] if len(location) > 1 else section
    field = model.model_fields[key] if model is not None and key in model.model_fields else None
    extra = (field.json_schema_extra or {}) if field is not None else {}
    bounds = {type(m).__name__: m for m in (field.metadata if field is not None else [])}
    low = getattr(bounds.get("Ge"), "ge", "")
    high = getattr(bounds.get("Le"), "le", "")
    return ConfigError(
        extra.get("problem", f"[{section}] {key} 不符合要求 / invalid").format(key=key, low=low, high=high),
        file=path,
        value=document.get(section, {}).get(key) if isinstance(document.get(section), dict) else None,
        fix=extra.get("fix"),
    )
