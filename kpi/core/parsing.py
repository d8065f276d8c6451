"""Cell-level parsing of the spreadsheets people actually send.

Every parser here takes one cell's content and returns a clean value or raises ``ValueError``
with a short reason in Chinese and English; the callers (:mod:`kpi.inputs.annex`, :mod:`kpi.inputs.submissions`…) add file, sheet,
row and column to make an :class:`kpi.core.errors.InputError`. The vectorised helpers parse each
*distinct* cell text once, so cost grows with the number of distinct texts, not rows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np
import pandas as pd

from kpi.core.facts import EXAMPLE_WORDS
from kpi.core.text import normalize_text
from kpi.core.units import conversion_factor, unit_family

#: Texts that mean "no value" (未填报). Never read as zero.
BLANK_TOKENS = frozenset(
    {
        "",
        "-",
        "—",
        "——",
        "–",
        "/",
        "\\",
        "nan",
        "none",
        "null",
        "n/a",
        "na",
        "无",
        "空",
        "暂无",
        "未报",
        "未报送",
        "由各区域合计",
    }
)

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
# The one target grammar (docs/methods.md, “Targets are written in one grammar”), for an annex cell (parse_target)
# and a plan's sentence (kpi.extract.sentences): the words before a number and after it that say its
# comparator, a rank's phrase (进入全省前30位, 前30位, 30位以内: lower is better, "<="), and a range
# (3.0—3.5: its lower bound, ">=").
_GE_PREFIX = ("≥", ">=", "不低于", "不少于", "至少", "大于等于", "大于或等于")
_GT_PREFIX = (">", "超过", "高于", "大于", "突破", "超")
_LE_PREFIX = ("≤", "<=", "不高于", "不超过", "不多于", "小于等于", "至多", "控制在")
_LT_PREFIX = ("<", "低于", "小于")
_GE_SUFFIX = ("及以上", "以上", "或以上")
_LE_SUFFIX = ("及以下", "以下", "以内")
#: the words of intent before a target's figure, this project's one reading of them (the same section of docs/methods.md):
#: 力争 / 争取 / 努力 → at least the figure, and a *stretch* target (the plan hopes for it); 确保 → at least
#: the figure, a floor the plan commits to. 左右 / 约 (about) are read by the extraction as "≈" and kept as
#: "=" in a registry, with a review note (kpi.project.draft).
INTENT_WORDS = {"力争": True, "争取": True, "努力": True, "确保": False}
RANK_VERBS = "进入|跻身|位居|位列|保持|跃居|稳居|排名|排"
#: a rank target in a cell: 前30位, 进入全省前30位, 全市前5名
RANK_PHRASE = re.compile(rf"(?:{RANK_VERBS})?[^前\d]{{0,6}}?前(?P<number>\d+)(?:位|名|强)?")
#: a range: 3.0—3.5, 10~15, 3至5
RANGE_PHRASE = re.compile(r"(?P<low>\d+(?:\.\d+)?)\s*(?:-|–|—|~|～|至|到)\s*(?P<high>\d+(?:\.\d+)?)")


def intent_of(before: str) -> tuple[str | None, bool]:
    """The comparator and stretch flag the last word of intent in ``before`` says (:data:`INTENT_WORDS`):
    ``(">=", True)`` after 力争, ``(">=", False)`` after 确保, ``(None, False)`` with none."""
    found = [(before.rfind(word), stretch) for word, stretch in INTENT_WORDS.items() if word in before]
    if not found:
        return None, False
    return ">=", max(found)[1]


def comparator_words(before: str, after: str) -> str | None:
    """The comparator the words right before a target's number (``不低于``, ``超过``, ``控制在``…) or
    right after it (``以上``, ``以内``…) say, or None when they say none. A prefix wins over a suffix."""
    for prefixes, symbol in ((_GE_PREFIX, ">="), (_LE_PREFIX, "<="), (_GT_PREFIX, ">"), (_LT_PREFIX, "<")):
        if before.endswith(prefixes):
            return symbol
    for suffixes, symbol in ((_GE_SUFFIX, ">="), (_LE_SUFFIX, "<=")):
        if after.startswith(suffixes):
            return symbol
    return None


class Uncached(str):
    """A formula cell whose workbook holds no computed value (saved by a program that does not
    calculate): it cannot be read, and says so."""


UNCACHED_MESSAGE = (
    "公式没有计算结果（文件未在 Excel 中保存过）/ a formula without a cached value; "
    "open the file in Excel or WPS and save it, or paste the values"
)


def is_example_text(value: Any) -> bool:
    """Whether an ``is_example`` cell says "example" (:data:`kpi.core.facts.EXAMPLE_WORDS`, after
    :func:`normalize_text`; anything else is real data)."""
    return normalize_text(value).lower() in EXAMPLE_WORDS


def is_blank(value: Any) -> bool:
    """Whether a cell says nothing: empty, spaces, or one of the blank tokens (—, /, 无…). Never 0."""
    return normalize_text(value).lower() in BLANK_TOKENS


def _strip_thousands(text: str) -> str:
    return re.sub(r"(?<=\d),(?=\d{3}(?:\D|$))", "", text)


def _finite(number: float) -> float:
    """The number, or a ``ValueError`` for infinity (an overflow like 1e400 is one too)."""
    if math.isinf(number):
        raise ValueError("无穷大不是有效数值 / infinity is not a valid number")
    return number


def parse_number(value: Any, unit: str = "") -> float | None:
    """One cell to a number in the indicator's ``unit``; ``None`` for a blank (—, /, empty).

    Accepts full-width digits, thousands separators, a unit suffix (``15.44亿元``, ``1544万元``
    for 亿元), a ``%`` sign for percent indicators. Raises ``ValueError`` for anything else.
    """
    if isinstance(value, Uncached):
        raise ValueError(UNCACHED_MESSAGE)
    if isinstance(value, bool):
        raise ValueError("布尔值不是数值 / a true/false cell is not a number")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return None if math.isnan(number) else _finite(number)
    text = normalize_text(value)
    if text.lower() in BLANK_TOKENS:
        return None
    if re.fullmatch(rf"[+-]?(?:inf|infinity)|{_NUMBER}[eE][+-]?\d+", text.lower()):
        return _finite(float(text))  # 1e400, inf, Infinity
    text = _strip_thousands(text)
    match = re.fullmatch(rf"({_NUMBER})(.*)", text)
    if not match:
        raise ValueError("不是数值 / not a number")
    number, suffix = float(match.group(1)), match.group(2)
    if not suffix:
        return number
    if re.search(r"[0-9.,+\-]", suffix):
        raise ValueError("不是数值 / not a number")
    if suffix == "万" and (unit_family(unit) or "").startswith("count"):
        return number * 1e4  # 1.2万 (件)
    try:
        return number * conversion_factor(suffix, unit)
    except ValueError:
        raise ValueError(
            f"单位“{suffix}”与指标单位“{unit}”不符 / unit '{suffix}' does not match the indicator's unit '{unit}'"
        ) from None


def parse_target(value: Any, unit: str = "") -> tuple[float, str]:
    """A target cell (指标) to ``(value, comparator)``.

    ``15以上`` / ``不低于15`` / ``≥15`` → ``(15, ">=")``; ``超过15`` → ``">"``; ``15以下`` /
    ``15以内`` / ``不超过15`` → ``"<="``; a rank — ``前30位``, ``进入全省前30位``, ``30位以内`` — →
    ``(30, "<=")``; a range ``3.0—3.5`` → its lower bound, ``(3.0, ">=")``; a plain figure → ``"="``,
    read as "reach the stated figure" (the plan's own wording has no 以上). A blank target raises
    ``ValueError``: a leaderboard row without a target cannot be scored.
    """
    if isinstance(value, Uncached):
        raise ValueError(UNCACHED_MESSAGE)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = parse_number(value, unit)
        if number is None:
            raise ValueError("目标为空 / the target is blank")
        return number, "="
    text = normalize_text(value)
    if text.lower() in BLANK_TOKENS:
        raise ValueError("目标为空 / the target is blank")
    if rank := RANK_PHRASE.fullmatch(text):
        return float(rank["number"]), "<="
    if span := RANGE_PHRASE.fullmatch(text):
        low, high = float(span["low"]), float(span["high"])
        if low > high:
            raise ValueError("范围的下限大于上限 / a range whose lower bound is above its upper")
        return low, ">="
    text = re.sub(r"(?<=\d)(?:位|名)(?=以内$)", "", text)  # 30位以内
    intent = re.match(rf"^({'|'.join(INTENT_WORDS)})(?:达到)?", text)  # 力争15: at least 15
    comparator = "="
    if intent:
        text, comparator = text[intent.end() :], intent_of(intent[1])[0]
    for prefixes, symbol in ((_GE_PREFIX, ">="), (_LE_PREFIX, "<="), (_GT_PREFIX, ">"), (_LT_PREFIX, "<")):
        prefix = next((p for p in sorted(prefixes, key=len, reverse=True) if text.startswith(p)), None)
        if prefix:
            text, comparator = text[len(prefix) :], symbol
            break
    for suffixes, symbol in ((_GE_SUFFIX, ">="), (_LE_SUFFIX, "<=")):
        for suffix in suffixes:
            if text.endswith(suffix):
                if comparator not in ("=", symbol):
                    raise ValueError("前后比较词矛盾 / contradictory comparison words")
                text, comparator = text[: -len(suffix)], symbol
                break
    number = parse_number(text, unit)
    if number is None:
        raise ValueError("目标为空 / the target is blank")
    return number, comparator


_PERIOD_PATTERNS = (
    re.compile(r"(\d{4})[-./年](\d{1,2})月?(?:[-./]\d{1,2}日?)?(?:\d{1,2}:\d{2}(?::\d{2})?)?"),
    re.compile(r"(\d{4})(\d{2})"),
)


def parse_period(value: Any) -> str:
    """A period cell to ``"YYYY-MM"``: ``2023-09``, ``2023-9``, ``2023年9月``, ``2023.09``,
    ``202309``, a date or datetime, or an Excel date serial number."""
    if isinstance(value, Uncached):
        raise ValueError(UNCACHED_MESSAGE)
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and 20000 <= number <= 80000:  # Excel serial, 1954–2119
            day = dt.date(1899, 12, 30) + dt.timedelta(days=int(number))
            return f"{day.year:04d}-{day.month:02d}"
        value = str(int(number)) if number.is_integer() else str(value)
    text = normalize_text(value)
    for pattern in _PERIOD_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            if 1 <= month <= 12 and 1990 <= year <= 2100:
                return f"{year:04d}-{month:02d}"
            raise ValueError("月份或年份超出范围 / month or year out of range")
    raise ValueError("无法识别的时期，应为 YYYY-MM / unrecognised period, expected YYYY-MM")


def map_unique(values: pd.Series, parse, on_error) -> pd.Series:
    """Apply ``parse`` once per distinct value of ``values`` (vectorised over repeats).

    ``on_error(index_label, raw_value, exc)`` is called with the index label of the first row
    holding a bad value, and must raise.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    parsed = []
    for code, raw in enumerate(uniques):
        try:
            parsed.append(parse(raw))
        except ValueError as exc:
            first = values.index[int(np.flatnonzero(codes == code)[0])]
            on_error(first, raw, exc)
            raise  # on_error must raise; this keeps type checkers honest
    return pd.Series(np.asarray(parsed, dtype=object)[codes], index=values.index)


def parse_numbers(values: pd.Series, unit: str, on_error) -> pd.Series:
    """Column of cells to float64 (NaN for blanks): a fast path for clean numeric columns."""
    numeric = pd.to_numeric(values, errors="coerce")
    infinite = np.isinf(numeric.to_numpy(dtype="float64", na_value=np.nan))
    if infinite.any():  # "inf", "Infinity", 1e400: the fast path would let them through
        first = values.index[int(np.flatnonzero(infinite)[0])]
        on_error(first, values.loc[first], ValueError("无穷大不是有效数值 / infinity is not a valid number"))
    messy = numeric.isna() & values.notna()
    if not messy.any():
        return numeric.astype("float64")
    parsed = map_unique(values[messy].astype(object), lambda v: parse_number(v, unit), on_error)
    result = numeric.astype("float64").copy()
    result.loc[messy] = parsed.astype("float64")
    return result
