"""``data/processed``: the one hand-off between reading the inputs and everything after it.

``kpi ingest`` (:mod:`kpi.ingest.pipeline`) writes the tidy tables here; the leaderboard, the batch and
every notebook load them through :func:`load_processed` (or :func:`kpi.ingest.pipeline.open_processed`, which brings the
folder up to date first) and never re-read raw files. ``ingest_summary.json`` is written last, with
every table's hash: the commit mark of a complete, consistent set.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kpi.core import atomic
from kpi.core.errors import InputError, RunError
from kpi.core.faults import fault_point
from kpi.metadata.config import Config
from kpi.metadata.fields import processed_file
from kpi.metadata.identity import PlanIdentity
from kpi.metadata.project_file import RULE_DEFAULTS
from kpi.metadata.registry import REGISTRY_FILES, Registry
from kpi.metadata.rules import Rules

TABLES = ("annex_targets", "progress", "county_annual", "annex_sum_checks", "inputs", "pacing")


@dataclass
class Processed:
    """The validated tables of one ingest, as every later step sees them."""

    folder: Path
    registry: Registry
    annex: pd.DataFrame
    progress: pd.DataFrame
    county_annual: pd.DataFrame
    plan_targets: pd.DataFrame
    sum_checks: pd.DataFrame
    inputs: pd.DataFrame
    summary: dict

    @property
    def plan(self) -> PlanIdentity:
        """The plan and county this ingest was made for (``[plan]``, ``[county]`` of kpi.toml), its span
        filled from the plan's targets where the project file is silent."""
        return PlanIdentity.from_dict(self.summary.get("plan"))

    @property
    def latest_period(self) -> str:
        """The latest month with progress data (``YYYY-MM``)."""
        if self.progress.empty:
            raise InputError("没有进度数据 / no progress data", file=self.folder, fix="先收集报送（kpi collect）再运行")
        return str(self.progress["period"].max())

    @property
    def rules(self) -> Rules:
        """The leaderboard's conventions this ingest was made with (``[rules]`` in kpi.toml)."""
        return Rules(**self.summary.get("rules", {}))

    def provenance(self) -> pd.DataFrame:
        """What is official, example or assumed in each input read (``provenance.csv``); the pacing
        profiles only when a pacing is declared."""
        files = [f for f in self.inputs["file"] if f != "pacing_profiles.csv" or not self.registry.paced.empty]
        return self.registry.provenance(files)

    @property
    def progress_is_example(self) -> bool:
        """Whether any progress value is example data (every output then says 示例数据)."""
        return bool(self.progress["is_example"].any())

    def annex_years(self) -> list[int]:
        """The years that have an annex (targets), ascending."""
        return sorted(int(y) for y in self.annex["year"].unique())

    def require_period(self, period: str, what: str = "") -> None:
        """An :class:`InputError` naming the months there are, when ``period`` has no progress data
        (``what``: how the caller names the month, e.g. 季末月份)."""
        periods = sorted(self.progress["period"].unique())
        if period in periods:
            return
        known = f"{periods[0]} 至 {periods[-1]}" if periods else "无"
        raise InputError(
            f"进度数据中没有{what} {period} / no progress data for {period}（现有：{known}）",
            value=period,
            file=self.summary.get("config"),
            fix=f"先用 `kpi collect 回收表文件夹 --period {period}` 收集该月报送，或选择已有的月份",
        )

    def targets_for(self, year: int) -> pd.DataFrame:
        """The annex targets of ``year``; a clear error naming the command to run when there are none."""
        targets = self.annex[self.annex["year"] == year]
        if targets.empty:
            raise InputError(
                f"没有 {year} 年的晾晒表指标 / no annex targets for {year}; 现有年份：{self.annex_years()}",
                file=self.summary.get("config"),
                value=year,
                fix=f"运行 `kpi import-annex 晾晒表文件.xlsx --year {year}` 导入该年附件，或在 kpi.toml 的 [data] annex 中加入该年文件",
            )
        return targets.reset_index(drop=True)

    def months_of(self, year: int, until: str | None = None) -> list[str]:
        """The periods of ``year`` in the progress data, up to ``until``."""
        periods = sorted(p for p in self.progress["period"].unique() if p.startswith(f"{year:04d}-"))
        return [p for p in periods if until is None or p <= until]

    def missing_reports(self) -> pd.DataFrame:
        """(period, region) pairs with no value at all among the reported periods: 未报送."""
        periods = sorted(self.progress["period"].unique())
        expected = pd.MultiIndex.from_product([periods, self.registry.region_names], names=["period", "region"])
        reported = pd.MultiIndex.from_frame(self.progress[["period", "region"]].drop_duplicates())
        return expected.difference(reported).to_frame(index=False)


@dataclass
class IngestResult(Processed):
    """What :func:`run_ingest` read and wrote, and what it noticed on the way."""

    written: list[Path] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def write_processed(folder: Path, outputs: dict[str, pd.DataFrame], summary: dict, registry_dir: Path) -> list[Path]:
    """Every table atomically, the registry copied, and the summary with the hashes written last."""
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    fault_point("ingest-before-lock")
    with FileLock(str(folder / ".kpi-ingest.lock")):  # two runs at once write one after the other
        fault_point("ingest-locked")
        atomic.sweep_temporary(folder)  # what a killed run left half written (every writer holds this lock)
        written = []
        for name, frame in outputs.items():
            written.append(atomic.write_parquet(folder / name, frame))
            fault_point(f"ingest-wrote-{name}")  # e.g. ingest-wrote-progress.parquet: one new table among old ones
        for name in REGISTRY_FILES:  # byte for byte: Registry.load reads the copy as it reads the original
            written.append(atomic.write_bytes(folder / name, (registry_dir / name).read_bytes()))
        fault_point("ingest-before-summary")
        summary["sha256"] = {path.name: atomic.file_sha256(path) for path in written}
        written.append(
            atomic.write_text(folder / "ingest_summary.json", json.dumps(summary, ensure_ascii=False, indent=2) + "\n")
        )
        for name in TABLES:  # a version before Parquet kept these as CSV: a second, older copy would mislead
            (folder / f"{name}.csv").unlink(missing_ok=True)
    return written


SNAPSHOTS_KEPT = 3  # the newest snapshots kept; older ones go once a day has passed (no batch runs that long)


def snapshot_processed(folder: Path) -> Path:
    """A snapshot of the processed folder that nothing later can change, for one ``kpi report``: the
    files of the last ingest hard-linked (ingest replaces a file, never rewrites it, so a link keeps the
    old bytes) into ``.<folder>-snapshots/<content hash>/``, taken under ingest's own lock and published
    with one rename. The same content gives the same folder, so a rerun's fingerprints do not change."""
    from filelock import FileLock

    folder = Path(folder)
    home = folder.parent / f".{folder.name}-snapshots"
    with FileLock(str(folder / ".kpi-ingest.lock")):
        summary = json.loads((folder / "ingest_summary.json").read_text(encoding="utf-8"))
        names = [*summary.get("sha256", {}), "ingest_summary.json"]
        key = hashlib.sha256(json.dumps(summary.get("sha256", {}), sort_keys=True).encode()).hexdigest()[:16]
        target = home / key
        if not target.exists():
            partial = home / f".{key}.{os.getpid()}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            for name in names:
                try:
                    os.link(folder / name, partial / name)
                except OSError:  # another file system: a copy
                    shutil.copy2(folder / name, partial / name)
            os.replace(partial, target)
        os.utime(target)
        for old in sorted(home.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)[SNAPSHOTS_KEPT:]:
            if old.name.startswith(".") or time.time() - old.stat().st_mtime > 86_400:
                shutil.rmtree(old, ignore_errors=True)  # under the lock: no snapshot is being made
    fault_point("after-snapshot")
    return target


def load_processed(folder: Path) -> Processed:
    """The tables written by :func:`run_ingest`, checked against the hashes in its summary."""
    folder = Path(folder)
    summary_path = folder / "ingest_summary.json"
    if not summary_path.exists():
        raise RunError(
            "缺少处理后的数据 / processed tables missing", file=folder, fix="先运行 `kpi ingest`（或 make report）"
        )
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RunError(
            "ingest_summary.json 已损坏 / damaged summary", file=summary_path, fix="重新运行 `kpi ingest`"
        ) from None
    expected = summary.get("sha256", {})
    for name in expected:
        path = folder / name
        if not path.exists() or atomic.file_sha256(path) != expected[name]:
            raise RunError(
                "处理后的表格不完整或不一致（上次 ingest 可能被中断）/ processed tables are incomplete or inconsistent",
                file=path,
                fix="重新运行 `kpi ingest`",
            )
    tables = {name: pd.read_parquet(folder / processed_file(name)) for name in TABLES}
    # the registry copy was checked by the ingest that wrote it, and its hash verified above
    registry = Registry.load(folder, checked_before=True).with_pacing(
        tables["pacing"], folder / processed_file("pacing")
    )
    return Processed(
        folder,
        registry,
        tables["annex_targets"],
        tables["progress"],
        tables["county_annual"],
        registry.plan_targets,
        tables["annex_sum_checks"],
        tables["inputs"],
        summary,
    )


def _declared_changed(config: Config, summary: dict) -> bool:
    """Whether what the project file declares for the outputs ([plan], [rules]) differs from what the
    processed tables were made with (``summary``; a span the file leaves out is the one the plan's
    targets gave)."""
    made = PlanIdentity.from_dict(summary.get("plan"))
    declared = config.plan.with_years(made.base_year, made.target_year)
    return declared != made or {**RULE_DEFAULTS, **config.rules} != summary.get("rules")


def inputs_changed(config: Config, processed_dir: Path) -> bool:
    """Whether ``processed_dir`` is missing, damaged, or older than the inputs it was made from
    (any configured file added, removed or changed since), or made with another [plan] or [rules]."""
    summary_path = Path(processed_dir) / "ingest_summary.json"
    inputs_path = Path(processed_dir) / processed_file("inputs")
    if not summary_path.exists() or not inputs_path.exists():
        return True  # missing, or written by a version that kept CSV here
    recorded = pd.read_parquet(inputs_path)
    current = [config.registry / name for name in REGISTRY_FILES]
    for key in ("annex", "progress", "county_annual"):
        current += config.sources(key)
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return True
    if sorted(map(str, current)) != summary.get("sources") or _declared_changed(config, summary):
        return True
    digests = dict(zip(recorded["path"].astype(str), recorded["sha256"]))
    return any(atomic.file_sha256(Path(path)) != digest for path, digest in digests.items())
