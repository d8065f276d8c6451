"""Nothing lost: a run killed with SIGKILL at any moment leaves the last good outputs whole and
readable; two runs at once are serialised."""

import hashlib
import shutil
import signal

import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.errors import RunError
from kpi.ingest.processed import load_processed
from tests.support import run_kpi, start_kpi

pytestmark = pytest.mark.integration


def outputs(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


def ingest(raw, processed, progress) -> list[str]:
    """``kpi ingest``'s arguments for these folders."""
    return [
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
    assert run_kpi(*ingest(raw, old, paths.EXAMPLE / "progress_example.csv")).returncode == 0
    assert run_kpi(*ingest(raw, new, big)).returncode == 0
    return raw, big, outputs(old), outputs(new), old


def _run(raw, processed, progress, env: dict):
    """``kpi ingest`` in its own process, with the fault points of ``env``."""
    return start_kpi(*ingest(raw, processed, progress), env=env)


#: each fault point of an ingest, and the tables it leaves new (the rest as the last good run left them)
KILL_POINTS = {
    "ingest-locked": set(),
    "atomic-before-replace": set(),  # the first table half written, beside it: old table, temporary file
    "ingest-wrote-progress.parquet": {"progress.parquet"},
    "ingest-before-summary": {"progress.parquet", "inputs.parquet"},
}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_killed_ingest_leaves_the_last_good_tables_or_says_they_are_mixed(big_input, tmp_path, faults, point):
    """SIGKILL at each moment of writing: every file is whole (the old one or the new one); the tables
    the kill left new are exactly those written before it; a mixed set is refused, never read."""
    raw, big, old, new, old_dir = big_input
    processed = tmp_path / "processed"
    shutil.copytree(old_dir, processed)  # the last good run
    run = _run(raw, processed, big, faults.kill_at(point))
    assert run.wait(120) == -signal.SIGKILL, run.stderr.read()  # it died at the point
    found = outputs(processed)
    assert set(found) == set(old)
    changed = {name for name in found if found[name] != old[name]}
    assert changed == KILL_POINTS[point]
    assert all(found[name] == new[name] for name in changed)  # whole: the new file, never a part of it
    if changed:
        with pytest.raises(RunError, match="不完整或不一致"):  # a mixed set is detected, never used
            load_processed(processed)
    else:
        assert len(load_processed(processed).progress) == len(pd.read_parquet(old_dir / "progress.parquet"))
    again = _run(raw, processed, big, {})
    assert again.wait(120) == 0, again.stderr.read()  # the next run completes the set
    assert outputs(processed) == new
    assert len(load_processed(processed).progress) > 40_000
    assert not list(processed.glob(".*.tmp"))  # what the killed run left half written is gone


def test_two_runs_at_once_are_serialised(big_input, tmp_path, faults):
    """The first run holds the lock, paused before it writes; the second, of other data, reaches the lock
    meanwhile. Serialised, the second writes after the first and its tables are the ones left (without the
    lock it would write while the first waits, and the first's would be left)."""
    raw, big, old, new, _ = big_input
    processed = tmp_path / "processed"
    first = _run(raw, processed, big, faults.pause_at("ingest-locked"))
    faults.wait_until_reached("ingest-locked", first)
    faults.release("ingest-before-lock")  # the second goes straight on to the lock
    second = _run(raw, processed, paths.EXAMPLE / "progress_example.csv", faults.pause_at("ingest-before-lock"))
    faults.wait_until_reached("ingest-before-lock", second)
    faults.release("ingest-locked")
    assert first.wait(120) == 0, first.stderr.read()
    assert second.wait(120) == 0, second.stderr.read()
    assert outputs(processed) == old
