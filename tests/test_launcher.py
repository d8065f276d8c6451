"""The tests' warm parent (tests/launcher.py) runs a ``kpi`` command as ``python -m kpi.cli`` does in a new
interpreter: the same exit status, output and errors, with the command's own folder and environment (read
by kpi as it is imported, so kpi must not be in the parent), through a shell's redirections too; and a
command past its timeout is killed. Were they to drift apart, every test that runs kpi through it would be
testing something else."""

import subprocess
import sys
import time

import psutil
import pytest

from kpi.core import paths
from tests.support import run_kpi, shell_kpi, start_kpi, user_environment

pytestmark = pytest.mark.integration


def _new_interpreter(args, cwd, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kpi.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=user_environment(env),
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["report", "--quarter", "5"],  # refused by the parser: exit 2, its usage line
        ["check"],  # no project file here, nor (KPI_ROOT, read at import) a shipped one: exit 2, named
    ],
)
def test_a_command_ends_as_in_a_new_interpreter(tmp_path, args):
    env = {"KPI_ROOT": str(tmp_path)}
    expected = _new_interpreter(args, tmp_path, env)
    forked = run_kpi(*args, cwd=tmp_path, env=env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (expected.returncode, expected.stdout, expected.stderr)
    assert expected.returncode == (0 if args == ["--help"] else 2)


def test_a_shell_redirects_the_command_and_reads_its_status(tmp_path):
    env = {"KPI_ROOT": str(tmp_path)}
    expected = _new_interpreter(["check"], tmp_path, env)
    line = f"{shell_kpi()} check > out.txt 2> err.txt; echo status $?"
    shell = subprocess.run(
        ["bash", "-c", line], capture_output=True, text=True, cwd=tmp_path, env=user_environment(env)
    )
    assert shell.stdout == f"status {expected.returncode}\n" and shell.stderr == ""
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == expected.stdout
    assert (tmp_path / "err.txt").read_text(encoding="utf-8") == expected.stderr != ""


def test_a_command_past_its_timeout_is_killed(tmp_path):
    command = start_kpi("ingest", "--raw", str(paths.RAW), "--processed", str(tmp_path / "processed"))
    with pytest.raises(subprocess.TimeoutExpired):
        command.wait(timeout=0.05)  # an ingest takes a few tenths of a second at least
    deadline = time.monotonic() + 10
    while psutil.pid_exists(command.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not psutil.pid_exists(command.pid)
    assert not (tmp_path / "processed" / "ingest_summary.json").exists()


def test_a_command_that_cannot_start_fails_alone(tmp_path):
    """A folder that is not there: that command fails (status 1, the reason on its stderr); the next runs."""
    failed = run_kpi("--help", cwd=tmp_path / "not-there")
    assert failed.returncode == 1 and "FileNotFoundError" in failed.stderr
    assert run_kpi("--help").returncode == 0
