"""A warm parent for the tests' ``kpi`` commands (``support.run_kpi``), the way multiprocessing's forkserver
works: it imports the third-party libraries that ``kpi`` uses, once, then forks one process per command.

Each command still runs in a process of its own that starts ``kpi`` as ``python -m kpi.cli`` does: its
working folder and environment are set first, then ``kpi`` itself is imported and run (none of ``kpi``'s own
modules is in the parent: some read the environment as they are imported); it reads /dev/null, writes its
own stdout and stderr, runs its exit handlers and ends with its exit code. What it saves is the import of
pandas, pandera, SQLAlchemy, pyarrow, python-docx, papermill, nbconvert, Playwright… in every new
interpreter: ~0.6 s of CPU for a ``kpi collect``, ~1.5 s for a ``kpi report``, some 200 commands in a
``make test``. The commands of the tests that watch a run's process tree, and the cron line's
``make report``, run the installed executable.

One connection per command on a Unix socket (``SOCK_SEQPACKET``, so a request is one message): the test
sends ``{"args", "cwd", "env"}`` as JSON with three file descriptors attached (stdin, stdout, stderr); the
launcher forks a waiter, which forks the command, sends its pid (for a test's timeout to kill it), and then
its exit status as ``subprocess`` reports it (``-9`` for a SIGKILL). The launcher ends when its stdin
closes (the test worker has ended).

``python -S tests/launcher.py --client ADDRESS ARGS`` is ``kpi ARGS`` for a shell (tests/test_readme.py): it
sends its own folder, environment and standard streams, waits, and ends as the command ended.

The notebooks' kernels of those commands are forked the same way, from a second warm parent
(``tests/launcher.py --kernels ADDRESS``) holding what a report's kernel imports (IPython, ipykernel,
matplotlib and its inline backend, pandas, pandera): ~1.5 s of CPU of each of some 60 kernels. The commands
find it through a kernel spec ``python3`` of the tests' own (``support.Launcher``) whose program is
``python -S tests/launcher.py --kernel -f CONNECTION_FILE``: a client, as above, that runs
``python -m ipykernel_launcher -f CONNECTION_FILE`` there, passes on the signals jupyter_client sends it
(an interrupt, a terminate), and whose end (killed) ends the kernel. A kernel whose environment differs from
the parent's in what those imports read (``IMPORT_SETTINGS``) is a new interpreter, as it is without the
tests' spec. A command whose client goes away is killed.
"""

import atexit
import contextlib
import gc
import importlib
import json
import os
import runpy
import select
import signal
import socket
import sys
import threading
import traceback

#: imported once in the parent (none reads the environment or the working folder as it is imported, nor
#: starts a thread): the data and the store, the documents, the notebooks and kernels, the browser's driver
PRELOADED = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "pandera.pandas",
    "sqlalchemy",
    "openpyxl",
    "pydantic",
    "jinja2",
    "docx",
    "filelock",
    "pypdf",
    "nbformat",
    "nbconvert",
    "jupyter_client",
    "papermill",
    "playwright.async_api",
)

#: the kernels' parent (``--kernels``): what a report notebook's kernel imports before its first cell ends
KERNEL_PRELOADED = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "pandera.pandas",
    "pydantic",
    "matplotlib",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "IPython",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
)

#: what an interpreter reads as it starts (PYTHON*, the locale, the time zone): a command given any of them
#: is not forked from the parent (tests/support.py's run_kpi runs it as a new interpreter)
INTERPRETER_SETTINGS = ("PYTHON", "LC_", "LANG", "TZ")

#: what the kernels' preloaded modules read from the environment as they are imported (matplotlib: its
#: backend, configuration and cache folders; the interpreter's own settings): a kernel asked for with other
#: values starts in a new interpreter
IMPORT_SETTINGS = (*INTERPRETER_SETTINGS, "MPL", "MATPLOTLIBRC", "XDG_", "HOME", "_MPLHIDEEXECUTABLES")

#: a kernel's matplotlib backend: ipykernel sets it, unless set already, before matplotlib is imported
#: (ipykernel/kernelapp.py), and so does the parent before its imports
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def main(address: str, kernels: bool = False) -> None:
    if kernels:
        os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    else:
        sys.modules.setdefault("rfc3987_syntax", None)  # as kpi.core.compat.skip_rfc3987_grammars does in a command
    for name in KERNEL_PRELOADED if kernels else PRELOADED:
        importlib.import_module(name)
    if threading.active_count() != 1:  # (native pools, OpenBLAS's and Arrow's, start again after a fork)
        raise RuntimeError("a preloaded module started a thread: the forked processes would lack it")
    gc.freeze()  # the collector of a command never walks (and so never copies) the parent's objects
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(address)
    server.listen(64)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the waiters are reaped by the kernel
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([server, sys.stdin], [], [])
        if sys.stdin in readable and not sys.stdin.buffer.read1(1):
            return  # the test worker has ended
        if server in readable:
            connection, _ = server.accept()
            if os.fork() == 0:
                _never_return(_wait_for_command, connection, server)
            connection.close()


def _never_return(function, *args) -> None:
    """Run ``function`` in a forked process and end the process there: whatever it raises (its traceback on
    the process's stderr) ends it with status 1, never returns it to the loop it was forked from."""
    try:
        function(*args)
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(1)


def _wait_for_command(connection: socket.socket, server: socket.socket) -> None:
    """The waiter: fork the command, wait for it, answer with its exit status."""
    server.close()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    message, descriptors, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    request = json.loads(message)
    pid = os.fork()
    if pid == 0:
        connection.close()
        _never_return(_run_command, request, descriptors)
    for descriptor in descriptors:
        os.close(descriptor)
    connection.sendall(f"{pid}\n".encode())
    ended = os.pidfd_open(pid)
    while ended not in select.select([connection, ended], [], [])[0]:
        try:
            gone = not connection.recv(64)
        except OSError:
            gone = True
        if gone:  # the client has gone (killed): the command goes with it
            os.kill(pid, signal.SIGKILL)
            break
    _, status = os.waitpid(pid, 0)
    with contextlib.suppress(OSError):
        connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    os._exit(0)


def _run_command(request: dict, descriptors: list[int]) -> None:
    """The command: what ``python -m MODULE ARGS`` does (``kpi.cli`` unless the request names another), in
    ``cwd`` with ``env``; never returns."""
    for target, descriptor in enumerate(descriptors):
        os.dup2(descriptor, target)
        os.close(descriptor)
    os.chdir(request["cwd"])
    module = request.get("module", "kpi.cli")
    if request.get("kernel"):
        request["env"].setdefault("MPLBACKEND", INLINE_BACKEND)
        if _import_settings(request["env"]) != _import_settings(os.environ):
            os.execve(sys.executable, [sys.executable, "-m", module, *request["args"]], request["env"])
    os.environ.clear()
    os.environ.update(request["env"])
    for target, name in enumerate(("stdin", "stdout", "stderr")):
        old = getattr(sys, name)
        stream = open(target, "r" if target == 0 else "w", encoding=old.encoding, errors=old.errors, closefd=False)
        stream.reconfigure(line_buffering=old.line_buffering)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)
    sys.argv = ["-m", *request["args"]]
    sys.path[0] = os.getcwd()  # as `python -m` puts it
    code = 0
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        code = _exit_code(stop.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = code or 120  # as Python does when it cannot flush its standard streams
    os._exit(code)


def _import_settings(environment) -> dict:
    return {k: v for k, v in environment.items() if k.startswith(IMPORT_SETTINGS)}


def client(address: str, args: list[str], kernel: bool = False) -> None:
    """``kpi ARGS`` (a ``kernel``: ``python -m ipykernel_launcher ARGS``) run by the launcher at ``address``
    with this process's folder, environment and standard streams; the signals a kernel's manager sends passed
    on; this process ends with the command's exit status (killed by the same signal)."""
    command = {"module": "ipykernel_launcher", "kernel": True} if kernel else {}
    request = json.dumps({"args": args, "cwd": os.getcwd(), "env": dict(os.environ), **command}).encode()
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as connection:
        connection.connect(address)
        socket.send_fds(connection, [request], [0, 1, 2])
        pid = int(connection.recv(64))
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP) if kernel else ():
            signal.signal(signum, lambda signum, frame: os.kill(pid, signum))
        status = int(connection.recv(64))
    if status < 0:
        signal.signal(-status, signal.SIG_DFL)
        os.kill(os.getpid(), -status)
    sys.exit(status)


def _exit_code(code) -> int:
    """``sys.exit(code)``'s exit status, as the interpreter turns it into one."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def kernel(args: list[str]) -> None:
    """The tests' kernel spec's program: the kernel forked by the kernels' launcher named in
    ``KPI_TEST_KERNELS``; with none there, ``python -m ipykernel_launcher ARGS`` as the installed spec runs it."""
    address = os.environ.get("KPI_TEST_KERNELS")
    if address:
        with contextlib.suppress(ConnectionRefusedError, FileNotFoundError):  # the launcher has ended
            client(address, args, kernel=True)
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", *args])


if __name__ == "__main__":
    if sys.argv[1] == "--client":
        client(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "--kernel":
        kernel(sys.argv[2:])
    elif sys.argv[1] == "--kernels":
        main(sys.argv[2], kernels=True)
    else:
        main(sys.argv[1])
