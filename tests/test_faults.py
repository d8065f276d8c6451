"""Nothing lost: a run killed with SIGKILL at any moment leaves the last good outputs whole and
readable; two runs at once are serialised."""

import hashlib
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.errors import InputError
from kpi.ingest.processed import load_processed

pytestmark = pytest.mark.slow


def outputs(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def ingest(raw, processed, progress):
    return [
        sys.executable,
        "-m",
        "kpi.cli",
        "ingest",
        "--raw",
        str(raw),
        "--processed",
        str(processed),
        "--progress",
        str(progress),
    ]


@pytest.fixture(scope="module")
def big_input(tmp_path_factory):
    """The example progress repeated over 60 years (~45,000 rows), so that writing takes a while."""
    base = tmp_path_factory.mktemp("faults")
    raw = base / "raw"
    shutil.copytree(paths.RAW, raw)
    progress = pd.read_csv(paths.EXAMPLE / "progress_example.csv", dtype={"period": str})
    copies = [
        progress.assign(
            period=(progress["period"].str[:4].astype(int) + 3 * k).astype(str) + progress["period"].str[4:]
        )
        for k in range(20)
    ]
    big = base / "progress_big.csv"
    pd.concat(copies).to_csv(big, index=False)
    old, new = base / "expected_old", base / "expected_new"
    assert subprocess.run(ingest(raw, old, paths.EXAMPLE / "progress_example.csv"), capture_output=True).returncode == 0
    assert subprocess.run(ingest(raw, new, big), capture_output=True).returncode == 0
    return raw, big, outputs(old), outputs(new), old


def test_sigkill_leaves_last_good_outputs(big_input, tmp_path):
    raw, big, old, new, old_dir = big_input
    processed = tmp_path / "processed"
    start = time.monotonic()
    subprocess.run(ingest(raw, processed, big), capture_output=True, check=True)
    full = time.monotonic() - start
    outcomes = set()
    for fraction in (0.2, 0.4, 0.55, 0.65, 0.75, 0.85, 0.92, 0.97):
        shutil.rmtree(processed)
        shutil.copytree(old_dir, processed)  # the last good run
        process = subprocess.Popen(ingest(raw, processed, big), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        found = outputs(processed)
        assert set(found) == set(old), fraction
        for name, digest in found.items():
            assert digest in (old[name], new[name]), (fraction, name)  # whole: the old file or the new one
        pd.read_csv(processed / "progress.csv")  # readable
        if found["ingest_summary.json"] == new["ingest_summary.json"]:  # the commit mark is written last
            assert found == new
            assert len(load_processed(processed).progress) > 40_000
        elif found != old:
            with pytest.raises(InputError, match="不完整或不一致"):  # a mixed set is detected, never used
                load_processed(processed)
        outcomes.add(tuple(found[n] == new[n] for n in sorted(found)))
    assert outcomes  # several kill points were exercised


def test_two_runs_at_once_are_serialised(big_input, tmp_path):
    raw, big, _, new, _ = big_input
    processed = tmp_path / "processed"
    runs = [
        subprocess.Popen(ingest(raw, processed, big), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for run in runs:
        assert run.wait() == 0, run.stderr.read()
    assert outputs(processed) == new
