"""The package's shape (issue “Structure”): one home for the county's name, modules and functions a
reader can hold in their head, a docstring on every public function, and a README that lists the
modules as they are."""

import ast
import re

import pytest

from kpi import config, paths

MODULES = sorted(p for p in (paths.ROOT / "kpi").rglob("*.py"))
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


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


def test_no_module_is_over_350_lines():
    long = {str(p.relative_to(paths.ROOT)): n for p in MODULES if (n := len(p.read_text("utf-8").splitlines())) > 350}
    assert long == {}


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


def test_the_readme_lists_the_modules_as_they_are():
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("| `kpi` module | what |", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M))
    present = {p.stem for p in MODULES if p.stem != "__init__"}
    assert listed == present


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_each_module_says_what_it_is_for(path):
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path.name


#: the one module still written for Jinyun's registry: the example generator names the series it invents
#: (#26: `kpi make-example` for any registry)
JINYUN_SPECIFIC = {"example_data.py"}


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
        *(p for p in MODULES if p.name not in JINYUN_SPECIFIC),
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
