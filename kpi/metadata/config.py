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
from dataclasses import dataclass, field, replace
from pathlib import Path

from kpi.core import paths
from kpi.core.errors import ConfigError
from kpi.core.facts import DEFAULT_TOTAL_NAME
from kpi.metadata import fields
from kpi.metadata.identity import PlanIdentity
from kpi.metadata.plausibility import Checks
from kpi.metadata.project_file import validate_project_file
from kpi.metadata.sources import expand_sources

CONFIG_NAME = "kpi.toml"
SOURCE_KEYS = ("annex", "progress", "county_annual")


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
        return self.store / fields.RESOURCES["stored_progress"].export

    @property
    def store_corrections(self) -> Path:
        """The store's corrections log: every value superseded, old and new, with both files."""
        return self.store / fields.RESOURCES["corrections"].export

    @property
    def store_county_annual(self) -> Path:
        """The store's table of the county's annual figures (``kpi collect --year``)."""
        return self.store / fields.RESOURCES["county_annual"].export

    @property
    def store_held(self) -> Path:
        """The store's held values: collected, implausible, waiting for a person (``--accept`` or a new file)."""
        return self.store / fields.RESOURCES["held"].export

    @property
    def store_aliases(self) -> Path:
        """The county's own names for its regions and indicators (``kpi alias``)."""
        return self.store / fields.RESOURCES["aliases"].export

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


def _read_toml(path: Path) -> dict:
    """The project file's TOML; a missing or malformed file is an :class:`ConfigError` (with its line)."""
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
            fix="按 docs/configuration.md（项目文件 kpi.toml）的格式修改",
        ) from None


def _path(value: str | None, base: Path, default: Path | None) -> Path | None:
    """A path entry, relative to the project file; ``default`` when absent."""
    return default if value is None else (base / value).resolve()


def load(explicit: str | Path | None = None) -> Config:
    """Read and check the project file (:func:`find_config`) against its schema
    (:mod:`kpi.metadata.project_file`: sections, keys, types and ranges), then resolve its paths (relative
    to the file). Anything wrong is a :class:`ConfigError` naming the file, the entry and the fix."""
    path = find_config(explicit)
    if path is None:
        return Config(path=None)
    document = _read_toml(path)
    checked = validate_project_file(document, path)
    base = path.parent.resolve()
    county, data, output = checked.county, checked.data, checked.output
    plan = {
        key: value.strip() if isinstance(value, str) else value
        for key, value in checked.plan.model_dump(exclude_none=True).items()
    }
    return Config(
        path=path.resolve(),
        plan=PlanIdentity(county=county.name.strip(), **plan),
        organisation=county.organisation,
        total_name=county.total_name.strip(),
        registry=_path(data.registry, base, base / "data" / "raw"),
        store=_path(data.store, base, base / "data" / "county"),
        database=data.database,
        annex=tuple(_path(p, base, None) for p in data.annex),
        progress=tuple(_path(p, base, None) for p in data.progress),
        county_annual=tuple(_path(p, base, None) for p in data.county_annual),
        example=_path(data.example, base, None),
        processed=_path(output.processed, base, base / "data" / "processed"),
        reports=_path(output.reports, base, base / "reports"),
        notebooks=_path(output.notebooks, base, paths.NOTEBOOKS),
        rules=checked.rules.model_dump(exclude_none=True),
        checks=checked.checks.model_dump(exclude_none=True),
        pacing={key: entry.model_dump() for key, entry in checked.pacing.items()},
        publication=checked.publication.model_dump(exclude_none=True),
    )
