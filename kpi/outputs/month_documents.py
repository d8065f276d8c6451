"""A month's 晾晒表 as files (the board from :func:`kpi.outputs.monthly.month_board`): the CSV, the filled
annex (.xlsx) and the bulletin (.docx), each written atomically. ``kpi leaderboard`` writes all three for
each month; a quarter's publication, the annex and the bulletin of its last month.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kpi.core import atomic
from kpi.ingest.processed import Processed
from kpi.metadata.identity import Imprint
from kpi.outputs.bulletin import bulletin
from kpi.outputs.excel import write_leaderboard_xlsx
from kpi.outputs.monthly import MONTHLY_COLUMNS


def month_csv(board: pd.DataFrame, period: str, out_dir: Path) -> Path:
    """``leaderboard_YYYY-MM.csv`` of ``period`` in ``out_dir`` (UTF-8 with BOM, text cells formula-safe),
    atomically: the month's board as a table to sort and filter."""
    rows = atomic.formula_safe(board.loc[board["period"] == period, MONTHLY_COLUMNS], exclude=("comparator",))
    return atomic.write_csv(out_dir / f"leaderboard_{period}.csv", rows, for_people=True, float_format="%.6g")


def annex_documents(
    board: pd.DataFrame,
    processed: Processed,
    period: str,
    out_dir: Path,
    organisation: str = "",
    publication: dict | None = None,
) -> list[Path]:
    """``晾晒表_YYYY-MM.xlsx`` (the annex layout, :mod:`kpi.outputs.excel`) and ``情况通报_YYYY-MM.docx``
    (:mod:`kpi.outputs.bulletin`) of ``period`` in ``out_dir``: the month's and the quarter's publications."""

    imprint = Imprint(processed.plan, organisation, rules=processed.rules, publication=publication or {})
    xlsx_path = write_leaderboard_xlsx(board, processed.registry, period, out_dir / f"晾晒表_{period}.xlsx", imprint)
    docx = bulletin(board, processed.registry, period, imprint)
    docx_path = atomic.save_document(docx, out_dir / f"情况通报_{period}.docx")
    return [xlsx_path, docx_path]
