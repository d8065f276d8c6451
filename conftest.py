"""How the suite is shared among pytest-xdist's workers, for every test path (tests/ and the notebooks nbval
runs). The tests' fixtures are in tests/conftest.py, their helpers in tests/support.py.

``--dist loadscope`` (what ``make test`` passes) is refined here into units of work that keep together only
what must stay together: a notebook's cells (they share one kernel), and the tests of a file that share a
module-scoped fixture (built once, on one worker). Every other test is a unit of its own, so a long file's
independent tests run on both workers instead of one. (``--dist loadgroup`` would say the same with marks,
but with pytest 9 it silently stops grouping: pytest-xdist issue #1386.) Which tests share a fixture is read
from the test files' source by the controller, which collects nothing; each worker checks that reading
against the fixtures pytest actually resolved, and stops the run if they disagree.
"""

from __future__ import annotations

import pytest

from tests.scheduling import LONGEST_FIRST, SHARED_SCOPES, work_unit


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: absent without it
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadscope`` with :func:`work_unit` as its scope."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return WorkUnitScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """The longest files' tests first (:data:`LONGEST_FIRST`), each file's own order kept; and the reading
    of :func:`work_unit` checked against the fixtures each test really uses."""
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
    for item in items:
        definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
        shared = sorted(name for name, d in definitions.items() if d and d[-1].scope in SHARED_SCOPES)
        if shared and work_unit(item.nodeid) == item.nodeid:
            raise pytest.UsageError(
                f"{item.nodeid} uses the shared fixture(s) {shared}, which conftest.work_unit did not see in its "
                "file: declare the fixture in the test's own file, or teach tests_sharing_a_fixture where it is"
            )


#: the warm kernels' environment while a notebook's cells run (undone after its last)
_notebook_environment = pytest.MonkeyPatch()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A notebook nbval runs: its kernel (started as its first cell is set up) forked from the worker's warm
    parent, as the kpi commands' kernels are (tests/launcher.py)."""
    if item.path.suffix == ".ipynb":
        from tests.support import use_warm_kernels

        use_warm_kernels(_notebook_environment)


def pytest_runtest_teardown(item, nextitem):
    """After a notebook's last cell, the worker's environment as it was."""
    if item.path.suffix == ".ipynb" and (nextitem is None or nextitem.path != item.path):
        _notebook_environment.undo()
