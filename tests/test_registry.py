"""The registry and plan_targets.csv against the seed, with figures read off the seed by hand."""

import re

import pytest

from kpi.core import paths
from kpi.metadata import schemas
from tests.support import ANNEX_INDICATOR_IDS as ANNEX_IDS


def test_indicator_registry(registry):
    table = registry.indicators
    assert table["indicator_id"].tolist() == ANNEX_IDS
    assert dict(zip(table["indicator_id"], table["unit"])) == {
        "rd_expense_above_scale": "亿元",
        "hitech_value_added": "亿元",
        "hitech_investment_growth": "%",
        "new_hitech_enterprises": "家",
        "new_sme_tech": "家",
        "new_invention_patents": "件",
        "new_pledge_hv_patents": "件",
    }
    assert not table.set_index("indicator_id").loc["hitech_investment_growth", "sums_to_county"]
    assert table["sums_to_county"].sum() == 6
    assert table["higher_is_better"].all()


def test_regions_and_aliases(registry):
    assert registry.region_names == [
        "全县",
        "五云街道",
        "丽水高新区",
        "壶山镇",
        "新建镇",
        "东渡镇",
        "舒洪镇",
        "东方镇",
        "丽缙高新区",
    ]
    assert registry.resolve_region("丽水高新") == "丽水高新区"  # the seed's own spelling in block 2
    assert registry.resolve_region(" 壶山 镇") == "壶山镇"
    assert registry.resolve_region("缙云县") == "全县"
    slugs = registry.regions["slug"]
    assert slugs.is_unique and slugs.str.fullmatch(r"[a-z0-9-]+").all()
    with pytest.raises(KeyError, match="最接近的是“壶山镇”"):
        registry.resolve_region("壶山乡")


# Our own list of the plan's targets, read off the seed: id → (value, comparator, basis, clause)
EXPECTED_TARGETS = {
    "rd_intensity": (3.4, ">=", "level", "一(二); 二(三)6"),
    "regional_innovation_fields": (9, "=", "cumulative", "一(二)"),
    "hitech_enterprises_new": (260, ">=", "new_since_base", "一(二)"),
    "sme_tech_new": (760, ">=", "new_since_base", "一(二)"),
    "rd_institutions_new": (80, ">=", "new_since_base", "一(二)"),
    "key_rd_projects": (20, ">=", "new_since_base", "一(二); 二(二)4"),
    "talent_startup_projects": (150, ">=", "new_since_base", "一(二)"),
    "fiscal_st_spending_growth": (15, ">=", "annual_growth", "一(二)"),  # 三(二) speaks of 十四五 (2021–2025)
    "national_hitech_zone": (1, ">=", "milestone", "二(一)1"),
    "national_incubator": (1, ">=", "milestone", "二(一)1"),
    "provincial_new_rd_institution": (1, ">=", "milestone", "二(一)3"),
    "provincial_key_enterprise_institute": (1, ">=", "milestone", "二(一)3"),
    "municipal_key_labs_new_rd": (5, ">=", "cumulative", "二(一)3"),
    "rd_institution_coverage_above_scale": (100, "=", "level", "二(三)6"),
    "rd_input_coverage_above_scale": (100, "=", "level", "二(三)6"),
    "rd_institutions_stock": (160, ">=", "cumulative", "二(三)7"),
    "hitech_enterprises_stock": (400, ">=", "cumulative", "二(三)7"),
    "sme_tech_stock": (1000, ">=", "cumulative", "二(三)7"),
    "technology_transaction_value": (15, "=", "level", "二(三)8"),
    "provincial_st_awards": (2, ">=", "new_since_base", "二(三)8"),
    "national_st_award": (1, ">=", "milestone", "二(三)8"),
    "rd_share_of_revenue_above_scale": (3.5, ">=", "level", "二(三)9"),
    "hitech_share_of_industry_va": (65, "=", "level", "二(三)9"),
    "young_talent_inflow": (30000, ">=", "new_since_base", "二(四)10"),
    "talent_apartments_new": (2000, "=", "new_since_base", "二(四)10"),
    "green_valley_elite_projects": (100, "=", "new_since_base", "二(四)11"),
    "provincial_overseas_engineers": (5, "=", "new_since_base", "二(四)11"),
    "overseas_talent_programme": (5, ">=", "new_since_base", "二(四)11"),
    "high_level_talent_special_support": (10, ">=", "new_since_base", "二(四)11"),
    "foreign_experts": (150, "=", "cumulative", "二(四)11"),  # 累计达到 → a total reached, as in rows 18–19
    "foreign_experts_high_end": (10, "=", "cumulative", "二(四)11"),
}


def test_plan_targets_match_our_list(registry):
    plan = schemas.validate(registry.plan_targets, schemas.PLAN_TARGETS)
    found = {r.indicator_id: (r.target_value, r.comparator, r.basis, r.clause) for r in plan.itertuples()}
    assert found == EXPECTED_TARGETS
    assert (plan["base_year"] == 2022).all() and (plan["target_year"] == 2027).all()


def test_every_quote_is_the_seeds_own_words(registry, seed_text):
    flat = re.sub(r"\s+", "", seed_text)  # the seed breaks lines and words across pages
    for row in registry.plan_targets.itertuples():
        for quote in row.quote.split(" | "):
            assert re.sub(r"\s+", "", quote) in flat, (row.indicator_id, quote)
        number = f"{row.target_value:g}"
        if row.basis != "milestone" and row.indicator_id not in (
            "rd_institution_coverage_above_scale",
            "rd_input_coverage_above_scale",
            "young_talent_inflow",
        ):
            assert number in row.quote.replace(" ", ""), (row.indicator_id, number)


def test_two_clause_targets_quote_both(registry):
    plan = registry.plan_targets.set_index("indicator_id")
    for indicator_id in ("rd_intensity", "key_rd_projects"):
        assert plan.loc[indicator_id, "quote"].count(" | ") == 1
    # 三(二) asks for +15 %/yr over 十四五 (2021–2025): only 一(二)'s 2023–2027 target is cited
    assert (
        plan.loc["fiscal_st_spending_growth", "clause"] == "一(二)"
        and " | " not in plan.loc["fiscal_st_spending_growth", "quote"]
    )


def test_responsible_units_come_from_the_plan(registry, seed_text):
    flat = re.sub(r"\s+", "", seed_text)
    for row in registry.plan_targets.itertuples():
        if row.responsible_units == "方案未列明":
            continue
        units = re.sub(r"（据.*）$", "", row.responsible_units)
        assert f"责任单位：{units}" in flat.replace("(", "（").replace(")", "）").replace(
            "（责任单位：\n", "（责任单位："
        ), row.indicator_id


def test_pacing_profiles_are_monotone_and_end_at_one(registry):
    for name, profile in registry.pacing_profiles.groupby("profile"):
        shares = profile.sort_values("month")["time_share"]
        assert profile["month"].tolist() == list(range(1, 13)), name
        assert shares.is_monotonic_increasing and shares.iloc[-1] == 1.0, name
    referenced = set(registry.indicators["pacing_profile"]) - {"linear"}
    assert referenced <= set(registry.pacing_profiles["profile"])


def test_shipped_plan_text_is_the_seed(seed_text):
    from tests.support import SEED_DIR

    seeds = sorted(SEED_DIR.glob("*.txt"))
    if not seeds:
        pytest.skip("../shared/seeds is not beside this clone; the shipped copy is used")
    assert seeds[0].read_text(encoding="utf-8") == seed_text


def test_the_provenance_table_is_the_readme_table(registry):
    readme = (paths.RAW / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| (.*?) \| (.*?) \| (.*?) \|$", readme, flags=re.M)
    table = registry.provenance_table
    assert rows == list(zip(table["file"], table["columns"], table["nature"], table["source"]))
    assert set(table["nature"]) >= {"官方", "示例", "示例假设", "本项目约定"}


def test_data_notes_say_what_each_input_is(registry):
    notes = registry.provenance(["annex_2023.csv", "annex_2024_example.csv", "progress_example.csv"])
    nature = dict(zip(notes["file"] + "|" + notes["columns"], notes["nature"]))
    assert nature["annex_2023.csv|指标"] == "官方" and nature["annex_2024_example.csv|指标"] == "示例"
    assert nature["progress_example.csv|value"] == "示例" and nature["kpi.toml|[rules], [pacing]"] == "本项目约定"
    real = registry.provenance(["annex_2026.xlsx", "progress.csv"])
    assert "示例" not in "".join(real["nature"])


def test_a_processed_copy_loads_as_the_checked_registry(registry, tmp_path):
    """A processed folder's registry copy (checked when ingest wrote it, its hash verified on reading)
    is not checked again, and loads to the same tables, dtypes included."""
    import pandas as pd

    from kpi.metadata.registry import REGISTRY_FILES, Registry

    for name in REGISTRY_FILES:
        (tmp_path / name).write_bytes((paths.RAW / name).read_bytes())
    copy = Registry.load(tmp_path, checked_before=True)
    for table in ("indicators", "regions", "plan_targets", "pacing_profiles", "provenance_table", "province"):
        pd.testing.assert_frame_equal(getattr(copy, table), getattr(registry, table))


@pytest.mark.integration
def test_validation_does_not_import_hypothesis():
    """pandera's data synthesis (hypothesis, 0.09 s a process) is not loaded by a validation; hypothesis
    stays importable afterwards."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom kpi.metadata.registry import Registry\nRegistry.load()\n"
        "assert 'hypothesis' not in sys.modules, 'hypothesis imported'\nimport hypothesis\nprint('ok')"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.ROOT)
    assert result.stdout.strip() == "ok", result.stderr[-2000:]
