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
   (``高于5%的企业``), policy amounts (``给予20万元奖励``), size labels (``百亿元级企业``), counts of
   the document's own structure (``18项措施``, ``共12条``, ``主要任务6项``, ``15项工程``, ``5个重点领域``),
   and what has been reached (:class:`kpi.extract.years.Timeline`). A range (``2—3家``) is its lower
   bound, ``>=``, the range in ``review``.
4. **Comparator** in its own words: 以上/不少于/不低于/力争/确保 → ``>=`` (力争 also flags a *stretch*
   target: :data:`kpi.core.parsing.INTENT_WORDS`); 超过/超/突破/高于 → ``>``;
   以内/不超过/以下/控制在 → ``<=``; 低于 → ``<``; 左右/约 → ``≈``; a rank (前40位) → ``<=`` (lower is
   better); otherwise ``=`` ("reach the stated figure").
5. **Subject**: the words before the number within its comma clause, without leading verbs (建成, 培育,
   新增…); a clause with none (``…增加一倍，达到1.2%``) takes the previous clause's subject;
   ``A和B…分别超过x和y`` gives two rows, the shared noun given to both.
6. **Target year** from the sentence (``到2025年``, ``2024年力争``, ``2024年度…目标``, 今年/明年 against the
   document's own date, 规划期内, a plan period to come), carried to the next sentences of the paragraph,
   else the document's span (``2023—2027年``) or plan period (十四五 → 2025); a past sentence never sets it
   (:class:`kpi.extract.years.Timeline`).
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
from pathlib import Path

import pandas as pd

from kpi.core.atomic import safe_cell
from kpi.core.errors import InputError
from kpi.extract.sentences import Target, targets_in_sentence
from kpi.extract.tables import TABLE_HEADER, TABLE_SPLIT, indicator_table
from kpi.extract.words import QUANTITY, SENTENCE_END, UNITLESS, similar
from kpi.extract.years import BARE_YEAR, FUTURE_WORDS, Timeline, document_years, sentence_year
from kpi.inputs.grids import decode_text
from kpi.metadata.registry_tables import SERIES_COLUMNS
from kpi.metadata.schemas import PLAN_TARGETS

HEADING_1 = re.compile(r"^([一二三四五六七八九十]+)、")
HEADING_2 = re.compile(r"^\(([一二三四五六七八九十]+)\)")
HEADING_3 = re.compile(r"^(\d+)[.、](?!\d)|^\((\d+)\)")  # 1. or (1)
#: a line that ends a document's title, a date line or its 文号: never joined to the next (rule 1)
TITLE_END = re.compile(
    r"(方案|意见|规划|计划|要点|报告|纲要|通知|办法|细则|指标|决定|公报|(征求意见稿|摘要|试行|\d{4}年)[)）]|〕\d+号|"
    r"\d{4}年\d{1,2}月(\d{1,2}日)?[)）]?|会议上|召开|印发)$"
)
COLUMNS = list(PLAN_TARGETS.columns)  # the draft has plan_targets.csv's columns, from its one schema
EXTRA_COLUMNS = ["base_value", "stretch", "confidence", "review"]


def read_text(path: Path) -> str:
    """A plan's text from a .txt (UTF-8 or GB18030) or a .docx (paragraphs and tables, tab-separated)."""
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
    return decode_text(path.read_bytes(), path, fix="另存为 UTF-8 文本")


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
            and not TITLE_END.search(lines[-1])
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


def _add_annex_line(annex: list[list[str]], line: str) -> None:
    """A line of the annex (附件 晾晒表) into its grid: a tab-separated row, the title, or a blank row
    between the blocks."""
    if "\t" in line:
        annex.append(line.split("\t"))
    elif (title := re.search(r"(\d{4}年[^\t]*?晾晒表)", line)) and not annex:
        annex.append([title[1]])
    elif annex and len(annex) > 1 and annex[-1] != []:
        annex.append([])


def _targets_of_line(line: str, clause: str, year: int | None, timeline: Timeline):
    """The targets of one line, sentence by sentence (past statements skipped, a 截至…/…期间 at a
    sentence's start covering its ``；`` parts), each with the line's 责任单位 and the target year in
    force (rule 6); and the year in force after the line."""
    units = re.search(r"[(（]责任单位[:：](?P<units>[^)）]*)[)）]", line)
    body = re.sub(r"[(（]责任单位[:：][^)）]*[)）]", "", line)
    body = HEADING_3.sub("", HEADING_2.sub("", HEADING_1.sub("", body)))
    targets: list[Target] = []
    for full_sentence in re.split(r"[。！？!?]", body):
        past_scope = False
        for sentence in re.split(r"[；;]", full_sentence):
            own_year = timeline.year_of(sentence)
            if past_scope and own_year is None and not FUTURE_WORDS.search(sentence):
                continue  # …；其中高层次人才1200人: still 截至…
            if timeline.is_past(sentence):
                past_scope = past_scope or timeline.opens_past_scope(sentence)
                continue
            bare = BARE_YEAR.search(sentence)
            year = own_year or (int(bare[1]) if bare else year)
            found = targets_in_sentence(sentence, clause)
            for target in found:
                target.responsible_units = re.sub(r"\s+", "", units["units"]) if units else ""
                target.target_year = year
            targets.extend(found)
    return targets, year


def extract(text: str) -> tuple[pd.DataFrame, list[list[str]]]:
    """The draft targets (columns of plan_targets.csv plus ``base_value``, ``confidence`` and ``review``)
    and the annex grid (title row and tab-separated rows), from a plan's text."""
    lines = repair_lines(text)
    level1 = level2 = level3 = ""
    targets: list[Target] = []
    annex: list[list[str]] = []
    in_annex = False
    paragraph = 0
    index = 0
    year = None  # the target year in force: carried from sentence to sentence until another is stated
    stated = [y for line in lines for y in [sentence_year(part) for part in re.split(r"[。；;]", line)] if y]
    timeline = Timeline(text, min(stated) if stated else None)
    document_year = timeline.target_year
    while index < len(lines):
        line = lines[index]
        index += 1
        if re.match(r"^附件[:：]?", line) or (in_annex is False and "晾晒表" in line and re.match(r"^\d{4}年", line)):
            in_annex = True
        if in_annex:
            _add_annex_line(annex, line)
            continue
        paragraph += 1
        if TABLE_HEADER.search(line) and len(TABLE_SPLIT.split(line.strip())) >= 3:
            rows, after = indicator_table(lines, index - 1, f"第{paragraph}段", document_year)
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
        found, year = _targets_of_line(line, clause, year, timeline)
        for target in found:
            target.target_year = target.target_year or document_year
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
    timeline = Timeline(text, min(stated) if stated else None)
    past = [s for s in with_quantity if timeline.is_past(s)]
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
                and similar(m.name_zh, target.name_zh) >= 0.5
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
                **dict.fromkeys(SERIES_COLUMNS, ""),  # a person names another series where one is meant
                "base_value": t.base_value,
                "stretch": t.stretch,
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
                pairs.append((similar(str(d["name_zh"]), str(r["name_zh"])), i, j))
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
    """The annex grid as CSV text (text cells made formula-safe), ready to review and import."""

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[safe_cell(cell) for cell in row] for row in grid])
    return buffer.getvalue()
