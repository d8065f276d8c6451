"""A new county's project folder (``kpi init``) and what is still to review in it (``kpi check``).

``kpi init DIR --plan PLAN.txt [--annex FILE]`` writes ``DIR/kpi.toml`` (the plan's identity from its
title and 文号), ``DIR/data/raw/`` (the registry drafted by :mod:`kpi.project.draft`, loading as it is) and
``DIR/review.csv`` (each drafted row a person should check, and why). The folder appears whole or not at
all. ``kpi check`` loads the project as every command will and lists what is still 待审核;
``kpi check --reviewed all`` (or ``FILE:KEY``) records a person's review. docs/new_county.md.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from kpi.core import atomic
from kpi.core.errors import InputError
from kpi.core.formatting import beijing_now, chinese_time
from kpi.extract.targets import extract, read_text
from kpi.inputs.grids import read_sheets
from kpi.metadata import config as project
from kpi.project.draft import (
    PENDING,
    REVIEW_COLUMNS,
    REVIEWED,
    annex_layout,
    draft_indicators,
    draft_plan_targets,
    draft_regions,
    identity_from_text,
    link_series,
    review,
)
from kpi.store.collect import project_registry

REVIEW_FILE = "review.csv"
EMPTY_TABLES = {
    "pacing_profiles.csv": ["profile", "month", "time_share", "note"],
    "province_reference.csv": ["scope", "indicator_id", "year", "value", "unit", "quote", "source"],
}


def _toml(value: object) -> str:
    """A TOML basic string (JSON's escaping is TOML's)."""
    return json.dumps(str(value), ensure_ascii=False)


def _project_file(identity: dict, plan_file: str) -> str:
    """kpi.toml's text for the plan's identity (``kpi/templates/project.toml.j2``; strings TOML-quoted)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    missing = [k for k in ("county", "name", "base_year", "target_year") if not identity[k]]
    if missing:
        raise InputError(
            f"方案文本中找不到标题或年限：{'、'.join(missing)} / no title or span in the plan's text",
            file=plan_file,
            fix="文本前几行应有方案标题，例如“某某县“123”科技创新工程实施方案（2024—2028年）”",
        )
    environment = Environment(
        loader=PackageLoader("kpi", "templates"),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    environment.filters["toml"] = _toml
    return environment.get_template("project.toml.j2").render(
        **identity,
        plan_file=Path(plan_file).name,
        made=chinese_time(beijing_now()),
        organisation=f"{identity['county']}科技局",
    )


def draft_tables(text: str, annex_rows: list[list] | None, plan_file: str) -> tuple[dict, pd.DataFrame, str]:
    """The registry's tables (file name → frame), the review rows and kpi.toml's text, drafted from a
    plan's text and its annex's rows (else the annex found in the text, if any)."""
    identity = identity_from_text(text)
    project = _project_file(identity, plan_file)

    layout = annex_layout(annex_rows) if annex_rows else annex_layout(extract(text)[1])
    if layout is None:
        raise InputError(
            "没有晾晒表：方案文本中没有附件晾晒表，也未给出 --annex / no annex to draft the indicators from",
            file=plan_file,
            fix="用 --annex 给出当年晾晒表（.xlsx 或 .csv，官方版式：区域 + 各指标的 指标/进度/排名）",
        )
    targets, reviews = draft_plan_targets(text, identity)
    indicators, more = draft_indicators(layout, targets)
    targets, linked = link_series(targets, indicators)
    regions, region_reviews = draft_regions(layout, identity["total_name"])
    provenance = pd.DataFrame(
        [
            ("plan_targets.csv", "name_zh, target_value, unit, comparator, clause, quote", "官方", identity["name"]),
            ("plan_targets.csv", "indicator_id, basis, series_id", "kpi init 草拟", "由方案文字推断，见 review.csv"),
            ("indicators.csv", "name_zh, unit", "官方", layout.title or "晾晒表表头"),
            (
                "indicators.csv",
                "kind, sums_to_county, higher_is_better, weight",
                "kpi init 草拟",
                "由指标名称与单位推断",
            ),
            ("regions.csv", "region", "官方", layout.title or "晾晒表各行"),
            ("regions.csv", "slug, aliases, kind", "kpi init 草拟", "拼音与名称后缀"),
        ],
        columns=["file", "columns", "nature", "source"],
    )
    tables = {"plan_targets.csv": targets, "indicators.csv": indicators, "regions.csv": regions}
    tables |= {"provenance.csv": provenance} | {n: pd.DataFrame(columns=c) for n, c in EMPTY_TABLES.items()}
    rows = [review("kpi.toml", "[county] organisation", "organisation", "制表单位按“县名+科技局”草拟")]
    return tables, pd.DataFrame(rows + reviews + more + linked + region_reviews, columns=REVIEW_COLUMNS), project


def init_project(folder: Path, plan: Path, annex: Path | None = None) -> list[Path]:
    """Write a new project into ``folder`` (which must not hold one): kpi.toml, data/raw/, review.csv and
    the plan's text under data/raw/source/. Built beside it and renamed into place: whole or nothing.
    Returns the files written."""
    folder = Path(folder).resolve()
    if folder.exists() and any(folder.iterdir()):
        raise InputError(
            "文件夹已存在且不为空 / the folder is not empty", file=folder, fix="换一个新文件夹，或先移走其中的文件"
        )
    text = read_text(plan)
    annex_rows = None
    if annex is not None:
        annex_rows = [row for sheet in read_sheets(Path(annex)) for row in sheet.rows]
    tables, reviews, project = draft_tables(text, annex_rows, str(plan))
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        raw = building / "data" / "raw"
        (raw / "source").mkdir(parents=True)
        for name, frame in tables.items():
            atomic.write_csv(raw / name, frame)
        shutil.copyfile(plan, raw / "source" / Path(plan).name)
        if annex is not None:
            shutil.copyfile(annex, raw / "source" / Path(annex).name)
        atomic.write_csv(building / REVIEW_FILE, reviews)
        atomic.write_text(building / "kpi.toml", project)
        _loads(building / "kpi.toml")
        if folder.exists():
            folder.rmdir()
        os.replace(building, folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _loads(path: Path) -> None:
    """The drafted project loads as every command loads it (the registry's checks pass)."""

    project_registry(project.load(path))


def pending(config_path: Path) -> pd.DataFrame:
    """The project's review rows still 待审核 (after it loads: a registry that does not is an error first)."""
    _loads(config_path)
    path = config_path.parent / REVIEW_FILE
    if not path.exists():
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return table[table["status"] == PENDING].reset_index(drop=True)


def mark_reviewed(config_path: Path, which: list[str]) -> int:
    """Record a person's review of the rows named ``FILE:KEY`` (or ``all``): their status becomes 已审核
    with the time. Returns how many rows changed; an unknown name is an error, nothing changed."""
    path = config_path.parent / REVIEW_FILE
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    names = table["file"] + ":" + table["key"]
    unknown = [w for w in which if w != "all" and w not in set(names)]
    if unknown:
        raise InputError(
            "review.csv 中没有这些项 / no such review rows", file=path, value=unknown, fix="用 kpi check 列出的 文件:键"
        )
    chosen = (table["status"] == PENDING) & (names.isin(which) | ("all" in which))
    table.loc[chosen, "status"] = f"{REVIEWED} {chinese_time(beijing_now())}"
    atomic.write_csv(path, table)
    return int(chosen.sum())
