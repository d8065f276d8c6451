"""Which tests must run on the same pytest-xdist worker (the root conftest.py's scheduler uses this): a
notebook's cells, and the tests of a file that share a module-scoped fixture. See conftest.py."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the files whose tests take longest (summed, measured with --durations=0), run first, so that no worker
#: is left idle at the end while another finishes a long one
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
SHARED_SCOPES = {"module", "class", "package"}


def _fixture_scope(decorator: ast.expr) -> str | None:
    """The scope of a ``@pytest.fixture`` decorator ("function" when none is given), or None."""
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call else decorator
    if not (isinstance(target, ast.Attribute) and target.attr == "fixture"):
        return None
    for keyword in call.keywords if call else []:
        if keyword.arg == "scope" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return "function"


@functools.cache
def tests_sharing_a_fixture(path: str) -> frozenset[str]:
    """The test functions of ``path`` (relative to the root) that use a module-, class- or package-scoped
    fixture of their file, directly or through another fixture of the file."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))  # an absolute path is read as it is
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    arguments = {f.name: {a.arg for a in f.args.args} for f in functions}
    scopes = {f.name: s for f in functions for s in map(_fixture_scope, f.decorator_list) if s}
    shared = {name for name, scope in scopes.items() if scope in SHARED_SCOPES}
    while True:  # a function-scoped fixture that uses a shared one is shared too
        more = {name for name in scopes if name not in shared and arguments[name] & shared}
        if not more:
            break
        shared |= more
    return frozenset(f.name for f in functions if f.name.startswith("test_") and arguments[f.name] & shared)


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, for a notebook's cell or a test sharing a fixture of
    its file (:func:`tests_sharing_a_fixture`); else the test itself."""
    path, _, name = nodeid.partition("::")
    if not path.endswith(".py"):
        return path
    return path if name.split("[")[0] in tests_sharing_a_fixture(path) else nodeid
