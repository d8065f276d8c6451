"""The tests' fixtures, and the order the test files run in. Helpers the tests call are in tests/support.py."""

import shutil
from pathlib import Path

import pytest

from kpi.core import paths
from kpi.metadata.registry import Registry
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


#: the files whose tests take longest (summed, measured with --durations=0), run first: with pytest-xdist's
#: --dist loadfile a file is one unit of work, and the longest ones started first leave no worker idle while
#: another finishes a long one at the end
LONGEST_FIRST = [
    "test_reliability.py",
    "test_report.py",
    "test_readme.py",
    "test_explore.py",
    "test_monthly_cycle.py",
    "test_workers.py",
    "test_store.py",
    "test_second_county.py",
]


def pytest_collection_modifyitems(items):
    """The longest files' tests first (:data:`LONGEST_FIRST`), each file's own order kept."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
