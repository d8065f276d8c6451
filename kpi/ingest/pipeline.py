"""``kpi ingest``: read the inputs that ``kpi.toml`` names, validate them, and write the tidy tables
to ``data/processed`` (:mod:`kpi.ingest.processed`, the one hand-off to everything after it).

``data/processed`` holds, as Parquet (types kept; a person reads the inputs and the reports, not these),
``annex_targets``, ``progress`` (with each value's ``source``), ``county_annual``, ``annex_sum_checks``,
``inputs`` (every file read, its role, hash and example flag) and ``pacing``; a byte-for-byte copy of the
registry's CSVs; and ``ingest_summary.json``, written last with every table's hash: the commit mark of a
complete, consistent set.
"""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import pandas as pd

from kpi.core.errors import InputError
from kpi.ingest.processed import TABLES, IngestResult, Processed, inputs_changed, load_processed, write_processed
from kpi.inputs.annex import annex_sum_checks, read_annex
from kpi.inputs.annual_input import read_county_annual
from kpi.inputs.progress_input import read_progress
from kpi.inputs.ytd_falls import ytd_falls
from kpi.metadata import config as project
from kpi.metadata import fields, schemas
from kpi.metadata.config import Config
from kpi.metadata.project_file import RULE_DEFAULTS
from kpi.metadata.registry import REGISTRY_FILES, Registry


# ---------------------------------------------------------------- reading the configured sources
def _hash_row(path: Path, role: str, is_example: bool) -> dict:
    data = path.read_bytes()
    return {
        "role": role,
        "file": path.name,
        "path": str(path),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "is_example": bool(is_example),
    }


def read_annex_sources(config: Config, registry: Registry) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """Every configured annex, one year per file; a later entry in ``kpi.toml`` wins for its year."""
    by_year: dict[int, tuple[Path, pd.DataFrame]] = {}
    notices = []
    for path in config.sources("annex"):
        table = read_annex(path, registry, check_sums=False)
        year = int(table["year"].iloc[0])
        if year in by_year:
            notices.append(f"{year} 年晾晒表：使用 {path}，不再使用 {by_year[year][0]}（kpi.toml 中靠后的一项优先）")
        by_year[year] = (path, table)
    if not by_year:
        raise InputError(
            "没有任何晾晒表指标 / no annex targets configured",
            file=config.path,
            fix="在 kpi.toml 的 [data] annex 中列出附件文件，或运行 `kpi import-annex 文件 --year 年份`",
        )
    annex = pd.concat([by_year[y][1] for y in sorted(by_year)], ignore_index=True)
    hashes = [_hash_row(by_year[y][0], "annex", bool(by_year[y][1]["is_example"].any())) for y in sorted(by_year)]
    return annex, hashes, notices


def read_progress_sources(files: list[Path], registry: Registry, config_path: Path | None = None) -> pd.DataFrame:
    """The progress of every file, stacked, each value's ``source`` kept (the form it came from, or
    the file's name). The same cell in two files with different values is an error naming both
    files (``kpi collect`` is the way to correct a value: it keeps a corrections log)."""
    if not files:
        raise InputError(
            "没有进度数据 / no progress data",
            file=config_path,
            fix="用 `kpi collect 回收表文件夹 --period YYYY-MM` 收集各区域报送，"
            "并在 kpi.toml 的 [data] progress 中列出 data/county/progress.csv",
        )
    parts = []
    for path in files:
        part = read_progress(path, registry)
        if "source" not in part:
            part = part.assign(source=path.name)
        parts.append(part)
    if len(parts) == 1:
        return parts[0]
    progress = pd.concat(parts, ignore_index=True)
    keys = ["period", "region", "indicator_id"]
    repeated = progress[progress.duplicated(keys, keep=False)]
    if not repeated.empty:
        conflicting = repeated.groupby(keys, observed=True)["value"].transform("nunique") > 1
        if conflicting.any():
            first = repeated[conflicting].iloc[0]
            same = repeated[(repeated[keys] == first[keys]).all(axis=1)]
            raise InputError(
                f"{first['period']} {first['region']} {first['indicator_id']} 在两个进度来源中数值不同："
                + "；".join(f"{s} = {v:g}" for s, v in zip(same["source"], same["value"]))
                + " / the same cell differs between two progress sources",
                file=config_path,
                value=same["value"].tolist(),
                fix="只保留一个来源（kpi.toml 的 [data] progress），或用 `kpi collect` 收集更正，它会记录更正日志",
            )
        progress = progress.drop_duplicates(keys)
    order = dict(zip(registry.region_names, range(len(registry.region_names))))
    iorder = registry.indicator_order
    return (
        progress.assign(_r=progress["region"].map(order), _i=progress["indicator_id"].map(iorder))
        .sort_values(["period", "_r", "_i"], kind="stable")
        .drop(columns=["_r", "_i"])
        .reset_index(drop=True)
    )


def combine_county_annual(parts: list[pd.DataFrame], files: list[Path]) -> pd.DataFrame:
    """The county's annual series from every configured file; a year × target given twice with two
    values is an error. No file at all is allowed: the 2027 targets are then 数据不足."""
    if not parts:
        return schemas.validate(fields.empty_frame("county_annual"), schemas.COUNTY_ANNUAL)
    table = pd.concat(parts, ignore_index=True)[fields.columns("county_annual")]
    clash = table[table.duplicated(["year", "indicator_id"], keep=False)]
    if clash.groupby(["year", "indicator_id"])["value"].nunique().gt(1).any():
        first = clash.iloc[0]
        raise InputError(
            f"{first['year']} 年 {first['indicator_id']} 在两个年度数据文件中数值不同 / conflicting annual values",
            file=files[-1],
            value=clash.loc[
                (clash["year"] == first["year"]) & (clash["indicator_id"] == first["indicator_id"]), "value"
            ].tolist(),
            fix="只保留一个文件中的数值",
        )
    return table.drop_duplicates(["year", "indicator_id"]).sort_values(["indicator_id", "year"]).reset_index(drop=True)


# ---------------------------------------------------------------- the pipeline
def _summary(config, registry, annex, progress, county_annual, plan_targets, sum_checks, sources) -> dict:
    """``ingest_summary.json``: what was read (years, rows, periods, which parts are example), the
    checks' counts, every file considered (for the freshness check) and the rules in force."""
    periods = sorted(progress["period"].unique())
    return {
        "config": str(config.path) if config.path else None,
        "plan": config.plan.with_years(
            int(plan_targets["base_year"].min()) if len(plan_targets) else None,
            int(plan_targets["target_year"].max()) if len(plan_targets) else None,
        ).as_dict(),
        "annex_years": sorted(int(y) for y in annex["year"].unique()),
        "annex_targets": int(len(annex)),
        "annex_example_years": sorted(int(y) for y in annex.loc[annex["is_example"], "year"].unique()),
        "progress_rows": int(len(progress)),
        "progress_periods": [periods[0], periods[-1]] if periods else [],
        "progress_is_example": bool(progress["is_example"].any()),
        "county_annual_rows": int(len(county_annual)),
        "county_annual_is_example": bool(county_annual["is_example"].any()),
        "plan_targets": int(len(plan_targets)),
        "annex_sum_checks_failed": int((~sum_checks["ok"]).sum()),
        "ytd_falls": int(len(ytd_falls(progress, registry))),
        "sources": sorted(map(str, sources)),
        "rules": {**RULE_DEFAULTS, **config.rules},
    }


def run_ingest(config: Config) -> IngestResult:
    """Read and validate every configured input; then, and only then, write ``config.processed``."""
    from kpi.store.collect import project_registry  # the store (SQLAlchemy) imported only when ingest runs

    refresh_store_exports(config)
    registry = project_registry(config).with_pacing(config.pacing_table(), config.path)
    plan_targets = registry.plan_targets  # checked as the registry loaded it
    annex, annex_hashes, notices = read_annex_sources(config, registry)
    sources = [config.registry / name for name in REGISTRY_FILES] + config.sources("annex")
    progress_files = config.sources("progress")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        progress = read_progress_sources(progress_files, registry, config.path)
    for warning in caught:  # re-issued once, outside the per-file readers
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    annual_files = config.sources("county_annual")
    sources += progress_files + annual_files
    annual_parts = [read_county_annual(path) for path in annual_files]
    county_annual = combine_county_annual(annual_parts, annual_files)
    sum_checks = annex_sum_checks(annex, registry)
    example_sources = set(progress.loc[progress["is_example"], "source"].astype(str))
    inputs = pd.DataFrame(
        [_hash_row(config.registry / name, "registry", False) for name in REGISTRY_FILES]
        + annex_hashes
        + [_hash_row(p, "progress", p.name in example_sources) for p in progress_files]
        + [_hash_row(p, "county_annual", bool(t["is_example"].any())) for p, t in zip(annual_files, annual_parts)]
    )
    summary = _summary(config, registry, annex, progress, county_annual, plan_targets, sum_checks, sources)
    tables = {
        "annex_targets": annex,
        "progress": progress,
        "county_annual": county_annual,
        "annex_sum_checks": sum_checks,
        "inputs": inputs,
        "pacing": config.pacing_table(),
    }
    assert tuple(tables) == TABLES  # what load_processed reads back
    outputs = {fields.processed_file(name): table for name, table in tables.items()}
    summary["validated"] = schemas.check_processed(outputs)
    written = write_processed(config.processed, outputs, summary, config.registry)
    return IngestResult(
        config.processed,
        registry,
        annex,
        progress,
        county_annual,
        plan_targets,
        sum_checks,
        inputs,
        summary,
        written,
        notices,
    )


def refresh_store_exports(config: Config) -> None:
    """The store's CSV exports made current from one snapshot, under the writers' lock (a collection
    killed between its commit and its exports leaves them behind), before ingest reads and hashes them."""
    from kpi.store.collect import open_store  # as in run_ingest: a report's kernel reads tables, not the store

    sources = config.progress + config.county_annual
    store = open_store(config)
    if store.exists() and any(Path(p).resolve().is_relative_to(config.store.resolve()) for p in sources):
        store.export()


def open_processed(processed_dir: str | Path | None = None) -> Processed:
    """What a notebook loads. Given a folder (as ``kpi report`` gives it; a relative one, as a
    published notebook names it, lies in the project folder), exactly that folder's tables. Given
    none (an analyst in JupyterLab, or nbval), the folder named in ``kpi.toml``, brought up to date
    first by :func:`run_ingest` when its inputs or its declared [plan] and [rules] changed."""
    if processed_dir is not None:
        folder = Path(processed_dir)  # relative (a published notebook's): to the project folder
        return load_processed(folder if folder.is_absolute() else project.load().root / folder)
    config = project.load()
    if inputs_changed(config, config.processed):
        run_ingest(config)
    return load_processed(config.processed)
