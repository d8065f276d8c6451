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
