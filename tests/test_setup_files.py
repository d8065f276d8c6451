"""The set-up files agree with each other, and notebooks with their paired scripts."""

import re
import tomllib

import jupytext
import nbformat
import pytest

from kpi.core import paths

ROOT = paths.ROOT


def _requirement(spec: str) -> tuple[str, str]:
    spec = spec.split("#")[0].strip()
    name = re.match(r"[A-Za-z0-9_.\-]+", spec).group(0)
    bound = re.sub(r"^\[[^\]]*\]", "", spec[len(name) :].replace(" ", ""))  # extras are not bounds
    return name.lower().replace("_", "-"), bound  # jupyter_client and jupyter-client: one package


def _every_requirement(project: dict) -> list[str]:
    """The main dependencies and every extra's (dask, explore, postgres, dev): setup.sh installs them all."""
    return project["dependencies"] + [s for extra in project["optional-dependencies"].values() for s in extra]


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(_requirement(s) for s in _every_requirement(project))
    conda = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("dependencies:") :].splitlines():
        match = re.match(r"\s+- ([A-Za-z][A-Za-z0-9_.\-]*[<>=!].*|[A-Za-z][A-Za-z0-9_.\-]*)\s*$", line)
        if match and _requirement(match.group(1))[0] not in ("python", "pip"):
            name, bound = _requirement(match.group(1))
            conda[name] = bound
    assert conda == wanted


def test_constraints_pin_every_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {
        line.split("==")[0].lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    names = {_requirement(s)[0] for s in _every_requirement(project)}
    assert names <= pinned


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make report" in readme
    assert ci.strip().splitlines()[-1] == "make test"


NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_paired_and_in_sync(notebook):
    paired = notebook.with_suffix(".py")
    assert paired.exists(), f"{notebook.name} has no paired py:percent file"
    from_py = jupytext.read(paired)
    from_ipynb = nbformat.read(notebook, as_version=4)
    assert [c.source for c in from_py.cells] == [c.source for c in from_ipynb.cells], (
        "notebook and paired .py differ: run scripts/refresh_notebooks.sh"
    )
    tagged = [c for c in from_ipynb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    assert any("NBVAL_CHECK_OUTPUT" in c.source for c in from_ipynb.cells), "nbval checks some outputs"


def test_every_package_kpi_imports_is_declared():
    """Each third-party module ``kpi`` imports belongs to a distribution pyproject.toml names (in the main
    set or an extra), not one that only happens to come with another."""
    import ast
    import sys
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_requirement(s)[0] for s in _every_requirement(project)}
    distributions = packages_distributions()
    undeclared = set()
    for path in (ROOT / "kpi").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {name.split(".")[0] for name in names} - set(sys.stdlib_module_names) - {"kpi"}:
                owners = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
                if not owners & declared:
                    undeclared.add(f"{top} ({path.relative_to(ROOT)})")
    assert sorted(undeclared) == []
