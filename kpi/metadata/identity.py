"""The plan a project tracks and the county that tracks it, as its project file says (``[plan]`` and
``[county]`` of kpi.toml): every title, heading, column label and chart label is built from here, so
that another county's plan (another short name, another horizon) is printed as its own, and one
county's words appear only where its own kpi.toml says them. It travels with the processed tables
(``ingest_summary.json``), so a report built from a snapshot prints the identity it was made with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields, replace

from kpi.metadata.rules import Rules


@dataclass(frozen=True)
class PlanIdentity:
    """Who tracks which plan: the county (``[county] name``); the plan's full title (``name``), its short
    name as titles quote it (``short_name``, e.g. 139), its subject (``subject``), 文号
    (``document_number``), and its span (``base_year`` … ``target_year``, the years its targets are
    counted from and due by; ``None`` when the plan's targets say)."""

    county: str = ""
    name: str = ""
    short_name: str = ""
    subject: str = "科技创新"
    document_number: str = ""
    base_year: int | None = None
    target_year: int | None = None

    @property
    def programme(self) -> str:
        """The programme as titles name it: ``“139”科技创新体系建设``, or the subject alone."""
        return f"“{self.short_name}”{self.subject}" if self.short_name else self.subject

    @property
    def headline(self) -> str:
        """The county and its programme: ``某某县“139”科技创新体系建设``."""
        return f"{self.county}{self.programme}"

    @property
    def target_label(self) -> str:
        """The plan's targets as labels name them: ``2027年目标`` (``规划目标`` without a target year)."""
        return f"{self.target_year}年目标" if self.target_year else "规划目标"

    @property
    def toward(self) -> str:
        """A heading toward the targets: ``迈向2027`` (``迈向规划目标`` without a target year)."""
        return f"迈向{self.target_year}" if self.target_year else "迈向规划目标"

    @property
    def horizon(self) -> str:
        """The plan's span: ``2023—2027年`` (the years after the base year up to the target year)."""
        if self.base_year and self.target_year:
            return f"{self.base_year + 1}—{self.target_year}年"
        return ""

    def reader_name(self, region: str, total_name: str) -> str:
        """A region as titles name it: the county's own name for the total row (某某县, not 全县), the
        region's name otherwise."""
        return self.county if region == total_name and self.county else region

    def with_years(self, base_year: int | None, target_year: int | None) -> "PlanIdentity":
        """The same identity, its span filled from the plan's targets where the project file is silent."""
        return replace(self, base_year=self.base_year or base_year, target_year=self.target_year or target_year)

    def as_dict(self) -> dict:
        """For ``ingest_summary.json``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict | None) -> "PlanIdentity":
        """From ``ingest_summary.json`` (keys it does not know are ignored: an older summary reads)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (values or {}).items() if k in known})


@dataclass(frozen=True)
class Imprint:
    """Who publishes a table and by which rules: the plan and county (:class:`PlanIdentity`), the
    compiling unit (``[county] organisation``), the date printed (default: today, Beijing time) and the
    conventions applied."""

    plan: PlanIdentity
    organisation: str = ""
    made_at: dt.datetime | None = None
    rules: Rules = Rules()
    publication: dict = field(default_factory=dict)  # [publication]: the 情况通报's 版头 and 版记

    @property
    def county(self) -> str:
        """The county's name."""
        return self.plan.county


def target_column(plan_targets) -> str:
    """The column of the plan's targets in a table of them: ``2027目标`` (the latest target year of the
    rows), ``规划目标`` for none."""
    years = plan_targets["target_year"].dropna()
    return f"{int(years.max())}目标" if len(years) else "规划目标"
