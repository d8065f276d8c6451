"""The words of the genre that :mod:`kpi.extract.targets` reads: units, numbers (Arabic and Chinese), the
verbs and nouns around a target, and what a drafted name may not be; the years are :mod:`kpi.extract.years`'s."""

from __future__ import annotations

import re

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
    "场",
    "平方米",
)


CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


CN_UNITS = {"十": 10, "百": 100, "千": 1000}


NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"


QUANTITY = re.compile(  # a range (2—3家, 3~5个) is read as its lower bound: upper keeps the other
    rf"(?P<number>{NUMBER})(?:\s*(?:[—–~-]|至)\s*(?P<upper>{NUMBER}))?\s*(?P<mult>万|亿(?!元))?"
    rf"\s*(?P<unit>{'|'.join(map(re.escape, UNITS))})(?!级)"  # 百亿元级企业: a size label, not an amount
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
    "全省",
    "今年",
    "明年",
    "后年",
    "全年",
    "年内",
    "要",
    "会议提出",
    "方案提出",
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
    "组织开展",
    "开展",
)


STRUCTURAL_NOUNS = (
    "措施", "目标", "任务", "举措", "方面", "政策", "意见", "部分", "问题", "条措施",
    "工程", "行动", "重点领域", "领域", "板块", "专项",
)  # fmt: skip
#: nouns before a count that make it the document's own structure (主要任务6项)
STRUCTURAL_BEFORE = re.compile(r"(任务|措施|举措|行动|工程|条款|方面)$")


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
    "要达到",
    "要",
    "保持",
    "控制",
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


def clean_subject(subject: str) -> str:
    """A target's name without the words around it: enumerations (一是, 首先), leading verbs (建成,
    培育…), trailing words (达到, 累计…), punctuation and a leading year (rule 5)."""
    subject = re.sub(r"\s+", "", subject)
    subject = re.split(r"[:：]", subject)[-1]  # 主要预期目标是：研发经费投入强度
    subject = re.sub(
        r"^[一二三四五六七八九十]+是|^第[一二三四五六七八九十]+[,，、]?|^(首先|其次|再次|最后)[,，]?", "", subject
    )
    subject = re.sub(r"^[,，、:：;；]+|[,，、]+$", "", subject)
    subject = re.sub(r"^.*?20\d{2}年(?:度|底|末)?(?:前)?[,，]?", "", subject)  # (该区计划到)2028年实现…
    ahead = re.match(r"^[^，,]{0,8}?将(?P<rest>.+)$", subject)  # 高新区将集聚…: the subject after the verb
    if ahead and ahead["rest"].startswith(LEADING_WORDS):
        subject = ahead["rest"]
    subject = re.sub(r"确保|力争|争取", "", subject)  # 成交额确保增长: the intent is the comparator's
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


#: what a drafted name may not end with: a digit, a dash, a function word or a verb left over
NAME_BAD_END = re.compile(
    r"(\d|[-—–~]|的|和|及|与|等|了|在|把|将|为|要|是|确保|力争|争取|保持|控制|达到|超过|突破|提高|提升)$"
)


def name_problem(name: str) -> str | None:
    """Why a drafted name is not the measured thing, or None: empty or one character, ending in a digit,
    a dash, a function word or a verb, carrying a year, a colon or an enumeration (一是)."""
    if len(name) < 2:
        return "too short"
    if NAME_BAD_END.search(name):
        return f"ends with “{NAME_BAD_END.search(name)[0]}”"
    if re.search(r"20\d{2}年|[:：]|^[一二三四五六七八九十]+是", name):
        return "carries a year, a colon or an enumeration"
    return None


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
