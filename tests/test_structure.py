"""The package's shape (#30): stages that import downward only and no import loop (import-linter's
contracts in pyproject.toml), one home for the county's name, functions a reader can hold in their
head, a docstring on every public function and stage, and a README that lists the stages as they are."""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpi.core import paths
from kpi.metadata import config

MODULES = sorted(p for p in (paths.ROOT / "kpi").rglob("*.py"))
STAGES = sorted(p.parent for p in (paths.ROOT / "kpi").glob("*/__init__.py"))
#: every module as ``stage/module``
PRESENT = {f"{p.parent.name}/{p.stem}" for p in MODULES if p.parent != paths.PACKAGE and p.stem[0] != "_"}
MAX_FUNCTION_LINES = 60
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(project: Path) -> subprocess.CompletedProcess:
    """import-linter's contracts (pyproject.toml) checked on the ``kpi`` package under ``project``."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    command = [str(LINT_IMPORTS), "--no-cache", str(project / "pyproject.toml")]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=120)


def _copy_with(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the package and its contracts, with ``line`` added at the end of ``module``."""
    shutil.copytree(paths.PACKAGE, tmp_path / "kpi", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(paths.ROOT / "pyproject.toml", tmp_path)
    target = tmp_path / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    return tmp_path


def _functions(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


def test_the_county_is_named_once_in_the_project_file():
    """The name comes from ``[county] name``; code, notebooks, templates and scripts never write it."""
    name = config.load(paths.ROOT / "kpi.toml").county
    assert name == config.load(paths.ROOT / "kpi.county.toml").county
    places = [
        *MODULES,
        *(paths.ROOT / "kpi" / "templates").rglob("*"),
        *paths.NOTEBOOKS.glob("*.py"),
        *(paths.NOTEBOOKS / "voila").rglob("*"),
        *(paths.ROOT / "scripts").glob("*"),
        *(paths.ROOT / "benchmarks").glob("*.py"),
        paths.ROOT / "Makefile",
    ]
    short = name.removesuffix("县")  # 缙云 alone counts too
    found = [str(p.relative_to(paths.ROOT)) for p in places if p.is_file() and short in p.read_text("utf-8")]
    assert found == []


def test_the_stages_import_downward_only_and_without_a_loop():
    result = _lint_imports(paths.ROOT)
    assert result.returncode == 0, result.stdout
    assert "Contracts: 2 kept, 0 broken." in result.stdout


#: a breach put into a copy of the package, and what the broken contract says of it
BREACHES = {
    # a module of the core reaching up to the publication: the contract names the two stages and the import
    "upward": (
        "kpi/core/text.py",
        "from kpi.publish import builds  # noqa",
        ["kpi.core is not allowed to import kpi.publish", "kpi.core.text -> kpi.publish.builds"],
    ),
    # the loop #30 found (pipeline <-> processed), put back
    "loop": (
        "kpi/ingest/processed.py",
        "from kpi.ingest import pipeline  # noqa",
        [
            "No import loop between modules of a stage, nor between stages BROKEN",
            "- .processed -> .pipeline (1 import)",
        ],
    ),
}


@pytest.mark.parametrize("breach", BREACHES)
def test_a_breach_of_the_stages_breaks_a_contract(tmp_path, breach):
    module, line, said = BREACHES[breach]
    result = _lint_imports(_copy_with(tmp_path, module, line))
    assert result.returncode == 1
    assert all(words in result.stdout for words in said), result.stdout


@pytest.mark.parametrize("stage", STAGES, ids=lambda p: p.name)
def test_each_stage_says_what_enters_and_what_leaves(stage):
    docstring = ast.get_docstring(ast.parse((stage / "__init__.py").read_text(encoding="utf-8"))) or ""
    assert "Enters:" in docstring and "Leaves:" in docstring, stage.name


def test_no_function_is_over_60_lines():
    long = [
        f"{p.relative_to(paths.ROOT)}:{f.lineno} {f.name} ({f.end_lineno - f.lineno + 1})"
        for p in MODULES
        for f in _functions(p)
        if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_every_public_function_says_what_it_returns():
    """Every public function and class of ``kpi`` has a docstring (the rule and its source)."""
    bare = []
    for path in MODULES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            nodes = [node]
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                nodes += [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            for item in nodes:
                public = isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not (
                    item.name.startswith("_")
                )
                if public and ast.get_docstring(item) is None:
                    bare.append(f"{path.relative_to(paths.ROOT)}:{item.lineno} {item.name}")
    assert bare == []


def test_the_readme_lists_the_stages_and_their_modules_as_they_are():
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("| `kpi` stage | modules | what |", 1)[1].split("\n\n", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)/` \| (.*?) \|", section, flags=re.M)
    listed = {f"{stage}/{module}" for stage, modules in rows for module in re.findall(r"`([a-z_]+)`", modules)}
    assert listed == PRESENT
    architecture = (paths.ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `([a-z_]+/[a-z_]+)` \|", architecture, flags=re.M)) == PRESENT


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_module_says_what_it_is_for(path):
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path.name


#: the one module still written for Jinyun's registry: the example generator names the series it invents
#: (#26: `kpi make-example` for any registry)
JINYUN_SPECIFIC = {paths.PACKAGE / "example" / "dataset.py"}


def test_no_indicator_id_of_the_registry_is_written_in_code():
    """Which series a target is judged on, which indicator a view opens on: data (plan_targets.csv's
    series columns, the registry's order), so another county's registry works with no code edited."""
    import csv

    ids = set()
    for name in ("indicators.csv", "plan_targets.csv"):
        with open(paths.RAW / name, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                ids |= {row["indicator_id"], row.get("series_id") or row["indicator_id"]}
    places = [
        *(p for p in MODULES if p not in JINYUN_SPECIFIC),
        *paths.NOTEBOOKS.glob("*.py"),
        *(paths.ROOT / "kpi" / "templates").rglob("*.j2"),
    ]
    found = {
        str(p.relative_to(paths.ROOT)): sorted(
            i for i in ids if re.search(rf"\b{re.escape(i)}\b", p.read_text("utf-8"))
        )
        for p in places
    }
    assert {place: hits for place, hits in found.items() if hits} == {}


def test_the_library_logs_and_only_the_command_prints():
    """Outside ``kpi/cli`` (and a module's own ``__main__`` block) the package says what it has to say
    through ``logging``; the command decides what the user sees (kpi.cli.common.show_library_messages)."""
    printing = []
    for path in MODULES:
        if path.parent.name == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scripts = [n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test)]
        skipped = {id(node) for block in scripts for node in ast.walk(block)}
        printing += [
            f"{path.relative_to(paths.ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
            and id(node) not in skipped
        ]
    assert printing == []


def test_work_units_keep_a_notebook_and_a_shared_fixture_on_one_worker(tmp_path):
    """conftest.py's scheduler: a test that uses a module-scoped fixture of its file (directly or through
    another fixture) runs with the file's others; a notebook's cells together; the rest each on its own."""
    from tests.scheduling import work_unit

    path = tmp_path / "test_units.py"
    path.write_text(
        "import pytest\n\n"
        "@pytest.fixture(scope='module')\ndef built(tmp_path_factory): ...\n\n"
        "@pytest.fixture\ndef derived(built): ...\n\n"
        "@pytest.fixture()\ndef alone(tmp_path): ...\n\n"
        "def test_a(built): ...\n\ndef test_b(derived, alone): ...\n\ndef test_c(alone): ...\n\n"
        "@pytest.mark.parametrize('x', [1])\ndef test_d(x, built): ...\n",
        encoding="utf-8",
    )
    units = {name: work_unit(f"{path}::{name}") for name in ("test_a", "test_b", "test_c", "test_d[1]")}
    assert units == {"test_a": str(path), "test_b": str(path), "test_c": f"{path}::test_c", "test_d[1]": str(path)}
    assert work_unit("notebooks/05_explore.ipynb::Cell 3") == "notebooks/05_explore.ipynb"
