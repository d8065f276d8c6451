# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
year = 2025
quarter = 4
region = ""  # a region's canonical name; default: the total row (全县、全区…)
processed_dir = None  # default: the folder named in kpi.toml (brought up to date first)
made_at = ""  # filled by `kpi report`
code_version = ""  # filled by `kpi report`

# %%
from IPython.display import HTML, Markdown, display

from kpi.core.formatting import level_words, reader_table
from kpi.ingest.pipeline import open_processed
from kpi.metrics.plan_progress import assess_plan, plan_table
from kpi.metrics.quarterly import (
    LAGGING_WRAPPED,
    check_region_series,
    has_reports,
    headline,
    lagging_by_indicator,
    lagging_table,
    no_data_paragraph,
    quarter_end,
    quarterly_ranks,
    region_table,
    report_heading,
    section_titles,
    validate_parameters,
)
from kpi.outputs.monthly import month_board, same_month_last_year
from kpi.outputs.plots import region_progress_chart, show, use_cjk_font
from kpi.outputs.report_notes import data_summary
from kpi.outputs.status_views import leaderboard_table
from kpi.outputs.trajectory_plots import trajectory_charts

use_cjk_font()
data = open_processed(processed_dir)
registry = data.registry
year, quarter, region = validate_parameters(year, quarter, region, registry)
period = quarter_end(year, quarter)
check_region_series(data.progress, region, registry)
board = month_board(data, period)
last_year = same_month_last_year(data, period)
reported = has_reports(board, region)
display(HTML(report_heading(year, quarter, region, data.plan, registry.total_name, bool(board["is_example"].any()))))
titles = section_titles(region, registry, data.plan.toward)

# %%
# NBVAL_CHECK_OUTPUT
display(
    Markdown(titles["overview"]),
    Markdown(
        headline(board, period, region, registry)
        if reported
        else no_data_paragraph(region, period, len(registry.indicators))
    ),
)

# %%
level, shown = level_words(registry.indicators["kind"])
display(Markdown(titles["board"]), Markdown(f"每格前的标记与颜色见表题；{level}指标的进度为{shown}。"))
leaderboard_table(board, registry, period, highlight=region)

# %%
# NBVAL_CHECK_OUTPUT
display(Markdown(titles["region"]))
if reported:
    display(reader_table(region_table(board, period, region, registry, last_year)))
    if region != registry.total_name:
        display(Markdown("**各季度末排名**"), reader_table(quarterly_ranks(board, year, region, registry)))

# %%
if reported:
    show(region_progress_chart(board, registry, region, period))

# %%
total = registry.total_name
if region == total:
    display(Markdown(titles["plan"]))
    assessments = assess_plan(registry.plan_targets, data.county_annual, as_of_year=year, province=registry.province)
    plan_rows = plan_table(assessments)
    if data.county_annual["is_example"].any():
        display(
            Markdown(
                f"<span style='color:#c00000'>**⚠ {total}年度数据含示例数据**</span>（真实数字的来源见《数据说明》）。"
            )
        )
    if plan_rows.empty:
        display(
            Markdown(
                f"尚无{total}年度数据，{data.plan.target_label}暂不作判断"
                "（用 `kpi template --year` 与 `kpi collect --year` 录入）。"
            )
        )
    else:
        display(reader_table(plan_rows, wrap=("判断", "责任单位")))
        show(trajectory_charts(registry.plan_targets, data.county_annual, assessments, year, registry.province))

# %%
behind = lagging_table(board, period, region, registry)
display(Markdown(titles["lagging"]))
display(Markdown(f"共 {len(behind)} 项滞后或未达标（全部列出）。" if len(behind) else "无滞后或未达标事项。"))
if len(behind):
    display(reader_table(lagging_by_indicator(behind) if region == total else behind, wrap=LAGGING_WRAPPED))

# %%
display(
    Markdown(titles["notes"]), Markdown(data_summary(bool(board["is_example"].any()), registry, made_at, code_version))
)
