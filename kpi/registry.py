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

import pandas as pd

from kpi import paths, schemas
from kpi.errors import InputError
from kpi.facts import BOOLEAN_WORDS, COUNTY
from kpi.parsing import normalize_text
from kpi.units import split_unit

__all__ = ["COUNTY", "Registry"]
ALIAS_COLUMNS = ["kind", "alias", "name", "added_at"]
REGISTRY_FILES = (
    "indicators.csv",
    "regions.csv",
    "plan_targets.csv",
    "pacing_profiles.csv",
    "provenance.csv",
    "province_reference.csv",
)


def _read_csv(path: Path) -> pd.DataFrame:
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
    (checked by :data:`kpi.schemas.INDICATORS` unless ``check`` is off; yes/no columns in the words
    of ``BOOLEAN_WORDS``)."""
    path = raw_dir / "indicators.csv"
    table = _read_csv(path)
    flags = ["sums_to_county", "higher_is_better"]
    table[flags] = table[flags].apply(lambda column: column.str.strip().str.lower())
    if check:
        table = schemas.validate(table, schemas.INDICATORS, file=path)
    table[flags] = table[flags].apply(lambda column: column.map(BOOLEAN_WORDS).astype(bool))
    table["annex_block"] = table["annex_block"].astype(int)
    table["annex_order"] = table["annex_order"].astype(int)
    table["weight"] = pd.to_numeric(table["weight"].replace("", "1")).astype(float)
    # 序时 is linear unless the project file declares a pacing profile for the indicator (Registry.with_pacing)
    table["pacing_profile"], table["pacing_reason"], table["pacing_source"] = "linear", "", ""
    return table.sort_values("annex_order", ignore_index=True)


def load_regions(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """全县 and its regions (the annex's rows), canonical names, aliases (``|``-separated), slugs, kinds."""
    table = _read_csv(raw_dir / "regions.csv")
    table["annex_order"] = table["annex_order"].astype(int)
    return table.sort_values("annex_order", ignore_index=True)


SERIES_COLUMNS = ("series_id", "series_name", "series_unit")


def load_plan_targets(raw_dir: Path = paths.RAW, check: bool = True) -> pd.DataFrame:
    """Every quantitative target and milestone of the plan (sections 一(二), 二, 三), checked by
    :data:`kpi.schemas.PLAN_TARGETS` unless ``check`` is off (basis, comparator, years, a clause and a
    quote for each)."""
    path = raw_dir / "plan_targets.csv"
    table = _read_csv(path)
    for column in SERIES_COLUMNS:  # optional: blank means the target's own series
        table[column] = table[column].fillna("").astype(str) if column in table else ""
    table["target_value"] = pd.to_numeric(table["target_value"], errors="coerce")  # a non-number: caught at its row
    if check:
        return schemas.validate(table, schemas.PLAN_TARGETS, file=path)
    return table.astype({"base_year": int, "target_year": int})  # what the schema coerces


def load_pacing_profiles(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """Monthly 序时进度 profiles for indicators whose results arrive in batches."""
    table = _read_csv(raw_dir / "pacing_profiles.csv")
    table["month"] = table["month"].astype(int)
    table["time_share"] = table["time_share"].astype(float)
    return table[["profile", "month", "time_share", "note"]]


def load_province(raw_dir: Path = paths.RAW) -> pd.DataFrame:
    """The province's figures (浙江省), each with its quote and source."""
    table = _read_csv(raw_dir / "province_reference.csv")
    return table.assign(year=table["year"].astype(int), value=table["value"].astype(float))


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
            _read_csv(raw_dir / "provenance.csv"),
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
    def region_names(self) -> list[str]:
        """全县 and the regions, in annex order."""
        return self.regions["region"].tolist()

    @property
    def region_order(self) -> dict[str, int]:
        """Region → its annex order (全县 first)."""
        return dict(zip(self.regions["region"], self.regions["annex_order"]))

    @property
    def indicator_order(self) -> dict[str, int]:
        """indicator_id → its annex order."""
        return dict(zip(self.indicators["indicator_id"], self.indicators["annex_order"]))

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
            if indicators.loc[indicators["indicator_id"] == row.indicator_id, "kind"].iloc[0] == "growth":
                raise InputError(
                    "增长类指标没有序时进度，不能设节奏 / a growth rate has no pacing",
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
            if len(known) >= 2 and len(key) >= 2 and (known in key or key in known) and region != COUNTY
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
