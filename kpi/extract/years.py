"""The years of a plan's text (rule 6 of :mod:`kpi.extract.targets`): the document's span and its own date, the
target year each sentence states, and the line between what a plan *will* reach and what *has* been
reached (:class:`Timeline`)."""

from __future__ import annotations

import re
import unicodedata

BARE_YEAR = re.compile(r"(?:^|目标[:：]?)\s*(20\d{2})\s*年(?:底|末)?[,，]")  # 主要目标：2025年，…


FUTURE_YEAR = (
    re.compile(r"(?<!截)(?<!截止)(?:到|至|力争到|争取到|预计到)\s*(20\d{2})\s*年"),
    re.compile(r"(20\d{2})\s*年(?:底|末)?前"),
    re.compile(r"(20\d{2})\s*年\s*(?:力争|确保|争取|计划|将)"),
    re.compile(r"(20\d{2})\s*年(?:度)?[^，。；]{0,12}?(?:目标|任务|要点)"),
)


PLAN_PERIODS = {"十三五": 2020, "十四五": 2025, "十五五": 2030}


def document_years(text: str) -> tuple[int | None, int | None]:
    """(base year, target year) of the document: its ``2023—2027年`` span (base = the year before), else
    the plan period it names (十四五 → 2020, 2025)."""
    head = unicodedata.normalize("NFKC", text[:3000])
    match = re.search(r"(20\d{2})\s*[—–-]\s*(20\d{2})\s*年", head)
    if match:
        return int(match[1]) - 1, int(match[2])
    for mention in PERIOD_MENTION.finditer(head):
        if mention[2] not in ("期间", "时期", "以来"):
            end = PLAN_PERIODS[mention[1]]
            return end - 5, end
    return None, None


PERIOD_MENTION = re.compile(r"[“\"]?(十三五|十四五|十五五)[”\"]?(期间|时期|以来|末|期末)?")
#: a year said relative to the document's own date (its 印发 date, date line, 文号 or title)
RELATIVE_YEARS = {"今年": 0, "年内": 0, "全年": 0, "本年度": 0, "明年": 1, "后年": 2}
#: words that make a sentence speak of what is to come (a target), whatever years it also names
FUTURE_WORDS = re.compile(r"力争|确保|争取|将|目标|预期|预计|要(?=达到|新增|突破|实现|提高|培育|引进|建成)")
#: a marker whose scope runs to the end of its sentence, past a ；: 截至…；其中…
PAST_SCOPE = re.compile(r"^\s*(截至|截止|过去|以来|[“\"]?(十三五|十四五|十五五)[”\"]?(期间|时期|以来))")
PLAN_TERM = re.compile(r"规划期内|规划期末|到期末|实施期内|方案期内")


def document_date(text: str) -> int | None:
    """The year the document was written: its 印发 date or the meeting it reports (``2025年12月召开的``), a
    date line (``2025年12月``, ``（2025年2月18日）``, ``2026年1月20日在…会议上``), its 文号
    (``柳科〔2026〕3号``), else a single year in its title."""
    text = unicodedata.normalize("NFKC", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    issued = re.search(r"(20\d{2})年\d{1,2}月\d{1,2}日\s*(印发|发布|起施行)", text) or re.search(
        r"(20\d{2})年\d{1,2}月(?:\d{1,2}日)?(?:召开|举行)的", text
    )  # 2025年12月召开的…会议明确，明年…
    if issued:
        return int(issued[1])
    for line in lines[:4] + lines[-3:]:
        dated = re.fullmatch(r"[(（]?\s*(?:\S{0,16}\s)?(20\d{2})年\d{1,2}月(?:\d{1,2}日)?(?:在.*会议上)?[)）]?", line)
        number = re.search(r"〔(20\d{2})〕\d+号", line)
        if dated or number:
            return int((dated or number)[1])
    title_years = re.findall(r"(20\d{2})年", lines[0]) if lines else []
    if len(title_years) == 1 and not re.search(r"\d{4}\s*[—–-]\s*\d{4}", lines[0]):
        return int(title_years[0])
    return None


class Timeline:
    """A document's years: its span (``base_year``, ``target_year``), the year it was written (``today``)
    and the first target year its sentences state; what year a sentence's target is for, and whether a
    sentence speaks of the past (rule 6). The line drawn: a target is what the plan *will* reach (a future
    year, a future word, a year inside the plan's span or from the document's date on); what *has* been
    reached is a year before those, 截至/已达/以来, or a plan period already over, and a 截至…/…期间 at
    the start of a sentence covers all of it, past its ``；``."""

    def __init__(self, text: str, first_target_year: int | None = None):
        self.base_year, self.target_year = document_years(text)
        self.today = document_date(text)
        self.first_target_year = first_target_year

    @property
    def first_future_year(self) -> int | None:
        """The first year a bare year can be a target for: after the span's base year, else the document's
        own year, else the first target year stated."""
        if self.base_year is not None:
            return self.base_year + 1
        return self.today if self.today is not None else self.first_target_year

    def year_of(self, sentence: str) -> int | None:
        """The target year a sentence states (到2025年, 2024年力争, 到“十四五”末, 今年/明年 against the
        document's date, 规划期内 → the span's end, a plan period still to come → its last year), or None."""
        stated = sentence_year(sentence)
        if stated is not None:
            return stated
        leading = re.match(r"\s*(20\d{2})\s*年(?:度|底|末)?", sentence)  # 2026年新增…: a year inside the plan
        if leading and self.first_future_year is not None and int(leading[1]) >= self.first_future_year:
            return int(leading[1])
        if self.today is not None:
            for word, ahead in RELATIVE_YEARS.items():
                if word in sentence:
                    return self.today + ahead
        if PLAN_TERM.search(sentence) and self.target_year is not None:
            return self.target_year
        for mention in PERIOD_MENTION.finditer(sentence):
            if mention[2] in ("期间", "时期", None, "末", "期末") and self._period_to_come(mention[1]):
                return PLAN_PERIODS[mention[1]]
        return None

    def _period_to_come(self, period: str) -> bool:
        """A plan period still to come, and not one ending inside the document's own span (“十四五”时期 in
        a 2023—2027 plan is context; the span's years decide)."""
        end = PLAN_PERIODS[period]
        if self.target_year is not None and end < self.target_year:
            return False
        horizon = self.today + 1 if self.today is not None else self.first_target_year
        return horizon is not None and end >= horizon

    def is_past(self, sentence: str) -> bool:
        """Whether ``sentence`` states what was done (see the class)."""
        if self.year_of(sentence) is not None or FUTURE_WORDS.search(sentence):
            return False
        if re.search(r"截至|截止|以来|去年|上年|同比|已达|已有|已建|已经|已累计|过去|现有|共有|共建有", sentence):
            return True
        if any(m[2] in ("期间", "时期") for m in PERIOD_MENTION.finditer(sentence)):
            return True  # a period not to come (a period to come gave a year above)
        years = [int(y) for y in re.findall(r"(20\d{2})\s*年", sentence)]
        years += [PLAN_PERIODS[m[1]] for m in PERIOD_MENTION.finditer(sentence)]
        if not years:
            return False
        if self.base_year is not None or self.today is not None:  # the document says when "now" is
            return max(years) < self.first_future_year
        return bool(  # no date: a year before the first target, stated without a target word
            self.first_target_year
            and max(years) < self.first_target_year
            and not re.search(r"达到|突破|超过|不少于|不低于|以上", sentence)
        )

    @staticmethod
    def opens_past_scope(past_sentence: str) -> bool:
        """Whether a past sentence's marker stands at its start (截至…, “十四五”期间…): what follows its ``；``
        in the same sentence is past too, unless it says a year or a future word of its own."""
        return bool(PAST_SCOPE.search(past_sentence))


def sentence_year(sentence: str) -> int | None:
    """The target year a sentence states in figures or a plan period's end (rule 6), or None; see
    :meth:`Timeline.year_of` for the years said relative to the document."""
    period_end = re.search(r"(?:到|至)\s*[“\"]?(十三五|十四五|十五五)[”\"]?(?:末|期末|时期末)", sentence)
    if period_end:
        return PLAN_PERIODS[period_end[1]]
    for pattern in FUTURE_YEAR:
        match = pattern.search(sentence)
        if match:
            return int(match[1])
    return None
