"""Indicator tables in a plan's text (rule 8 of :mod:`kpi.extract.targets`): 指标 | 单位 | 基期值 | 目标值, tab- or
space-aligned as PDF-to-text leaves them, one target per row with its base value."""

from __future__ import annotations

import re

from kpi.core.parsing import parse_target
from kpi.extract.sentences import Target, basis_of

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


def _table_target(text: str) -> tuple[float, str] | None:
    """A target cell of a plan's indicator table by the annex's grammar (:func:`kpi.core.parsing.parse_target`;
    ``3.5左右``: about, ``≈``), or None where the cell holds no target (the table has ended)."""
    about = re.fullmatch(r"(\d+(?:\.\d+)?)\s*左右", text)
    if about:
        return float(about[1]), "≈"
    try:
        return parse_target(text) if re.search(r"\d", text) else None
    except ValueError:
        return None


def indicator_table(lines: list[str], start: int, clause: str, year: int | None) -> tuple[list[Target], int]:
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

        target = _table_target(cell("target"))
        if not target:
            break
        base = re.fullmatch(r"\d+(?:\.\d+)?", cell("base"))
        name, unit = cell("name"), cell("unit").replace("％", "%")
        bracketed = re.fullmatch(r"(.+?)[(（]([^()（）]+)[)）]", name)
        if not unit and bracketed:  # 研发经费投入强度（%）: the unit in the name
            name, unit = bracketed[1], bracketed[2]
        rows.append(
            Target(
                name,
                unit,
                *target,
                basis_of(name, name, unit, None)[0],
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
