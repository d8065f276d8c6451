import hashlib
import shutil
from pathlib import Path

import pytest

from kpi import paths
from kpi.registry import Registry

ROOT = paths.ROOT
SEED_DIR = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.load(paths.RAW)


PLAN_TEXT = paths.RAW / "source" / "jinyun_139_plan_2023-2027.txt"


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


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
