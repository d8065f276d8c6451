"""The registry: indicators, regions, plan targets and pacing profiles, read from ``data/raw``.

These small tables are the vocabulary every other module shares. Loading them validates them;
resolving a name found in the wild (an alias, a stray space, full-width characters) to its
canonical form happens here and only here.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from kpi.core import paths
from kpi.core.errors import InputError
from kpi.core.facts import COMPOSITE, COMPOSITE_NAMES, POINT_IN_TIME
from kpi.core.parsing import normalize_text
from kpi.core.units import split_unit
from kpi.metadata import fields
from kpi.metadata.registry_tables import (
    load_indicators,
    load_pacing_profiles,
    load_plan_targets,
    load_province,
    load_regions,
    read_registry_csv,
)

__all__ = ["Registry"]
ALIAS_COLUMNS = fields.columns("aliases")
REGISTRY_FILES = (
    "indicators.csv",
    "regions.csv",
    "plan_targets.csv",
    "pacing_profiles.csv",
    "provenance.csv",
    "province_reference.csv",
)


@dataclass(frozen=True)
class Registry:
    """The loaded registry, with name resolution for regions and indicators."""

    indicators: pd.DataFrame
    regions: pd.DataFrame
    plan_targets: pd.DataFrame
    pacing_profiles: pd.DataFrame
    provenance_table: pd.DataFrame
    province: pd.DataFrame  # the province's figures a target is compared with (超过全省平均水平)
    #: the county's own names for regions and indicators (``kind, alias, name``; ``kpi alias``, kept in the store)
    aliases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ALIAS_COLUMNS))

    def provenance(self, file_names: list[str]) -> pd.DataFrame:
        """What is official, what is example, what is an assumption, for the files named (patterns in
        ``provenance.csv``; the first pattern that matches a file wins), plus the project's rules."""
        import fnmatch

        rows = []
        for name in file_names:
            matches = self.provenance_table[
                [fnmatch.fnmatch(name, pattern) for pattern in self.provenance_table["file"]]
            ]
            if not matches.empty:
                first = matches["file"].iloc[0]
                rows.append(matches[matches["file"] == first].assign(file=name))
        rows.append(self.provenance_table[self.provenance_table["file"] == "kpi.toml"])
        return pd.concat(rows, ignore_index=True).drop_duplicates(ignore_index=True)

    @classmethod
    def load(cls, raw_dir: Path = paths.RAW, checked_before: bool = False) -> "Registry":
        """The registry read from ``raw_dir`` (data/raw): every table loaded and checked, unless
        ``checked_before``: the files are byte-identical copies of files checked when they were copied
        (a processed folder's, verified against ingest's hashes), and are not checked twice."""
        return cls(
            load_indicators(raw_dir, check=not checked_before),
            load_regions(raw_dir),
            load_plan_targets(raw_dir, check=not checked_before),
            load_pacing_profiles(raw_dir),
            read_registry_csv(raw_dir / "provenance.csv"),
            load_province(raw_dir),
        )

    @cached_property
    def region_lookup(self) -> dict[str, str]:
        """Normalised name or alias → canonical region name."""
        lookup: dict[str, str] = {}
        for region, aliases in zip(self.regions["region"], self.regions["aliases"]):
            for name in [region, *filter(None, aliases.split("|"))]:
                lookup[normalize_text(name)] = region
        own = self.aliases[self.aliases["kind"] == "region"]
        return lookup | {normalize_text(a): n for a, n in zip(own["alias"], own["name"])}

    @cached_property
    def indicator_lookup(self) -> dict[str, str]:
        """Normalised id, Chinese name or Chinese name with unit → indicator_id."""
        lookup: dict[str, str] = {}
        for row in self.indicators.itertuples():
            for name in (row.indicator_id, row.name_zh, f"{row.name_zh}({row.unit})"):
                lookup[normalize_text(name)] = row.indicator_id
        own = self.aliases[self.aliases["kind"] == "indicator"]
        return lookup | {normalize_text(a): n for a, n in zip(own["alias"], own["name"])}

    @cached_property
    def by_id(self) -> pd.DataFrame:
        """``indicators`` indexed by ``indicator_id`` (a lookup every table of the reports makes)."""
        return self.indicators.set_index("indicator_id")

    @property
    def total_name(self) -> str:
        """The total row's name (全县, 全区, 全市: ``annex_order`` 0 of regions.csv): the county's own value,
        or the sum of its regions; not ranked."""
        return str(self.regions["region"].iloc[0])

    def check_total(self, declared: str, where: Path | None = None) -> "Registry":
        """The registry, if its total row is the one the project file declares (``[county] total_name``)."""
        if declared != self.total_name:
            raise InputError(
                f"项目文件的总计行“{declared}”与区域表的“{self.total_name}”不一致 / the total row differs",
                file=where,
                value=declared,
                fix=f'在 kpi.toml 的 [county] 中写 total_name = "{self.total_name}"，或改 regions.csv 中 annex_order 为 0 的行',
            )
        return self

    @property
    def region_names(self) -> list[str]:
        """The total row and the regions, in annex order."""
        return self.regions["region"].tolist()

    @property
    def region_order(self) -> dict[str, int]:
        """Region → its annex order (全县 first)."""
        return dict(zip(self.regions["region"], self.regions["annex_order"]))

    @property
    def indicator_order(self) -> dict[str, int]:
        """indicator_id → its annex order."""
        return dict(zip(self.indicators["indicator_id"], self.indicators["annex_order"]))

    @cached_property
    def year_to_date(self) -> np.ndarray:
        """Per indicator (annex order): True where its monthly value accumulates over the year (an amount,
        a count), False for a level at its month (growth, ratio, rank: :data:`kpi.core.facts.POINT_IN_TIME`)."""
        return ~self.indicators["kind"].isin(POINT_IN_TIME).to_numpy()

    @property
    def paced(self) -> pd.DataFrame:
        """The indicators whose 序时 follows a declared profile, with its reason and source."""
        return self.indicators[self.indicators["pacing_profile"] != "linear"]

    def with_pacing(self, pacing: pd.DataFrame, where: Path | None = None) -> "Registry":
        """The registry with monthly pacing profiles for some indicators (``indicator_id, profile,
        reason, source``, from ``[pacing]`` in kpi.toml). Each must name a known indicator that is
        not a growth rate, and a profile of ``pacing_profiles.csv`` covering months 1–12."""
        indicators = self.indicators.copy()
        for row in pacing.itertuples():
            if row.indicator_id not in set(indicators["indicator_id"]):
                raise InputError(
                    "[pacing] 中的指标未登记 / unknown indicator in [pacing]",
                    file=where,
                    value=row.indicator_id,
                    fix=f"使用 indicators.csv 中的 indicator_id：{'、'.join(indicators['indicator_id'])}",
                )
            months = set(self.pacing_profiles.loc[self.pacing_profiles["profile"] == row.profile, "month"])
            if months != set(range(1, 13)):
                raise InputError(
                    "[pacing] 中的节奏未定义或不满12个月 / pacing profile unknown or incomplete",
                    file=where,
                    value=row.profile,
                    fix="在 data/raw/pacing_profiles.csv 中为该节奏写 1—12 月的序时进度",
                )
            if indicators.loc[indicators["indicator_id"] == row.indicator_id, "kind"].iloc[0] in POINT_IN_TIME:
                raise InputError(
                    "增长率、比率、位次类指标没有序时进度，不能设节奏 / a point-in-time indicator has no pacing",
                    file=where,
                    value=row.indicator_id,
                    fix="从 [pacing] 中删去该指标",
                )
            at = indicators["indicator_id"] == row.indicator_id
            indicators.loc[at, ["pacing_profile", "pacing_reason", "pacing_source"]] = [
                row.profile,
                row.reason,
                row.source,
            ]
        return replace(self, indicators=indicators)

    def indicator(self, indicator_id: str) -> pd.Series:
        """One indicator's row of ``indicators.csv``."""
        return self.by_id.loc[indicator_id]

    def with_aliases(self, aliases: pd.DataFrame, where: Path | None = None) -> "Registry":
        """The registry with the county's own aliases (``kind`` region or indicator, ``alias``, ``name``);
        each must name a known region or indicator, and an alias may not stand for two of them."""
        if aliases.empty:
            return self
        known = {"region": set(self.region_names), "indicator": set(self.indicators["indicator_id"])}
        for row in aliases.itertuples():
            if row.kind not in known or row.name not in known[row.kind]:
                raise InputError(
                    "别名指向未登记的区域或指标 / an alias names an unknown region or indicator",
                    file=where,
                    value=f"{row.alias} → {row.name}",
                    fix="用 kpi alias --remove 删去该别名，再用已登记的名称重新登记",
                )
        return replace(self, aliases=aliases[ALIAS_COLUMNS].reset_index(drop=True))

    def suggest_region(self, name: object) -> str | None:
        """The region a name probably means, for a suggestion (never resolved by itself): a known name
        or alias inside it (``丽水高新技术产业园区`` holds ``丽水高新``, ``壶山镇人民政府`` holds ``壶山镇``),
        a known name inside which it stands (``壶山``), else the closest spelling."""
        key = normalize_text(name)
        inside = {
            region
            for known, region in self.region_lookup.items()
            if len(known) >= 2 and len(key) >= 2 and (known in key or key in known) and region != self.total_name
        }
        if inside:
            return inside.pop() if len(inside) == 1 else None  # 高新区: two zones, no suggestion
        close = _closest(key, self.region_lookup)
        return close.pop() if len(close) == 1 else None  # 东放镇: as close to 东方镇 as to 东渡镇

    def region_fix(self, name: object) -> str:
        """How to fix an unknown region's cell: the suggestion and the command that registers it."""
        key = normalize_text(name)
        suggestion = self.suggest_region(key)
        if suggestion:
            return (
                f"若“{key}”就是“{suggestion}”，登记别名后重新收集：kpi alias {key} {suggestion}；否则改为已知区域名称"
            )
        close = sorted(_closest(key, self.region_lookup), key=self.region_names.index)
        maybe = f"可能是{'或'.join(f'“{r}”' for r in close)}；" if len(close) > 1 else ""
        return f"{maybe}改为已知区域名称（{'、'.join(self.region_names)}），或登记别名：kpi alias {key} 区域名称"

    def indicator_fix(self, name: object) -> str:
        """How to fix an unknown indicator's cell: the suggestion and the command that registers it."""
        key = re.sub(r"\([^()]*\)$", "", normalize_text(name))
        suggestion = self.suggest_indicator(key)
        if suggestion:
            known = self.by_id.at[suggestion, "name_zh"]
            return f"若“{key}”就是“{known}”，登记别名后重新收集：kpi alias {key} {known} --indicator；否则改为登记的指标名称"
        return "改为登记的指标名称，或删去该行"

    def resolve_region(self, name: object) -> str:
        """Canonical region name, or ``KeyError`` with the likely region in its message."""
        key = normalize_text(name)
        if key in self.region_lookup:
            return self.region_lookup[key]
        close = self.suggest_region(key)
        hint = f"最接近的是“{close}”；" if close else ""
        raise KeyError(f"未知区域 / unknown region. {hint}已知区域：{'、'.join(self.region_names)}")

    def resolve_indicator(self, name: object) -> str:
        """indicator_id from an id, a Chinese name or a name with its unit in brackets, or ``KeyError``
        with the closest known name in its message."""
        key = normalize_text(name)
        if key in self.indicator_lookup:
            return self.indicator_lookup[key]
        label, unit = split_unit(key)  # 规上工业企业研发费用 (亿元): the registry's unit, or refused
        if unit is not None and label in self.indicator_lookup:
            indicator_id = self.indicator_lookup[label]
            registry_unit = self.by_id.at[indicator_id, "unit"]
            if unit != registry_unit:
                raise KeyError(
                    f"名称中的单位“{unit}”不是登记单位“{registry_unit}” / the unit in the name is not the "
                    "indicator's: give the values in the registry's unit (or use a form, whose headers convert)"
                )
            return indicator_id
        stripped = re.sub(r"\([^()]*\)$", "", key)
        if stripped in self.indicator_lookup:
            return self.indicator_lookup[stripped]
        names = self.indicators["name_zh"].tolist()
        close = self.suggest_indicator(stripped)
        hint = f"最接近的是“{self.by_id.at[close, 'name_zh']}”；" if close else ""
        raise KeyError(f"未知指标 / unknown indicator. {hint}已知指标：{'、'.join(names)}")

    def resolve_shown(self, name: object) -> str:
        """:meth:`resolve_indicator`, or ``composite`` for any name of the composite score (综合得分, 综合)."""
        return COMPOSITE if normalize_text(name) in COMPOSITE_NAMES else self.resolve_indicator(name)

    def suggest_indicator(self, name: object) -> str | None:
        """The indicator a name probably means, for a suggestion (never resolved by itself): a known name
        inside it or containing it (``研发费用`` → 规上工业企业研发费用), else the closest spelling."""
        key = re.sub(r"\([^()]*\)$", "", normalize_text(name))
        if len(key) < 2:
            return None
        inside = {i for known, i in self.indicator_lookup.items() if len(known) >= 4 and (known in key or key in known)}
        if inside:
            return inside.pop() if len(inside) == 1 else None  # 专利: two indicators, no suggestion
        close = _closest(key, self.indicator_lookup)
        return close.pop() if len(close) == 1 else None


def _closest(key: str, lookup: dict[str, str], cutoff: float = 0.5) -> set[str]:
    """The names ``lookup`` maps to from the spellings closest to ``key`` (difflib's ratio, at least
    ``cutoff``): one name for a clear suggestion, several when they are equally close."""
    scores = {known: difflib.SequenceMatcher(None, key, known).ratio() for known in lookup}
    best = max(scores.values(), default=0.0)
    return {lookup[known] for known, score in scores.items() if score == best} if best >= cutoff else set()
