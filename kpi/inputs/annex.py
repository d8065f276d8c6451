"""The annex (附件晾晒表) in its official layout, read and written: a year's targets for the county and
every region, checked for completeness and for regions that sum to 全县; and written back as the layout's
rows (``to_layout_rows``; :mod:`kpi.outputs.excel` fills the same blocks and headers in the xlsx). Block 1 holds the three economic indicators, block 2
the four count indicators, as in the seed: ``序号 | 区域 | <indicator (unit)> 指标 进度 排名 | …``; the
title row names the year.

``read_annex`` accepts .xlsx or .csv (UTF-8, UTF-8 with BOM, GB18030 as
saved by Excel on Chinese Windows), Chinese or English headers, region aliases, full-width
characters and stray spaces. Anything they cannot read raises :class:`kpi.core.errors.InputError`
naming file, sheet, row, column and value. They never write; :func:`run_ingest` writes the
validated tidy tables to ``data/processed`` atomically, and only after everything has been read.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd

from kpi.core import formatting as fmt
from kpi.core.errors import InputError
from kpi.core.facts import KIND_RULES, SUB_COLUMNS, annex_title
from kpi.core.parsing import is_blank, normalize_text, parse_target
from kpi.core.units import conversion_factor, split_unit
from kpi.inputs.form_cells import column_unit
from kpi.inputs.grids import Sheet, cell_at, column_name, parsed_cell, read_sheets, values_without_region, visible_rows
from kpi.metadata import schemas
from kpi.metadata.registry import Registry


# ---------------------------------------------------------------- the annex
def _find_year(sheets: list[Sheet], path: Path) -> tuple[int, bool]:
    """Year and example flag from the title row (``2023年…晾晒表``), else from the file name."""
    for sheet in sheets:
        for row in sheet.rows[:5]:
            for value in row:
                text = normalize_text(value)
                match = re.search(r"(20\d{2})年", text)
                if match and ("晾晒" in text or "指标" in text or "科技" in text):
                    return int(match.group(1)), "示例" in text
    match = re.search(r"(20\d{2})", path.stem)
    if match:
        return int(match.group(1)), "example" in path.stem.lower() or "示例" in path.stem
    raise InputError(
        "找不到年份：标题行应含“2023年…晾晒表” / no year in the title or file name",
        file=path,
        fix=f"在第一行写标题，例如“{annex_title(2023, '某某县“某某”科技创新体系建设')}”",
    )


def _year_of(sheets: list[Sheet], path: Path, year: int | None) -> tuple[int, bool]:
    """The annex's year and example flag (:func:`_find_year`); ``year``, when given, must match it or
    stands in for a title without one."""
    try:
        found_year, is_example = _find_year(sheets, path)
    except InputError:
        if year is None:
            raise
        return year, False
    if year is not None and found_year != year:
        fix = f"核对文件；若确为 {year} 年的指标，把标题中的年份改为 {year}"
        raise InputError.wrong_year(found_year, year, "晾晒表", fix, file=path, value=found_year)
    return found_year, is_example


def annex_columns(sheet: Sheet, path: Path, registry: Registry):
    """``(header_index, region_column, [(column of 指标, indicator_id), …])`` of every block of a sheet
    in the annex layout: a header row with 区域 and the indicators' names (merged cells allowed), the
    row under it 指标 / 进度 / 排名. An unknown indicator name is an error at its cell."""
    for header_index, header in enumerate(sheet.rows):
        normalised = [normalize_text(v) for v in header]
        if "区域" not in normalised or header_index + 1 >= len(sheet.rows):
            continue
        region_column = normalised.index("区域")
        sub_header = [normalize_text(v) for v in sheet.rows[header_index + 1]]
        target_columns = [j for j, v in enumerate(sub_header) if v == "指标"]
        if not target_columns:
            raise InputError(
                "表头下一行应有“指标 / 进度 / 排名” / the row under the header must hold 指标/进度/排名",
                file=path,
                sheet=sheet.name,
                row=header_index + 2,
                fix="按附件格式：每个指标占三列，第二行为 指标、进度、排名",
            )
        location = dict(file=path, sheet=sheet.name, row=header_index + 1)
        fix = "改为 data/raw/indicators.csv 中的指标名称，或在其中登记新指标"
        columns = []
        for j in target_columns:
            label = next(
                (header[k] for k in range(j, region_column, -1) if k < len(header) and not is_blank(header[k])), None
            )
            name, unit = split_unit(label)
            indicator_id = parsed_cell(registry.resolve_indicator, name, sheet, j, location, fix)
            indicator = registry.indicator(indicator_id)
            columns.append((j, indicator_id, column_unit(unit, None, indicator, sheet, j, location, label)))
        yield header_index, region_column, columns


def block_rows(sheet: Sheet, path: Path, header_index: int, region_column: int, columns, registry: Registry):
    """``(row_index, row, region)`` of each region of one block, down to its end (a blank row, the
    next header, or the notes under the table); hidden rows skipped."""
    for row_index, row in visible_rows(sheet, header_index + 2):
        region_cell = cell_at(row, region_column)
        if normalize_text(region_cell) in ("区域", "序号"):
            break
        location = dict(file=path, sheet=sheet.name, row=row_index + 1)
        if is_blank(region_cell):
            if all(is_blank(cell_at(row, j)) for j, *_ in columns):
                break  # end of the block
            raise values_without_region(sheet, region_column, location)
        if normalize_text(region_cell).startswith(("注", "说明", "备注", "数据来源")):
            break
        fix = registry.region_fix(region_cell)
        yield row_index, row, parsed_cell(registry.resolve_region, region_cell, sheet, region_column, location, fix)


def _target_of(raw, indicator: pd.Series, unit, sheet: Sheet, column: int, location: dict) -> tuple[float, str, str]:
    """A target cell (``15以上`` → 15, ``>=``) in the registry's unit (``unit``: the header's, if it gives
    one), and its wording as written (``不低于18%``, ``进入全省前30位``; empty for a number the sheet holds as
    a number, or a cell written in another unit than the registry's, whose words would mislead); a
    negative count or amount is an error."""
    fix = "填写数值，可带“以上”，例如 15 或 15以上"
    written = unit or indicator["unit"]
    target, comparator = parsed_cell(lambda text: parse_target(text, written), raw, sheet, column, location, fix)
    factor = conversion_factor(written, indicator["unit"])
    target *= factor
    wording = normalize_text(raw) if isinstance(raw, str) and factor == 1 else ""
    minimum = KIND_RULES[indicator["kind"]]["minimum"]
    if minimum is not None and target < minimum:
        raise InputError(
            f"{indicator['name_zh']}的目标"
            + ("不能为负" if minimum == 0 else f"不能小于 {minimum}")
            + " / a target below the kind's minimum",
            value=raw,
            column=column_name(sheet, column),
            fix="改为 0 或正数",
            **location,
        )
    return target, comparator, wording


def annex_cells(sheets: list[Sheet], path: Path, registry: Registry):
    """Every region × indicator cell of every block of the annex layout: ``(sheet, row_index, row,
    region, column of 指标, indicator_id, unit, location)`` (进度 and 排名 are the next two columns;
    ``unit``: the one the indicator's header gives, ``（万元）``, None for the registry's)."""
    for sheet in sheets:
        for header_index, region_column, columns in annex_columns(sheet, path, registry):
            for row_index, row, region in block_rows(sheet, path, header_index, region_column, columns, registry):
                location = dict(file=path, sheet=sheet.name, row=row_index + 1)
                for j, indicator_id, unit in columns:
                    yield sheet, row_index, row, region, j, indicator_id, unit, location


def _annex_records(sheets: list[Sheet], path: Path, registry: Registry, year: int, is_example: bool) -> list[dict]:
    """Every (region, indicator) target of every block; the same cell twice must agree."""
    indicators = registry.by_id
    records: list[dict] = []
    seen: dict[tuple[str, str], tuple[dict, str]] = {}
    for sheet, row_index, row, region, j, indicator_id, unit, location in annex_cells(sheets, path, registry):
        raw = cell_at(row, j)
        target, comparator, wording = _target_of(raw, indicators.loc[indicator_id], unit, sheet, j, location)
        record = dict(year=year, region=region, indicator_id=indicator_id, target=target)
        record |= dict(comparator=comparator, target_text=wording, is_example=is_example)
        where = f"{sheet.name or ''} 第 {row_index + 1} 行 {column_name(sheet, j)}".strip()
        previous, previous_where = seen.get((region, indicator_id), (None, ""))
        if previous is None:
            seen[(region, indicator_id)] = (record, where)
            records.append(record)
        elif (previous["target"], previous["comparator"]) != (target, comparator):
            raise InputError(
                f"同一区域和指标出现两个不同的目标（另见 {previous_where}，值 {previous['target']}）"
                " / duplicate key with conflicting values",
                value=raw,
                column=column_name(sheet, j),
                fix="删除重复的一行，或改正其中一个数值",
                **location,
            )
    return records


def read_annex(
    path: str | Path, registry: Registry | None = None, check_sums: bool = True, year: int | None = None
) -> pd.DataFrame:
    """The annex targets (指标) as a tidy table ``year, region, indicator_id, target, comparator, target_text,
    is_example`` (``target_text``: the cell's wording, shown where the annex's targets are printed).

    Reads every block of the official layout (序号 | 区域 | per indicator 指标/进度/排名), on one
    sheet or several; header cells may be merged. ``15以上`` → ``15`` with comparator ``>=``.
    With ``check_sums``, warns (:class:`SumMismatchWarning`) where 全县 ≠ Σ regions for an
    indicator that sums (附件: the county row is the total of the regions). ``year``, when given,
    must match the title's year (or stands in for a title without one).
    """
    path = Path(path)
    registry = registry or Registry.load()
    sheets = read_sheets(path)
    year, is_example = _year_of(sheets, path, year)
    records = _annex_records(sheets, path, registry, year, is_example)
    if not records:
        raise InputError(
            "没有找到含“区域”表头的晾晒表 / no annex block (a header row with 区域) found",
            file=path,
            fix="确认工作表包含附件格式的表格：序号、区域、各指标的 指标/进度/排名",
        )
    table = pd.DataFrame.from_records(records)
    _check_complete(table, registry, path)
    table = schemas.validate(_sort(table, registry), schemas.ANNEX, file=path)
    if check_sums:
        checks = annex_sum_checks(table, registry)
        for row in checks[~checks["ok"]].itertuples():
            warnings.warn(
                SumMismatchWarning(
                    f"{path.name}: {row.indicator_id} {registry.total_name} {row.county:g} ≠ 各区域合计 {row.regions_sum:g}"
                    f"（差 {row.difference:+.4g}）"
                ),
                stacklevel=2,
            )
    return table


def _sort(table: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    keys = ["_region_order", "_indicator_order"]
    return (
        table.assign(
            _region_order=table["region"].map(registry.region_order),
            _indicator_order=table["indicator_id"].map(registry.indicator_order),
        )
        .sort_values(keys, kind="stable")
        .drop(columns=["_region_order", "_indicator_order"])
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------- county annual series


# ---------------------------------------------------------------- checks
SUM_TOLERANCE = 0.005  # half a unit of the annex's last printed decimal (0.01 亿元)


class SumMismatchWarning(UserWarning):
    """全县 differs from the sum of the regions for an indicator that sums."""


def _check_complete(table: pd.DataFrame, registry: Registry, path: Path) -> None:
    expected = pd.MultiIndex.from_product([registry.region_names, registry.indicators["indicator_id"]])
    found = pd.MultiIndex.from_frame(table[["region", "indicator_id"]])
    missing = expected.difference(found)
    if len(missing):
        listed = "、".join(f"{r}/{i}" for r, i in list(missing)[:6])
        raise InputError(
            f"晾晒表缺少 {len(missing)} 项目标：{listed}{'…' if len(missing) > 6 else ''}"
            " / the annex is missing targets",
            file=path,
            fix=f"每个区域（含{registry.total_name}）的每个指标都应有一个目标值",
        )


def annex_sum_checks(annex: pd.DataFrame, registry: Registry) -> pd.DataFrame:
    """For each year and summing indicator: 全县, Σ regions, difference, ``ok`` within 0.005."""
    summing = registry.indicators.loc[registry.indicators["sums_to_county"], "indicator_id"]
    part = annex[annex["indicator_id"].isin(summing)]
    is_county = part["region"] == registry.total_name
    county = part[is_county].set_index(["year", "indicator_id"])["target"]
    regions_sum = part[~is_county].groupby(["year", "indicator_id"])["target"].sum()
    checks = pd.DataFrame({"county": county, "regions_sum": regions_sum}).reset_index()
    checks["regions_sum"] = checks["regions_sum"].round(6)
    checks["difference"] = (checks["county"] - checks["regions_sum"]).round(6)
    checks["ok"] = checks["difference"].abs() <= SUM_TOLERANCE
    order = checks["indicator_id"].map(registry.indicator_order)
    checks = checks.assign(_o=order).sort_values(["year", "_o"]).drop(columns="_o").reset_index(drop=True)
    return schemas.validate(checks, schemas.SUM_CHECKS)


def indicator_header(indicator: pd.Series) -> str:
    """An indicator's header as the annex prints it: ``name（unit）``."""
    return f"{indicator['name_zh']}（{indicator['unit']}）"


def annex_blocks(registry: Registry) -> list[pd.DataFrame]:
    """The indicators of each block, in annex order."""
    table = registry.indicators
    return [group for _, group in table.groupby("annex_block", sort=True)]


def to_layout_rows(targets: pd.DataFrame, registry: Registry, title: str, exact: bool = False) -> list[list[object]]:
    """Rows of the official layout, targets filled and 进度/排名 left empty (a CSV-ready grid): each as its
    annex worded it where ``target_text`` says (it reads back to the same target), else written from the
    number (``exact``: every digit)."""
    wording = targets["target_text"] if "target_text" in targets else pd.Series("", index=targets.index)
    pivot = targets.assign(
        text=[
            fmt.annex_target(v, c, registry.indicator(i)["unit"], w, exact)
            for v, c, i, w in zip(targets["target"], targets["comparator"], targets["indicator_id"], wording)
        ]
    )
    text = pivot.pivot(index="region", columns="indicator_id", values="text")
    width = 2 + 3 * max(len(b) for b in annex_blocks(registry))
    rows: list[list[object]] = [[title] + [""] * (width - 1)]
    for number, block in enumerate(annex_blocks(registry)):
        if number:
            rows.append([""] * width)
        header: list[object] = ["序号", "区域"]
        sub: list[object] = ["", ""]
        for _, indicator in block.iterrows():
            header += [indicator_header(indicator), "", ""]
            sub += list(SUB_COLUMNS)
        rows.append(header + [""] * (width - len(header)))
        rows.append(sub + [""] * (width - len(sub)))
        for order, region in zip(registry.regions["annex_order"], registry.regions["region"]):
            row: list[object] = [order, region]
            for indicator_id in block["indicator_id"]:
                row += [text.loc[region, indicator_id], "", ""]
            rows.append(row + [""] * (width - len(row)))
    return rows
