"""Loaded before pytest's other plugins (``-p tests.pytest_start``, first in pyproject.toml's addopts, before
``-p nbval``): nbval imports nbformat and so jsonschema as pytest starts, ~0.9 s of IRI grammars in each of pytest's
processes (its controller and every worker); skipped here as every kpi command skips them
(:func:`kpi.core.compat.skip_rfc3987_grammars`)."""

from kpi.core import compat

compat.skip_rfc3987_grammars()
