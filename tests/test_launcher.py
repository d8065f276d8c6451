"""The tests' warm parent (tests/launcher.py) runs a ``kpi`` command as ``python -m kpi.cli`` does in a new
interpreter: the same exit status, output and errors, with the command's own folder and environment (read
by kpi as it is imported, as KPI_ROOT, so kpi must not be in the parent), through a shell's redirections
too; and a
command past its timeout is killed. Were they to drift apart, every test that runs kpi through it would be
testing something else. Its kernels (the tests' kernel spec) answer as the installed spec's do, take an
interrupt, end when their manager kills them, and start in a new interpreter when asked for with settings
the parent imported with other values of."""

import os
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
    "args, root",
    [
        (["--help"], False),
        (["report", "--quarter", "5"], False),  # refused by the parser: exit 2, its usage line
        (["check"], False),  # the shipped kpi.toml is found (KPI_ROOT unset): exit 0
        (["check"], True),  # no project file here, nor (KPI_ROOT, read at import) a shipped one: exit 2, named
    ],
)
def test_a_command_ends_as_in_a_new_interpreter(tmp_path, args, root):
    env = {"KPI_ROOT": str(tmp_path)} if root else {}
    expected = _new_interpreter(args, tmp_path, env)
    forked = run_kpi(*args, cwd=tmp_path, env=env)
    assert (forked.returncode, forked.stdout, forked.stderr) == (expected.returncode, expected.stdout, expected.stderr)
    assert expected.returncode == (2 if args[0] == "report" or root else 0)


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


# ---------------------------------------------------------------- kernels
#: what a kernel reports of itself: its folder, an environment variable, matplotlib's backend and the
#: notebook's sys.path[0], and (the last line) whether matplotlib was there before this cell imported it
PROBE = """\
import os, sys
warm = "matplotlib" in sys.modules
import matplotlib
print(os.getcwd(), os.environ.get("PROBE_VALUE"), matplotlib.get_backend(), sys.path[0], sys.executable)
print(warm)"""


def _kernel(tmp_path, env: dict):
    from jupyter_client.manager import start_new_kernel

    return start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env={**os.environ, **env}, startup_timeout=60)


def _run(client, code: str, timeout: float = 60) -> tuple[str, str]:
    """The cell's status and what it printed."""
    printed = []

    def keep(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = client.execute_interactive(code, timeout=timeout, output_hook=keep)
    return reply["content"]["status"], "".join(printed)


def _probe(tmp_path, env: dict) -> tuple[list[str], int, int]:
    """The probe's lines, the kernel's pid, and the pid of the process its manager started."""
    manager, client = _kernel(tmp_path, env)
    try:
        status, printed = _run(client, PROBE + "\nprint(os.getpid())")
        assert status == "ok", printed
        *lines, pid = printed.strip().splitlines()
        return lines, int(pid), manager.provisioner.process.pid
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_a_warm_kernel_answers_as_the_installed_one(tmp_path, request):
    installed, pid, started = _probe(tmp_path, {"PROBE_VALUE": "x"})
    assert pid == started and installed[-1] == "False"  # the installed spec: the kernel is the process started
    request.getfixturevalue("warm_kernels")  # from here on, the tests' spec
    warm, pid, started = _probe(tmp_path, {"PROBE_VALUE": "x"})
    assert pid != started and warm[-1] == "True"  # forked from the warm parent, its modules there
    assert warm[:-1] == installed[:-1]
    # other values of what the parent's imports read: a new interpreter, as the installed spec would start
    fresh, pid, started = _probe(tmp_path, {"PROBE_VALUE": "x", "PYTHONHASHSEED": "0"})
    assert fresh == installed


def test_a_warm_kernel_takes_an_interrupt_and_ends_when_killed(tmp_path, warm_kernels):
    manager, client = _kernel(tmp_path, {})
    try:
        status, printed = _run(client, "import os; print(os.getpid())")
        pid = int(printed)
        assert pid != manager.provisioner.process.pid  # forked from the warm parent
        client.execute("import time; time.sleep(60)")
        time.sleep(1)
        manager.interrupt_kernel()  # jupyter_client signals the process it started; the client passes it on
        reply = client.get_shell_msg(timeout=30)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)  # SIGKILL to the process it started: the kernel follows
    try:
        _, alive = psutil.wait_procs([psutil.Process(pid)], timeout=10)
    except psutil.NoSuchProcess:
        alive = []
    assert alive == []
