"""What the tests share besides fixtures (those are in conftest.py): running ``kpi`` as a user does, a
project file for a test's folders, hashes of a tree, reading a PDF's words and greys, and the fault points."""

import atexit
import contextlib
import functools
import hashlib
import json
import locale
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl
import xlwt

from kpi.core import paths
from kpi.example.dataset import MADE_FOR
from tests.launcher import INTERPRETER_SETTINGS

ROOT = paths.ROOT


def shipped_plan():
    """The plan and county of the shipped project file (Jinyun's), as titles print them."""
    from kpi.metadata import config as project

    return project.load(ROOT / "kpi.toml").plan


SEED_DIR = ROOT.parent / "shared" / "seeds"


def run_kpi(*args, cwd=None, env: dict | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """The ``kpi`` command as a user runs it: its own process, no input, output captured; the project
    file found from ``cwd`` (``KPI_CONFIG`` of the test's own environment not passed on), ``env`` added;
    killed, and ``subprocess.TimeoutExpired`` raised, if it runs past ``timeout`` seconds.
    The process is forked from the worker's warm parent (tests/launcher.py) unless ``env`` sets what a
    new interpreter reads as it starts (PYTHON*, the locale, the time zone)."""
    command, environment = _command(args, env)
    if any(key.startswith(INTERPRETER_SETTINGS) for key in env or {}):
        return subprocess.run(
            command, capture_output=True, text=True, cwd=cwd, env=environment, stdin=subprocess.DEVNULL, timeout=timeout
        )
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        process = _launcher().start(command, cwd, environment, stdout.fileno(), stderr.fileno())
        code = process.wait(timeout)
        texts = []
        for output in (stdout, stderr):
            output.seek(0)
            texts.append(_as_text(output.read()))
    return subprocess.CompletedProcess(command, code, *texts)


def start_kpi(*args, cwd=None, env: dict | None = None) -> "Started":
    """``kpi`` started as :func:`run_kpi` runs it, not waited for: the process (as ``subprocess.Popen``
    with ``stdout`` to /dev/null and ``stderr`` a text pipe) for a test that pauses or kills it at a fault
    point (:class:`Faults`) and reads what it says meanwhile."""
    command, environment = _command(args, env)
    read_end, write_end = os.pipe()
    try:
        process = _launcher().start(command, cwd, environment, None, write_end)
    finally:
        os.close(write_end)
    process.stderr = open(read_end, encoding=locale.getpreferredencoding(False))  # noqa: SIM115 — closed with it
    return process


def shell_kpi() -> str:
    """``kpi`` for a shell's command line, run as :func:`run_kpi` runs it: the launcher's client (an
    interpreter with the standard library only) hands the launcher its folder, environment and standard
    streams, and ends as the command ends."""
    client = [sys.executable, "-S", str(LAUNCHER), "--client"]
    return shlex.join([*client, _launcher().address])


def warm_kernels() -> dict[str, str]:
    """The environment that gives a process's notebook kernels from this worker's warm parent (the tests'
    kernel spec ``python3``, tests/launcher.py), as :func:`run_kpi`'s commands get them."""
    return dict(_launcher().kernel_environment)


def use_warm_kernels(monkeypatch) -> None:
    """Set :func:`warm_kernels` in this process's environment through ``monkeypatch`` (undone with it)."""
    for name, value in warm_kernels().items():
        monkeypatch.setenv(name, value)


def user_environment(env: dict | None = None) -> dict:
    """The environment a command gets: the test's own without ``KPI_CONFIG`` (the project file is found from
    the command's folder, as a user's is), then ``env``."""
    return {k: v for k, v in os.environ.items() if k != "KPI_CONFIG"} | (env or {})


def _command(args, env: dict | None) -> tuple[list[str], dict]:
    """``python -m kpi.cli ARGS`` and its environment (:func:`user_environment`)."""
    return [sys.executable, "-m", "kpi.cli", *args], user_environment(env)


class Started:
    """A command started by the launcher, as much of ``subprocess.Popen`` as the tests use."""

    def __init__(self, args: list[str], connection: socket.socket):
        self.args = args
        self.connection = connection
        self.pid = int(connection.recv(64))
        self.returncode: int | None = None
        self.stderr = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.connection.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                self._ended(self.connection.recv(64))
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Its exit status; at ``timeout``, the process killed and ``subprocess.TimeoutExpired`` raised."""
        if self.returncode is None:
            self.connection.settimeout(timeout)
            try:
                self._ended(self.connection.recv(64))
            except TimeoutError:
                os.kill(self.pid, signal.SIGKILL)
                raise subprocess.TimeoutExpired(self.args, timeout) from None
        return self.returncode

    def __del__(self):  # as a Popen's pipes, closed with it
        if self.stderr is not None:
            self.stderr.close()
        self.connection.close()

    def _ended(self, answer: bytes) -> None:
        if not answer:
            raise RuntimeError("tests/launcher.py ended before the command did")
        self.returncode = int(answer)
        self.connection.close()


LAUNCHER = Path(__file__).with_name("launcher.py")


class Launcher:
    """This worker's tests/launcher.py, for commands and for their kernels: started at the first command,
    ended with the worker. The commands get the tests' kernel spec ``python3`` (:meth:`_kernel_spec`)."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="kpi-launcher-"))
        self.address = str(self.folder / "socket")
        self.kernels_address = str(self.folder / "kernels.socket")
        self.processes = [
            subprocess.Popen(
                [sys.executable, str(LAUNCHER), *arguments],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=user_environment(),
                cwd=self.folder,
            )
            for arguments in ([self.address], ["--kernels", self.kernels_address])
        ]
        atexit.register(self.close)
        for process in self.processes:
            if process.stdout.readline() != b"ready\n":
                raise RuntimeError(f"tests/launcher.py did not start (exit {process.wait()})")
        self.kernel_environment = {
            "JUPYTER_PATH": os.pathsep.join(filter(None, [str(self._kernel_spec()), os.environ.get("JUPYTER_PATH")])),
            "KPI_TEST_KERNELS": self.kernels_address,
        }

    def _kernel_spec(self) -> Path:
        """A folder for ``JUPYTER_PATH`` holding the installed kernel spec ``python3`` with its program
        replaced by tests/launcher.py's ``--kernel`` client (found there before the installed one)."""
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec("python3").to_dict()
        spec["argv"] = [sys.executable, "-S", str(LAUNCHER), "--kernel", *spec["argv"][spec["argv"].index("-f") :]]
        folder = self.folder / "jupyter"
        (folder / "kernels" / "python3").mkdir(parents=True)
        (folder / "kernels" / "python3" / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        return folder

    def start(self, command: list[str], cwd, env: dict, stdout: int | None, stderr: int) -> Started:
        """Fork ``command`` in ``cwd`` with ``env`` (and the tests' kernel spec), its stdin /dev/null, stdout
        and stderr these descriptors (``None``: /dev/null)."""
        env = env | self.kernel_environment
        request = json.dumps({"args": command[3:], "cwd": str(Path(cwd or ".").absolute()), "env": env}).encode()
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        connection.connect(self.address)
        with open(os.devnull, "rb") as stdin, open(os.devnull, "wb") as devnull:
            descriptors = [stdin.fileno(), devnull.fileno() if stdout is None else stdout, stderr]
            socket.send_fds(connection, [request], descriptors)
            return Started(command, connection)

    def close(self) -> None:
        for process in self.processes:
            process.stdin.close()
        for process in self.processes:
            process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_text(data: bytes) -> str:
    """Bytes read from a command, as ``subprocess.run(text=True)`` decodes them."""
    text = data.decode(locale.getpreferredencoding(False))
    return text.replace("\r\n", "\n").replace("\r", "\n")


@functools.cache
def _launcher() -> Launcher:
    return Launcher()


PLAN_TEXT = paths.RAW / "source" / "jinyun_139_plan_2023-2027.txt"

#: the shipped registry's indicators, in the annex's order (the example generator was written for them)
ANNEX_INDICATOR_IDS = list(MADE_FOR)


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def example_hashes(folder: Path) -> dict[str, str]:
    """The generated files of an example folder (its README is written by hand)."""
    return {name: digest for name, digest in tree_hashes(folder).items() if name.endswith(".csv")}


def config_for(
    raw: Path, processed: Path, reports: Path | None = None, store: Path | None = None, progress: Path | None = None
):
    """The shipped project file, with the registry moved to ``raw`` (its sources with it) and the
    outputs (and store) in temporary folders."""
    from dataclasses import replace

    from kpi.metadata import config as project

    config = project.load(ROOT / "kpi.toml").with_overrides(
        registry=raw,
        processed=processed,
        reports=reports or processed.parent / "reports",
        progress=[progress] if progress else None,
    )
    return replace(config, store=store or processed.parent / "store")


def write_config(
    folder: Path,
    raw: Path = paths.RAW,
    progress: list[Path] | None = None,
    annex: list[Path] | None = None,
    county_annual: list[Path] | None = None,
    example: Path = paths.EXAMPLE,
) -> Path:
    """A project file in ``folder`` (store, processed and reports inside it); sources default to the
    registry ``raw`` and the shipped example ones in ``example``."""
    progress = [example / "progress_example.csv"] if progress is None else progress
    annex = (
        [
            raw / "annex_2023.csv",
            example / "annex_2024_example.csv",
            example / "annex_2025_example.csv",
            folder / "store" / "annex",
        ]
        if annex is None
        else annex
    )
    county_annual = [example / "county_annual_example.csv"] if county_annual is None else county_annual

    def paths_list(items):
        return "[" + ", ".join(f'"{p.as_posix()}"' for p in items) + "]"

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kpi.toml"
    path.write_text(
        f"""[county]
name = "缙云县"
organisation = "缙云县科技局"

[plan]
name = "缙云县“139”科技创新体系建设工程实施方案（2023—2027年）"
short_name = "139"
subject = "科技创新体系建设"
document_number = "缙政办发〔2023〕25号"
base_year = 2022
target_year = 2027

[data]
registry = "{raw.as_posix()}"
store = "store"
example = "{example.as_posix()}"
annex = {paths_list(annex)}
progress = {paths_list(progress)}
county_annual = {paths_list(county_annual)}

[output]
processed = "processed"
reports = "reports"
""",
        encoding="utf-8",
    )
    return path


def pdf_words(pdf) -> list[tuple[int, float, float, float, float, float, float, str]]:
    """Every word of a PDF as pdftotext places it: (page, page width, page height, x0, y0, x1, y1, text)."""
    from xml.etree import ElementTree

    layout = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    root = ElementTree.fromstring(re.sub(r"<!DOCTYPE[^>]*>|xmlns=\"[^\"]*\"", "", layout))
    return [
        (number, float(page.get("width")), float(page.get("height")))
        + tuple(float(word.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
        + (word.text or "",)
        for number, page in enumerate(root.iter("page"), start=1)
        for word in page.iter("word")
    ]


def status_greys(pdf, page: int = 1, dpi: int = 100) -> dict[str, list[float]]:
    """The grey level (0 black … 255 white) behind each status mark on a page rendered in greyscale, as a
    black-and-white printer prints it: the median of the box of the mark and its number (the fill covers
    most of it). Keyed by the mark (▲ ● ▼)."""
    import numpy
    from PIL import Image

    out = Path(pdf).with_name(f"{Path(pdf).stem}-grey-p{page}")
    subprocess.run(
        ["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf), str(out)], check=True
    )
    [image_path] = Path(pdf).parent.glob(f"{out.name}*.pgm")
    image = Image.open(image_path)
    words = [w for w in pdf_words(pdf) if w[0] == page]
    greys: dict[str, list[float]] = {}
    for index, word in enumerate(words):
        mark = word[7][:1]
        if not word[7] or mark not in "▲●▼":
            continue
        box, value = list(word[3:7]), word[7][1:]
        if not value and index + 1 < len(words):  # the mark alone: its number is the next word
            box[2], value = max(box[2], words[index + 1][5]), words[index + 1][7]
        if not re.match(r"[\d第-]", value):  # a legend or a sentence, not a cell
            continue
        scale = dpi / 72
        pixels = numpy.asarray(image.crop(tuple(round(v * scale) for v in box)))
        greys.setdefault(mark, []).append(float(numpy.median(pixels)))
    return greys


def assert_statuses_survive_grey(greys: dict[str, list[float]], marks: str = "▲●▼") -> None:
    """Each status present prints as one grey, and the statuses' greys lie at least 15 levels apart."""
    present = {mark: values for mark, values in greys.items() if mark in marks}
    assert set(present) == set(marks), sorted(greys)
    for mark, values in present.items():
        assert max(values) - min(values) <= 10, (mark, values)
    levels = sorted(sum(values) / len(values) for values in present.values())
    assert all(b - a >= 15 for a, b in zip(levels, levels[1:])), levels


class Faults:
    """The fault points (:mod:`kpi.core.faults`) a test sets in a process it starts: a kill at a point, or a
    pause there that the test sees reached and then releases."""

    def __init__(self, folder: Path):
        self.folder = folder

    def kill_at(self, point: str) -> dict[str, str]:
        """The environment that makes a process die (SIGKILL) at ``point``."""
        return {"KPI_FAULT_AT": point}

    def pause_at(self, point: str) -> dict[str, str]:
        """The environment that makes a process wait at ``point`` until :meth:`release`."""
        return {"KPI_FAULT_AT": f"{point}:pause", "KPI_FAULT_DIR": str(self.folder)}

    def wait_until_reached(self, point: str, process: subprocess.Popen | None = None, timeout: float = 120) -> None:
        """Return once a process has reached ``point`` (fails if ``process`` ends first, or at ``timeout``)."""
        deadline = time.monotonic() + timeout
        while not (self.folder / f"{point}.reached").exists():
            if process is not None and process.poll() is not None:
                raise AssertionError(f"the process ended ({process.returncode}) before reaching {point}")
            assert time.monotonic() < deadline, f"{point} not reached in {timeout:g} s"
            time.sleep(0.02)

    def release(self, point: str) -> None:
        """Let every process waiting at ``point`` go on."""
        (self.folder / f"{point}.release").touch()


def office_program() -> str | None:
    """LibreOffice's program, when its Calc and Writer and pdftotext are installed (make test installs them)."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    program = Path("/usr/lib/libreoffice/program")
    if office and (program / "libswlo.so").exists() and (program / "libsclo.so").exists() and shutil.which("pdftotext"):
        return office
    return None


def write_xlsx(path: Path, rows: list[list], title: str = "Sheet1") -> Path:
    """A workbook of ``rows`` on one sheet, as Excel saves ``.xlsx``."""
    workbook = openpyxl.Workbook()
    workbook.active.title = title
    for row in rows:
        workbook.active.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


def write_xls(path: Path, rows: list[list], title: str) -> Path:
    """A BIFF8 workbook, as Excel 2003 or WPS saves ``.xls`` (and WPS ``.et``)."""
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet(title)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(str(path))
    return path
