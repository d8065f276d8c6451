"""The tests' fixtures. Helpers the tests call are in tests/support.py; how the tests are shared among
workers, in the root conftest.py."""

import shutil
from pathlib import Path

import pytest

from kpi.core import paths
from kpi.metadata.registry import Registry
from tests import support
from tests.support import PLAN_TEXT, ROOT, Faults


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(paths.RAW)


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The plan's text as shipped in data/raw/source (a verbatim copy of the seed)."""
    return PLAN_TEXT.read_text(encoding="utf-8")


@pytest.fixture
def raw_copy(tmp_path) -> Path:
    """A writable copy of data/raw for tests that break or regenerate inputs."""
    target = tmp_path / "raw"
    shutil.copytree(paths.RAW, target)
    return target


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """A temporary copy of the project's data and project file (code and notebooks stay shared)."""
    target = tmp_path / "project"
    shutil.copytree(paths.RAW, target / "data" / "raw")
    shutil.copytree(paths.EXAMPLE, target / "data" / "example")
    shutil.copy(ROOT / "kpi.toml", target / "kpi.toml")
    return target


@pytest.fixture
def faults(tmp_path_factory) -> Faults:
    """Fault points for the processes a test starts (see :class:`Faults`)."""
    return Faults(tmp_path_factory.mktemp("faults"))


@pytest.fixture
def warm_kernels(monkeypatch) -> None:
    """The notebook kernels this test starts (in its own process or in processes it starts) forked from the
    worker's warm parent, as the kpi commands' are (:func:`tests.support.warm_kernels`); a test that looks
    at kernel processes does without."""
    support.use_warm_kernels(monkeypatch)


@pytest.fixture
def new_page():
    """``new_page(viewport=…)``: a page of a Chromium started for this test as ``kpi report`` starts the one it
    prints with (:mod:`kpi.publish.pdf`: Debian's, the same flags), each in a browser context of its own;
    all closed with the test. (Per test, not per worker: while Playwright's sync API runs, the thread's
    asyncio loop counts as running, and a later test's ``asyncio.run`` would refuse to start.)"""
    from kpi.publish.pdf import FLAGS, chromium, why_no_pdf

    why = why_no_pdf()
    if why:
        pytest.skip(f"{why} (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=FLAGS)

        def open_page(**options):
            return browser.new_context(**options).new_page()

        yield open_page
        browser.close()
