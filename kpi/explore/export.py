"""What the explorer shows, taken away (#28): the tables behind its trend and comparison charts as one
.xlsx (a sheet each) and as CSV (UTF-8 with a BOM, so Excel on a Chinese Windows opens it as Chinese), each
headed by a title row that says what was chosen (regions, indicator, months) and whether the data are the
example. Offered in the page itself as download links (data: URLs): nothing is written on the server and
nothing is fetched, so it works in Voilà and JupyterLab alike, offline.
"""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

from kpi.core.atomic import formula_safe, safe_cell
from kpi.core.facts import EXAMPLE_LABEL
from kpi.explore.data import EXPLORE_COLUMNS, compare, indicator_names, trend
from kpi.metadata import fields

#: the columns exported (those of :func:`kpi.explore.data.trend` and ``compare``), with their headings and
#: Excel number formats from the field table
EXPORTED = [*EXPLORE_COLUMNS, "last_year"]
HEADINGS = fields.headings(EXPORTED)
NUMBER_FORMATS = {fields.heading(name): fields.excel_format(name) for name in EXPORTED if fields.excel_format(name)}


def export_tables(trend_rows: pd.DataFrame, compare_rows: pd.DataFrame, names: dict[str, str]) -> dict:
    """The two views' tables with Chinese headings, the indicator by its name, rates as fractions (the
    workbook formats them as %): ``{"趋势": …, "对比": …}``."""
    tables = {}
    for sheet, rows in (("趋势", trend_rows), ("对比", compare_rows)):
        shown = rows[[c for c in HEADINGS if c in rows]].copy()
        if "indicator_id" in shown:
            shown["indicator_id"] = shown["indicator_id"].map(names).fillna(shown["indicator_id"])
        if "rank" in shown:
            shown["rank"] = shown["rank"].astype("Int64")
        tables[sheet] = shown.rename(columns=HEADINGS).reset_index(drop=True)
    return tables


def view_title(regions: list[str], indicator_name: str, start: str, end: str, month: str, is_example: bool) -> str:
    """What was chosen, as the title row says it."""
    example = f"；{EXAMPLE_LABEL}" if is_example else ""
    return f"{indicator_name}：{'、'.join(regions)}，{start}—{end}；对比月份 {month}{example}"


def workbook_bytes(tables: dict[str, pd.DataFrame], title: str) -> bytes:
    """An .xlsx with one sheet per table: the title in row 1, the headings in row 2, then the rows (rates as
    % with one decimal); text cells guarded against formulas."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title, workbook.properties.language = title, "zh-CN"
    for name, table in tables.items():
        sheet = workbook.create_sheet(name)
        sheet.append([title])
        sheet["A1"].font = Font(bold=True)
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False):
            sheet.append([_cell(value) for value in row])
        for column, heading in enumerate(table.columns, start=1):
            if heading in NUMBER_FORMATS:
                for cell in sheet.iter_rows(min_row=3, min_col=column, max_col=column):
                    cell[0].number_format = NUMBER_FORMATS[heading]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(table: pd.DataFrame, title: str) -> bytes:
    """A CSV in UTF-8 with a BOM: the title line, then the table."""
    body = formula_safe(table).to_csv(index=False, lineterminator="\r\n")
    return ("\ufeff" + f'"{title}"\r\n' + body).encode("utf-8")


def download_links(tables: dict[str, pd.DataFrame], title: str, stem: str) -> str:
    """HTML links that download the view: the workbook and each table as CSV (data: URLs, offline)."""
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    links = [(f"{stem}.xlsx", xlsx, workbook_bytes(tables, title), "Excel（趋势、对比两表）")]
    links += [
        (f"{stem}_{name}.csv", "text/csv", csv_bytes(table, title), f"{name} CSV") for name, table in tables.items()
    ]
    return "导出当前视图：" + "　".join(
        f"<a download='{html.escape(file)}' href='data:{kind};base64,{base64.b64encode(data).decode()}'>"
        f"{html.escape(label)}</a>"
        for file, kind, data, label in links
    )


def export_view(board: pd.DataFrame, registry, view: dict, is_example: bool):
    """The links of :func:`download_links` for a view (``region``: a list, ``indicator``, ``start``, ``end``,
    ``month``: what the explorer's controls hold, as :mod:`kpi.explore.address` names them), as HTML."""
    from IPython.display import HTML

    names = indicator_names(registry)
    tables = export_tables(
        trend(board, view["region"], view["indicator"], view["start"], view["end"]),
        compare(board, view["month"], view["indicator"], registry),
        names,
    )
    title = view_title(view["region"], names[view["indicator"]], view["start"], view["end"], view["month"], is_example)
    stem = f"探索_{names[view['indicator']]}_{view['start']}_{view['end']}"
    return HTML(f"<p>{download_links(tables, title, stem)}</p>")


def _cell(value):
    """A value as a cell holds it: blanks empty, numbers as numbers, text guarded against formulas."""
    if pd.isna(value):
        return None
    if isinstance(value, str):
        return safe_cell(value)
    return value.item() if hasattr(value, "item") else value
