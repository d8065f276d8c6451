"""Memory and time of ``kpi ingest`` on hostile progress files (issue #25): ``.venv/bin/python
benchmarks/hostile_inputs.py``. Each file is written to a temporary folder, read by ``kpi ingest`` in a
fresh process, and reported with its exit code, seconds and peak resident memory (``wait4``). The
bounds it checks are stated in ``kpi/inputs/raw_table.py`` (``MAX_BULK_*``): within them ingest should stay
under about 3.5 GB; beyond them a file is refused before it is parsed, in well under a second.

Files (about 3 GB of temporary disk while it runs):
- ``worst-1gb``: just under the 1 GB bound, 10.6 million rows of one key with a 60-character value
  (the widest text column the bounds allow; identical rows are kept once);
- ``blank-lines``: 19.9 million blank rows ``,,,`` (the most rows the bounds allow);
- ``sparse-2gb``: the audit's 2 GB file of blank rows (12.7 GB of memory before the bounds);
- ``wide``: one row of 10^6 columns (39 s before the bounds).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = "period,region,indicator_id,value\n"


def _write(path: Path, line: str, count: int) -> Path:
    block = line * 100_000
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for _ in range(count // 100_000):
            handle.write(block)
        handle.write(line * (count % 100_000))
    return path


def files(folder: Path) -> dict[str, Path]:
    """The hostile files, written into ``folder``."""
    wide = folder / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(10**6)) + "\n" + ",".join(["1"] * 10**6) + "\n")
    return {
        "worst-1gb": _write(
            folder / "worst.csv", "2025-01,壶山镇,new_invention_patents,3." + "0" * 57 + "\n", 10_600_000
        ),
        "blank-lines": _write(folder / "blank.csv", ",,,\n", 19_900_000),
        "sparse-2gb": _write(folder / "sparse.csv", ",,,\n", 2**31 // 4),
        "wide": wide,
    }


def measure(project: Path, source: Path) -> tuple[int, float, float]:
    """``kpi ingest --progress source`` in a fresh process: exit code, seconds, peak RSS in GB."""
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "kpi.cli.main", "ingest", "--progress", str(source), "--config", str(project)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    return os.waitstatus_to_exitcode(status), time.monotonic() - start, usage.ru_maxrss / 2**20


def main() -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        project = folder / "kpi.toml"
        raw = (ROOT / "data" / "raw").as_posix()
        project.write_text(
            f'[county]\nname = "某县"\n[data]\nregistry = "{raw}"\nstore = "store"\n'
            f'annex = ["{raw}/annex_2023.csv"]\nprogress = []\ncounty_annual = []\n'
            '[output]\nprocessed = "processed"\nreports = "reports"\n',
            encoding="utf-8",
        )
        print(f"{'file':<12} {'size':>9} {'exit':>4} {'seconds':>8} {'peak GB':>8}")
        for name, path in files(folder).items():
            code, seconds, peak = measure(project, path)
            print(f"{name:<12} {path.stat().st_size / 2**30:>7.2f}GB {code:>4} {seconds:>8.1f} {peak:>8.2f}")
            path.unlink()


if __name__ == "__main__":
    main()
