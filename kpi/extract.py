"""Read the targets straight from a plan's text: a draft of ``plan_targets.csv`` for a person to review.

Rules over the phrasing of Chinese county and city S&T plans (no network, no model):

1. **Text repair.** Lines are joined where a PDF extraction broke them (a line that does not end a
   sentence continues on the next non-blank line, unless that one starts a numbered clause); page
   numbers (``- 3 -``) are dropped; full-width forms are folded (NFKC).
2. **Clauses** follow the document's own numbering: ``一、`` → ``(一)`` → ``1.``, written as
   ``二(三)6``. Extraction stops at the annex (附件), whose tab-separated tables are read separately.
3. **Quantities**: a number (Arabic or Chinese, with 万/亿) followed by a unit (%, 家, 项, 个, 人, 人次,
   名, 套, 件, 亿元, 万元) and perhaps 以上. Eligibility conditions are not targets: a quantity after
   高于 / 低于 / 在, or directly followed by 的 / 且, is skipped.
4. **Milestones**: ``…零突破`` / ``…破零`` / ``…零的突破`` (one row per 、-separated subject, target 1),
   ``实现新突破`` (flagged for review), ``“全覆盖”`` / ``“全清零”`` (100 %).
5. **Subject**: the words before the number within its 、- or ，-separated item, without leading verbs;
   ``A和B…分别达到x和y`` is split; ``其中…`` inherits the previous target's basis.
6. **Basis**: ``年均增长`` → annual_growth; a flow verb in the clause (新增, 引进, 落地, 新建, 实施, 培育,
   引育, 累计引进) → new_since_base; ``累计数`` or a count reached (家) → cumulative; %, 比重 and amounts →
   level. A guess is kept and flagged (``review``), never dropped.
7. **Duplicates**: a target stated in two clauses (same value, unit and basis, similar subject) is one
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

UNITS = ("人次", "亿元", "万元", "%", "家", "项", "个", "人", "名", "套", "件")
CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
NUMBER = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
QUANTITY = re.compile(rf"(?P<number>{NUMBER})\s*(?P<mult>万|亿(?!元))?\s*(?P<unit>{'|'.join(map(re.escape, UNITS))})\s*(?P<above>及以上|以上)?")
FLOW_VERBS = ("新增", "引进", "落地", "新建", "实施", "培育", "引育", "累计引进", "建成", "招引")
LEADING_WORDS = ("到2027年", "力争", "争取", "确保", "实现", "累计引进", "引进落地", "引进", "落地", "新增", "新建", "实施",
                 "培育发展", "培育", "发展", "建设", "打造", "引育", "其中", "达到", "累计", "和", "及")
TRAILING_WORDS = ("分别达到", "累计达到", "达到", "为", "在", "共", "累计数", "超过")
HEADING_1 = re.compile(r"^([一二三四五六七八九十]+)、")
HEADING_2 = re.compile(r"^\(([一二三四五六七八九十]+)\)")
HEADING_3 = re.compile(r"^(\d+)[.、](?!\d)")
SENTENCE_END = tuple("。；！？：:;")
COLUMNS = ["indicator_id", "name_zh", "name_en", "unit", "target_value", "comparator", "basis", "base_year",
           "target_year", "clause", "responsible_units", "quote"]


def chinese_number(text: str) -> float:
    """``3`` / ``3.4`` / ``二十`` / ``一百五十`` → a number."""
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
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
            raise InputError("读取 .docx 需要 python-docx / .docx needs python-docx", file=path,
                             fix="pip install python-docx，或另存为 .txt（UTF-8）") from None
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
    raw = [unicodedata.normalize("NFKC", line).strip(" ") for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    raw = [line for line in raw if not re.fullmatch(r"[-—–\s]*\d+[-—–\s]*", line) or not line]
    lines: list[str] = []
    for line in raw:
        if not line:
            continue
        starts_clause = bool(HEADING_1.match(line) or HEADING_2.match(line) or HEADING_3.match(line) or "\t" in line)
        if lines and not starts_clause and not lines[-1].endswith(SENTENCE_END) and "\t" not in lines[-1] \
                and not HEADING_1.match(lines[-1]) and len(lines[-1]) > 2:
            joiner = "" if re.search(r"[\u4e00-\u9fff\"”“、,，(（]$", lines[-1]) or re.match(r"^[\u4e00-\u9fff)）]", line) else " "
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


def _clean_subject(subject: str) -> str:
    subject = re.sub(r"\s+", "", subject)
    subject = re.sub(r"^[,，、:：;；]+|[,，、]+$", "", subject)
    changed = True
    while changed:
        changed = False
        for word in LEADING_WORDS:
            if subject.startswith(word) and len(subject) > len(word):
                subject, changed = subject[len(word):], True
        for word in TRAILING_WORDS:
            if subject.endswith(word) and len(subject) > len(word):
                subject, changed = subject[: -len(word)], True
    subject = subject.strip("\" ")
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


def _targets_in_sentence(sentence: str, clause: str) -> list[Target]:
    targets: list[Target] = []
    for comma_clause in re.split(r"[,，]", sentence):
        if not comma_clause:
            continue
        targets.extend(_milestones(comma_clause, clause))
        quantities = [m for m in QUANTITY.finditer(comma_clause)]
        respectively = "分别" in comma_clause
        subjects_pending: list[str] = []
        for index, match in enumerate(quantities):
            before = comma_clause[max(0, match.start() - 3):match.start()]
            after = comma_clause[match.end():match.end() + 1]
            if re.search(r"(高于|低于|在|第)$", before) or after in ("的", "且"):
                continue  # an eligibility condition or an ordinal, not a target
            if not re.match(r"\d", match["number"]) and not match["above"] and not re.search(r"(达到|新增|实现|引进|突破)$", before):
                continue  # 两大、五个层级: descriptive Chinese numerals
            previous_end = quantities[index - 1].end() if index else 0
            subject_text = comma_clause[previous_end:match.start()]  # 、-items without a number belong to the subject
            if respectively and index and comma_clause[previous_end:match.start()].strip() in ("和", "及", "、"):
                subject = subjects_pending.pop(0) if subjects_pending else ""
            else:
                subject = _clean_subject(subject_text)
                if not subject:  # 培育发展9个区域特色创新领域: the noun follows the measure word
                    subject = _clean_subject(re.split(r"[、和及]", comma_clause[match.end():])[0])
                if subject in ("年均增长", "增长", "年均增速") and targets:  # 技术合同成交额…，年均增长12%
                    subject = targets[-1].name_zh + subject
                if respectively:
                    parts = [_clean_subject(p) for p in re.split(r"和|及|、", re.sub(r"(累计数)?分别达到.*$", "", subject))]
                    subject, subjects_pending = parts[0], parts[1:]
            value = chinese_number(match["number"]) * {"万": 1e4, "亿": 1e8, None: 1}[match["mult"]]
            group_above = respectively and any(q["above"] for q in quantities[index:])  # 分别达到400家和1000家以上
            comparator = ">=" if match["above"] or group_above or "不低于" in comma_clause[max(0, match.start() - 4):match.start()] else "="
            inherited = targets[-1].basis if targets else None
            basis, guessed = _basis(comma_clause, comma_clause.strip(), match["unit"], inherited)
            review = []
            confidence = 0.9
            if guessed:
                review.append("basis guessed")
                confidence -= 0.2
            if not subject or len(subject) < 2:
                review.append("no subject found")
                confidence -= 0.3
            if comparator == "=":
                confidence -= 0.1
            targets.append(Target(subject, match["unit"], value, comparator, basis, clause, comma_clause.strip(),
                                  round(confidence, 2), review))
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
        found.append(Target(f"{_clean_subject(match['subject'])}（新突破）", "项", 1.0, ">=", "milestone", clause,
                            text.strip(), 0.6, ["‘新突破’ read as a milestone"]))
    for match in re.finditer(r"[“\"](?P<word>全覆盖|全清零)[”\"]", text):
        head = re.split(r"[、,，]|实现", text[:match.start()])[-1]
        subject = _clean_subject(head)
        if subject:
            found.append(Target(f"{subject}（{match['word']}）", "%", 100.0, "=", "level", clause, text.strip(), 0.8,
                                ["coverage read as 100 %"]))
    return found


def _similar(a: str, b: str) -> float:
    grams = lambda s: {s[i:i + 2] for i in range(len(s) - 1)} or {s}
    ga, gb = grams(a), grams(b)
    return len(ga & gb) / max(1, len(ga | gb))


def extract(text: str) -> tuple[pd.DataFrame, list[list[str]]]:
    """The draft targets (columns of plan_targets.csv plus ``confidence`` and ``review``) and the annex
    grid (title row and tab-separated rows), from a plan's text."""
    lines = repair_lines(text)
    level1 = level2 = level3 = ""
    targets: list[Target] = []
    annex: list[list[str]] = []
    in_annex = False
    for line in lines:
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
        if (match := HEADING_1.match(line)):
            level1, level2, level3 = match[1], "", ""
        elif (match := HEADING_2.match(line)):
            level2, level3 = match[1], ""
        elif (match := HEADING_3.match(line)):
            level3 = match[1]
        if not level1:
            continue
        clause = level1 + (f"({level2})" if level2 else "") + level3
        units = re.search(r"[(（]责任单位[:：](?P<units>[^)）]*)[)）]", line)
        body = re.sub(r"[(（]责任单位[:：][^)）]*[)）]", "", line)
        body = HEADING_3.sub("", HEADING_2.sub("", HEADING_1.sub("", body)))
        for sentence in re.split(r"[。；;]", body):
            found = _targets_in_sentence(sentence, clause)
            for target in found:
                target.responsible_units = re.sub(r"\s+", "", units["units"]) if units else ""
            targets.extend(found)
    width = max((len(row) for row in annex), default=0)
    return _merge(targets), [row + [""] * (width - len(row)) for row in annex]


def _merge(targets: list[Target]) -> pd.DataFrame:
    merged: list[Target] = []
    for target in targets:
        twin = next((m for m in merged if m.target_value == target.target_value and m.unit == target.unit
                     and m.basis == target.basis and m.clause != target.clause
                     and _similar(m.name_zh, target.name_zh) >= 0.5), None)
        if twin is None:
            merged.append(target)
        elif target.clause not in twin.clause.split("; "):
            twin.clause += f"; {target.clause}"
            twin.quote += f" | {target.quote}"
            twin.confidence = max(twin.confidence, target.confidence)
            twin.responsible_units = twin.responsible_units or target.responsible_units
    rows = []
    for number, t in enumerate(merged, start=1):
        rows.append({"indicator_id": f"target_{number:02d}", "name_zh": t.name_zh, "name_en": "", "unit": t.unit,
                     "target_value": t.target_value, "comparator": t.comparator, "basis": t.basis, "base_year": "",
                     "target_year": "", "clause": t.clause, "responsible_units": t.responsible_units, "quote": t.quote,
                     "confidence": t.confidence, "review": "; ".join(t.review)})
    return pd.DataFrame(rows, columns=COLUMNS + ["confidence", "review"])


def fill_years(draft: pd.DataFrame, text: str) -> pd.DataFrame:
    """Base and target years from the title's span (``2023—2027年`` → 2022 and 2027)."""
    match = re.search(r"(20\d{2})\s*[—–-]\s*(20\d{2})\s*年", unicodedata.normalize("NFKC", text))
    if match:
        draft = draft.assign(base_year=int(match[1]) - 1, target_year=int(match[2]))
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
        "reference": len(reference), "draft": len(draft), "matched": len(matches),
        "recall": len(matches) / max(1, len(reference)), "precision": len(matches) / max(1, len(draft)),
        "basis_agreement": basis_right / max(1, len(matches)),
        "missed": reference.loc[sorted(set(reference.index) - used_r), "indicator_id"].tolist(),
        "extra": draft.loc[sorted(set(draft.index) - used_d), "name_zh"].tolist(),
    }


def annex_csv(grid: list[list[str]]) -> str:
    from kpi.atomic import safe_cell

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[safe_cell(cell) for cell in row] for row in grid])
    return buffer.getvalue()
