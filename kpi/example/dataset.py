"""The seeded generator of the shipped **example** dataset (示例数据). None of it is official.

Region-level progress data is not public, so the project ships invented but plausible data to
show what the reports look like. Everything it writes carries ``is_example = true`` (tables) or
“示例数据” in the title (annex files), and every output built on it says so.

Rules (seed ``139``, numpy's PCG64):

- **Example targets 2024–2025**: each region's 2023 annex target × 1.1^(year − 2023) (amounts to
  0.01 亿元, counts rounded up); growth targets unchanged (15以上); 全县 = Σ regions.
- **Region performance**: each region has a fixed ability factor (some ahead, some behind),
  times a per-year-and-indicator factor ~ N(1, 0.08).
- **Amounts** (亿元, year to date): an annual total = target × performance, spread over the months
  by a seasonal profile (Spring Festival dip in Jan–Feb, year-end push in December) with noise.
- **High-tech enterprises**: recognised in three provincial batches (June 20 %, September 40 %,
  November 40 %) — the pacing profile ``batch_hitech`` in ``pacing_profiles.csv``.
- **Other counts**: monthly Poisson arrivals around target × performance / 12.
- **Growth** (%, year to date, year on year): a region level ~ N(17, 7) with noise that shrinks
  as the year accumulates.
- **全县**: the sum of the regions for indicators that sum; for growth, the mean of the regions
  weighted by their high-tech value-added targets. The county reports every month.
- **A missing report**: 东渡镇 sends nothing for 2023-09 (the leaderboard shows 未报送).
- **County annual series 2022–2025** for the plan's trajectories: real figures from
  ``shared/reference/public_figures.csv`` where they exist (GDP 2022–2023, 46 new high-tech
  enterprises in 2022), the annex-indicator years from the monthly data above, the rest invented
  along plausible paths, each row saying which it is in ``source``.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from kpi.core import atomic
from kpi.core.facts import annex_title
from kpi.core.paths import ensure_outside
from kpi.inputs.annex import read_annex, to_layout_rows
from kpi.metadata.registry import Registry

COUNTY = "全县"  # Jinyun's total row (regions.csv, annex order 0)
#: the registry this generator was written for (Jinyun's 7 annex indicators); any other gets kpi.example.rehearsal
MADE_FOR = (
    "rd_expense_above_scale",
    "hitech_value_added",
    "hitech_investment_growth",
    "new_hitech_enterprises",
    "new_sme_tech",
    "new_invention_patents",
    "new_pledge_hv_patents",
)


def made_for(registry: Registry) -> bool:
    """Whether ``registry`` is the shipped county's, whose example this module generates (else the
    generic :mod:`kpi.example.rehearsal` serves it)."""
    return tuple(registry.indicators["indicator_id"]) == MADE_FOR and registry.total_name == COUNTY


SEED = 139
YEARS = (2023, 2024, 2025)
TARGET_GROWTH = 0.10
MISSING_REPORT = ("东渡镇", "2023-09")
#: share of an annual amount booked in each month (sums to 1)
SEASONAL_FLOW = np.array([0.045, 0.045, 0.08, 0.08, 0.085, 0.09, 0.08, 0.08, 0.085, 0.085, 0.095, 0.15])
HITECH_BATCHES = np.array([0, 0, 0, 0, 0, 0.2, 0, 0, 0.4, 0, 0.4, 0])
#: fixed ability of each region (annex order 1..8): two ahead, two well behind
REGION_ABILITY = np.array([0.88, 1.12, 1.05, 0.82, 0.93, 0.97, 0.78, 1.08])
EXAMPLE_TITLE_NOTE = "（示例数据：2023年指标×1.1^(年份−2023)推算，非官方）"
REFERENCE = "shared/reference/public_figures.csv"


def example_targets(annex_2023: pd.DataFrame, registry: Registry, year: int) -> pd.DataFrame:
    """Example annex targets for ``year`` by the stated rule (see module docstring)."""
    indicators = registry.by_id
    factor = (1 + TARGET_GROWTH) ** (year - 2023)
    regions = annex_2023[annex_2023["region"] != COUNTY].copy()
    kind = regions["indicator_id"].map(indicators["kind"])
    scaled = regions["target"] * factor
    regions["target"] = np.where(
        kind == "amount", scaled.round(2), np.where(kind == "count", np.ceil(scaled - 1e-9), regions["target"])
    )
    summing = regions["indicator_id"].map(indicators["sums_to_county"]).astype(bool)
    county = regions[summing].groupby("indicator_id", as_index=False)["target"].sum()
    county["target"] = county["target"].round(2)
    county = county.merge(annex_2023[annex_2023["region"] == COUNTY][["indicator_id", "comparator"]])
    others = annex_2023[(annex_2023["region"] == COUNTY) & ~annex_2023["indicator_id"].isin(county["indicator_id"])]
    county = pd.concat([county.assign(region=COUNTY), others[["indicator_id", "region", "target", "comparator"]]])
    table = pd.concat([county, regions], ignore_index=True).assign(year=year, is_example=True)
    order = table["region"].map(registry.region_order) * 100 + table["indicator_id"].map(registry.indicator_order)
    return (
        table.assign(_o=order)
        .sort_values("_o")
        .drop(columns="_o")
        .reset_index(drop=True)[["year", "region", "indicator_id", "target", "comparator", "is_example"]]
    )


def generate_progress(targets: pd.DataFrame, registry: Registry, seed: int = SEED) -> pd.DataFrame:
    """Monthly year-to-date example values for every region, indicator and year in ``targets``."""
    rng = np.random.default_rng(seed)
    regions = [r for r in registry.region_names if r != COUNTY]
    indicators = registry.by_id
    frames = []
    months = np.arange(1, 13)
    for year in sorted(targets["year"].unique()):
        year_targets = targets[targets["year"] == year].set_index(["indicator_id", "region"])["target"]
        weights_va = year_targets.loc["hitech_value_added"].reindex(regions).to_numpy(float)
        for indicator_id, indicator in indicators.iterrows():
            target = year_targets.loc[indicator_id].reindex(regions).to_numpy(float)
            performance = REGION_ABILITY * rng.normal(1.0, 0.08, len(regions))
            if indicator["kind"] == "amount":
                flows = SEASONAL_FLOW[None, :] * (1 + rng.normal(0, 0.15, (len(regions), 12)))
                flows = flows / flows.sum(axis=1, keepdims=True)
                values = np.round(np.cumsum(flows, axis=1) * (target * performance)[:, None], 3)
            elif indicator_id == "new_hitech_enterprises":
                expected = (target * performance)[:, None] * HITECH_BATCHES[None, :]
                values = np.cumsum(rng.poisson(expected), axis=1).astype(float)
            elif indicator["kind"] == "count":
                values = np.cumsum(
                    rng.poisson(np.repeat((target * performance / 12)[:, None], 12, axis=1)), axis=1
                ).astype(float)
            else:  # growth, % year on year, year to date
                level = rng.normal(17, 7, len(regions))
                values = np.round(level[:, None] + rng.normal(0, 10, (len(regions), 12)) / np.sqrt(months)[None, :], 1)
            frame = pd.DataFrame(values, index=regions, columns=[f"{year}-{m:02d}" for m in months])
            if indicator["sums_to_county"]:
                county = frame.sum(axis=0).round(3)
            else:
                county = (frame.mul(weights_va, axis=0).sum(axis=0) / weights_va.sum()).round(1)
            frame.loc[COUNTY] = county
            long = frame.rename_axis("region").reset_index().melt(id_vars="region", var_name="period")
            frames.append(long.assign(indicator_id=indicator_id))
    progress = pd.concat(frames, ignore_index=True)
    region, period = MISSING_REPORT
    progress = progress[~((progress["region"] == region) & (progress["period"] == period))]
    order = progress["region"].map(registry.region_order) * 100 + progress["indicator_id"].map(registry.indicator_order)
    progress = progress.assign(_o=order).sort_values(["period", "_o"]).drop(columns="_o")
    return progress.assign(is_example=True)[["period", "region", "indicator_id", "value", "is_example"]].reset_index(
        drop=True
    )


def _county_december(progress: pd.DataFrame, indicator_id: str) -> dict[int, float]:
    rows = progress[
        (progress["region"] == COUNTY)
        & (progress["indicator_id"] == indicator_id)
        & progress["period"].str.endswith("-12")
    ]
    return {int(p[:4]): float(v) for p, v in zip(rows["period"], rows["value"])}


def read_county_reference(raw_dir: Path) -> dict[tuple[str, int], tuple[float, str]]:
    """The county's real figures (``data/raw/county_reference.csv``, copied from the shared reference
    with their quotes): ``(indicator_id, year) → (value, source claim)``, the claim saying exactly
    what the reference says (its ``source_url`` column) and how the figure is used (``note``)."""
    table = pd.read_csv(raw_dir / "county_reference.csv", dtype=str, keep_default_na=False, encoding="utf-8")
    return {
        (row.indicator_id, int(row.year)): (
            float(row.value),
            f"real: {row.source}{'; ' + row.note if row.note else ''} (via {REFERENCE})",
        )
        for row in table.itertuples()
    }


INVENTED = "example: invented plausible path (示例)"
FROM_MONTHLY = "example: December year-to-date of the example monthly data (示例)"
#: the county's annual series that are invented (示例), each a plausible path: indicator_id, name,
#: unit, {year: value}; a year the reference has a real figure for is taken from it instead
INVENTED_SERIES = [
    ("gdp", "地区生产总值", "亿元", {2022: None, 2023: None, 2024: 339.9, 2025: 360.2}),  # 2022, 2023: real
    ("rd_intensity", "全社会R&D经费支出占GDP比重", "%", {2022: 2.45, 2023: 2.61, 2024: 2.74, 2025: 2.86}),
    ("fiscal_st_spending", "县财政科技投入", "亿元", {2022: 3.10, 2023: 3.49, 2024: 3.95, 2025: 4.41}),
    ("rd_institutions_stock", "省级以上研发机构（累计）", "家", {2022: 86, 2023: 99, 2024: 111, 2025: 121}),
    ("key_rd_projects", "省级及以上重点研发计划项目（当年新增）", "项", {2023: 3, 2024: 5, 2025: 4}),
    ("talent_startup_projects", "高层次人才创业创新项目（当年新增）", "个", {2023: 27, 2024: 31, 2025: 29}),
    (
        "rd_share_of_revenue_above_scale",
        "规上工业企业研发费用支出占营业收入比重",
        "%",
        {2022: 2.62, 2023: 2.78, 2024: 2.90, 2025: 3.04},
    ),
    (
        "hitech_share_of_industry_va",
        "高新技术产业增加值占规上工业增加值比重",
        "%",
        {2022: 57.8, 2023: 59.6, 2024: 60.9, 2025: 62.3},
    ),
    ("technology_transaction_value", "技术交易额", "亿元", {2022: 6.2, 2023: 7.9, 2024: 9.6, 2025: 11.2}),
    ("national_incubator", "国家级孵化器（破零）", "家", {2022: 0, 2023: 0, 2024: 0, 2025: 1}),
    ("provincial_new_rd_institution", "省级新型研发机构（零突破）", "家", {2022: 0, 2023: 0, 2024: 1, 2025: 1}),
    ("provincial_key_enterprise_institute", "省级重点企业研究院（零突破）", "家", {2022: 0, 2023: 0, 2024: 0, 2025: 0}),
    ("national_st_award", "国家科学技术奖（零的突破）", "项", {2022: 0, 2023: 0, 2024: 0, 2025: 0}),
]


def _enterprise_series(progress: pd.DataFrame, real: dict) -> list[tuple]:
    """High-tech enterprises and S&T SMEs: additions from the example monthly data's December (2022:
    the reference), and stocks from the real July-2022 stock by the example rules (示例)."""
    hitech_new = {
        2022: real[("hitech_enterprises_new", 2022)][0],
        **_county_december(progress, "new_hitech_enterprises"),
    }
    stock, hitech_stock = real[("hitech_enterprises_stock", 2022)][0], {}
    for year in range(2022, 2026):  # stock: +new, −8 % whose recognition lapses (example rule)
        stock = stock if year == 2022 else math.floor(stock * 0.92) + hitech_new[year]
        hitech_stock[year] = stock
    sme_new = {2022: 118.0, **_county_december(progress, "new_sme_tech")}
    stock, sme_stock = real[("sme_tech_stock", 2022)][0], {}
    for year in range(2022, 2026):
        stock = stock if year == 2022 else stock + sme_new[year]
        sme_stock[year] = stock
    rule = "; stock_y = {} from the real 2022 stock"
    return [
        ("hitech_enterprises_new", "新增高新技术企业", "家", hitech_new, FROM_MONTHLY),
        (
            "hitech_enterprises_stock",
            "高新技术企业（累计）",
            "家",
            hitech_stock,
            INVENTED + rule.format("floor(0.92·stock_{y−1}) + new_y"),
        ),
        (
            "sme_tech_new",
            "新增科技型中小企业",
            "家",
            {2022: sme_new[2022]},
            "example: invented (示例); the example monthly data start in 2023",
        ),
        ("sme_tech_new", "新增科技型中小企业", "家", {y: v for y, v in sme_new.items() if y > 2022}, FROM_MONTHLY),
        ("sme_tech_stock", "科技型中小企业（累计）", "家", sme_stock, INVENTED + rule.format("stock_{y−1} + new_y")),
    ]


def generate_county_annual(progress: pd.DataFrame, real: dict[tuple[str, int], tuple[float, str]]) -> pd.DataFrame:
    """County annual values 2022–2025 for the plan's indicators: ``real`` (:func:`read_county_reference`)
    where the reference has the figure, else example (each row's ``source`` says which)."""
    series = [(*entry, INVENTED) for entry in INVENTED_SERIES] + _enterprise_series(progress, real)
    rows = []
    for indicator_id, name_zh, unit, values, source in series:
        for year, value in values.items():
            value, claim = real.get((indicator_id, year), (value, None))
            rows.append((year, indicator_id, name_zh, unit, round(float(value), 4), claim is None, claim or source))
    table = pd.DataFrame(rows, columns=["year", "indicator_id", "name_zh", "unit", "value", "is_example", "source"])
    return table.sort_values(["indicator_id", "year"], kind="stable").reset_index(drop=True)


def write_example(raw_dir: Path, out_dir: Path, headline: str, seed: int = SEED) -> list[Path]:
    """(Re)write the example folder (``[data] example`` in kpi.toml): example annex targets
    2024–2025, monthly progress 2023–2025, county annual series, built on the official 2023 annex
    in ``raw_dir``, the annexes titled with ``headline`` (the county and its programme). Deterministic: the same seed writes the same bytes. Refuses an ``out_dir`` inside
    ``raw_dir``, which no command writes."""

    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    ensure_outside(out_dir, raw_dir, "the example data")
    registry = Registry.load(raw_dir)
    annex_2023 = read_annex(raw_dir / "annex_2023.csv", registry)
    written = []
    all_targets = [annex_2023]
    for year in YEARS[1:]:
        targets = example_targets(annex_2023, registry, year)
        all_targets.append(targets)
        grid = to_layout_rows(targets, registry, annex_title(year, headline) + EXAMPLE_TITLE_NOTE)
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(grid)
        text = buffer.getvalue()
        written.append(atomic.write_text(out_dir / f"annex_{year}_example.csv", text))
    progress = generate_progress(pd.concat(all_targets, ignore_index=True), registry, seed)
    written.append(atomic.write_csv(out_dir / "progress_example.csv", progress, float_format="%.10g"))
    written.append(
        atomic.write_csv(
            out_dir / "county_annual_example.csv",
            generate_county_annual(progress, read_county_reference(raw_dir)),
            float_format="%.10g",
        )
    )
    return written
