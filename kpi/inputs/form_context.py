"""What a returned form says about itself outside its table: the lines above it (title, 时期, 填报单位,
单位：万元), the form furniture below it (填报人, 联系电话, 审核人, 填报日期, 注 …), its sheet name and
its file name.

- **Furniture** is recognised by its label and never read as data, as a region or as the period.
- **The period** comes from the title, a 时期 line, the sheet name or the file name, in that order of
  trust, never from a filing date (``填报日期：2026年4月2日``, or any full date). When two of them name
  different months the form is refused with both named (:func:`form_period`).
- **The region** of a one-region sheet comes from a 填报单位 line, the title, the sheet name or the
  file name, likewise (:func:`form_region`).

Pure readers over a grid's rows: nothing is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kpi.core.errors import InputError
from kpi.core.facts import REGION_HEADINGS
from kpi.core.parsing import is_blank, normalize_text, parse_period
from kpi.core.units import unit_line
from kpi.inputs.grids import Sheet, visible_rows
from kpi.metadata.registry import Registry

#: Labels of the lines around a table that are about the form, not data (the colon is optional).
FURNITURE_LABELS = (
    "填报人",
    "填表人",
    "制表人",
    "经办人",
    "联系人",
    "联系电话",
    "电话",
    "手机",
    "审核人",
    "审核",
    "负责人",
    "单位负责人",
    "分管领导",
    "签字",
    "签发",
    "填报日期",
    "填表日期",
    "报送日期",
    "制表日期",
    "日期",
    "单位(盖章)",
    "填报单位(盖章)",
    "(盖章)",
    "盖章",
    "注",
    "附注",
    "说明",
    "填写说明",
    "填表说明",
    "备注",
    "数据来源",
)
PERIOD_LABELS = ("时期", "时间", "月份", "统计期", "报告期", "所属期", "统计时间", "报送期", "period")

_FULL_DATE = re.compile(r"20\d{2}年\d{1,2}月\d{1,2}[日号]|20\d{2}([-./])\d{1,2}\1\d{1,2}")
_YEAR_MONTH = re.compile(
    r"(?P<year>20\d{2})年(?:(?P<first>\d{1,2})月?[-~至到—])?(?P<month>\d{1,2})月"  # 2026年3月, 2026年1-3月
    r"|(?P<year2>20\d{2})[-.](?P<month2>\d{1,2})(?![\d.\-])"  # 2026-03, 2026.3
    r"|(?<!\d)(?P<year3>20\d{2})(?P<month3>0[1-9]|1[0-2])(?!\d)"  # 202603
)
_MONTH_ONLY = re.compile(r"(?<![\d年])(?:\d{1,2}月?[-~至到—])?(?P<month>\d{1,2})月(?!\d{0,2}[日号])")


def label_of(text: str) -> tuple[str, str]:
    """A line's label and what follows it: ``填报人：张三`` → ``("填报人", "张三")``; no colon: ``(text, "")``."""
    parts = re.split(r"[:：]", text, maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (text, "")


def is_furniture(text: object) -> bool:
    """Whether a cell opens a furniture line (填报人：…, 联系电话 …, 注：…, 单位（盖章）)."""
    normal = normalize_text(text)
    return bool(normal) and any(normal.startswith(label) for label in FURNITURE_LABELS)


def first_text(row: list) -> str:
    """The row's first non-blank cell, normalised ('' for a blank row)."""
    return next((normalize_text(cell) for cell in row if not is_blank(cell)), "")


def is_furniture_row(row: list) -> bool:
    """A row whose first non-blank cell is furniture (the rest of the row is furniture too)."""
    return is_furniture(first_text(row))


def _labelled(rows: list[list], labels: tuple[str, ...]) -> list[str]:
    """Values of labelled cells in ``rows``: ``时期：2026年3月`` in one cell, or ``时期`` and the next
    non-blank cell; furniture cells are skipped."""
    found = []
    for row in rows:
        texts = [normalize_text(cell) for cell in row]
        for j, text in enumerate(texts):
            label, rest = label_of(text)
            if label not in labels or is_furniture(text):
                continue
            if not rest:
                rest = next((t for t in texts[j + 1 :] if t), "")
            if rest:
                found.append(rest)
    return found


def _titles(rows: list[list]) -> list[str]:
    """The free text above a table: cells that are not furniture, not labelled and not a unit line."""
    titles = []
    for row in rows:
        for cell in row:
            text = normalize_text(cell)
            if not text or is_furniture(text) or unit_line(text):
                continue
            label, rest = label_of(text)
            if rest and (label in PERIOD_LABELS or label in REGION_HEADINGS or is_furniture(label)):
                continue
            titles.append(text)
    return titles


def period_in_text(text: str) -> tuple[int | None, int] | None:
    """``(year, month)`` named by a piece of text, ``(None, month)`` for a month without a year
    (``3月``), None when it names none. Full dates (``2026年4月2日``) are not periods; ``2026年1-3月``
    is March (year to date)."""
    text = _FULL_DATE.sub(" ", normalize_text(text))
    match = _YEAR_MONTH.search(text)
    if match:
        year = match["year"] or match["year2"] or match["year3"]
        month = match["month"] or match["month2"] or match["month3"]
        if 1 <= int(month) <= 12:
            return int(year), int(month)
    match = _MONTH_ONLY.search(text)
    if match and 1 <= int(match["month"]) <= 12:
        return None, int(match["month"])
    return None


@dataclass(frozen=True)
class Evidence:
    """Where a form says its period (or region) is: the source (标题, 文件名 …), its text, its reading."""

    source: str
    text: str
    year: int | None
    month: int

    def named(self) -> str:
        """``标题“2026年3月壶山镇报表”`` (how a refusal names it)."""
        return f"{self.source}“{self.text}”"


def period_evidence(above: list[list], sheet_name: str | None, path: Path) -> list[Evidence]:
    """Every mention of a period around the table, most trusted first (see :data:`PERIOD_SOURCES`)."""
    found = []
    for source, texts in (
        ("标题", _titles(above)),
        ("时期栏", _labelled(above, PERIOD_LABELS)),
        ("工作表名", [sheet_name] if sheet_name else []),
        ("文件名", [path.stem]),
    ):
        for text in texts:
            if source == "时期栏":
                try:
                    year, month = map(int, parse_period(text).split("-"))
                    found.append(Evidence(source, text, year, month))
                    continue
                except ValueError:
                    pass
            reading = period_in_text(text)
            if reading is not None:
                found.append(Evidence(source, text, *reading))
    return found


def form_period(evidence: list[Evidence], path: Path, sheet: str | None, expected: str | None) -> str | None:
    """The one period the evidence names (a month without a year takes the others' year, or the
    expected one's); None when nothing names one. Two sources naming different months: refused,
    both named, nothing guessed."""
    full = [e for e in evidence if e.year is not None]
    year = full[0].year if full else (int(expected[:4]) if expected else None)
    readings = [(e, e.year or year, e.month) for e in evidence]
    first = readings[0] if readings else None
    for other in readings[1:]:
        if (other[1], other[2]) != (first[1], first[2]):
            raise InputError(
                f"表中的时期不一致：{first[0].named()}，{other[0].named()} / the form names two periods",
                file=path,
                sheet=sheet,
                fix="核对后改正其中一处（标题、时期栏、工作表名或文件名），使它们一致，再重新收集",
            )
    if first is None or first[1] is None:
        return None
    return f"{first[1]:04d}-{first[2]:02d}"


def regions_in_text(text: str, registry: Registry) -> set[str]:
    """The regions whose name or alias appears in a piece of text (the county's name counts only when
    no other region appears: every title names the county)."""
    text = normalize_text(text)
    found: set[str] = set()
    for name, region in sorted(registry.region_lookup.items(), key=lambda item: -len(item[0])):
        if len(name) >= 2 and name in text:
            found.add(region)
            text = text.replace(name, "|")
    return found - {registry.total_name} if found - {registry.total_name} else found


def form_region(above: list[list], sheet_name: str | None, path: Path, registry: Registry) -> str:
    """The region of a one-region sheet: a 填报单位 line, the title, the sheet name, the file name (in
    that order of trust). None of them, or two regions: refused, saying where to write it."""
    named: list[tuple[str, str, str]] = []
    for source, texts in (
        ("填报单位", _labelled(above, REGION_HEADINGS)),
        ("标题", _titles(above)),
        ("工作表名", [sheet_name] if sheet_name else []),
        ("文件名", [path.stem]),
    ):
        for text in texts:
            for region in sorted(regions_in_text(text, registry)):
                named.append((source, text, region))
    if any(region != registry.total_name for _, _, region in named):  # every title names the county
        named = [n for n in named if n[2] != registry.total_name]
    regions = {region for _, _, region in named}
    if len(regions) > 1:
        a, b = named[0], next(n for n in named if n[2] != named[0][2])
        raise InputError(
            f"表中的区域不一致：{a[0]}“{a[1]}”，{b[0]}“{b[1]}” / the form names two regions",
            file=path,
            sheet=sheet_name,
            fix="一张表只报一个区域；核对标题、填报单位、工作表名和文件名，使它们一致",
        )
    if not regions:
        raise InputError(
            "找不到这张表是哪个区域的 / the form does not say which region it is for",
            file=path,
            sheet=sheet_name,
            fix=f"在表头上方写“填报单位：区域名称”，或把区域名称写进标题或文件名；已知区域：{'、'.join(registry.region_names)}",
        )
    return regions.pop()


def table_unit(above: list[list]) -> str | None:
    """The unit a line above the table gives the whole table (``单位：万元``), if any."""
    for row in above:
        for cell in row:
            unit = unit_line(cell)
            if unit:
                return unit
    return None


def rows_above(sheet: Sheet, header_index: int) -> list[list]:
    """The visible rows above a table's header: its title, 时期, 填报单位 and unit lines."""
    return [row for index, row in visible_rows(sheet, 0) if index < header_index]


def sheet_period(sheet: Sheet, header_index: int, path: Path, expected: str | None) -> str | None:
    """The period the form names around its table (title, 时期, sheet name, file name), else ``expected``."""
    evidence = period_evidence(rows_above(sheet, header_index), sheet.name, path)
    return form_period(evidence, path, sheet.name, expected) or expected
