"""Benchmarks: ``make bench`` (or ``.venv/bin/python benchmarks/run.py``). Prints tables; see RESULTS.md.

1. End to end, file → leaderboard on disk, against DuckDB (``--only e2e``): synthetic progress of 10^6 and
   10^7 rows as Parquet and CSV; the project's job (``read_progress`` with every check, ``build_leaderboard``,
   ``to_parquet``) and a DuckDB job written as DuckDB's users write it (DuckDB reads the file itself, runs
   ``leaderboard_duckdb.sql``, ``COPY … TO`` Parquet), both in ``jobs.py``, each run in a fresh process,
   timed from launch to exit. Pairs are interleaved (the first runner alternates); the ratio is the median
   of the pairs' ratios.
2. Scale (``--only scale``): 10^3 … 10^7 rows, time (µs per row) and peak memory of ``read_progress``
   (CSV, Parquet), ``build_leaderboard`` and ``assess_frame``, each in a fresh process; peak memory is the largest RSS
   rise during the call, sampled every 5 ms, against the input table's in-memory size.
3. The report batch (全县 + 8 regions, 2 jobs) against its two floors, interleaved in the same run
   (``--only batch``): the notebook floor (the report notebook reduced to its parameters and imports,
   9 times through papermill, a kernel each: what the batch's notebooks cost with nothing in them, the
   floor the goal of ≤ 1.3× refers to) and the publication floor (the same ``run_batch`` with that
   reduced notebook: everything the batch does, its kernel reuse included, except the reports' content).
4. ``kpi report`` end to end from an installed environment (``--only report``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable

STAGE = r"""
import json, os, sys, threading, time, warnings
sys.path.insert(0, {here!r})
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
from synthetic import tables
from kpi.metadata.registry import Registry

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

def measure(call):
    peak = [rss()]
    stop = threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss()); time.sleep(0.005)
    before = rss(); thread = threading.Thread(target=sample); thread.start()
    start = time.perf_counter(); result = call(); seconds = time.perf_counter() - start
    stop.set(); thread.join(); peak[0] = max(peak[0], rss())
    return result, seconds, peak[0] - before

registry, targets, progress = tables(Registry.load(), {rows})
table_bytes = int(progress.memory_usage(deep=True).sum())
stage = {stage!r}
if stage == "read_csv":
    from kpi.inputs.progress_input import read_progress
    path = {path!r} + ".csv"
    del progress
    _, seconds, peak = measure(lambda: read_progress(path, registry))
elif stage == "read_parquet":
    from kpi.inputs.progress_input import read_progress
    path = {path!r} + ".parquet"
    del progress
    _, seconds, peak = measure(lambda: read_progress(path, registry))
elif stage == "leaderboard":
    from kpi.metrics.leaderboard import build_leaderboard
    _, seconds, peak = measure(lambda: build_leaderboard(targets, progress, registry))
elif stage == "trajectories":
    from kpi.metrics.plan_progress import assess_frame
    rng = np.random.default_rng(3)
    n = len(progress)
    series = pd.DataFrame({{"base_year": 2022, "base_value": rng.uniform(1, 10, n), "latest_year": 2025,
                           "latest_value": rng.uniform(1, 12, n), "target_year": 2027, "target_value": rng.uniform(5, 15, n),
                           "higher_is_better": True}})
    table_bytes = int(series.memory_usage(deep=True).sum())
    _, seconds, peak = measure(lambda: assess_frame(series))
print(json.dumps({{"seconds": seconds, "peak_bytes": peak, "table_bytes": table_bytes, "rows": {rows}}}))
"""


def run_stage(stage: str, rows: int, path: str) -> dict:
    code = STAGE.format(here=str(HERE), rows=rows, stage=stage, path=path)
    result = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(f"stage {stage} at {rows} rows failed:\n{result.stderr[-2000:]}")
    return json.loads(next(line for line in reversed(result.stdout.splitlines()) if line.startswith("{")))


def write_inputs(rows: int, folder: Path) -> str:
    sys.path.insert(0, str(HERE))
    from synthetic import tables

    from kpi.metadata.registry import Registry

    _, _, progress = tables(Registry.load(), rows)
    base = str(folder / f"progress_{rows}")
    progress.to_csv(base + ".csv", index=False)
    progress.to_parquet(base + ".parquet", index=False)
    return base


STAGES = ["read_csv", "read_parquet", "leaderboard", "trajectories"]


def bench_scale(sizes: list[int], repeats: int, stages: list[str] = STAGES) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            base = (
                write_inputs(rows, Path(tmp)) if {"read_csv", "read_parquet"} & set(stages) else str(Path(tmp) / "none")
            )
            runs = 1 if rows >= 10**7 else repeats
            for stage in stages:
                measured = [run_stage(stage, rows, base) for _ in range(runs)]
                seconds = statistics.median(m["seconds"] for m in measured)
                peak = statistics.median(m["peak_bytes"] for m in measured)
                row = {
                    "rows": measured[0]["rows"],
                    "stage": stage,
                    "runs": runs,
                    "seconds": seconds,
                    "us_per_row": seconds / measured[0]["rows"] * 1e6,
                    "peak_mb": peak / 1e6,
                    "table_mb": measured[0]["table_bytes"] / 1e6,
                    "peak_over_table": peak / measured[0]["table_bytes"],
                }
                results.append(row)
                print(
                    f"{row['rows']:>10,} {stage:13s} {seconds:9.3f} s {row['us_per_row']:7.2f} µs/row "
                    f"peak {row['peak_mb']:8.1f} MB  table {row['table_mb']:7.1f} MB  ×{row['peak_over_table']:.2f}",
                    flush=True,
                )
    return results


def floor_notebook(folder: Path) -> Path:
    """``04_quarterly_report`` reduced to its floor: the same parameters cell and the same imports, nothing
    else (no data read, no table, no chart), under the same name in ``folder``, beside the other notebooks."""
    import ast

    import nbformat

    real = nbformat.read(ROOT / "notebooks" / "04_quarterly_report.ipynb", as_version=4)
    code = [cell for cell in real.cells if cell.cell_type == "code"]
    parameters = next(cell for cell in code if "parameters" in cell.metadata.get("tags", []))
    imports = [
        ast.unparse(node)
        for cell in code
        if cell is not parameters
        for node in ast.parse(cell.source).body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    floor = nbformat.v4.new_notebook(
        cells=[parameters, nbformat.v4.new_code_cell("\n".join(imports))], metadata=real.metadata
    )
    import shutil

    shutil.copytree(
        ROOT / "notebooks", folder, ignore=shutil.ignore_patterns("04_*", ".*", "kernel-*")
    )  # planned, not run
    nbformat.write(floor, folder / "04_quarterly_report.ipynb")
    return folder / "04_quarterly_report.ipynb"


def bench_batch(jobs: int, repeats: int) -> dict:
    """The quarterly batch and its two floors, interleaved in one run (inputs ingested once, before):

    - batch: ``run_batch`` for 全县 + 8 regions, forced, ``jobs`` at a time (notebooks, HTML, PDFs,
      xlsx, docx, index, manifest);
    - notebook floor (the goal's floor): that reduced notebook alone, 9 times through papermill, a kernel
      each (papermill's own way, no kernel kept), ``jobs`` at a time;
    - publication floor: the same ``run_batch`` with the report notebook reduced to its parameters and
      imports: everything the batch does for a report (its kernel reuse included) except the content.
    """
    from concurrent.futures import ProcessPoolExecutor
    from dataclasses import replace

    from kpi.ingest.pipeline import run_ingest
    from kpi.ingest.processed import load_processed
    from kpi.metadata import config as project
    from kpi.publish.batch import run_batch
    from kpi.publish.batch_plan import plan_jobs
    from kpi.publish.runner import execute_notebook

    figures: dict[str, list[float]] = {"batch": [], "publication_floor": [], "notebook_floor": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = project.load().with_overrides(processed=tmp / "processed")
        run_ingest(config)
        processed = load_processed(config.processed)
        empty = floor_notebook(tmp / "floor_notebooks")
        planned = [
            j
            for j in plan_jobs(2025, 4, processed.registry, tmp / "plan", processed.folder, config.notebooks, "", "")
            if j.region is not None
        ]

        def timed(call) -> float:
            start = time.perf_counter()
            call()
            return time.perf_counter() - start

        def batch(notebooks: Path, out: Path) -> None:
            result = run_batch(
                processed, replace(config, notebooks=notebooks, reports=out), 2025, 4, None, jobs, True, analysis=False
            )
            assert not result.failures, result.failures

        def notebooks_only(out: Path) -> None:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                list(
                    pool.map(
                        execute_notebook,
                        [empty] * len(planned),
                        [out / f"{j.key}.ipynb" for j in planned],
                        [j.parameters for j in planned],
                    )
                )

        for run in range(repeats):
            figures["batch"].append(timed(lambda: batch(config.notebooks, tmp / f"batch{run}")))
            figures["publication_floor"].append(timed(lambda: batch(empty.parent, tmp / f"floor{run}")))
            figures["notebook_floor"].append(timed(lambda: notebooks_only(tmp / f"notebooks{run}")))
    out = {key: statistics.median(values) for key, values in figures.items()}
    out.update(
        jobs=jobs,
        repeats=repeats,
        runs=figures,
        ratio_publication=statistics.median(b / f for b, f in zip(figures["batch"], figures["publication_floor"])),
        ratio_notebooks=statistics.median(b / f for b, f in zip(figures["batch"], figures["notebook_floor"])),
    )
    print(
        f"batch (9 reports, {jobs} jobs): {out['batch']:.1f} s; notebook floor (the report notebook reduced to "
        f"its parameters and imports, 9 times through papermill, a kernel each): {out['notebook_floor']:.1f} s, "
        f"ratio ×{out['ratio_notebooks']:.2f} (goal ≤ 1.3×); publication floor (the same batch with that reduced "
        f"notebook): {out['publication_floor']:.1f} s, ratio ×{out['ratio_publication']:.2f} "
        f"(medians of {repeats} interleaved runs)"
    )
    return out


def _timeit(command) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def bench_report(repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            times.append(
                _timeit(
                    [
                        str(ROOT / ".venv" / "bin" / "kpi"),
                        "report",
                        "--out",
                        tmp,
                        "--processed",
                        str(Path(tmp) / "processed"),
                    ]
                )
            )
    out = {"seconds": statistics.median(times), "repeats": repeats}
    print(
        f"kpi report end to end (9 reports + 3 analysis notebooks, PDFs): {out['seconds']:.1f} s (median of {repeats})"
    )
    return out


def _run_job(job: str, source: Path, folder: Path) -> dict:
    out = folder / f"board_{job}.parquet"
    start = time.perf_counter()
    result = subprocess.run(
        [PY, "-W", "ignore", str(HERE / "jobs.py"), job, str(source), str(folder), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"job {job} on {source.name} failed:\n{result.stderr[-2000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    out.unlink()
    return {**figures, "wall_s": wall}


def bench_end_to_end(sizes: list[int], pairs: int, jobs: tuple[str, ...] = ("project", "duckdb")) -> list[dict]:
    """Interleaved pairs of fresh processes per size and format; medians of times and of pair ratios."""
    sys.path.insert(0, str(HERE))
    from jobs import prepare
    from synthetic import tables

    from kpi.metadata.registry import Registry

    results = []
    for rows in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            registry, targets, progress = tables(Registry.load(), rows)
            table_mb = progress.memory_usage(deep=True).sum() / 1e6
            prepare(registry, targets, folder)
            progress.to_parquet(folder / "progress.parquet", index=False)
            progress.to_csv(folder / "progress.csv", index=False)
            n = len(progress)
            del progress
            for suffix in (".parquet", ".csv"):
                source = folder / f"progress{suffix}"
                runs: dict[str, list[dict]] = {job: [] for job in jobs}
                for pair in range(pairs):
                    for job in jobs if pair % 2 == 0 else jobs[::-1]:
                        runs[job].append(_run_job(job, source, folder))
                ratios = [p["wall_s"] / d["wall_s"] for p, d in zip(runs["project"], runs["duckdb"])]
                row = {
                    "rows": n,
                    "input": suffix[1:],
                    "pairs": pairs,
                    "table_mb": table_mb,
                    "ratio": statistics.median(ratios),
                    "ratio_after_imports": statistics.median(
                        p["seconds"] / d["seconds"] for p, d in zip(runs["project"], runs["duckdb"])
                    ),
                }
                for job in jobs:
                    row[f"{job}_s"] = statistics.median(r["wall_s"] for r in runs[job])
                    row[f"{job}_after_imports_s"] = statistics.median(r["seconds"] for r in runs[job])
                    row[f"{job}_max_rss_mb"] = max(r["max_rss_mb"] for r in runs[job])
                results.append(row)
                print(
                    f"{n:>10,} {suffix[1:]:8s} project {row['project_s']:6.2f} s  duckdb {row['duckdb_s']:6.2f} s  "
                    f"ratio ×{row['ratio']:.2f} (after imports ×{row['ratio_after_imports']:.2f}; {pairs} pairs)  "
                    f"peak RSS {row['project_max_rss_mb']:.0f} / {row['duckdb_max_rss_mb']:.0f} MB",
                    flush=True,
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-rows", type=int, default=10**7)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["e2e", "scale", "batch", "report"], nargs="*")
    parser.add_argument("--pairs", type=int, default=5, help="interleaved pairs per end-to-end figure (10^7: 3)")
    parser.add_argument("--stages", choices=STAGES, nargs="*", help="scale stages to run (default: all)")
    parser.add_argument("--json", help="write the figures here as JSON")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    only = set(args.only or ["e2e", "scale", "batch", "report"])
    figures = {}
    if "e2e" in only:
        sizes = [n for n in (10**6, 10**7) if n <= args.max_rows]
        figures["end_to_end"] = [
            *bench_end_to_end(sizes[:1], args.pairs),
            *bench_end_to_end(sizes[1:], min(args.pairs, 3)),
        ]
    if "scale" in only:
        sizes = [n for n in (10**3, 10**4, 10**5, 10**6, 10**7) if n <= args.max_rows]
        figures["scale"] = bench_scale(sizes, args.repeats, args.stages or STAGES)
    if "batch" in only:
        figures["batch"] = bench_batch(2, args.repeats)
    if "report" in only:
        figures["report"] = bench_report(max(1, args.repeats - 1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
