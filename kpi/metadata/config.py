"""The project file ``kpi.toml``: the one place that says where the data is.

It names the registry (``data/raw``), the inputs — annex targets per year, progress sources,
the county's annual series — the store where ``kpi collect`` and ``kpi import-annex`` keep what
they receive, and the output folders. Paths are relative to the file. Every command, the batch
and the notebooks read it; a command-line option overrides one entry for one run.

Which file: ``--config FILE``, else ``$KPI_CONFIG``, else ``kpi.toml`` in the working folder or
the nearest parent, else the one beside the package.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from kpi.core import paths
from kpi.core.errors import ConfigError
from kpi.core.facts import DEFAULT_TOTAL_NAME
from kpi.metadata.identity import PLAN_KEYS, PUBLICATION_KEYS, PlanIdentity, check_publication, read_identity
from kpi.metadata.plausibility import CHECK_KEYS, Checks
from kpi.metadata.rules import Rules
from kpi.metadata.sources import expand_sources

CONFIG_NAME = "kpi.toml"
SOURCE_KEYS = ("annex", "progress", "county_annual")
#: the conventions' defaults, as a project file writes them (kpi.metadata.rules.Rules holds them)
RULE_DEFAULTS = {key: int(value) if float(value).is_integer() else value for key, value in asdict(Rules()).items()}
CHECK_DEFAULTS = asdict(Checks())
RULE_KEYS = {
    "near_tolerance_points": (0, 100),
    "composite_cap_percent": (100, 1000),
    "composite_floor_percent": (0, 100),
}


@dataclass(frozen=True)
class Config:
    """The resolved project file: absolute paths, lists of sources."""

    path: Path | None
    plan: PlanIdentity = PlanIdentity()  # [county] name and [plan]: what titles print
    organisation: str = ""
    total_name: str = DEFAULT_TOTAL_NAME  # [county] total_name: the annex's total row (全县, 全区, 全市)
    registry: Path = paths.RAW
    store: Path = paths.ROOT / "data" / "county"
    database: str | None = None  # [data] database: a server's URL (PostgreSQL); default SQLite in the store
    annex: tuple[Path, ...] = ()
    progress: tuple[Path, ...] = ()
    county_annual: tuple[Path, ...] = ()
    example: Path | None = None
    processed: Path = paths.ROOT / "data" / "processed"
    reports: Path = paths.ROOT / "reports"
    notebooks: Path = paths.NOTEBOOKS
    rules: dict = field(default_factory=dict)  # [rules]: this project's conventions, restated or changed
    pacing: dict = field(default_factory=dict)  # [pacing.<indicator_id>]: profile, reason, source
    checks: dict = field(default_factory=dict)  # [checks]: plausibility thresholds of kpi collect
    publication: dict = field(default_factory=dict)  # [publication]: the 情况通报's 版头 and 版记
    overrides: dict = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The project folder: where the project file is (the code's folder when there is none). Published
        notebooks name paths relative to it."""
        return self.path.resolve().parent if self.path else paths.ROOT

    @property
    def county(self) -> str:
        """``[county] name``."""
        return self.plan.county

    def plausibility_checks(self) -> Checks:
        """``[checks]`` as :class:`kpi.metadata.plausibility.Checks` (the defaults for what it does not say)."""
        return Checks(**self.checks)

    def pacing_table(self):
        """``[pacing]`` as a table: ``indicator_id, profile, reason, source``."""
        import pandas as pd

        return pd.DataFrame(
            [{"indicator_id": k, **v} for k, v in self.pacing.items()],
            columns=["indicator_id", "profile", "reason", "source"],
        )

    # ------------------------------------------------------------ the store's own files
    @property
    def store_progress(self) -> Path:
        """The store's progress table: every collected value with its provenance."""
        return self.store / "progress.csv"

    @property
    def store_corrections(self) -> Path:
        """The store's corrections log: every value superseded, old and new, with both files."""
        return self.store / "corrections.csv"

    @property
    def store_county_annual(self) -> Path:
        """The store's table of the county's annual figures (``kpi collect --year``)."""
        return self.store / "county_annual.csv"

    @property
    def store_held(self) -> Path:
        """The store's held values: collected, implausible, waiting for a person (``--accept`` or a new file)."""
        return self.store / "held.csv"

    @property
    def store_aliases(self) -> Path:
        """The county's own names for its regions and indicators (``kpi alias``)."""
        return self.store / "aliases.csv"

    @property
    def store_annex(self) -> Path:
        """The folder of the annexes imported by ``kpi import-annex``, one file per year."""
        return self.store / "annex"

    @property
    def store_received(self) -> Path:
        """The folder where every received file is kept under its hash."""
        return self.store / "received"

    def sources(self, key: str) -> list[Path]:
        """The files of one source list (``annex``, ``progress``, ``county_annual``), expanded."""
        return expand_sources(getattr(self, key), key, self.path, optional_under=self.store)

    def monthly_dir(self, period: str) -> Path:
        """Where a month's 晾晒表, CSV and 报送情况 go: ``reports/monthly/YYYY-MM``."""
        return self.reports / "monthly" / period

    def forms_dir(self, period: str) -> Path:
        """Where the forms sent out for a period go: ``reports/forms/YYYY-MM``."""
        return self.reports / "forms" / period

    # ------------------------------------------------------------ overrides for one run
    def with_overrides(
        self,
        registry: str | Path | None = None,
        processed: str | Path | None = None,
        reports: str | Path | None = None,
        progress: list[str | Path] | None = None,
    ) -> "Config":
        """A copy with command-line overrides. ``registry`` (``--raw``) moves every configured source
        that lay inside the old registry folder to the same place inside the new one."""
        changed: dict = {}
        if registry is not None:
            new = Path(registry).resolve()

            def moved(path: Path) -> Path:
                return new / path.relative_to(self.registry) if path.is_relative_to(self.registry) else path

            changed.update(registry=new, **{key: tuple(moved(p) for p in getattr(self, key)) for key in SOURCE_KEYS})
            if self.example is not None:
                changed["example"] = moved(self.example)
        if processed is not None:
            changed["processed"] = Path(processed).resolve()
        if reports is not None:
            changed["reports"] = Path(reports).resolve()
        if progress:
            changed["progress"] = tuple(Path(p).resolve() for p in progress)
        return replace(self, **changed, overrides={**self.overrides, **{k: str(v) for k, v in changed.items()}})


def find_config(explicit: str | Path | None = None) -> Path | None:
    """The project file to use (see the module docstring), or None when there is none at all."""
    if explicit:
        return Path(explicit)
    if os.environ.get("KPI_CONFIG"):
        return Path(os.environ["KPI_CONFIG"])
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    shipped = paths.ROOT / CONFIG_NAME
    return shipped if shipped.is_file() else None


def _county_name(county: dict, path: Path) -> str:
    """``[county] name``: the one place the county's name is written (outputs print it in titles)."""
    name = county.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            "项目文件未写县名 / [county] name is missing",
            file=path,
            value=name,
            fix='在 kpi.toml 中写 [county] name = "某某县"',
        )
    return name.strip()


KNOWN_KEYS = {
    "county": {"name", "organisation", "total_name"},
    "plan": set(PLAN_KEYS),
    "data": {"registry", "store", "database", "example", *SOURCE_KEYS},
    "output": {"processed", "reports", "notebooks"},
    "rules": set(RULE_KEYS),
    "checks": set(CHECK_KEYS),
    "publication": set(PUBLICATION_KEYS),
    "pacing": None,  # one table per indicator: checked by _check_pacing
}


def _read_toml(path: Path) -> dict:
    """The project file's TOML; a missing or malformed file is an :class:`InputError` (with its line)."""
    if not path.is_file():
        raise ConfigError(
            "找不到项目文件 / project file not found",
            file=path,
            fix="给出 kpi.toml 的路径（--config 或环境变量 KPI_CONFIG），或在项目根目录运行",
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            f"项目文件格式错误 / malformed TOML: {exc}",
            file=path,
            row=int(line[1]) if line else None,
            fix="按 README“项目文件 kpi.toml”一节的格式修改",
        ) from None


def _check_sections(document: dict, path: Path) -> None:
    """Only the sections and keys of :data:`KNOWN_KEYS` (a typo is an error, not silently ignored)."""
    for section, entries in document.items():
        if section not in KNOWN_KEYS or not isinstance(entries, dict):
            raise ConfigError(
                f"未知的节 [{section}] / unknown section",
                file=path,
                value=section,
                fix=f"可用的节：{', '.join('[' + s + ']' for s in KNOWN_KEYS)}",
            )
        unknown = set(entries) - KNOWN_KEYS[section] if KNOWN_KEYS[section] is not None else set()
        if unknown:
            raise ConfigError(
                f"[{section}] 中有未知的项 / unknown key",
                file=path,
                value=sorted(unknown),
                fix=f"可用的项：{', '.join(sorted(KNOWN_KEYS[section]))}",
            )


def _check_numbers(section: str, entries: dict, ranges: dict, defaults: dict, path: Path) -> dict:
    """``[rules]`` or ``[checks]``: each a number within its range."""
    for key, value in entries.items():
        low, high = ranges[key]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigError(
                f"[{section}] {key} 应为 {low}—{high} 之间的数 / out of range",
                file=path,
                value=value,
                fix=f"例如 {key} = {defaults[key]}（本项目的默认约定）",
            )
    return dict(entries)


def _check_pacing(pacing: dict, path: Path) -> dict:
    """``[pacing.<indicator_id>]``: a profile, its reason and its source, each written out."""
    for indicator_id, entry in pacing.items():
        if (
            not isinstance(entry, dict)
            or set(entry) != {"profile", "reason", "source"}
            or not all(isinstance(v, str) and v.strip() for v in entry.values())
        ):
            raise ConfigError(
                f"[pacing.{indicator_id}] 应写明 profile、reason、source 三项 / a pacing needs its "
                "profile, reason and source",
                file=path,
                value=entry,
                fix='例如 [pacing.指标代码] profile = "batch_hitech"，reason = "…"，source = "…"',
            )
    return {k: dict(v) for k, v in pacing.items()}


def _one_path(section: dict, key: str, default: Path | None, path: Path) -> Path | None:
    """A path entry, relative to the project file; ``default`` when absent."""
    value = section.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(
            f"{key} 应为一个路径字符串 / {key} must be a path",
            file=path,
            value=value,
            fix=f'例如 {key} = "data/processed"',
        )
    return (path.parent.resolve() / value).resolve()


def _database_url(value, path: Path) -> str | None:
    """``[data] database``: a SQLAlchemy URL of a PostgreSQL server, or absent (the store's SQLite file)."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("postgresql://", "postgresql+psycopg://", "sqlite:///")):
        raise ConfigError(
            "[data] database 应为数据库地址 / database must be a URL",
            file=path,
            value=value,
            fix='例如 database = "postgresql+psycopg://kpi@localhost/jinyun"；不写则用存储文件夹中的 SQLite 文件',
        )
    return value


def _path_list(data: dict, key: str, path: Path) -> tuple[Path, ...]:
    """A list of files or folders in ``[data]`` (one string is a list of one), relative to the project file."""
    value = data.get(key, [])
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f"[data] {key} 应为路径列表 / {key} must be a list of paths",
            file=path,
            value=value,
            fix=f'例如 {key} = ["data/county/{key}.csv"]',
        )
    return tuple((path.parent.resolve() / v).resolve() for v in value)


def load(explicit: str | Path | None = None) -> Config:
    """Read and check the project file (:func:`find_config`): its sections and keys, the county's
    name, the paths (relative to the file), the rules and pacings. Anything wrong is an
    :class:`InputError` naming the file, the entry and the fix."""
    path = find_config(explicit)
    if path is None:
        return Config(path=None)
    document = _read_toml(path)
    _check_sections(document, path)
    base = path.parent.resolve()
    county, data, output = (document.get(s, {}) for s in ("county", "data", "output"))
    return Config(
        path=path.resolve(),
        plan=read_identity({**county, "name": _county_name(county, path)}, document.get("plan", {}), path),
        organisation=str(county.get("organisation", "")),
        total_name=str(county.get("total_name", DEFAULT_TOTAL_NAME)).strip(),
        registry=_one_path(data, "registry", base / "data" / "raw", path),
        store=_one_path(data, "store", base / "data" / "county", path),
        database=_database_url(data.get("database"), path),
        annex=_path_list(data, "annex", path),
        progress=_path_list(data, "progress", path),
        county_annual=_path_list(data, "county_annual", path),
        example=_one_path(data, "example", None, path) if data.get("example") else None,
        processed=_one_path(output, "processed", base / "data" / "processed", path),
        reports=_one_path(output, "reports", base / "reports", path),
        notebooks=_one_path(output, "notebooks", paths.NOTEBOOKS, path),
        rules=_check_numbers("rules", document.get("rules", {}), RULE_KEYS, RULE_DEFAULTS, path),
        checks=_check_numbers("checks", document.get("checks", {}), CHECK_KEYS, CHECK_DEFAULTS, path),
        pacing=_check_pacing(document.get("pacing", {}), path),
        publication=check_publication(document.get("publication", {}), path),
    )
