"""The pieces that serve a province-wide rollout: the DuckDB reference agrees with build_leaderboard(), and the
batch runs on a Dask cluster with the same task function."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi.core import paths
from kpi.inputs.annex import read_annex
from kpi.inputs.progress_input import read_progress

sys.path.insert(0, str(paths.ROOT / "benchmarks"))


def example_inputs(registry):
    files = [paths.RAW / "annex_2023.csv", *(paths.EXAMPLE / f"annex_{y}_example.csv" for y in (2024, 2025))]
    targets = pd.concat([read_annex(path, registry) for path in files], ignore_index=True)
    return registry, targets, paths.EXAMPLE / "progress_example.csv"


def synthetic_inputs(registry):
    from synthetic import tables

    return tables(registry, 20_000)


@pytest.mark.parametrize("make", [example_inputs, synthetic_inputs], ids=["example", "synthetic-20k"])
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_the_duckdb_job_writes_the_same_leaderboard(registry, make, suffix, tmp_path):
    """The benchmark's two end-to-end jobs (benchmarks/jobs.py): DuckDB reading the file itself and
    writing with COPY, and the project's read_progress → build_leaderboard → Parquet, agree to 1e-12."""
    pytest.importorskip("duckdb")
    from jobs import duckdb_job, prepare, project

    reg, targets, progress = make(registry)
    if isinstance(progress, Path):  # the shipped example: the tidy table as the jobs' input
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            progress = read_progress(progress, reg)
        targets = targets[targets["year"].isin(pd.unique(progress["period"].str[:4].astype(int)))]
    prepare(reg, targets, tmp_path)
    source = tmp_path / f"progress{suffix}"
    progress.to_parquet(source, index=False) if suffix == ".parquet" else progress.to_csv(source, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        project(source, tmp_path, tmp_path / "ours.parquet")
    duckdb_job(source, tmp_path, tmp_path / "reference.parquet")
    ours, reference = pd.read_parquet(tmp_path / "ours.parquet"), pd.read_parquet(tmp_path / "reference.parquet")
    assert len(ours) == len(reference) > 0
    assert (ours["period"].astype(str).to_numpy() == reference["period"].astype(str).to_numpy()).all()
    assert (ours["region"].astype(str).to_numpy() == reference["region"].astype(str).to_numpy()).all()
    for column in ("target", "actual", "completion_rate", "time_share"):
        np.testing.assert_allclose(
            ours[column].astype(float), reference[column].astype(float), rtol=1e-12, equal_nan=True
        )
    assert (ours["status"].astype(str).to_numpy() == reference["status"].astype(str).to_numpy()).all()
    assert (
        ours["rank"].astype(float).fillna(-1).to_numpy() == reference["rank"].astype(float).fillna(-1).to_numpy()
    ).all()


@pytest.mark.integration
def test_batch_on_a_dask_local_cluster(tmp_path, warm_kernels):
    distributed = pytest.importorskip("distributed")
    from kpi.ingest.pipeline import run_ingest
    from kpi.ingest.processed import load_processed
    from kpi.publish.batch import run_batch
    from kpi.publish.pdf import why_no_pdf
    from tests.support import config_for

    config = config_for(paths.RAW, tmp_path / "processed", tmp_path)
    run_ingest(config)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = run_batch(
            load_processed(config.processed),
            config,
            2025,
            4,
            ["全县", "壶山镇"],
            2,
            False,
            analysis=False,
            executor="dask",
            scheduler=cluster.scheduler_address,
        )
    assert not result.failures and result.executed == 2
    out = tmp_path / "2025-Q4"
    assert (out / "county.html").exists() and (out / "hushan.html").exists() and (out / "index.html").exists()
    if why_no_pdf() is None:  # Dask's workers do not print: the batch's own printer does
        assert (out / "county.pdf").exists() and (out / "hushan.pdf").exists()
