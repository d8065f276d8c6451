"""The pieces that serve a province-wide rollout: the DuckDB reference agrees with score(), and the
batch runs on a Dask cluster with the same task function."""

import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from kpi import paths
from kpi.ingest import read_annex, read_progress
from kpi.progress import score

sys.path.insert(0, str(paths.ROOT / "benchmarks"))


def duckdb_leaderboard(registry, targets, progress):
    pytest.importorskip("duckdb")
    from duckdb_reference import connect

    con, sql = connect(registry, targets, progress)
    return con.execute(sql).df()


def example_inputs(registry):
    files = [paths.RAW / "annex_2023.csv", *(paths.RAW / "example" / f"annex_{y}_example.csv" for y in (2024, 2025))]
    targets = pd.concat([read_annex(path, registry) for path in files], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        progress = read_progress(paths.RAW / "example" / "progress_example.csv", registry)
    return registry, targets, progress


def synthetic_inputs(registry):
    from synthetic import tables

    return tables(registry, 20_000)


@pytest.mark.parametrize("make", [example_inputs, synthetic_inputs], ids=["example", "synthetic-20k"])
def test_duckdb_reference_computes_the_same_leaderboard(registry, make):
    reg, targets, progress = make(registry)
    ours, reference = score(targets, progress, reg), duckdb_leaderboard(reg, targets, progress)
    assert len(ours) == len(reference)
    for column in ("target", "actual", "completion_rate", "time_share"):
        np.testing.assert_allclose(ours[column].astype(float), reference[column].astype(float), equal_nan=True)
    assert (ours["status"].astype(str).to_numpy() == reference["status"].astype(str).to_numpy()).all()
    assert (ours["rank"].astype(float).fillna(-1).to_numpy() == reference["rank"].astype(float).fillna(-1).to_numpy()).all()


@pytest.mark.slow
def test_batch_on_a_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    from kpi.batch import run_batch
    from kpi.pipeline import load_processed, run_ingest
    from tests.conftest import config_for

    config = config_for(paths.RAW, tmp_path / "processed", tmp_path)
    run_ingest(config)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = run_batch(load_processed(config.processed), config, 2025, 4, ["全县", "壶山镇"], 2, False, analysis=False,
                           executor="dask", scheduler=cluster.scheduler_address)
    assert not result.failures and result.executed == 2
    out = tmp_path / "2025-Q4"
    assert (out / "county.html").exists() and (out / "hushan.html").exists() and (out / "index.html").exists()
