"""Read the targets straight from a plan's text: a draft of ``plan_targets.csv`` for a person to review.

Rules over the phrasing of the genre: Chinese plans, action plans, work points, news summaries and Q&As
that state S&T targets (no network, no model). Tested on the seed (31 of 31) and on the project's own
corpus of the genre (``tests/fixtures/extract_corpus``, scored by its ``score.py``).

1. **Text repair.** Lines are joined where a PDF extraction broke them (a line that does not end a
   sentence continues on the next non-blank line, unless that one starts a numbered clause); page
   numbers (``- 3 -``) are dropped; full-width forms are folded (NFKC).
2. **Anywhere in the text.** Every sentence is read, with or without headings. Clauses follow the
   document's own numbering when it has one (``一、`` → ``(一)`` → ``1.``, written ``二(三)6``), else the
   paragraph (``第3段``). The annex (附件 晾晒表) is read separately into its own grid.
3. **Quantities**: a number (Arabic or Chinese, with 万/亿) and a unit (%, 家, 项, 个, 人, 人年, 名, 件,
   亿元, 位 for a rank…), or no unit after 达到/超过/突破 (an index). Not targets: eligibility conditions
   (``高于5%的企业``), policy amounts (``给予20万元奖励``), counts of the document's own measures
   (``18项措施``, ``共12条``), and past statements (``截至``, ``已达``, ``比上年``, ``期间``).
4. **Comparator** in its own words: 以上/不少于/不低于/力争 → ``>=``; 超过/超/突破/高于 → ``>``;
   以内/不超过/以下/控制在 → ``<=``; 低于 → ``<``; 左右/约 → ``≈``; a rank (前40位) → ``<=`` (lower is
   better); otherwise ``=`` ("reach the stated figure").
5. **Subject**: the words before the number within its comma clause, without leading verbs (建成, 培育,
   新增…); a clause with none (``…增加一倍，达到1.2%``) takes the previous clause's subject;
   ``A和B…分别超过x和y`` gives two rows, the shared noun given to both.
6. **Target year** from the sentence (``到2025年``, ``2024年力争``, ``2024年度…目标``), carried to the next
   sentences of the paragraph, else the document's span (``2023—2027年``) or plan period (十四五 → 2025).
7. **Milestones**: ``…零突破`` / ``…破零`` / ``…零的突破`` (one row per 、-separated subject, target 1),
   ``实现新突破`` (flagged for review), ``“全覆盖”`` / ``“全清零”`` (100 %).
8. **Indicator tables** (指标 | 单位 | 基期值 | 目标值, tab- or space-aligned as PDF-to-text leaves them):
   one row per indicator, with its base value.
9. **Basis**: ``年均增长`` → annual_growth; a flow verb (新增, 引进, 落地, 新建, 实施, 培育, 引育) →
   new_since_base; ``累计数`` or a count reached → cumulative; %, 比重 and amounts → level. A guess is
   kept and flagged (``review``), never dropped. Every row has a ``confidence`` and a ``review`` note
   naming the rule that guessed.
10. **Duplicates**: a target stated in two clauses (same value, unit and basis, similar subject) is one
   row citing both, quotes joined by `` | ``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from kpi.errors import InputError

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
HEADING_1 = re.compile(r"^([一二三四五六七八九十]+)、")
HEADING_2 = re.compile(r"^\(([一二三四五六七八九十]+)\)")
HEADING_3 = re.compile(r"^(\d+)[.、](?!\d)|^\((\d+)\)")  # 1. or (1)
SENTENCE_END = tuple("。；！？：:;")
COLUMNS = [
    "indicator_id",
    "name_zh",
    "name_en",
    "unit",
    "target_value",
    "comparator",
    "basis",
    "base_year",
    "target_year",
    "clause",
    "responsible_units",
    "quote",
]
EXTRA_COLUMNS = ["base_value", "confidence", "review"]


class NothingFound(ValueError):
    """No target in the text; the message says the likely reason."""


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


def read_text(path: Path) -> str:
    path = Path(path)
    if not path.exists():
        raise InputError("文件不存在 / file not found", file=path, fix="检查路径")
    if path.suffix.lower() == ".docx":
        try:
            import docx  # python-docx, optional
        except ImportError:
            raise InputError(
                "读取 .docx 需要 python-docx / .docx needs python-docx",
                file=path,
                fix="pip install python-docx，或另存为 .txt（UTF-8）",
            ) from None
        return "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError("无法识别的文本编码 / unknown encoding", file=path, fix="另存为 UTF-8 文本")


def repair_lines(text: str) -> list[str]:
    """Join lines broken by PDF extraction; drop page numbers; NFKC."""
    raw = [
        unicodedata.normalize("NFKC", line).strip(" ")
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    raw = [line for line in raw if not re.fullmatch(r"[-—–\s]*\d+[-—–\s]*", line) or not line]
    lines: list[str] = []
    for line in raw:
        if not line:
            continue
        table_like = "\t" in line or bool(re.search(r"\S {2,}\S", line))  # a table row, aligned by tabs or spaces
        starts_clause = bool(HEADING_1.match(line) or HEADING_2.match(line) or HEADING_3.match(line) or table_like)
        if (
            lines
            and not starts_clause
            and not lines[-1].endswith(SENTENCE_END)
            and "\t" not in lines[-1]
            and not re.search(r"\S {2,}\S", lines[-1])
            and not HEADING_1.match(lines[-1])
            and len(lines[-1]) > 2
        ):
            joiner = (
                ""
                if re.search(r"[\u4e00-\u9fff\"”“、,，(（]$", lines[-1]) or re.match(r"^[\u4e00-\u9fff)）]", line)
                else " "
            )
            lines[-1] = lines[-1] + joiner + line
        else:
            lines.append(line)
    return lines


@dataclass
class Target:
    name_zh: str
    unit: str
    target_value: float
    comparator: str
    basis: str
    clause: str
    quote: str
    confidence: float
    review: list[str] = field(default_factory=list)
    responsible_units: str = ""
    target_year: int | None = None
    base_value: float | None = None


def _clean_subject(subject: str) -> str:
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


def _basis(clause_text: str, subject: str, unit: str, inherited: str | None) -> tuple[str, bool]:
    """(basis, guessed)"""
    if "年均增长" in clause_text or "年均增速" in clause_text:
        return "annual_growth", False
    if inherited and clause_text.startswith("其中"):  # 其中高端外籍人才 10 人: part of the previous target
        return inherited, False
    if "累计数" in clause_text:
        return "cumulative", False
    if any(verb in clause_text for verb in FLOW_VERBS):
        return "new_since_base", False
    if unit == "%" or "比重" in clause_text or unit in ("亿元", "万元"):
        return "level", False
    return "cumulative", True


def _comparator(comma_clause: str, match: re.Match, group_word: str | None) -> str:
    """The comparator in the text's own words around the number (rule 4)."""
    suffix = match["above"] or ""
    before = comma_clause[max(0, match.start() - 5) : match.start()]
    if match.re is RANK or match.groupdict().get("unit") in ("位", "名") and re.search(r"前$", before):
        return "<="
    if suffix in ("以上", "及以上", "或以上"):
        return ">="
    if suffix == "左右" or before.endswith("约"):
        return "≈"
    if suffix in ("以内", "以下", "及以下") or re.search(r"(不超过|不高于|不多于|控制在)$", before):
        return "<="
    if re.search(r"(不少于|不低于|至少|≥)$", before):
        return ">="
    if re.search(r"(突破|超过|高于|大于|超)$", before):
        return ">"
    if re.search(r"低于$", before):
        return "<"
    if group_word:
        return group_word
    if re.search(r"力争|确保", comma_clause[: match.start()]):
        return ">="
    return "="


def _not_a_target(comma_clause: str, match: re.Match) -> str | None:
    """Why a quantity is not a target (rule 3), or None."""
    before = comma_clause[max(0, match.start() - 4) : match.start()]
    after = comma_clause[match.end() : match.end() + 6]
    if (
        re.search(r"(?<!不)(高于|低于)$|第$", before)
        or re.search(r"(?<!控制|保持|稳定|维持)在$", before)
        or after[:1] in ("的", "且")
    ):
        return "an eligibility condition or an ordinal"
    if re.search(r"(由|从)(20\d{2}年(底|末)?的?)?$", comma_clause[max(0, match.start() - 9) : match.start()]):
        return "a base value (由…提高到…)"
    if re.search(r"给予$|按$", before) or after.startswith(POLICY_WORDS) or "给予" in after[:4]:
        return "a policy amount"
    unit = match.groupdict().get("unit")
    if unit in ("项", "个", "条", "方面") and (after.startswith(STRUCTURAL_NOUNS) or re.search(r"共(有|计)?$", before)):
        return "a count of the document's own measures"
    return None


def _split_respectively(subject: str) -> list[str]:
    """``国家级和省级科技企业孵化器数量`` → the two subjects, the shared noun given to the first."""
    head = re.sub(r"(累计数)?分别.*$", "", subject)
    parts = [_clean_subject(p) for p in re.split(r"和|及|、", head)]
    parts = [p for p in parts if p]
    if len(parts) >= 2 and len(re.sub(r"^全[区县市省]", "", parts[0])) <= 4:
        modifier = re.match(r"^(国家级|省级|市级|县级|区级|国家|省|市|县)", parts[-1])
        if modifier:
            parts[0] = parts[0] + parts[-1][len(modifier[1]) :]
    return parts


def _subject_of(comma_clauses: list[str], index: int) -> str:
    """The subject a clause with none takes: the nearest previous clause's words before its change or
    figure (较/比/增加/提高/翻/年均/增长/达到/a digit) (rule 5)."""
    for previous in reversed(comma_clauses[:index]):
        subject = _clean_subject(re.split(r"较|比|增加|提高|翻|年均|增长|达到|由|\d", previous)[0])
        if len(subject) >= 2:
            return subject
    return ""


def _targets_in_sentence(sentence: str, clause: str) -> list[Target]:
    targets: list[Target] = []
    comma_clauses = re.split(r",(?!\d{3}(?:\D|$))|，", sentence)  # not inside 1,500
    for clause_index, comma_clause in enumerate(comma_clauses):
        if not comma_clause:
            continue
        if re.search(r"比上年|较上年|同比|比去年", comma_clause):
            continue  # a change on last year: a statement of the past
        targets.extend(_milestones(comma_clause, clause))
        quantities = [m for m in QUANTITY.finditer(comma_clause)]
        if not quantities:
            quantities = [m for m in RANK.finditer(comma_clause)] or [m for m in UNITLESS.finditer(comma_clause)]
        respectively = re.search(r"分别(达到|超过|突破|不少于|为)?", comma_clause)
        group_word = None
        if respectively:
            group_word = {"超过": ">", "突破": ">", "不少于": ">="}.get(respectively[1] or "")
            if any(q["above"] in ("以上", "及以上") for q in quantities):
                group_word = ">="  # 分别达到400家和1000家以上
        subjects_pending: list[str] = []
        for index, match in enumerate(quantities):
            if _not_a_target(comma_clause, match):
                continue
            if (
                not re.match(r"\d", match["number"])
                and not match["above"]
                and not re.search(r"(达到|新增|实现|引进|突破)$", comma_clause[: match.start()])
                and not re.search(
                    r"(?:^|[:：])(全年|每年|力争)?(新增|引进|新建|新认定|培育|组织实施)", comma_clause.strip()
                )
            ):
                continue  # 两大、五个层级: descriptive Chinese numerals
            previous_end = quantities[index - 1].end() if index else 0
            subject_text = comma_clause[previous_end : match.start()]  # 、-items without a number belong to the subject
            review = []
            if respectively and index and subject_text.strip() in ("和", "及", "、"):
                subject = subjects_pending.pop(0) if subjects_pending else ""
            else:
                subject = _clean_subject(subject_text)
                if subject in TRAILING_WORDS or not subject:  # 研发投入强度由2.45%提高到3.4%
                    base_phrase = re.search(r"^(.*?)(由|从)", comma_clause[: match.start()])
                    subject = _clean_subject(base_phrase[1]) if base_phrase else ""
                if not subject:  # 培育发展9个区域特色创新领域: the noun follows the measure word
                    subject = _clean_subject(re.split(r"[、和及]", comma_clause[match.end() :])[0])
                if not subject:
                    subject = _subject_of(comma_clauses, clause_index)
                    if subject:
                        review.append("subject carried from the previous clause")
                if subject in ("年均增长", "增长", "年均增速") and targets:  # 技术合同成交额…，年均增长12%
                    subject = targets[-1].name_zh + subject
                if respectively:
                    parts = _split_respectively(subject)
                    subject, subjects_pending = (parts[0], parts[1:]) if parts else (subject, [])
            multiplier = {"万": 1e4, "亿": 1e8, None: 1}[match.groupdict().get("mult")]
            value = chinese_number(match["number"]) * multiplier
            comparator = _comparator(comma_clause, match, group_word if respectively else None)
            unit = match.groupdict().get("unit") or ""
            if match.re is RANK or (unit == "名" and comma_clause[: match.start()].endswith("前")):
                unit = "位"  # a rank: 前10名, 进入全省前10
            if unit == "位":  # 科技创新指数位居全市前3名 → 科技创新指数
                subject = re.sub(r"(进入|跻身|位居|位列|保持|跃居|稳居|排名).*$", "", subject) or subject
            if subject.startswith("占") and clause_index:  # …年均增长12%，占GDP比重达到2.5%
                subject = _subject_of(comma_clauses, clause_index) + subject
            if re.fullmatch(r"国家级|省级以上|省级|市级|县级|国家", subject) and targets:  # 其中国家级1家
                subject += re.sub(r"^(国家级|省级以上|省级|市级|县级)", "", targets[-1].name_zh)
            inherited = targets[-1].basis if targets else None
            basis, guessed = _basis(comma_clause, comma_clause.strip(), unit, inherited)
            confidence = 0.9
            if guessed:
                review.append("basis guessed")
                confidence -= 0.2
            if not subject or len(subject) < 2:
                review.append("no subject found")
                confidence -= 0.3
            if comparator == "=":
                confidence -= 0.1
            if unit == "位":
                review.append("a rank: lower is better")
            if not unit:
                review.append("no unit: read as an index")
                confidence -= 0.1
            targets.append(
                Target(
                    subject, unit, value, comparator, basis, clause, comma_clause.strip(), round(confidence, 2), review
                )
            )
    return targets


def _milestones(text: str, clause: str) -> list[Target]:
    found = []
    for match in re.finditer(r"(?:力争)?实现(?P<subject>[^,，。；]*?)(?:零突破|零的突破|破零)", text):
        for subject in re.split(r"、|和", match["subject"]):
            subject = _clean_subject(subject)
            if subject:
                found.append(Target(f"{subject}（零突破）", "项", 1.0, ">=", "milestone", clause, text.strip(), 0.9))
    match = re.search(r"(?P<subject>[^,，。；]*?)实现新突破", text)
    if match and _clean_subject(match["subject"]):
        found.append(
            Target(
                f"{_clean_subject(match['subject'])}（新突破）",
                "项",
                1.0,
                ">=",
                "milestone",
                clause,
                text.strip(),
                0.6,
                ["‘新突破’ read as a milestone"],
            )
        )
    for match in re.finditer(r"[“\"]?(?P<word>全覆盖|全清零)[”\"]?", text):
        head = re.split(r"[、,，]|实现", text[: match.start()])[-1]
        if len(head.strip('“"')) <= 3 and "实现" in text[: match.start()]:  # 孵化器实现县域全覆盖
            head = re.split(r"[、,，]", text[: match.start()].rsplit("实现", 1)[0])[-1] + head
        subject = _clean_subject(head)
        if subject:
            found.append(
                Target(
                    f"{subject}（{match['word']}）",
                    "%",
                    100.0,
                    "=",
                    "level",
                    clause,
                    text.strip(),
                    0.8,
                    ["coverage read as 100 %"],
                )
            )
    return found


def _similar(a: str, b: str) -> float:
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


TABLE_HEADER = re.compile(r"指标")
TABLE_SPLIT = re.compile(r"\t+|\s{2,}")


def _table_columns(header: list[str]) -> dict[str, int] | None:
    """Where name, unit, base and target sit in a 主要指标 table's header, or None."""
    columns: dict[str, int] = {}
    years = [(i, int(m[1])) for i, cell in enumerate(header) if (m := re.fullmatch(r"(20\d{2})年?(?:目标值?)?", cell))]
    for i, cell in enumerate(header):
        if re.search(r"指标(名称)?$", cell):
            columns.setdefault("name", i)
        elif cell == "单位":
            columns["unit"] = i
        elif re.search(r"基期|基数|现状", cell):
            columns["base"] = i
        elif re.search(r"目标", cell):
            columns["target"] = i
    if "target" not in columns and len(years) >= 1:
        columns["target"] = years[-1][0]
        if "base" not in columns and len(years) >= 2:
            columns["base"] = years[0][0]
    if years:
        columns["year"] = years[-1][1]
    return columns if {"name", "target"} <= set(columns) else None


def _indicator_table(lines: list[str], start: int, clause: str, year: int | None) -> tuple[list[Target], int]:
    """Rows of a 主要指标 table from its header line on; returns them and the index after the table."""
    header = [c.strip() for c in TABLE_SPLIT.split(lines[start].strip())]
    columns = _table_columns(header)
    if columns is None:
        return [], start
    rows: list[Target] = []
    index = start + 1
    while index < len(lines):
        cells = [c.strip() for c in TABLE_SPLIT.split(lines[index].strip())]
        if len(cells) < max(v for k, v in columns.items() if k != "year") + 1 - (
            0 if cells[0].isdigit() or "序号" not in header else 0
        ):
            break
        offset = len(cells) - len(header)  # a missing 序号 cell shifts the row left

        def cell(key):
            return cells[columns[key] + offset] if key in columns and 0 <= columns[key] + offset < len(cells) else ""

        target = re.fullmatch(r"[≥>≤<]?\s*(\d+(?:\.\d+)?)\s*(以上|左右|以内)?", cell("target"))
        if not target:
            break
        base = re.fullmatch(r"\d+(?:\.\d+)?", cell("base"))
        words = {"以上": ">=", "左右": "≈", "以内": "<="}
        name, unit = cell("name"), cell("unit").replace("％", "%")
        bracketed = re.fullmatch(r"(.+?)[(（]([^()（）]+)[)）]", name)
        if not unit and bracketed:  # 研发经费投入强度（%）: the unit in the name
            name, unit = bracketed[1], bracketed[2]
        rows.append(
            Target(
                name,
                unit,
                float(target[1]),
                words.get(target[2] or "", "="),
                _basis(name, name, unit, None)[0],
                clause,
                lines[index].strip(),
                0.85,
                ["from an indicator table"],
                target_year=columns.get("year", year),
                base_value=float(base[0]) if base else None,
            )
        )
        index += 1
    return rows, index


def extract(text: str) -> tuple[pd.DataFrame, list[list[str]]]:
    """The draft targets (columns of plan_targets.csv plus ``base_value``, ``confidence`` and ``review``)
    and the annex grid (title row and tab-separated rows), from a plan's text."""
    lines = repair_lines(text)
    _, document_year = document_years(text)
    level1 = level2 = level3 = ""
    targets: list[Target] = []
    annex: list[list[str]] = []
    in_annex = False
    paragraph = 0
    index = 0
    year = None  # the target year in force: carried from sentence to sentence until another is stated
    stated = [y for line in lines for y in [sentence_year(part) for part in re.split(r"[。；;]", line)] if y]
    first_target_year = min(stated) if stated else None
    while index < len(lines):
        line = lines[index]
        index += 1
        if re.match(r"^附件[:：]?", line) or (in_annex is False and "晾晒表" in line and re.match(r"^\d{4}年", line)):
            in_annex = True
        if in_annex:
            if "\t" in line:
                annex.append(line.split("\t"))
            elif (title := re.search(r"(\d{4}年[^\t]*?晾晒表)", line)) and not annex:
                annex.append([title[1]])
            elif annex and len(annex) > 1 and annex[-1] != []:
                annex.append([])  # a blank row between the blocks
            continue
        paragraph += 1
        if TABLE_HEADER.search(line) and len(TABLE_SPLIT.split(line.strip())) >= 3:
            rows, after = _indicator_table(lines, index - 1, f"第{paragraph}段", document_year)
            if rows:
                targets.extend(rows)
                index = after
                continue
        if match := HEADING_1.match(line):
            level1, level2, level3 = match[1], "", ""
        elif match := HEADING_2.match(line):
            level2, level3 = match[1], ""
        elif match := HEADING_3.match(line):
            level3 = match[1] or f"({match[2]})"
        clause = (
            level1 + (f"({level2})" if level2 else "") + level3
            if level1
            else (f"{level3}" if level3 else f"第{paragraph}段")
        )
        units = re.search(r"[(（]责任单位[:：](?P<units>[^)）]*)[)）]", line)
        body = re.sub(r"[(（]责任单位[:：][^)）]*[)）]", "", line)
        body = HEADING_3.sub("", HEADING_2.sub("", HEADING_1.sub("", body)))
        for sentence in re.split(r"[。；;！？!?]", body):
            year = sentence_year(sentence) or year
            if is_past(sentence, first_target_year):
                continue
            bare = BARE_YEAR.search(sentence)
            year = int(bare[1]) if bare and not sentence_year(sentence) else year
            found = _targets_in_sentence(sentence, clause)
            for target in found:
                target.responsible_units = re.sub(r"\s+", "", units["units"]) if units else ""
                target.target_year = year or document_year
            targets.extend(found)
    width = max((len(row) for row in annex), default=0)
    return _merge(targets), [row + [""] * (width - len(row)) for row in annex]


def why_nothing(text: str) -> str:
    """The likely reason a text gave no target, for the message on stderr."""
    lines = repair_lines(text)
    body = "".join(lines)
    if len(body) < 10:
        return "文本为空或几乎为空 / the text is (almost) empty: 检查文件是否为图片扫描件（需先做文字识别）"
    sentences = [s for line in lines for s in re.split(r"[。；;！？!?]", line)]
    with_quantity = [s for s in sentences if QUANTITY.search(s) or UNITLESS.search(s)]
    if not with_quantity:
        return (
            "文中没有“数字+单位”的量化表述 / no number with a unit (%, 家, 项, 亿元…) in the text: "
            "可能只有定性目标，或单位不在已知范围内"
        )
    stated = [y for s in sentences if (y := sentence_year(s))]
    past = [s for s in with_quantity if is_past(s, min(stated) if stated else None)]
    if len(past) == len(with_quantity):
        return (
            f"文中的 {len(past)} 处量化表述都是已完成情况（截至、已达、比上年…）/ every figure states the past, "
            "not a target"
        )
    return (
        "文中的数字都是条件、政策金额或文件自身的条目数（如“高于5%的企业”“给予20万元奖励”“18项措施”）"
        " / the figures are conditions, policy amounts or counts of the document's own measures"
    )


def _merge(targets: list[Target]) -> pd.DataFrame:
    merged: list[Target] = []
    for target in targets:
        twin = next(
            (
                m
                for m in merged
                if m.target_value == target.target_value
                and m.unit == target.unit
                and m.basis == target.basis
                and m.clause != target.clause
                and m.target_year == target.target_year
                and _similar(m.name_zh, target.name_zh) >= 0.5
            ),
            None,
        )
        if twin is None:
            merged.append(target)
        elif target.clause not in twin.clause.split("; "):
            twin.clause += f"; {target.clause}"
            twin.quote += f" | {target.quote}"
            twin.confidence = max(twin.confidence, target.confidence)
            twin.responsible_units = twin.responsible_units or target.responsible_units
    rows = []
    for number, t in enumerate(merged, start=1):
        rows.append(
            {
                "indicator_id": f"target_{number:02d}",
                "name_zh": t.name_zh,
                "name_en": "",
                "unit": t.unit,
                "target_value": t.target_value,
                "comparator": t.comparator,
                "basis": t.basis,
                "base_year": "",
                "target_year": t.target_year if t.target_year is not None else "",
                "clause": t.clause,
                "responsible_units": t.responsible_units,
                "quote": t.quote,
                "base_value": t.base_value,
                "confidence": t.confidence,
                "review": "; ".join(t.review),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS + EXTRA_COLUMNS)


def fill_years(draft: pd.DataFrame, text: str) -> pd.DataFrame:
    """The base year from the document's span (``2023—2027年`` → 2022) or plan period; a row without a
    target year of its own takes the span's end."""
    base_year, target_year = document_years(text)
    draft = draft.copy()
    if base_year is not None:
        draft["base_year"] = base_year
    if target_year is not None:
        draft["target_year"] = draft["target_year"].replace("", target_year)
    return draft


def compare(draft: pd.DataFrame, reference: pd.DataFrame) -> dict:
    """Recall and precision of a draft against a reviewed ``plan_targets.csv``: a draft row matches a
    reference row with the same value and an overlapping clause, one to one, closest names first."""
    pairs = []
    for i, d in draft.iterrows():
        for j, r in reference.iterrows():
            same_clause = set(str(d["clause"]).split("; ")) & set(str(r["clause"]).split("; "))
            if float(d["target_value"]) == float(r["target_value"]) and same_clause:
                pairs.append((_similar(str(d["name_zh"]), str(r["name_zh"])), i, j))
    used_d, used_r, matches = set(), set(), []
    for score, i, j in sorted(pairs, reverse=True):
        if i not in used_d and j not in used_r:
            used_d.add(i), used_r.add(j)
            matches.append((i, j))
    basis_right = sum(draft.loc[i, "basis"] == reference.loc[j, "basis"] for i, j in matches)
    return {
        "reference": len(reference),
        "draft": len(draft),
        "matched": len(matches),
        "recall": len(matches) / max(1, len(reference)),
        "precision": len(matches) / max(1, len(draft)),
        "basis_agreement": basis_right / max(1, len(matches)),
        "missed": reference.loc[sorted(set(reference.index) - used_r), "indicator_id"].tolist(),
        "extra": draft.loc[sorted(set(draft.index) - used_d), "name_zh"].tolist(),
    }


def annex_csv(grid: list[list[str]]) -> str:
    from kpi.atomic import safe_cell

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[safe_cell(cell) for cell in row] for row in grid])
    return buffer.getvalue()
