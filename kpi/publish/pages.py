"""The quarter's HTML pages beside its reports, from Jinja2 templates (every value escaped): the landing
page (``index.html``: one line per report with its PDF and status) and the 数据说明 appendix every report's
two-line note points to (:data:`kpi.outputs.report_notes.APPENDIX_FILE`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpi.core.facts import COMPOSITE, EXAMPLE_LABEL, STATUSES
from kpi.core.formatting import chinese_time
from kpi.ingest.processed import Processed
from kpi.metadata.registry import Registry
from kpi.metrics.quarterly import quarter_of
from kpi.outputs.report_notes import APPENDIX_FILE, appendix_context, checks_passed, conventions
from kpi.publish.workers import Job


def status_lines(board: pd.DataFrame, period: str, registry: Registry) -> dict[str, str]:
    """Each region's line on the index: its 综合 and rank, and how many indicators are in each status."""

    rows = board[board["period"] == period]
    lines = {}
    for region in registry.region_names:
        own = rows[rows["region"] == region]
        counts = own[own["indicator_id"] != COMPOSITE]["status"].value_counts().reindex(STATUSES).dropna().astype(int)
        composite = own[own["indicator_id"] == COMPOSITE].iloc[0]
        summary = " · ".join(f"{status}{count}" for status, count in counts.items())
        if region != registry.total_name and pd.notna(composite["rank"]):
            summary = f"综合 {composite['completion_rate']:.1%}，第{int(composite['rank'])}名；" + summary
        lines[region] = summary
    return lines


def index_html(
    version: str,
    year: int,
    quarter: int,
    period: str,
    jobs: list[Job],
    outcomes: dict[str, str],
    status: dict[str, str],
    xlsx_name: str,
    is_example: bool,
    made_at: str,
    headline: str,
    docx_name: str = "",
) -> str:
    """The landing page: one line per report with its PDF and status (Jinja2, every value escaped)."""
    rows = []
    for job in jobs:
        output = Path(job.output)
        folder = output.parents[1 if job.key.startswith("analysis/") else 0]
        pdf = output.with_suffix(".pdf")
        rows.append(
            {
                "title": job.title,
                "outcome": outcomes.get(job.key, ""),
                "html": output.with_suffix(".html").relative_to(folder).as_posix(),
                "pdf": pdf.relative_to(folder).as_posix() if pdf.exists() else "",
                "status": status.get(job.region, "") if job.region else "",
            }
        )
    return (
        _templates()
        .get_template("index.html.j2")
        .render(
            year=year,
            quarter=quarter,
            headline=headline,
            period_zh=f"{period[:4]}年{int(period[5:7])}月",
            rows=rows,
            xlsx_name=xlsx_name,
            docx_name=docx_name or f"情况通报_{period}.docx",
            appendix_name=APPENDIX_FILE,
            is_example=is_example,
            example_label=EXAMPLE_LABEL,
            made_at_zh=chinese_time(made_at),
            code_version=version,
        )
    )


def _templates():
    """The package's Jinja2 templates, every value escaped."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    return Environment(loader=PackageLoader("kpi", "templates"), autoescape=select_autoescape(["html", "j2"]))


def data_notes_html(processed: Processed, period: str, made_at: str, version: str) -> str:
    """The quarter's appendix to every report's two-line 数据说明 (:data:`kpi.outputs.report_notes.APPENDIX_FILE`):
    each input's nature and source, the rules in full, the checks passed, the files with their hashes."""
    registry = processed.registry
    year, quarter = quarter_of(period)
    context = appendix_context(
        processed.inputs,
        processed.provenance(),
        conventions(processed.rules, registry),
        checks_passed(processed.sum_checks, year, registry.total_name, processed.summary.get("validated", {})),
        bool(processed.inputs["is_example"].any()),
        made_at,
        version,
    )
    title = f"{year}年第{quarter}季度 {processed.plan.headline}"
    return _templates().get_template("data_notes.html.j2").render(title=title, **context)
