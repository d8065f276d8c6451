"""The words of the genre that :mod:`kpi.extract` reads: units, numbers (Arabic and Chinese), the
verbs and nouns around a target, and how a sentence says its year or that it speaks of the past."""

from __future__ import annotations

import re
import unicodedata

UNITS = (
    "个百分点",
    "人年",
    "人次",
    "个月",
    "亿元",
    "万元",
    "%",
    "家",
    "项",
    "个",
    "人",
    "名",
    "套",
    "件",
    "位",
    "所",
    "座",
    "条",
    "平方米",
)


CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


CN_UNITS = {"十": 10, "百": 100, "千": 1000}


NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"


QUANTITY = re.compile(
    rf"(?P<number>{NUMBER})\s*(?P<mult>万|亿(?!元))?\s*(?P<unit>{'|'.join(map(re.escape, UNITS))})"
    r"\s*(?P<above>及以上|或以上|以上|左右|以内|及以下|以下)?"
)


UNITLESS = re.compile(r"(?:达到|超过|突破|提高到|提升到)(?P<number>\d+(?:\.\d+)?)(?P<above>以上|左右)?(?=[,，。；;]|$)")


RANK = re.compile(
    r"(?:进入|跻身|位居|位列|保持|跃居|稳居|排名)[^,，。；]{0,8}?前(?P<number>\d+)(?P<unit>位|名|强)?(?P<above>)"
)


FLOW_VERBS = ("新增", "引进", "落地", "新建", "实施", "培育", "引育", "累计引进", "建成", "招引")


LEADING_WORDS = (
    "全县",  # the area the whole plan is about: 全区研发投入强度 is 研发投入强度
    "全区",
    "全市",
    "力争",
    "争取",
    "确保",
    "实现",
    "累计引进",
    "引进落地",
    "引进培育",
    "引进",
    "落地",
    "新增",
    "新建",
    "实施",
    "培育发展",
    "培育",
    "发展",
    "建设",
    "建成",
    "打造",
    "引育",
    "其中",
    "达到",
    "累计",
    "和",
    "及",
    "集聚",
    "新认定",
    "认定",
    "净增",
    "计划",
    "保持",
    "每年",
    "今后三年",
    "主要目标是",
    "主要目标",
    "目标是",
)


PAST = re.compile(r"截至|截止|期间|以来|去年|上年|同比|已达|已有|已建|已经|已累计|过去|现有|共有|共建有")


BARE_YEAR = re.compile(r"(?:^|目标[:：]?)\s*(20\d{2})\s*年(?:底|末)?[,，]")  # 主要目标：2025年，…


FUTURE_YEAR = (
    re.compile(r"(?<!截)(?<!截止)(?:到|至|力争到|争取到|预计到)\s*(20\d{2})\s*年"),
    re.compile(r"(20\d{2})\s*年(?:底|末)?前"),
    re.compile(r"(20\d{2})\s*年\s*(?:力争|确保|争取|计划|将)"),
    re.compile(r"(20\d{2})\s*年(?:度)?[^，。；]{0,12}?(?:目标|任务|要点)"),
)


PLAN_PERIODS = {"十三五": 2020, "十四五": 2025, "十五五": 2030}


STRUCTURAL_NOUNS = ("措施", "目标", "任务", "举措", "方面", "政策", "意见", "部分", "问题", "条措施")


POLICY_WORDS = ("奖励", "补助", "补贴", "资助", "扶持")


TRAILING_WORDS = (
    "分别达到",
    "累计达到",
    "力争达到",
    "达到",
    "达",
    "提升至",
    "提升到",
    "提高到",
    "提高至",
    "增至",
    "增长到",
    "增加到",
    "将",
    "提高",
    "提升",
    "为",
    "在",
    "共",
    "累计数",
    "超过",
    "突破",
    "不少于",
    "不低于",
    "超",
    "保持在",
    "控制在",
    "实现",
    "迈上",
    "跃居全省",
    "跃居",
)


SENTENCE_END = tuple("。；！？：:;")


def chinese_number(text: str) -> float:
    """``3`` / ``3.4`` / ``二十`` / ``一百五十`` → a number."""
    if re.fullmatch(r"[\d,]+(?:\.\d+)?", text):
        return float(text.replace(",", ""))
    total, current = 0, 0
    for char in text:
        if char in CN_DIGITS:
            current = CN_DIGITS[char]
        elif char in CN_UNITS:
            total += (current or 1) * CN_UNITS[char]
            current = 0
    return float(total + current)


def similar(a: str, b: str) -> float:
    """Bigram Jaccard similarity of two names (0–1): how duplicates stated in two clauses are found."""

    def grams(s):
        return {s[i : i + 2] for i in range(len(s) - 1)} or {s}

    ga, gb = grams(a), grams(b)
    return len(ga & gb) / max(1, len(ga | gb))


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


def sentence_year(sentence: str) -> int | None:
    """The target year a sentence states (rule 6), or None."""
    period_end = re.search(r"(?:到|至)\s*[“\"]?(十三五|十四五|十五五)[”\"]?(?:末|期末|时期末)", sentence)
    if period_end:
        return PLAN_PERIODS[period_end[1]]
    for pattern in FUTURE_YEAR:
        match = pattern.search(sentence)
        if match:
            return int(match[1])
    return None


def is_past(sentence: str, first_target_year: int | None = None) -> bool:
    """A statement of what was done, not a target: 截至…, 已达, …期间; or a year before the document's
    first target year, stated without a target word (``2023年…为18.6亿元`` beside ``2024年的目标…``)."""
    if sentence_year(sentence) is not None or re.search(r"力争|确保|将|目标", sentence):
        return False
    if PAST.search(sentence):
        return True
    years = [int(y) for y in re.findall(r"(20\d{2})\s*年", sentence)]
    years += [PLAN_PERIODS[m[1]] for m in PERIOD_MENTION.finditer(sentence)]
    return bool(
        first_target_year
        and years
        and max(years) < first_target_year
        and not re.search(r"达到|突破|超过|不少于|不低于|以上", sentence)
    )


def clean_subject(subject: str) -> str:
    """A target's name without the words around it: enumerations (一是, 首先), leading verbs (建成,
    培育…), trailing words (达到, 累计…), punctuation and a leading year (rule 5)."""
    subject = re.sub(r"\s+", "", subject)
    subject = re.sub(
        r"^[一二三四五六七八九十]+是|^第[一二三四五六七八九十]+[,，、]?|^(首先|其次|再次|最后)[,，]?", "", subject
    )
    subject = re.sub(r"^[,，、:：;；]+|[,，、]+$", "", subject)
    changed = True
    while changed:
        changed = False
        for word in LEADING_WORDS:
            if subject.startswith(word) and len(subject) > len(word):
                subject, changed = subject[len(word) :], True
        for word in TRAILING_WORDS:
            if subject.endswith(word) and len(subject) > len(word):
                subject, changed = subject[: -len(word)], True
    subject = subject.strip('" ')
    if subject.count("”") > subject.count("“"):
        subject = "“" + subject
    if subject in LEADING_WORDS:
        return ""
    return subject.strip("“”") if subject.startswith("“") and subject.endswith("”") else subject


def split_respectively(subject: str) -> list[str]:
    """``国家级和省级科技企业孵化器数量`` → the two subjects, the shared noun given to the first."""
    head = re.sub(r"(累计数)?分别.*$", "", subject)
    parts = [clean_subject(p) for p in re.split(r"和|及|、", head)]
    parts = [p for p in parts if p]
    if len(parts) >= 2 and len(re.sub(r"^全[区县市省]", "", parts[0])) <= 4:
        modifier = re.match(r"^(国家级|省级|市级|县级|区级|国家|省|市|县)", parts[-1])
        if modifier:
            parts[0] = parts[0] + parts[-1][len(modifier[1]) :]
    return parts


def subject_of(comma_clauses: list[str], index: int) -> str:
    """The subject a clause with none takes: the nearest previous clause's words before its change or
    figure (较/比/增加/提高/翻/年均/增长/达到/a digit) (rule 5)."""
    for previous in reversed(comma_clauses[:index]):
        subject = clean_subject(re.split(r"较|比|增加|提高|翻|年均|增长|达到|由|\d", previous)[0])
        if len(subject) >= 2:
            return subject
    return ""
