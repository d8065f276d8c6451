"""How every table a reader sees is written: one set of formatters shared by every notebook.

- rates: %, one decimal (``12.3%``); numbers: integers as integers, amounts with two decimals;
- not applicable: ``—``; a missing report: ``未报送``; no stray index; Chinese headers given by the caller;
- every string escaped for HTML (names come from data);
- names never wrap one character per line (``white-space: nowrap`` on text columns).

``reader_table`` returns the table as HTML (an ``IPython.display.HTML``), so that a report, nbval
and a browser all see the same deterministic markup.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pandas as pd

from kpi.core.units import is_count_unit, unit_family

BEIJING = ZoneInfo("Asia/Shanghai")

NOT_APPLICABLE = "—"
#: JupyterLab's own table rules (fixed layout, every cell right-aligned) outrank a class, hence !important
TABLE_CSS = """<style>
table.kpi {border-collapse: collapse; font-size: 13px; margin: 4px 0 12px !important; table-layout: auto !important}
table.kpi th, table.kpi td {border: 1px solid #d0d7de; padding: 3px 8px}
table.kpi th {background: #f6f8fa; font-weight: 600; text-align: center !important}
table.kpi td.num {text-align: right !important; font-variant-numeric: tabular-nums}
table.kpi td.text {white-space: nowrap; text-align: left !important}
table.kpi td.wrap {white-space: normal; min-width: 12em; text-align: left !important}
</style>"""


def beijing_now() -> dt.datetime:
    """Now, in Beijing time (the readers' clock), to the second."""
    return dt.datetime.now(BEIJING).replace(microsecond=0)


def beijing_timestamp() -> str:
    """Now in Beijing time as ISO 8601 to the second (``2025-12-31T09:00:00+08:00``): the batch's stamps."""
    return beijing_now().isoformat(timespec="seconds")


def chinese_time(moment: dt.datetime | str) -> str:
    """``2026年2月3日 14:05``, in Beijing time."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    moment = moment.astimezone(BEIJING)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def chinese_date(moment: dt.datetime) -> str:
    """``2026年2月3日``, in Beijing time."""
    moment = moment.astimezone(BEIJING)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _blank(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def rate(value, missing: str = NOT_APPLICABLE) -> str:
    """A fraction as a percent with one decimal: 0.1234 → ``12.3%``."""
    return missing if _blank(value) else f"{float(value) * 100:.1f}%"


def percent(value, missing: str = NOT_APPLICABLE) -> str:
    """A value already in percent (a growth rate): 26.6 → ``26.6%``."""
    return missing if _blank(value) else f"{float(value):.1f}%"


def number(value, unit: str = "", missing: str = NOT_APPLICABLE, kind: str = "") -> str:
    """Counts as integers, 亿元/万元 and % with two decimals (2.86, 2.90), but a growth rate (``kind``
    growth) with one, as its 进度 shows it (15.8); others as short as exact."""
    if _blank(value):
        return missing
    value = float(value)
    if kind == "growth":
        return f"{value:.1f}"
    if unit in ("亿元", "万元"):
        return f"{value:,.2f}"
    if unit == "%":  # a ratio as precisely as it is stated (2.86), every one of a column alike (2.90)
        return f"{value:.2f}"
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def needed(value, unit: str, missing: str = NOT_APPLICABLE) -> str:
    """What each remaining year must add, written as :func:`number` writes the unit's values; whole
    things (家, 件…) rounded away from zero, since half an enterprise cannot be added: 236.5家 a year →
    ``237`` (a fall of 2.5 → ``-3``)."""
    if _blank(value):
        return missing
    value = float(value)
    if is_count_unit(unit):
        value = math.copysign(math.ceil(abs(value) - 1e-9), value)
    return number(value, unit)


def quantity(value, unit: str, missing: str = NOT_APPLICABLE) -> str:
    """A value with its unit, written as :func:`number` writes it: ``2.86%``, ``164家``, ``11.20亿元``;
    a rank ``第25位``."""
    if _blank(value):
        return missing
    if unit == "位":
        return progress(value, "rank", unit)
    return f"{number(value, unit)}{unit}"


def stated_number(value, unit: str, exact: bool = False) -> str:
    """A target's number as plans and annexes state it: no trailing zeros (``15``, ``3.4``, ``1000``), an
    amount with a fraction in two decimals (``15.44``, ``22.90``); ``exact``: every digit, for a file the
    project reads back."""
    value = float(value)
    if exact or not (unit_family(unit) == "money" and not value.is_integer()):
        return f"{value:.10g}"
    return f"{value:.2f}"


def target(value, comparator: str, unit: str, with_unit: bool = True, exact: bool = False) -> str:
    """A target as a plan writes it, its comparator in words: ``15%以上``, ``260家以上``, ``15亿元``,
    ``前30位``; without its unit where a header gives it (the annex's 指标 cells: ``15以上``, ``15.44``)."""
    if _blank(value):
        return NOT_APPLICABLE
    text = stated_number(value, unit, exact)
    if unit == "位" and comparator == "<=":  # a rank: 前30位
        return f"前{text}位"
    prefix = {">": "超过", "<": "低于"}.get(comparator, "")
    suffix = {">=": "以上", "<=": "以下"}.get(comparator, "")
    return f"{prefix}{text}{unit if with_unit else ''}{suffix}"


def annex_target(value, comparator: str, unit: str, wording: str = "", exact: bool = False) -> str:
    """An annex's 指标 cell as the annex wrote it (``不低于18%``, ``进入全省前30位``: ``wording``, see
    :func:`kpi.inputs.annex.read_annex`), else written from the number without its unit (``15以上``; ``exact``:
    every digit, for a file the project reads back)."""
    return wording or target(value, comparator, unit, with_unit=False, exact=exact)


def targets(frame) -> list[str]:
    """:func:`target` of every row of a table with ``target_value``, ``comparator`` and ``unit``."""
    return [target(v, c, u) for v, c, u in zip(frame["target_value"], frame["comparator"], frame["unit"])]


def integer(value, missing: str = NOT_APPLICABLE) -> str:
    """A whole number as text, or ``missing`` for a blank."""
    return missing if _blank(value) else f"{int(value)}"


def text(value, missing: str = NOT_APPLICABLE) -> str:
    """A text cell as text, or ``missing`` for a blank or empty one."""
    return missing if _blank(value) or value == "" else str(value)


def progress(value, kind: str, unit: str, missing: str = NOT_APPLICABLE) -> str:
    """进度 as published (:func:`kpi.metrics.leaderboard.published_progress`): a completion or a growth in % with
    one decimal; a ratio in its unit with two decimals (``2.85%``, ``18.40件/万人``); a rank as
    ``第25位``. ``kind`` is the indicator's (empty for 综合, a completion)."""
    if _blank(value):
        return missing
    if kind == "rank":
        return f"第{round(float(value))}位"
    if kind == "ratio":  # two decimals, every one alike: 2.90%, not 2.9% beside 2.86%
        return f"{float(value):,.2f}{unit}"
    return percent(value)


def level_words(kinds) -> tuple[str, str]:
    """How the notes name the point-in-time indicators among ``kinds`` (an indicators table's ``kind``
    column) and what their 进度 shows: ``("增长类", "实际增幅")`` where growth is the only one, else e.g.
    ``("增长、比率、位次类", "实际值（增幅、比率或位次）")``."""
    words = {"growth": "增长", "ratio": "比率", "rank": "位次"}
    present = [word for kind, word in words.items() if kind in set(kinds)]
    if present in ([], ["增长"]):
        return "增长类", "实际增幅"
    shown = {"增长": "增幅", "比率": "比率", "位次": "位次"}
    return "、".join(present) + "类", "实际值（" + "或".join(shown[w] for w in present) + "）"


def level_progress(value, kind: str, goal, comparator: str, unit: str) -> str:
    """A point-in-time value beside its target (``goal``), as a sentence says it: ``增幅12.3%，目标15%以上``,
    ``2.9%，目标3%以上``, ``第33位，目标前30位``."""
    shown = f"增幅{float(value):.1f}%" if kind == "growth" else progress(value, kind, unit)
    return f"{shown}，目标{target(goal, comparator, unit)}"


#: how a point-in-time value's cell is formatted in a workbook (the value stored in its unit)
EXCEL_FORMATS = {"rank": '"第"0"位"', "ratio": "0.00"}


FORMATTERS = {"rate": rate, "percent": percent, "integer": integer, "text": text, "number": number}


def format_frame(frame: pd.DataFrame, kinds: dict[str, str], missing: dict[str, str] | None = None) -> pd.DataFrame:
    """Every cell as the reader should see it (strings). ``kinds`` maps a column to ``rate``,
    ``percent``, ``integer``, ``number`` (with a ``单位`` column for the unit when there is one) or
    ``text`` (the default); ``missing`` overrides the blank placeholder per column."""
    missing = missing or {}
    shown = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        kind = kinds.get(column, "text")
        blank = missing.get(column, NOT_APPLICABLE)
        if kind == "number" and "单位" in frame.columns:
            shown[column] = [number(v, u, blank) for v, u in zip(frame[column], frame["单位"])]
        else:
            shown[column] = [FORMATTERS[kind](v, missing=blank) for v in frame[column]]
    return shown.reset_index(drop=True)


def reader_table(
    frame: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    missing: dict[str, str] | None = None,
    caption: str | None = None,
    wrap: tuple[str, ...] = (),
):
    """The table as escaped HTML, no index, numbers right-aligned; ``wrap`` columns may wrap."""
    import html

    from IPython.display import HTML

    kinds = kinds or {}
    shown = format_frame(frame, kinds, missing)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    classes = ["num" if kinds.get(c, "text") != "text" else ("wrap" if c in wrap else "text") for c in shown.columns]
    body = "\n".join(
        "<tr>" + "".join(f"<td class='{k}'>{html.escape(v)}</td>" for k, v in zip(classes, row)) + "</tr>"
        for row in shown.itertuples(index=False)
    )
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return HTML(f"{TABLE_CSS}<table class='kpi'>{title}<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>")
