"""The end-to-end jobs the benchmark compares: a file of progress rows → the leaderboard on disk (Parquet).

Each job runs in a fresh process (``python benchmarks/jobs.py JOB INPUT FOLDER OUT``) and prints one JSON
line: ``seconds`` from the start of its work (after imports) to the board on disk, ``process_s`` from the
start of the script, and the process's peak RSS. ``FOLDER`` holds what ``prepare`` wrote beside the input: the targets
(``targets.parquet``) and the registry tables a job outside Python would read (``regions.parquet`` …).

- ``project``: what ``kpi`` does — ``read_progress`` (every check), ``build_leaderboard``, ``to_parquet``.
- ``duckdb``: the same board the way DuckDB's own users write it: DuckDB reads the input file itself
  (``read_parquet`` / ``read_csv``), runs ``leaderboard_duckdb.sql`` and writes with ``COPY … TO``;
  nothing passes through pandas.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

STARTED = time.perf_counter()
HERE = Path(__file__).resolve().parent
SQL = HERE / "leaderboard_duckdb.sql"


def prepare(registry, targets, folder: Path) -> None:
    """Write the targets and the registry tables both jobs read (small: regions × indicators × years)."""
    targets.to_parquet(folder / "targets.parquet", index=False)
    registry.regions.to_parquet(folder / "regions.parquet", index=False)
    registry.indicators.to_parquet(folder / "indicators.parquet", index=False)
    registry.pacing_profiles.to_parquet(folder / "profiles.parquet", index=False)


def project(source: Path, folder: Path, out: Path) -> float:
    from dataclasses import replace

    import pandas as pd

    from kpi.inputs.progress_input import read_progress
    from kpi.metadata.registry import Registry
    from kpi.metrics.leaderboard import build_leaderboard

    start = time.perf_counter()
    registry = replace(
        Registry.load(),
        regions=pd.read_parquet(folder / "regions.parquet"),
        indicators=pd.read_parquet(folder / "indicators.parquet"),
        pacing_profiles=pd.read_parquet(folder / "profiles.parquet"),
    )
    targets = pd.read_parquet(folder / "targets.parquet")
    progress = read_progress(source, registry)
    build_leaderboard(targets, progress, registry).to_parquet(out, index=False)
    return start


def duckdb_job(source: Path, folder: Path, out: Path, threads: int = 2) -> float:
    import duckdb

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads TO {int(threads)}")
    con.execute("SET enable_progress_bar = false")
    reader = "read_parquet" if source.suffix == ".parquet" else "read_csv"
    con.execute(f"CREATE VIEW progress AS SELECT * FROM {reader}('{source}')")
    files = {
        name: f"read_parquet('{folder / (name + '.parquet')}')"
        for name in ("targets", "regions", "indicators", "profiles")
    }
    con.execute(f"CREATE VIEW targets AS SELECT * FROM {files['targets']}")
    con.execute(f"CREATE VIEW regions AS SELECT region, annex_order AS region_order FROM {files['regions']}")
    con.execute(
        "CREATE VIEW indicators AS SELECT indicator_id, annex_order AS i_order, kind, sums_to_county, "
        f"higher_is_better, weight, pacing_profile FROM {files['indicators']}"
    )
    con.execute(f"CREATE VIEW profiles AS SELECT profile, month, time_share FROM {files['profiles']}")
    con.execute("CREATE VIEW periods AS SELECT DISTINCT period FROM progress")
    con.execute(f"COPY ({SQL.read_text(encoding='utf-8').rstrip().rstrip(';')}) TO '{out}' (FORMAT parquet)")
    return start


JOBS = {"project": project, "duckdb": duckdb_job}

if __name__ == "__main__":
    job, source, folder, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    start = JOBS[job](source, folder, out)
    end = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"job": job, "seconds": end - start, "process_s": end - STARTED, "max_rss_mb": peak_mb}))
