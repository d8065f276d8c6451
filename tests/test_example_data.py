"""The shipped example data: reproducible byte for byte, consistent, and flagged as example."""

import pandas as pd

from kpi.core import paths
from kpi.example.dataset import example_targets, write_example
from kpi.inputs.annex import read_annex
from kpi.inputs.annual_input import read_county_annual
from kpi.inputs.progress_input import read_progress
from kpi.metadata import config
from tests.support import example_hashes


def test_generator_reproduces_the_shipped_files(raw_copy):
    shipped = example_hashes(paths.EXAMPLE)
    write_example(raw_copy, raw_copy.parent / "example", config.load(paths.ROOT / "kpi.toml").plan.headline)
    assert example_hashes(raw_copy.parent / "example") == shipped


def test_example_target_rule(registry):
    annex = read_annex(paths.RAW / "annex_2023.csv", registry)
    t2025 = example_targets(annex, registry, 2025).set_index(["region", "indicator_id"])["target"]
    # 6.06 × 1.1² = 7.3326 → 7.33; 18 × 1.21 = 21.78 → 22 (counts round up); growth stays 15
    assert t2025[("丽水高新区", "rd_expense_above_scale")] == 7.33
    assert t2025[("丽水高新区", "new_hitech_enterprises")] == 22
    assert t2025[("五云街道", "hitech_investment_growth")] == 15
    shipped = read_annex(paths.EXAMPLE / "annex_2025_example.csv", registry)
    assert shipped["is_example"].all()
    assert shipped.set_index(["region", "indicator_id"])["target"].equals(t2025)


def test_progress_is_consistent(registry):
    progress = read_progress(paths.EXAMPLE / "progress_example.csv", registry)
    wide = progress.pivot_table(index=["period", "indicator_id"], columns="region", values="value")
    summing = registry.indicators.loc[registry.indicators["sums_to_county"], "indicator_id"]
    complete = wide.drop(index="2023-09", level="period")
    part = complete[complete.index.get_level_values("indicator_id").isin(summing)]
    regions = [r for r in registry.region_names if r != "全县"]
    assert (part[regions].sum(axis=1) - part["全县"]).abs().max() < 1e-6
    # year-to-date amounts and counts never fall within a year
    cumulative = progress[progress["indicator_id"].isin(summing)].assign(year=lambda d: d["period"].str[:4])
    steps = cumulative.sort_values("period").groupby(["year", "region", "indicator_id"])["value"].diff()
    assert (steps.dropna() >= -1e-9).all()
    # high-tech enterprises arrive only in the batch months (June, September, November)
    hitech = cumulative[cumulative["indicator_id"] == "new_hitech_enterprises"]
    grew = hitech.sort_values("period").groupby(["year", "region"])["value"].diff() > 0
    after_gap = (hitech["region"] == "东渡镇") & (hitech["period"] == "2023-10")  # 2023-09 was not reported
    assert set(hitech.loc[grew & ~after_gap, "period"].str[5:]) <= {"06", "09", "11"}


def test_county_annual_uses_real_figures_where_known():
    annual = read_county_annual(paths.EXAMPLE / "county_annual_example.csv").set_index(["indicator_id", "year"])
    assert annual.loc[("gdp", 2022), "value"] == 301.51 and not annual.loc[("gdp", 2022), "is_example"]
    assert annual.loc[("gdp", 2023), "value"] == 319.73 and not annual.loc[("gdp", 2023), "is_example"]
    assert annual.loc[("hitech_enterprises_new", 2022), "value"] == 46
    assert "public_figures.csv" in annual.loc[("hitech_enterprises_new", 2022), "source"]
    assert annual.loc[("gdp", 2024), "is_example"]
    invented = annual[annual["is_example"]]
    assert invented["source"].str.startswith("example").all()
    # the annex-indicator years come from the monthly example data (December, year to date)
    progress = pd.read_csv(paths.EXAMPLE / "progress_example.csv")
    december = progress.query("period == '2024-12' and region == '全县' and indicator_id == 'new_hitech_enterprises'")
    assert annual.loc[("hitech_enterprises_new", 2024), "value"] == december["value"].iloc[0]


def test_every_real_figure_is_literally_in_the_reference():
    """A row marked real quotes its source as shared/reference/public_figures.csv gives it, with the
    same value (the reference is checked where the shared folder is present)."""
    import pytest

    reference_path = paths.ROOT.parent / "shared" / "reference" / "public_figures.csv"
    annual = pd.read_csv(paths.EXAMPLE / "county_annual_example.csv")
    real = annual[~annual["is_example"]]
    assert len(real) == 5 and set(real["indicator_id"]) == {
        "gdp",
        "hitech_enterprises_new",
        "hitech_enterprises_stock",
        "sme_tech_stock",
    }
    assert (annual.loc[annual["is_example"], "source"].str.startswith("example:")).all()
    if not reference_path.exists():
        pytest.skip(f"{reference_path} is not here")
    reference = pd.read_csv(reference_path)
    for row in real.itertuples():
        quoted = row.source.removeprefix("real: ").split(" (via ")[0].split(";")[0]
        match = reference[
            (reference["source_url"] == quoted) & (reference["year"] == row.year) & (reference["value"] == row.value)
        ]
        assert len(match) == 1, row
