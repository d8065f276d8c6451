"""What the county receives, kept with its provenance in the store (:mod:`kpi.store.database`), never
overwritten silently.

``kpi collect`` (:mod:`kpi.store.returns`) reads every returned form, checks all of them before writing
anything, then merges the values it can vouch for into the store's ``progress`` table, in one
transaction with everything else the collection changes:

- each value keeps its source file, that file's sha256, sheet, row and column, and when it was
  received (Beijing time);
- a later value for the same cell supersedes the earlier one, and the change is a row of
  ``corrections`` (old value, new value, both files, time): nothing is lost;
- every received file is copied to ``<store>/received/<period>/`` under its hash (under the store's
  lock; a copy that no committed row names is harmless, and reused by the rerun).

Within one call, files are applied oldest first (by modification time, then name), so a
correction returned after the original wins. ``kpi collect --year`` does the same for the
county's annual figures. Each collection also writes 报送情况 (who has reported which indicators for the
period, and who is missing: :func:`kpi.store.returns.submission_status`). Implausible values wait in
``held`` until a person confirms or corrects them. The CSVs a person reads are exports of the store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kpi.core import atomic
from kpi.core.errors import InputError
from kpi.core.facts import annex_title
from kpi.core.faults import fault_point
from kpi.core.formatting import beijing_now, chinese_time
from kpi.core.parsing import normalize_text
from kpi.inputs.annex import SumMismatchWarning, read_annex, to_layout_rows
from kpi.inputs.annual_input import read_annual_submission
from kpi.metadata.config import Config
from kpi.metadata.registry import Registry
from kpi.metadata.sources import ignore_rule
from kpi.store.database import TABLES, Store, replace_rows

STORE_COLUMNS = TABLES["progress"][0]
ANNUAL_COLUMNS = TABLES["county_annual"][0]
CORRECTION_COLUMNS = TABLES["corrections"][0]
HELD_COLUMNS = TABLES["held"][0]
HELD, ACCEPTED, SUPERSEDED = "待确认", "已确认", "已更正"
ACCEPTED_BY = "kpi collect --accept"  # how a held value was confirmed (held.csv resolution)


@dataclass
class CollectResult:
    """What one ``kpi collect`` did: the files received (read), refused (with the error) and ignored
    (with the rule), values new, corrected, unchanged, held and accepted, the 报送情况 of the period,
    the files written and the notices to print. ``dry_run``: nothing was written."""

    period: str
    received: list[Path]
    new_values: int = 0
    corrections: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CORRECTION_COLUMNS))
    unchanged: int = 0
    status: pd.DataFrame | None = None
    notices: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    refused: list[tuple[Path, InputError]] = field(default_factory=list)
    ignored: list[tuple[Path, str]] = field(default_factory=list)
    held: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HELD_COLUMNS))
    accepted: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HELD_COLUMNS))
    stored: pd.DataFrame | None = None  # what was (or, in a dry run, would be) stored
    dry_run: bool = False


def submission_files(paths: list[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files to read, oldest first (modification time, then name), and the files of the given
    folders that are not read, each with its rule. A file named on the command line is always read."""
    files: list[Path] = []
    ignored: list[tuple[Path, str]] = []
    for given in map(Path, paths):
        if given.is_dir():
            for entry in sorted(given.iterdir()):
                rule = ignore_rule(entry)
                (ignored.append((entry, rule)) if rule else files.append(entry))
        elif given.exists():
            files.append(given)
        else:
            raise InputError("文件不存在 / file not found", file=given, fix="检查路径和文件名")
    if not files:
        raise InputError(
            "没有找到可读取的回收表（.xlsx/.xls/.et/.ods/.csv）/ no forms found",
            file=", ".join(map(str, paths)),
            fix="把各区域发回的报送表放进一个文件夹，再运行 kpi collect 该文件夹 --period YYYY-MM",
        )
    return sorted(set(files), key=lambda p: (p.stat().st_mtime_ns, p.name)), ignored


def open_store(config: Config) -> Store:
    """The project's store: ``[data] database`` when kpi.toml names one, else ``<store>/store.sqlite``."""
    return Store(config.store, config.database)


def stored(config: Config, table: str) -> pd.DataFrame:
    """One table of the store as its CSV export holds it (empty when nothing was stored yet)."""
    return open_store(config).frame(table)


def project_registry(config: Config) -> Registry:
    """The registry the project file names, with the county's own aliases from the store."""
    registry = Registry.load(config.registry).check_total(config.total_name, config.path)
    return registry.with_aliases(stored(config, "aliases"), config.store_aliases)


def add_alias(config: Config, registry: Registry, alias: str, name: str, kind: str, now: dt.datetime) -> Path:
    """Register ``alias`` for a region (or an indicator) in the store (exported to ``aliases.csv``). The
    name must be known; an alias already meaning something else is refused (one name, one meaning)."""
    alias, resolve = normalize_text(alias), registry.resolve_region if kind == "region" else registry.resolve_indicator
    try:
        target = resolve(name)
    except KeyError as exc:
        raise InputError(exc.args[0], value=name, fix="第二个参数写登记表中的名称（区域名或指标名）") from None
    lookup = registry.region_lookup if kind == "region" else registry.indicator_lookup
    if alias in lookup and lookup[alias] != target:
        raise InputError(
            f"“{alias}”已表示“{lookup[alias]}” / the alias already means something else",
            value=alias,
            fix="换一个别名；一个名称只能指一个区域或指标",
        )
    store = open_store(config)
    if alias not in lookup:
        row = pd.DataFrame([{"kind": kind, "alias": alias, "name": target, "added_at": now.isoformat()}])
        with store.writing("kpi alias") as connection:
            replace_rows(connection, "aliases", atomic.formula_safe(row))
        store.export()
    return config.store_aliases


def merge(
    store: pd.DataFrame, incoming: pd.DataFrame, keys: list[str], describe
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """``incoming`` rows (in arrival order) over ``store``: new cells added, changed cells superseded
    and logged, identical values kept with their first source. Returns (store, corrections, added,
    unchanged). ``describe(row)`` names a row's source for the log."""
    current = {tuple(row[k] for k in keys): row for row in store.to_dict("records")}
    corrections, added, unchanged = [], 0, 0
    for row in incoming.to_dict("records"):
        key = tuple(row[k] for k in keys)
        old = current.get(key)
        if old is None:
            added += 1
        elif abs(float(old["value"]) - float(row["value"])) <= 1e-9:
            unchanged += 1
            continue
        else:
            corrections.append(
                {
                    "key": " ".join(map(str, key)),
                    "old_value": f"{float(old['value']):g}",
                    "new_value": f"{float(row['value']):g}",
                    "old_source": describe(old),
                    "new_source": describe(row),
                    "corrected_at": row["_at"],
                }
            )
        current[key] = row
    merged = pd.DataFrame(list(current.values()), columns=store.columns) if current else store
    return merged, pd.DataFrame(corrections, columns=CORRECTION_COLUMNS), added, unchanged


def describe(row: dict) -> str:
    """A value's source for the corrections log: ``file（sheet，第N行，C）``."""
    where = "，".join(
        x
        for x in (
            str(row.get("source_sheet") or ""),
            f"第{row['source_row']}行" if str(row.get("source_row") or "0") not in ("", "0") else "",
            str(row.get("source_column") or ""),
        )
        if x
    )
    return f"{row['source_file']}" + (f"（{where}）" if where else "")


def keep_files(config: Config, received: list[tuple[Path, str]], folder: str) -> list[tuple[Path, Path]]:
    """Every received file copied whole to ``<store>/received/<folder>/<hash>_<name>``: ``(file, copy)``."""
    kept = [
        (path, atomic.copy_into(path, config.store_received / folder / f"{digest[:12]}_{path.name}"))
        for path, digest in received
    ]
    fault_point("received-kept")
    return kept


def record_files(connection, kept: list[tuple[Path, Path]], digests: dict, folder: str, times: dict, at: str) -> None:
    """The received files' record, in the collection's transaction."""
    rows = pd.DataFrame(
        [
            {
                "sha256": digests[path],
                "file_name": path.name,
                "folder": folder,
                "kept_as": str(copy.relative_to(copy.parents[2])),
                "received_at": times.get(path, at),
                "collected_at": at,
            }
            for path, copy in kept
        ],
        columns=TABLES["received"][0],
    )
    replace_rows(connection, "received", rows)


def changed_rows(merged: pd.DataFrame, before: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows of ``merged`` that are new or differ from ``before`` (what a transaction writes)."""
    if before.empty:
        return merged
    columns = list(merged.columns)
    both = merged.astype(str).merge(before[columns].astype(str), how="left", indicator=True)
    return merged[(both["_merge"] == "left_only").to_numpy()]


def ordered(table: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """The store's rows by period, then region and indicator in annex order."""
    return (
        table.assign(
            _r=table["region"].map(registry.region_order), _i=table["indicator_id"].map(registry.indicator_order)
        )
        .sort_values(["period", "_r", "_i"], kind="stable")
        .drop(columns=["_r", "_i"])
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------- the county's annual figures
def collect_annual(
    config: Config, series: pd.DataFrame, files: list[str | Path], year: int, now: dt.datetime | None = None
) -> CollectResult:
    """Merge returned annual forms of ``year`` into ``<store>/county_annual.csv`` (same rules)."""
    now = now or beijing_now()
    received, _ = submission_files(files)
    parts = []
    for path in received:
        submission = read_annual_submission(path, series, year)
        if submission.values.empty:
            raise InputError("年度报送表中没有任何数值 / the form holds no values", file=path, fix="填写后保存再收集")
        parts.append(submission.values.assign(_file=path.name, _sha=atomic.file_sha256(path)))
    incoming = pd.concat(parts, ignore_index=True)
    meta = series.set_index("series_id")
    at = now.isoformat()
    incoming = incoming.assign(
        name_zh=incoming["indicator_id"].map(meta["name_zh"]),
        unit=incoming["indicator_id"].map(meta["unit"]),
        is_example=False,
        _at=at,
        source=[
            f"{file}（{sheet} 第{row}行）" + (f"；{note}" if note else "") + f"；收集于{chinese_time(now)}"
            for file, sheet, row, note in zip(incoming["_file"], incoming["sheet"], incoming["row"], incoming["note"])
        ],
    )
    store = open_store(config)
    digests = {p: atomic.file_sha256(p) for p in received}
    keys = ["year", "indicator_id"]
    with store.writing("kpi collect --year") as connection:
        kept = keep_files(config, list(digests.items()), f"{year}-annual")
        before = store.frame("county_annual", connection)
        merged, corrections, added, unchanged = merge(before, incoming, keys, lambda row: row["source"])
        replace_rows(connection, "county_annual", changed_rows(merged[ANNUAL_COLUMNS], before, keys))
        replace_rows(connection, "corrections", corrections)
        record_files(connection, kept, digests, f"{year}-annual", {}, at)
    result = CollectResult(str(year), received, added, corrections, unchanged)
    result.written += [copy for _, copy in kept] + store.export()
    if config.store_county_annual not in config.county_annual:
        result.notices.append(
            f"注意：kpi.toml 的 [data] county_annual 未包含 {config.store_county_annual}"
            " / the project file does not read the annual store yet"
        )
    return result


# ---------------------------------------------------------------- a new year's annex
def import_annex(
    config: Config, registry: Registry, path: str | Path, year: int, now: dt.datetime | None = None
) -> list[Path]:
    """Check a year's annex (the official layout: every region × indicator, 全县 = Σ regions where
    the indicator sums, the year in its title) and store it as ``<store>/annex/annex_<year>``,
    where ingest finds it: the layout written back with every digit, replacing the previous one whole
    (one atomic rename, under the store's lock). Each imported file is kept as it came, under
    ``received/annex-<year>/`` by its hash, and recorded in the store; nothing is deleted."""
    import warnings

    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SumMismatchWarning)
        try:
            targets = read_annex(path, registry, year=year)
        except SumMismatchWarning as exc:
            raise InputError(
                f"{registry.total_name}不等于各区域合计：{exc} / the total differs from the sum of the regions",
                file=path,
                fix=f"核对{registry.total_name}行或各区域的指标，使{registry.total_name} = 各区域合计",
            ) from None
    expected = len(registry.region_names) * len(registry.indicators)
    if len(targets) != expected:
        raise InputError(
            f"晾晒表应有 {expected} 个指标值，读到 {len(targets)} 个 / wrong number of targets",
            file=path,
            fix=f"每个区域（含{registry.total_name}）的每个指标各填一个目标值",
        )
    now = now or beijing_now()
    digest = atomic.file_sha256(path)
    title = annex_title(year, config.plan.headline) + ("（示例）" if targets["is_example"].any() else "")
    layout = io.StringIO()
    csv.writer(layout, lineterminator="\n").writerows(to_layout_rows(targets, registry, title, exact=True))
    live = config.store_annex / f"annex_{year}.csv"
    store = open_store(config)
    with store.writing("kpi import-annex") as connection:  # imports serialised; the live file replaced whole
        [(_, kept)] = keep_files(config, [(path, digest)], f"annex-{year}")
        written = [atomic.write_text(live, layout.getvalue())]
        fault_point("annex-written")
        record_files(connection, [(path, kept)], {path: digest}, f"annex-{year}", {}, now.isoformat())
        for legacy in sorted(config.store_annex.glob(f"annex_{year}.*")):  # an import of before: kept, moved
            if legacy != live:
                moved = config.store_annex / "replaced" / f"{atomic.file_sha256(legacy)[:12]}_{legacy.name}"
                atomic.copy_into(legacy, moved)
                legacy.unlink()
    return written + [kept] + store.export()
