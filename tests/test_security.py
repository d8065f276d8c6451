"""Exports cannot smuggle formulas or markup; file names come only from checked slugs."""

from dataclasses import replace

import pandas as pd
import pytest

from kpi.atomic import formula_safe
from kpi.batch_plan import plan_jobs
from kpi.errors import InputError
from kpi.publication import index_html
from kpi.quarterly import validate_parameters
from kpi.workers import Job


def test_formula_injection_is_neutralised():
    frame = pd.DataFrame(
        {
            "region": ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "壶山镇"],
            "comparator": ["=", ">=", "=", "=", ">="],
            "actual": [-3.5, 1.0, 2.0, 3.0, 4.0],
        }
    )
    safe = formula_safe(frame, exclude=("comparator",))
    assert safe["region"].tolist() == ['\'=HYPERLINK("http://x")', "'+1+1", "'-2+3", "'@SUM(A1)", "壶山镇"]
    assert safe["comparator"].tolist() == frame["comparator"].tolist()  # closed vocabulary, checked by the schema
    assert safe["actual"].tolist() == [-3.5, 1.0, 2.0, 3.0, 4.0]  # numbers untouched


def test_index_escapes_data_text(tmp_path):
    job = Job("x", "<script>alert(1)</script>报告", "壶山镇", "nb.ipynb", str(tmp_path / "x.ipynb"), {}, "f")
    page = index_html(
        2025,
        4,
        "2025-12",
        [job],
        {"x": "ok"},
        {"壶山镇": "<b>滞后</b>"},
        "晾晒表.xlsx",
        True,
        "2026-01-10T05:30:00+08:00",
        "<i>县</i>",
    )
    assert "<script>" not in page and "&lt;script&gt;" in page and "&lt;b&gt;滞后" in page and "<i>" not in page


def test_slugs_are_checked_before_they_become_file_names(registry, tmp_path):
    regions = registry.regions.copy()
    regions.loc[regions["region"] == "壶山镇", "slug"] = "../../etc"
    bad = replace(registry, regions=regions)
    with pytest.raises(InputError, match="slug"):
        plan_jobs(2025, 4, bad, tmp_path, tmp_path, tmp_path, "h", "c", analysis=False)


@pytest.mark.parametrize(
    "year, quarter, region, message",
    [(2025, 5, "全县", "quarter"), ("2025; rm -rf /", 4, "全县", "year"), (2025, 4, "../etc", "未知区域")],
)
def test_report_parameters_are_validated(registry, year, quarter, region, message):
    with pytest.raises(InputError, match=message):
        validate_parameters(year, quarter, region, registry)
