"""Units written beside the numbers people send, and the one rule that converts them.

A unit can stand in a header (``研发费用（万元）``, ``研发费用/万元``, ``研发费用，单位：万元``), in a line above
the table (``单位：万元``), in a 单位 column or row, or in the cell itself (``1544万元``). Every reader
asks :func:`split_unit` what a header says and :func:`conversion_factor` how to bring a value into the
registry's unit; a unit of another family (a count under ``%``, ``亿元`` for 家) is a ``ValueError``, never
a silent ×1. Pure functions, no pandas.
"""

from __future__ import annotations

import re

from kpi.core.text import normalize_text

#: Each family's units and their size in the family's base (元, a count, a percent).
UNIT_FAMILIES: dict[str, dict[str, float]] = {
    "money": {"元": 1.0, "千元": 1e3, "万元": 1e4, "万": 1e4, "百万元": 1e6, "亿元": 1e8, "亿": 1e8},
    "percent": {"%": 1.0, "百分比": 1.0, "个百分点": 1.0, "百分点": 1.0},
    "rank": {"位": 1.0},  # a position (科技进步综合评价位次, 前30位): not a count
    # counts of one thing: 家 and 万家 convert, 家 and 件 do not (an enterprise is not a patent)
    **{
        f"count:{unit}": {unit: 1.0, f"万{unit}": 1e4}
        for unit in ("家", "件", "个", "项", "人", "人次", "名", "次", "套", "户", "台", "座", "所")
    },
}
_FAMILY_OF = {unit: family for family, units in UNIT_FAMILIES.items() for unit in units}
_HEADER_UNIT = (
    re.compile(r"(?P<label>.*?)\((?:单位[:：]?)?(?P<unit>[^()]+)\)"),  # 研发费用(万元), 研发费用(单位:万元)
    re.compile(r"(?P<label>.*?)\[(?P<unit>[^\[\]]+)\]"),  # 研发费用[万元]
    re.compile(r"(?P<label>.*?)[,;/]?单位[:：](?P<unit>.+)"),  # 研发费用,单位:万元
    re.compile(r"(?P<label>.+?)/(?P<unit>[^/]+)"),  # 研发费用/万元
)
_UNIT_LINE = re.compile(r"(?:金额|计量)?单位[:：](?P<unit>.+)")


def unit_family(unit: str) -> str | None:
    """``money``, ``percent`` or ``count:<unit>`` for a known unit (``万元`` → money), else None."""
    return _FAMILY_OF.get(normalize_text(unit))


def is_count_unit(unit: object) -> bool:
    """Whether a unit counts whole things (家, 件, 项…): its values are written without halves."""
    return (unit_family(str(unit or "")) or "").startswith("count:")


def is_unit(text: object) -> bool:
    """Whether a cell's text is a unit and nothing else (``万元``, ``%``, ``家``)."""
    return unit_family(normalize_text(text)) is not None


def split_unit(header: object) -> tuple[str, str | None]:
    """A header's label and the unit written in it: ``研发费用（万元）`` → ``("研发费用", "万元")``; a bracket
    that holds no known unit (``上期（参考）``) is part of the label: ``(header, None)``."""
    text = normalize_text(header)
    for pattern in _HEADER_UNIT:
        match = pattern.fullmatch(text)
        if match and is_unit(match["unit"]):
            return match["label"], normalize_text(match["unit"])
    return text, None


def unit_line(text: object) -> str | None:
    """The unit of a line above a table, ``单位：万元`` / ``金额单位：万元`` / ``（单位：万元）``, else None."""
    match = _UNIT_LINE.fullmatch(normalize_text(text).strip("()"))
    return normalize_text(match["unit"]) if match and is_unit(match["unit"]) else None


def conversion_factor(given: str, registry_unit: str) -> float:
    """What a value written in ``given`` is multiplied by to be in ``registry_unit``: ``万元`` → ``亿元`` is
    1e-4. Units of different families (``亿元`` for 家, a count under ``%``) are a ``ValueError``."""
    given, registry_unit = normalize_text(given), normalize_text(registry_unit)
    if given == registry_unit:
        return 1.0
    family, wanted = unit_family(given), unit_family(registry_unit)
    if family is None or family != wanted:
        raise ValueError(
            f"单位“{given}”不能换算为指标单位“{registry_unit}” / the unit '{given}' cannot be converted "
            f"to the indicator's unit '{registry_unit}'"
        )
    sizes = UNIT_FAMILIES[family]
    return sizes[given] / sizes[registry_unit]
