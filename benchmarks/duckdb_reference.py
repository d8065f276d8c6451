"""The DuckDB reference of the leaderboard: one place that registers the inputs and reads the SQL,
used by the benchmark (``run.py``) and by the test that checks it agrees with ``kpi.progress.score``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SQL = Path(__file__).resolve().parent / "leaderboard_duckdb.sql"


def connect(registry, targets: pd.DataFrame, progress: pd.DataFrame, threads: int | None = None):
    """A DuckDB connection with the query's inputs registered (zero-copy), and the query's text."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # it would print to stdout on long queries
    if threads:
        con.execute(f"SET threads TO {int(threads)}")
    frames = {
        "progress": progress, "targets": targets,
        "regions": registry.regions.rename(columns={"annex_order": "region_order"})[["region", "region_order"]],
        "indicators": registry.indicators.rename(columns={"annex_order": "i_order"})[
            ["indicator_id", "i_order", "kind", "sums_to_county", "higher_is_better", "weight", "pacing_profile"]],
        "profiles": registry.pacing_profiles[["profile", "month", "time_share"]],
        "periods": pd.DataFrame({"period": sorted(progress["period"].unique())}),
    }
    for name, frame in frames.items():
        con.register(name, frame)
    return con, SQL.read_text(encoding="utf-8")
