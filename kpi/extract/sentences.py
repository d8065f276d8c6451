"""The rules that find targets in one sentence (subject, quantity, comparator, basis, year) and the
"zero breakthrough" milestones; see the numbered rules in :mod:`kpi.extract.targets`'s docstring (indicator
tables: :mod:`kpi.extract.tables`; years: :mod:`kpi.extract.years`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kpi.core.parsing import comparator_words, intent_of
from kpi.extract.words import (
    FLOW_VERBS,
    POLICY_WORDS,
    QUANTITY,
    RANK,
    STRUCTURAL_BEFORE,
    STRUCTURAL_NOUNS,
    TRAILING_WORDS,
    UNITLESS,
    chinese_number,
    clean_subject,
    split_respectively,
    subject_of,
)


@dataclass
class Target:
    """One drafted target: its name, unit, value, comparator, basis, clause and quote, target year,
    responsible units, confidence and the review notes of the rules that guessed."""

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
    stretch: bool = False  # 力争/争取: a figure the plan hopes for (kpi.core.parsing.INTENT_WORDS)


def basis_of(clause_text: str, subject: str, unit: str, inherited: str | None) -> tuple[str, bool]:
    """(basis, guessed) of a target (rule 9): 年均增长 → annual_growth; 其中… → the target it belongs to; a
    rank or ratio → level; a flow verb → new_since_base; %, 比重 and amounts → level; else cumulative, guessed."""
    if "年均增长" in clause_text or "年均增速" in clause_text:
        return "annual_growth", False
    if inherited and clause_text.startswith("其中"):  # 其中高端外籍人才 10 人: part of the previous target
        return inherited, False
    if "累计数" in clause_text:
        return "cumulative", False
    if unit in ("位", "名") or re.search(r"位次|排名|每万人|万人|强度|占比|比重", subject + unit):
        return "level", False  # a rank or a ratio is a level at its year, never a stock
    if any(verb in clause_text for verb in FLOW_VERBS):
        return "new_since_base", False
    if unit == "%" or "比重" in clause_text or unit in ("亿元", "万元"):
        return "level", False
    return "cumulative", True


def _comparator(comma_clause: str, match: re.Match, group_word: str | None) -> str:
    """The comparator in the text's own words around the number (rule 4): the target grammar an annex
    cell is read by too (:func:`kpi.core.parsing.comparator_words`), and 左右/约 for "about"."""
    suffix = match["above"] or ""
    before = comma_clause[max(0, match.start() - 5) : match.start()]
    if match.re is RANK or match.groupdict().get("unit") in ("位", "名") and re.search(r"前$", before):
        return "<="
    if match.groupdict().get("upper"):
        return ">="  # a range: at least its lower bound (this project's reading; the upper one in review)
    if suffix == "左右" or before.endswith("约"):
        return "≈"
    said = comparator_words(before, suffix)
    if said:
        return said
    if group_word:
        return group_word
    return intent_of(comma_clause[: match.start()])[0] or "="


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
    if unit in ("项", "个", "条", "方面") and (
        after.startswith(STRUCTURAL_NOUNS) or re.search(r"共(有|计)?$", before) or STRUCTURAL_BEFORE.search(before)
    ):
        return "a count of the document's own measures"
    return None


def _quantities(comma_clause: str) -> list[re.Match]:
    """The quantities of a comma clause; without one, a rank (前10名) or a unit-less index (达到160)."""
    return (
        list(QUANTITY.finditer(comma_clause))
        or list(RANK.finditer(comma_clause))
        or list(UNITLESS.finditer(comma_clause))
    )


def _descriptive(comma_clause: str, match: re.Match) -> bool:
    """A Chinese numeral that counts parts of the text, not a target (两大、五个层级): no Arabic digits,
    no 以上, and no target verb before it or at the clause's start."""
    return (
        not re.match(r"\d", match["number"])
        and not match["above"]
        and not re.search(r"(达到|新增|实现|引进|突破)$", comma_clause[: match.start()])
        and not re.search(r"(?:^|[:：])(全年|每年|力争)?(新增|引进|新建|新认定|培育|组织实施)", comma_clause.strip())
    )


def _own_subject(comma_clauses: list[str], clause_index: int, subject_text: str, match: re.Match, review: list):
    """The subject of a quantity from its own words, else a 由…提高到 phrase, else the noun after a
    measure word, else the previous clause's subject (noted in ``review``)."""
    comma_clause = comma_clauses[clause_index]
    subject = clean_subject(subject_text)
    if subject in TRAILING_WORDS or not subject:  # 研发投入强度由2.45%提高到3.4%
        base_phrase = re.search(r"^(.*?)(由|从)", comma_clause[: match.start()])
        subject = clean_subject(base_phrase[1]) if base_phrase else ""
    if not subject:  # 培育发展9个区域特色创新领域: the noun follows the measure word
        subject = clean_subject(re.split(r"[、和及]", comma_clause[match.end() :])[0])
    if not subject:
        subject = subject_of(comma_clauses, clause_index)
        if subject:
            review.append("subject carried from the previous clause")
    return subject


def _unit_and_subject(comma_clauses, clause_index, match, subject: str, targets: list[Target]) -> tuple[str, str]:
    """The unit (位 for a rank) and the subject completed from its context: a rank's verb dropped, an
    占…比重 clause given the subject before it, 其中国家级 given the shared noun."""
    comma_clause = comma_clauses[clause_index]
    unit = match.groupdict().get("unit") or ""
    if match.re is RANK or (unit == "名" and comma_clause[: match.start()].endswith("前")):
        unit = "位"  # a rank: 前10名, 进入全省前10
    if unit == "位":  # 科技创新指数位居全市前3名 → 科技创新指数; 综合排名进入前15位 keeps 排名
        subject = re.sub(r"(进入|跻身|位居|位列|保持|跃居|稳居|(?<!综合)排名).*$", "", subject) or subject
    if subject.startswith("占") and clause_index:  # …年均增长12%，占GDP比重达到2.5%
        subject = subject_of(comma_clauses, clause_index) + subject
    if re.fullmatch(r"国家级|省级以上|省级|市级|县级|国家", subject) and targets:  # 其中国家级1家
        subject += re.sub(r"^(国家级|省级以上|省级|市级|县级)", "", targets[-1].name_zh)
    return unit, subject


def _confidence(subject: str, unit: str, comparator: str, guessed: bool, review: list) -> float:
    """0.9, less for each guess (basis, subject, comparator, unit), each guess noted in ``review``."""
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
    return round(confidence, 2)


def targets_in_sentence(sentence: str, clause: str) -> list[Target]:
    """Every target of one sentence (rules 3–6 and 9 of :mod:`kpi.extract.targets`), read comma clause by
    comma clause, a subject carried across them; ``clause`` is where the sentence stands."""
    targets: list[Target] = []
    comma_clauses = re.split(r",(?!\d{3}(?:\D|$))|，", sentence)  # not inside 1,500
    for clause_index, comma_clause in enumerate(comma_clauses):
        if not comma_clause or re.search(r"比上年|较上年|同比|比去年", comma_clause):
            continue  # a change on last year: a statement of the past
        targets.extend(milestones(comma_clause, clause))
        quantities = _quantities(comma_clause)
        respectively = re.search(r"分别(达到|超过|突破|不少于|为)?", comma_clause)
        group_word = None
        if respectively:
            group_word = {"超过": ">", "突破": ">", "不少于": ">="}.get(respectively[1] or "")
            if any(q["above"] in ("以上", "及以上") for q in quantities):
                group_word = ">="  # 分别达到400家和1000家以上
        subjects_pending: list[str] = []
        for index, match in enumerate(quantities):
            if _not_a_target(comma_clause, match) or _descriptive(comma_clause, match):
                continue
            previous_end = quantities[index - 1].end() if index else 0
            subject_text = comma_clause[previous_end : match.start()]  # 、-items without a number belong to the subject
            review: list[str] = []
            if respectively and index and subject_text.strip() in ("和", "及", "、"):
                subject = subjects_pending.pop(0) if subjects_pending else ""
            elif (
                index and targets and re.fullmatch(r"[、和及]?(确保|力争|争取)?(达到|超过|突破)?", subject_text.strip())
            ):
                subject = targets[-1].name_zh  # 确保达到2.9%、力争达到3%: the same measure, a second figure
            else:
                subject = _own_subject(comma_clauses, clause_index, subject_text, match, review)
                if subject in ("年均增长", "增长", "年均增速") and targets:  # 技术合同成交额…，年均增长12%
                    subject = targets[-1].name_zh + subject
                if respectively:
                    parts = split_respectively(subject)
                    subject, subjects_pending = (parts[0], parts[1:]) if parts else (subject, [])
            multiplier = {"万": 1e4, "亿": 1e8, None: 1}[match.groupdict().get("mult")]
            value = chinese_number(match["number"]) * multiplier
            comparator = _comparator(comma_clause, match, group_word if respectively else None)
            if match.groupdict().get("upper"):
                review.append(f"a range {match['number']}–{match['upper']}: read as at least {match['number']}")
            unit, subject = _unit_and_subject(comma_clauses, clause_index, match, subject, targets)
            inherited = targets[-1].basis if targets else None
            basis, guessed = basis_of(comma_clause, comma_clause.strip(), unit, inherited)
            confidence = _confidence(subject, unit, comparator, guessed, review)
            target = Target(subject, unit, value, comparator, basis, clause, comma_clause.strip(), confidence, review)
            target.stretch = intent_of(comma_clause[previous_end : match.start()] or comma_clause[: match.start()])[1]
            targets.append(target)
    return targets


def milestones(text: str, clause: str) -> list[Target]:
    """The "zero breakthrough" milestones of a text (rule 7): ``…零突破`` / ``破零`` / ``零的突破`` (one
    row per 、-separated subject, target 1), ``实现新突破`` (flagged), ``全覆盖`` / ``全清零`` (100 %)."""
    found = []
    for match in re.finditer(r"(?:力争)?实现(?P<subject>[^,，。；]*?)(?:零突破|零的突破|破零)", text):
        for subject in re.split(r"、|和", match["subject"]):
            subject = clean_subject(subject)
            if subject:
                found.append(Target(f"{subject}（零突破）", "项", 1.0, ">=", "milestone", clause, text.strip(), 0.9))
    match = re.search(r"(?P<subject>[^,，。；]*?)实现新突破", text)
    if match and clean_subject(match["subject"]):
        found.append(
            Target(
                f"{clean_subject(match['subject'])}（新突破）",
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
        subject = clean_subject(head)
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
