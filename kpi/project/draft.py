"""A new county's registry drafted from its plan's text and its annex (``kpi init``): the plan's identity
from its title and 文号, the indicators (with a kind proposed from each one's wording), the regions and the
plan's targets. Pure functions on text and grids; every guess comes back as a row to review, with why.

The draft loads as it is (the registry's own checks pass); a person then reviews each marked row
(``kpi check``, docs/new_county.md). Nothing here is the plan's: it is a proposal from its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from kpi.core.facts import KIND_RULES
from kpi.core.parsing import RANK_PHRASE, normalize_text, parse_number
from kpi.core.units import is_count_unit, split_unit
from kpi.extract.targets import extract, fill_years
from kpi.extract.words import similar
from kpi.extract.years import document_years
from kpi.metadata import fields
from kpi.metadata.registry_tables import SERIES_COLUMNS

#: what a review row holds: the file and row it is about, the column, why a person should look
REVIEW_COLUMNS = ["file", "key", "column", "why", "status"]
PENDING, REVIEWED = "待审核", "已审核"
TOTAL_WORDS = {"县": "全县", "区": "全区", "市": "全市", "旗": "全旗"}
TITLE = re.compile(r"^(?P<county>\S{1,10}?[县区市旗])(?P<body>.*?(?:方案|计划|规划|意见|要点))(?:[(（][^)）]*[)）])?$")
DOCUMENT_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}〔\d{4}〕\d+号")


def review(file: str, key: str, column: str, why: str) -> dict:
    """One row of ``review.csv``: what a person should check in the draft, and why it was a guess."""
    return {"file": file, "key": key, "column": column, "why": why, "status": PENDING}


def identity_from_text(text: str) -> dict:
    """The ``[county]`` and ``[plan]`` entries of a plan's text: the title line (its county, the quoted
    short name, the subject between it and 工程/实施方案), the 文号 (``某政办发〔2024〕8号``) and the span's
    years (``2024—2028年``: base 2023, target 2028). A missing part is an empty string or None."""
    lines = [normalize_text(line) for line in text.splitlines() if line.strip()]
    title = next((line for line in lines[:15] if TITLE.match(line) and "文件" not in line), "")
    match = TITLE.match(title)
    county = match["county"] if match else ""
    short = re.search(r"“([^”]+)”", title)
    subject = re.search(r"”(.+?)(?:工程)?(?:实施|行动|工作)?(?:方案|计划|规划|意见|要点)", title)
    number = DOCUMENT_NUMBER.search(text[:3000])
    base_year, target_year = document_years(text)
    raw_title = next((line.strip() for line in text.splitlines() if normalize_text(line) == title), title)
    return {
        "county": county,
        "name": raw_title,
        "short_name": short[1] if short else "",
        "subject": subject[1] if subject else "",
        "document_number": number[0] if number else "",
        "base_year": base_year,
        "target_year": target_year,
        "total_name": TOTAL_WORDS.get(county[-1:], "全县") if county else "全县",
    }


@dataclass
class AnnexLayout:
    """What a 晾晒表 grid says about the registry: its title, its blocks of ``(name, unit, target texts by
    row)``, and its regions in order (the total row first)."""

    title: str
    blocks: list[list[tuple[str, str, list[str]]]]
    regions: list[str]


def _block(rows: list[list], header_index: int) -> tuple[list[tuple[str, str, list[str]]], list[str]]:
    """The indicators and regions of one block whose header is ``rows[header_index]``."""
    header = [normalize_text(v) for v in rows[header_index]]
    sub_header = [normalize_text(v) for v in rows[header_index + 1]]
    region_column = header.index("区域")
    regions, body = [], []
    for row in rows[header_index + 2 :]:
        name = normalize_text(row[region_column]) if region_column < len(row) else ""
        if not name or name in ("区域", "序号") or name.startswith(("注", "说明", "备注", "数据来源")):
            break
        regions.append(name)
        body.append(row)
    indicators = []
    for j in (j for j, v in enumerate(sub_header) if v == "指标"):
        label = next((header[k] for k in range(j, region_column, -1) if k < len(header) and header[k]), "")
        name, unit = split_unit(label)
        targets = [normalize_text(row[j]) if j < len(row) else "" for row in body]
        indicators.append((name, unit or "", targets))
    return indicators, regions


def annex_layout(rows: list[list]) -> AnnexLayout | None:
    """The layout of a 晾晒表 grid (a sheet's rows, or the annex drafted from a plan's text): a header
    row with 区域 and the indicators' names (units in brackets), 指标 / 进度 / 排名 under it; None when
    the grid holds no such header."""
    title = next((normalize_text(c) for row in rows[:5] for c in row if "晾晒" in normalize_text(c)), "")
    blocks, regions = [], []
    for index, row in enumerate(rows[:-1]):
        if "区域" in [normalize_text(v) for v in row] and "指标" in [normalize_text(v) for v in rows[index + 1]]:
            indicators, block_regions = _block(rows, index)
            blocks.append(indicators)
            regions = regions or block_regions
    return AnnexLayout(title, blocks, regions) if blocks else None


def propose_kind(name: str, unit: str, targets: list[str]) -> tuple[str, str]:
    """The kind an indicator's wording suggests (:data:`kpi.core.facts.KIND_RULES`) and why: a rank (位次,
    排名, 前N位), a growth rate (增长 in %), a ratio (强度, 占比, 率, 每万人, a unit with /), a count
    (家, 项, 件…), else an amount."""
    if unit in ("位", "名") or re.search(r"位次|排名|排位", name) or any(RANK_PHRASE.fullmatch(t) for t in targets):
        return "rank", "单位为位/名，或名称、目标写作位次（前N位）：位次越小越好"
    if re.search(r"增长|增速|增幅", name) and unit in ("%", ""):
        return "growth", "名称含增长且以%计：增长率，按目标判达标与否"
    if re.search(r"强度|占比|比重|比例|率$|每万人|万人|拥有量|密度|指数", name) or "/" in unit or unit == "%":
        return "ratio", "名称或单位表示比率（强度、占比、每万人、%）：月末水平值，按目标判达标与否"
    if is_count_unit(unit):
        return "count", f"单位为“{unit}”：个数，年内累计"
    return "amount", f"单位为“{unit or '无'}”：总量，年内累计"


def _sums(targets: list[str], unit: str) -> bool:
    """Whether the total row's target is the sum of the regions' (within 0.5 %), as the annex writes them."""
    try:
        values = [parse_number(re.sub(r"以上|以下|以内|≥|>=", "", t), unit) for t in targets]
    except ValueError:
        return False
    if any(v is None for v in values) or len(values) < 2:
        return False
    total, parts = values[0], sum(values[1:])
    return abs(total - parts) <= 0.005 * max(abs(total), 1e-9)


def ascii_id(text: str, taken: set[str], separator: str = "_", limit: int = 40) -> str:
    """An ASCII identifier for a Chinese name (its pinyin, ``yan_fa_tou_ru_qiang_du``), unique among
    ``taken`` (a number appended), which it joins."""
    from pypinyin import lazy_pinyin

    words = [w for w in (re.sub(r"[^a-z0-9]", "", w.lower()) for w in lazy_pinyin(text)) if w]
    while len(separator.join(words)) > limit and len(words) > 1:  # shortened at a syllable, not inside one
        words.pop()
    base = separator.join(words) or "item"
    base = base if base[0].isalpha() else f"x{separator}{base}"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}{separator}{number}", number + 1
    taken.add(candidate)
    return candidate


def draft_plan_targets(text: str, identity: dict) -> tuple[pd.DataFrame, list[dict]]:
    """The plan's targets (``plan_targets.csv``) read from its text (:func:`kpi.extract.targets.extract`), in the
    registry's columns: pinyin ids, the base year of the span, an "about" (左右) read as "reach" — each
    guess with a review row."""
    draft, _ = extract(text)
    draft = fill_years(draft, text)
    reviews, taken = [], set()
    draft["indicator_id"] = [ascii_id(name, taken) for name in draft["name_zh"]]
    draft["base_year"] = draft["base_year"].replace("", identity["base_year"] or "")
    for row in draft.itertuples():
        why = [w for w in str(row.review).split("; ") if w]
        if row.comparator == "≈":
            why.append("原文为约数（左右），按“达到”（=）草拟")
        if row.stretch:
            why.append("原文为“力争/争取”，按“不低于”（>=）草拟；是否作为考核目标请核对")
        if not row.responsible_units:
            why.append("方案此处未写责任单位")
        if why or float(row.confidence) < 0.9:
            reviews.append(review("plan_targets.csv", row.indicator_id, "", "；".join(why) or "提取置信度较低"))
    draft["comparator"] = draft["comparator"].replace("≈", "=")
    draft["responsible_units"] = draft["responsible_units"].replace("", "方案未列明")
    draft["clause"] = draft["clause"].replace("", "未标条款")
    for column in SERIES_COLUMNS:
        draft[column] = ""
    return draft.drop(columns=["base_value", "stretch", "confidence", "review"]), reviews


def _region_kind(name: str) -> str:
    for pattern, kind in (
        (r"街道$", "街道"),
        (r"镇$", "镇"),
        (r"乡$", "乡"),
        (r"(开发区|园区|高新区|新区|产业园)$", "开发区"),
    ):
        if re.search(pattern, name):
            return kind
    return "区域"


def draft_regions(layout: AnnexLayout, total_name: str) -> tuple[pd.DataFrame, list[dict]]:
    """``regions.csv`` from the annex's rows: the first row is the total (named ``total_name``; the
    annex's own word kept as an alias), then the regions in the annex's order, with a kind from each
    name's ending, a pinyin slug and the name without its ending as an alias where that is unambiguous."""
    names = [total_name, *layout.regions[1:]]
    first = layout.regions[0] if layout.regions else total_name
    stems = [re.sub(r"(街道|镇|乡|开发区|园区|高新区|新区)$", "", n) for n in names[1:]]
    taken: set[str] = {"total"}
    rows = [
        {
            "annex_order": 0,
            "region": total_name,
            "name_en": "",
            "slug": "total",
            "kind": "总计",
            "aliases": first if first != total_name else "",
        }
    ]
    for order, (name, stem) in enumerate(zip(names[1:], stems), start=1):
        alias = stem if len(stem) >= 2 and stems.count(stem) == 1 and stem != name else ""
        rows.append(
            {
                "annex_order": order,
                "region": name,
                "name_en": "",
                "slug": ascii_id(name, taken, "-"),
                "kind": _region_kind(name),
                "aliases": alias,
            }
        )
    reviews = [
        review("regions.csv", "", "slug, aliases", "文件名用的 slug 由拼音草拟，别名为去掉街道/镇等的简称：请核对")
    ]
    if first != total_name:
        reviews.append(
            review(
                "regions.csv", total_name, "region", f"晾晒表总计行写作“{first}”，登记为“{total_name}”，原写法作别名"
            )
        )
    return pd.DataFrame(rows), reviews


INDICATOR_COLUMNS = fields.columns("indicators")  # indicators.csv as the registry reads it


def _plan_match(name: str, plan_targets: pd.DataFrame) -> pd.Series | None:
    """The plan target whose name is closest to an annex indicator's (similarity ≥ 0.5), if any."""

    scores = [similar(name, str(n)) for n in plan_targets["name_zh"]]
    best = max(range(len(scores)), key=scores.__getitem__, default=None)
    return plan_targets.iloc[best] if best is not None and scores[best] >= 0.5 else None


def draft_indicators(layout: AnnexLayout, plan_targets: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """``indicators.csv`` from the annex's headers, block by block: a kind proposed from each one's
    wording (:func:`propose_kind`), summing where the annex's total equals its regions' sum, the plan
    target of the closest name (its clause and units responsible), equal weights. Every row is reviewed."""
    rows, reviews, taken, order = [], [], set(), 0
    for block_number, block in enumerate(layout.blocks, start=1):
        for name, unit, targets in block:
            order += 1
            kind, why = propose_kind(name, unit, targets)
            sums = KIND_RULES[kind]["may_sum"] and _sums(targets, unit)
            match = _plan_match(name, plan_targets)
            indicator_id = ascii_id(name, taken)
            rows.append(
                {
                    "indicator_id": indicator_id,
                    "name_zh": name,
                    "name_en": "",
                    "unit": unit,
                    "kind": kind,
                    "sums_to_county": str(sums).lower(),
                    "higher_is_better": str(kind != "rank").lower(),
                    "annex_block": block_number,
                    "annex_order": order,
                    "weight": 1,
                    "plan_target_ids": "" if match is None else match["indicator_id"],
                    "responsible_clause": "" if match is None else match["clause"],
                    "responsible_units": "方案未列明" if match is None else match["responsible_units"],
                }
            )
            summed = "总计行等于各区域之和，按可加总" if sums else "不加总（总计行为自报值）"
            linked = f"；对应方案目标 {match['indicator_id']}" if match is not None else "；未找到对应的方案目标"
            reviews.append(review("indicators.csv", indicator_id, "kind, sums_to_county", f"{why}；{summed}{linked}"))
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS), reviews


def link_series(plan_targets: pd.DataFrame, indicators: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """Each average-growth target (``年均增长``) named to the level series it is judged on: the annex
    indicator of that name (its id and unit) where there is one, else a new series id, its unit to fill."""
    plan_targets, reviews = plan_targets.copy(), []
    by_name = indicators.set_index("name_zh")
    for index, row in plan_targets[plan_targets["basis"] == "annual_growth"].iterrows():
        name = re.sub(r"(年均)?(增长|增速|增幅)(率)?$", "", str(row["name_zh"]))
        if name in by_name.index:
            series_id, unit = by_name.at[name, "indicator_id"], by_name.at[name, "unit"]
        else:
            series_id, unit = ascii_id(name, set(plan_targets["indicator_id"])), ""
        plan_targets.loc[index, list(SERIES_COLUMNS)] = [series_id, name, unit]
        why = f"年均增长目标按“{name}”的年度水平值评估" + ("" if unit else "，请填水平值的单位 series_unit")
        reviews.append(review("plan_targets.csv", row["indicator_id"], "series_id, series_name, series_unit", why))
    return plan_targets, reviews
