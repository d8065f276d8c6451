"""The domain's vocabulary, each fact once: every other module imports it from here.

What a fact of the *county* is (its name, the unit that compiles the tables) comes from the project
file (``[county]`` in kpi.toml); what the regions and indicators are comes from ``data/raw``
(:mod:`kpi.metadata.registry`). This module holds the rest: the words of the 晾晒表 and of the plan's targets,
the statuses this project prints and their colours, and how an "example" flag is written.
"""

from __future__ import annotations

#: the total row of the annex when the project file names none ([county] total_name; 全区, 全市 elsewhere)
DEFAULT_TOTAL_NAME = "全县"
#: the composite column of the leaderboard (综合), this project's convention
COMPOSITE = "composite"
#: what a reader may call the composite score where an indicator is asked for (notebooks, the explorer)
COMPOSITE_NAMES = frozenset({COMPOSITE, "综合", "综合得分"})

#: how a plan target is counted (data/raw/README.md): a level, additions since the base year,
#: a stock, a yearly growth rate, or a "zero breakthrough" milestone
BASES = ("level", "new_since_base", "cumulative", "annual_growth", "milestone")
#: a target's comparator in the plan's words: 以上 >=, 超过 >, 达到 =, 以下 <=, 低于 <
COMPARATORS = (">=", ">", "=", "<=", "<")
#: what an annex indicator measures, how a month's value is read and how it is judged: the one table of
#: kinds (docs/methods.md “指标类型”). ``year_to_date``: the value accumulates over the year and is judged against
#: 序时进度; otherwise it is a level at that month (it may rise or fall) judged met / not met against the
#: target. ``may_sum``: the regions may add up to the county. ``minimum``: the smallest value that can be
#: real (None: any sign). ``whole``: a whole number. ``lower_is_better``: the kind's fixed direction (a
#: rank); None: the indicator's own (``higher_is_better`` in indicators.csv).
KIND_RULES = {
    "amount": {"zh": "总量", "year_to_date": True, "may_sum": True, "minimum": 0, "whole": False},
    "count": {"zh": "个数", "year_to_date": True, "may_sum": True, "minimum": 0, "whole": True},
    "growth": {"zh": "增长率", "year_to_date": False, "may_sum": False, "minimum": None, "whole": False},
    "ratio": {"zh": "比率", "year_to_date": False, "may_sum": False, "minimum": 0, "whole": False},
    "rank": {
        "zh": "位次",
        "year_to_date": False,
        "may_sum": False,
        "minimum": 1,
        "whole": True,
        "lower_is_better": True,
    },
}
KINDS = tuple(KIND_RULES)
#: the kinds whose value is a level at its month, judged met / not met (no 序时, never "a value that falls")
POINT_IN_TIME = frozenset(kind for kind, rule in KIND_RULES.items() if not rule["year_to_date"])

#: what a chart of a point-in-time kind plots, and its reference line
LEVEL_MEASURES = {"growth": ("增幅", "目标增幅"), "ratio": ("比率", "目标"), "rank": ("位次", "目标位次")}

#: the leaderboard's statuses (this project's conventions, kpi.metrics.leaderboard)
AHEAD, NEAR, BEHIND = "超序时", "基本序时", "滞后"
MET, NOT_MET, MISSING, NOT_DUE = "达标", "未达标", "未报送", "未到序时"
STATUSES = (AHEAD, NEAR, BEHIND, MET, NOT_MET, MISSING, NOT_DUE)
#: the traffic light of each status (RGB hex), shared by the xlsx, the .docx, the HTML tables and charts;
#: chosen so that a black-and-white printer still tells them apart (grey levels about 228, 200, 167, 255)
STATUS_COLOURS = {
    AHEAD: "D9EDD2",
    MET: "D9EDD2",
    NEAR: "F8C847",
    BEHIND: "EA8C80",
    NOT_MET: "EA8C80",
    MISSING: "FFFFFF",
    NOT_DUE: "DDEBF7",
}
#: each status's mark, printed before its value in every table that colours it: the status survives a
#: printer without colour (the words 未报送 speak for themselves)
STATUS_MARKS = {AHEAD: "▲", MET: "▲", NEAR: "●", BEHIND: "▼", NOT_MET: "▼", MISSING: "", NOT_DUE: "○"}
#: the headings (or labels, ``填报单位：壶山镇``) under which an office's sheet names its region; the last,
#: ``region``, is the project's own long table's
REGION_HEADINGS = (
    "区域",
    "地区",
    "乡镇(街道)",
    "乡镇街道",
    "单位",
    "单位名称",
    "区域名称",
    "乡镇名称",
    "报送单位",
    "填报单位",
    "region",
)
#: the legend printed with every table that colours statuses
STATUS_LEGEND = "▲ 超序时/达标（绿）　● 基本序时（黄）　▼ 滞后/未达标（红）　○ 未到序时　未报送（白）"

#: where a leaderboard cell's value came from: the region's report, the sum of the regions (全县),
#: nothing, or the composite of the others
SOURCES = ("reported", "sum_of_regions", "missing", "composite")

#: the verdicts on a 2027 target (kpi.metrics.trajectory, after Eurostat / Open SDG), in Chinese
VERDICTS_ZH = {
    "target_achieved": "已达标",
    "on_track": "进度正常",
    "acceleration_needed": "需加快",
    "limited_progress": "进展有限",
    "deterioration": "倒退",
    "insufficient_data": "数据不足",
    "not_yet_achieved": "尚未实现",
}

#: the words that mark a row as example data in an ``is_example`` column (lower case, any other = real)
EXAMPLE_WORDS = frozenset({"true", "1", "是", "yes", "示例"})
#: the words of a yes/no column in the registry's own tables
BOOLEAN_WORDS = {"true": True, "false": False, "1": True, "0": False, "是": True, "否": False}
#: what marks every output built on example data: the label in text (a banner, a note, a title), the
#: short mark on a chart
EXAMPLE = "示例数据"
EXAMPLE_LABEL = f"{EXAMPLE}（非官方，由固定种子生成）"
EXAMPLE_MARK = f"{EXAMPLE} · 非官方"

#: the annex's title (附件), for a year and the county named in kpi.toml
ANNEX_TITLE = "{year}年{headline}争先创优晾晒表"
#: the three sub-columns of each indicator in the annex
SUB_COLUMNS = ("指标", "进度", "排名")

#: the largest value of any indicator in its own unit (亿元, 家, %) that can be real: beyond it a value is
#: refused wherever it arrives (a form, a bulk file), so no sum of regions can overflow to infinity
MAX_VALUE = 1e12


def annex_title(year: int, headline: str) -> str:
    """The annex's title for ``year``: ``2023年<headline>争先创优晾晒表`` (附件), the headline being the
    county and its programme (:attr:`kpi.metadata.identity.PlanIdentity.headline`)."""
    return ANNEX_TITLE.format(year=year, headline=headline)
