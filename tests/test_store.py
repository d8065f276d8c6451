"""The store as a database: one collection is one transaction, writers are serialised, a CSV store is
migrated once, and nothing received is lost — checked by killing ``kpi collect`` and ``kpi import-annex``
at every moment of their work (fault points, not timed guesses), and by running two collections at once."""

import os
import signal
import sqlite3
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from kpi.core import paths
from kpi.metadata import config as project
from kpi.store.collect import stored
from kpi.store.database import Store
from tests.support import run_kpi, start_kpi, write_config

pytestmark = pytest.mark.integration


def county(tmp_path: Path) -> Path:
    write_config(tmp_path, progress=[tmp_path / "store" / "progress.csv"], annex=[paths.RAW / "annex_2023.csv"])
    return tmp_path


def form(path: Path, period: str, rows: dict) -> Path:
    """A wide form: ``{region: patents}`` (新增发明专利)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"时期,{period}", "区域,新增发明专利（件）", *[f"{region},{value}" for region, value in rows.items()]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def spawn(folder: Path, *args, env: dict | None = None):
    """``kpi ARGS`` started in ``folder``, not waited for (its stderr a pipe)."""
    return start_kpi(*args, cwd=folder, env=env)


def database(folder: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(folder / "store" / "store.sqlite")
    assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    return connection


def state(folder: Path) -> tuple[dict, int]:
    """The store's values {(period, region): value} and its number of corrections, read from the database."""
    if not (folder / "store" / "store.sqlite").exists():
        return {}, 0
    connection = database(folder)
    try:
        values = dict(
            ((p, r), v) for p, r, v in connection.execute("SELECT period, region, value FROM progress").fetchall()
        )
        corrections = connection.execute("SELECT count(*) FROM corrections").fetchone()[0]
    except sqlite3.OperationalError:  # killed before the first commit made the tables
        return {}, 0
    finally:
        connection.close()
    return values, corrections


#: the fault points of a collection or an annex import before its commit (a kill there leaves nothing of it)
BEFORE_COMMIT = {"atomic-before-replace", "received-kept", "annex-written", "before-commit"}


def test_a_collection_is_one_transaction_at_every_commit_point(tmp_path, faults):
    folder = county(tmp_path)
    first = form(folder / "in" / "a.csv", "2026-03", {"壶山镇": 5, "新建镇": 2})
    again = form(folder / "late" / "b.csv", "2026-03", {"壶山镇": 6})
    assert run_kpi("collect", str(first), "--period", "2026-03", cwd=folder).returncode == 0
    for point in ("received-kept", "before-commit", "after-commit", "export-partial"):
        killed = spawn(folder, "collect", str(again), "--period", "2026-03", env=faults.kill_at(point))
        assert killed.wait(60) == -signal.SIGKILL
        values, corrections = state(folder)
        # before the commit nothing of it; after the commit the value and its correction, together
        expected = ({("2026-03", "壶山镇"): 5.0, ("2026-03", "新建镇"): 2.0}, 0)
        assert (values, corrections) == (
            expected if point in BEFORE_COMMIT else ({**expected[0], ("2026-03", "壶山镇"): 6.0}, 1)
        )
    rerun = run_kpi("collect", str(again), "--period", "2026-03", cwd=folder)
    assert rerun.returncode == 0 and "相同 1 个" in rerun.stdout  # already committed: nothing twice
    corrections = pd.read_csv(folder / "store" / "corrections.csv", dtype=str)  # the export caught up
    assert corrections[["key", "old_value", "new_value"]].values.tolist() == [
        ["2026-03 壶山镇 new_invention_patents", "5", "6"]
    ]


def finish(folder: Path, args: list[str]) -> int:
    """The same command run to its end, in this process (the killed one was a process of its own)."""
    from kpi.cli import main as cli

    return cli.main(["--config", str(folder / "kpi.toml"), *args])


#: where each step's run is killed: every moment of a collection, for a new value and for a correction;
#: an annex import shares them but for the live annex's own moment, tried with a moment after its commit
COLLECT_POINTS = ["atomic-before-replace", "received-kept", "before-commit", "after-commit", "export-partial"]
IMPORT_POINTS = ["annex-written", "after-commit"]
REGIONS = ["五云街道", "丽水高新区", "壶山镇", "新建镇", "东渡镇"]
STEPS = (
    [("collect", point, region, 1) for point, region in zip(COLLECT_POINTS, REGIONS)]  # new values
    + [("import-annex", point, None, None) for point in IMPORT_POINTS]
    + [("collect", point, region, 2) for point, region in zip(COLLECT_POINTS[2:] + COLLECT_POINTS[:2], REGIONS)]
)


def test_a_kill_at_every_moment_loses_nothing(tmp_path, faults):
    """Twelve runs, each killed at one moment of its work (new values, annex imports, corrections; every
    fault point of a collection for a new value and for a correction), then run again to its end: after the
    kill, the store holds either nothing of the run or all of it; after the rerun, exactly what every run
    sent, each received file once, and no temporary file."""
    folder = county(tmp_path)
    month = "2026-01"
    expected: dict = {}
    corrections = 0
    sent = set()  # the forms collected, by content (two alike are one received file)
    annex = (paths.RAW / "annex_2023.csv").read_text("utf-8").replace("2023年", "2026年", 1)
    (folder / "annex_2026.csv").write_text(annex, encoding="utf-8")
    for step, (command, point, region, value) in enumerate(STEPS):
        importing = command == "import-annex"
        correcting = (month, region) in expected and expected[(month, region)] != value
        path = form(folder / "in" / f"{step}.csv", month, {region: value})
        args = (
            ["import-annex", str(folder / "annex_2026.csv"), "--year", "2026"]
            if importing
            else ["collect", str(path), "--period", month]
        )
        assert spawn(folder, *args, env=faults.kill_at(point)).wait(60) == -signal.SIGKILL, (step, point)
        values, count = state(folder)
        if not importing:  # before the commit nothing of it; after it the value, and its correction if any
            done = values.get((month, region)) == value and count == corrections + correcting
            untouched = values == expected and count == corrections
            assert untouched if point in BEFORE_COMMIT else done, (step, point, values.get((month, region)), count)
        assert finish(folder, args) == 0
        if not importing:
            sent.add(path.read_bytes())
            corrections += correcting
            expected[(month, region)] = float(value)
        values, count = state(folder)
        assert values == expected and count == corrections, (step, point)
    kept = database(folder).execute("SELECT count(*), count(DISTINCT sha256) FROM received").fetchone()
    assert kept[1] == len(sent) + 1  # every form once by its hash, the annex once (the same file each time)
    assert corrections == 5  # each point was tried on a correction too
    stored_rows = pd.read_csv(folder / "store" / "progress.csv", dtype=str)
    assert len(stored_rows) == len(expected) and (stored_rows["source_sha256"].str.len() == 64).all()
    assert (folder / "store" / "annex" / "annex_2026.csv").exists()
    assert not list((folder / "store").rglob("*.tmp*"))


@pytest.mark.parametrize("months", [("2026-03", "2026-04"), ("2026-03", "2026-03")])
def test_two_collections_at_once_both_arrive(tmp_path, months, faults):
    folder = county(tmp_path)
    first = form(folder / "a" / "a.csv", months[0], {"壶山镇": 5})
    second = form(folder / "b" / "b.csv", months[1], {"新建镇": 2})
    holder = spawn(folder, "collect", str(first), "--period", months[0], env=faults.pause_at("before-commit"))
    faults.wait_until_reached("before-commit", holder)  # it holds the writers' lock, paused before its commit
    waiter = spawn(folder, "collect", str(second), "--period", months[1])
    assert "另一个写入正在进行，等待" in waiter.stderr.readline()  # it waits for the lock
    faults.release("before-commit")
    assert holder.wait(60) == 0 and waiter.wait(60) == 0
    values, _ = state(folder)
    assert values == {(months[0], "壶山镇"): 5.0, (months[1], "新建镇"): 2.0}


def test_a_csv_store_is_migrated_once_with_every_value(tmp_path):
    folder = county(tmp_path)
    store = folder / "store"
    store.mkdir()
    (store / "progress.csv").write_text(
        "period,region,indicator_id,value,is_example,source_file,source_sha256,source_sheet,source_row,source_column,received_at\n"
        "2026-01,壶山镇,new_invention_patents,4,False,a.xlsx," + "a" * 64 + ",报送表,5,L,2026-02-01T09:00:00+08:00\n"
        "2026-01,壶山镇,rd_expense_above_scale,0.1234567891,False,a.xlsx,"
        + "a" * 64
        + ",报送表,5,B,2026-02-01T09:00:00+08:00\n",
        encoding="utf-8",
    )
    (store / "corrections.csv").write_text(
        "key,old_value,new_value,old_source,new_source,corrected_at\n2026-01 壶山镇 new_invention_patents,3,4,x,a.xlsx,2026-02-02\n",
        encoding="utf-8",
    )
    before = (store / "progress.csv").read_text("utf-8")
    read_first = stored(project.load(folder / "kpi.toml"), "progress")  # a reader migrates it too, then reads
    assert read_first["value"].tolist() == [4.0, 0.1234567891] and (store / "store.sqlite").exists()
    result = run_kpi(
        "collect", str(form(folder / "in" / "b.csv", "2026-02", {"壶山镇": 6})), "--period", "2026-02", cwd=folder
    )
    assert result.returncode == 0, result.stderr
    config = project.load(folder / "kpi.toml")
    progress = stored(config, "progress")
    assert progress["value"].tolist() == [4.0, 0.1234567891, 6.0]
    assert stored(config, "corrections")["old_value"].tolist() == ["3"]
    assert (store / "progress.csv").read_text("utf-8").startswith(before)  # the export holds the old rows as they were


def test_ingest_refuses_to_write_into_the_store(tmp_path):
    folder = county(tmp_path)
    run_kpi("collect", str(form(folder / "in" / "a.csv", "2026-03", {"壶山镇": 5})), "--period", "2026-03", cwd=folder)
    before = (folder / "store" / "store.sqlite").read_bytes()
    for target in ("store", "store/processed", "."):
        result = run_kpi("ingest", "--processed", target, cwd=folder)
        assert result.returncode == 2 and "不能与存储文件夹" in result.stderr, target
    assert (folder / "store" / "store.sqlite").read_bytes() == before


def test_a_writer_that_waits_too_long_says_so(tmp_path):
    store = Store(tmp_path / "store", wait_seconds=0.5)
    blocker = Store(tmp_path / "store")
    with blocker.writing("first"):
        with pytest.raises(Exception, match="已等待"):
            with store.writing("second"):
                pass


@pytest.fixture
def postgres(tmp_path):
    """A PostgreSQL server of the test's own, on a Unix socket in a temporary folder (Debian's server
    binaries, run as the ``postgres`` user); skipped, saying why, where there is none."""
    import pwd
    import shutil

    binaries = Path("/usr/lib/postgresql")
    found = sorted(binaries.glob("*/bin/initdb")) if binaries.exists() else []
    if not found or os.geteuid() != 0:
        pytest.skip("no PostgreSQL server binaries (Debian: apt-get install postgresql), or not root")
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no postgres user")
    bin_dir = found[-1].parent
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="kpi-pg-"))  # pytest's own tmp is 0700: the postgres user must get in
    os.chmod(home, 0o755)
    data = home / "pg"
    data.mkdir()
    os.chown(data, owner.pw_uid, owner.pw_gid)
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust"], check=True, capture_output=True
    )
    options = f"-c listen_addresses='' -k {data} -p 54329"
    start = [
        *as_postgres,
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(data / "log"),
        "-w",
        "start",
    ]
    subprocess.run(start, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)  # no pipe held
    try:
        import psycopg

        with psycopg.connect(host=str(data), port=54329, user="postgres", dbname="postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE kpi")
        yield f"postgresql+psycopg://postgres@/kpi?host={data}&port=54329"
    finally:
        stop = [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(stop, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def test_the_same_store_runs_on_postgresql(tmp_path, postgres, faults):
    folder = county(tmp_path / "county")
    config_file = folder / "kpi.toml"
    config_file.write_text(
        config_file.read_text("utf-8").replace('store = "store"', f'store = "store"\ndatabase = "{postgres}"'), "utf-8"
    )
    first = form(folder / "a" / "a.csv", "2026-03", {"壶山镇": 5, "新建镇": 2})
    second = form(folder / "b" / "b.csv", "2026-03", {"壶山镇": 6})
    assert run_kpi("collect", str(first), "--period", "2026-03", cwd=folder).returncode == 0
    holder = spawn(folder, "collect", str(second), "--period", "2026-03", env=faults.pause_at("before-commit"))
    faults.wait_until_reached("before-commit", holder)
    third = form(folder / "c" / "c.csv", "2026-04", {"东方镇": 1})
    waiter = spawn(folder, "collect", str(third), "--period", "2026-04")
    assert "等待" in waiter.stderr.readline()
    faults.release("before-commit")
    assert holder.wait(60) == 0 and waiter.wait(60) == 0
    fourth = form(folder / "d" / "d.csv", "2026-04", {"东方镇": 3})
    killed = spawn(folder, "collect", str(fourth), "--period", "2026-04", env=faults.kill_at("before-commit"))
    assert killed.wait(60) == -signal.SIGKILL
    config = project.load(config_file)
    progress = stored(config, "progress").set_index(["period", "region"])["value"].to_dict()
    assert progress == {("2026-03", "壶山镇"): 6.0, ("2026-03", "新建镇"): 2.0, ("2026-04", "东方镇"): 1.0}
    assert stored(config, "corrections")[["old_value", "new_value"]].values.tolist() == [["5", "6"]]
    assert not (folder / "store" / "store.sqlite").exists()  # the server holds it all
    assert run_kpi("ingest", cwd=folder).returncode == 0
