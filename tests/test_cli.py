"""End to end: the installed ``kpi`` command on a temporary copy of the data."""

import pytest

from kpi.core import paths
from tests.support import example_hashes, run_kpi, tree_hashes


def test_help():
    result = run_kpi("--help")
    assert result.returncode == 0
    for command in ("ingest", "make-example", "report"):
        assert command in result.stdout


@pytest.mark.integration
def test_ingest_end_to_end(raw_copy, tmp_path):
    before = tree_hashes(raw_copy)
    result = run_kpi("ingest", "--raw", str(raw_copy), "--processed", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "annex targets: 189" in result.stdout and "checks failed: 0" in result.stdout
    assert "county annual rows: 66" in result.stdout
    assert "示例数据" in result.stdout
    assert (tmp_path / "out" / "progress.parquet").exists()
    assert tree_hashes(raw_copy) == before


@pytest.mark.integration
def test_bad_input_prints_one_message_and_exits_2(raw_copy, tmp_path):
    annex = raw_copy / "annex_2023.csv"
    annex.write_text(annex.read_text(encoding="utf-8").replace("6,舒洪镇", "6,舒红镇"), encoding="utf-8")
    result = run_kpi("ingest", "--raw", str(raw_copy), "--processed", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "annex_2023.csv" in result.stderr and "第 10 行" in result.stderr and "舒红镇" in result.stderr
    assert "最接近的是“舒洪镇”" in result.stderr and "修改方法" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.integration
def test_make_example_is_deterministic(raw_copy):
    before = tree_hashes(raw_copy)
    assert run_kpi("make-example", "--raw", str(raw_copy), "--out", str(raw_copy.parent / "example")).returncode == 0
    assert tree_hashes(raw_copy) == before
    assert example_hashes(raw_copy.parent / "example") == example_hashes(paths.EXAMPLE)


@pytest.mark.integration
def test_make_example_never_writes_into_the_registry(raw_copy):
    """data/raw is written by no command: make-example refuses it (and any folder inside it), exit 2."""
    before = tree_hashes(raw_copy)
    for out in (raw_copy, raw_copy / "example"):
        result = run_kpi("make-example", "--raw", str(raw_copy), "--out", str(out))
        assert result.returncode == 2 and "不能写入原始数据文件夹" in result.stderr and "Traceback" not in result.stderr
    assert tree_hashes(raw_copy) == before
