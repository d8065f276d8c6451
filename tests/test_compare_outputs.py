"""scripts/compare_outputs.py, the check that a change meant to change no output changed none (#30):
a run's own stamps are masked, anything else that differs is reported."""

import json
import subprocess
import sys
from datetime import datetime

import openpyxl

from kpi.core import paths

SCRIPT = paths.ROOT / "scripts" / "compare_outputs.py"


def _tree(root, made_at, value, imports="from kpi.metrics.leaderboard import build_leaderboard"):
    (root / "reports").mkdir(parents=True)
    (root / "reports" / "manifest.json").write_text(json.dumps({"made_at": made_at, "code_version": "kpi 0.1.0 (abc)"}))
    book = openpyxl.Workbook()
    book.active["A1"] = value
    book.properties.created = datetime.fromisoformat(made_at).replace(tzinfo=None)  # a save stamps its time
    book.save(root / "reports" / "晾晒表.xlsx")
    cell = {"cell_type": "code", "source": f"{imports}\nboard = 1", "outputs": [], "metadata": {}}
    (root / "reports" / "county.ipynb").write_text(json.dumps({"cells": [cell]}))


def _compare(before, after):
    return subprocess.run([sys.executable, str(SCRIPT), str(before), str(after)], capture_output=True, text=True)


def test_stamps_and_moved_imports_are_the_same_output(tmp_path):
    _tree(tmp_path / "a", "2026-12-07T18:59:02+08:00", 28.2)
    _tree(tmp_path / "b", "2026-12-08T09:00:00+08:00", 28.2, imports="from kpi.leaderboard import build_leaderboard")
    result = _compare(tmp_path / "a", tmp_path / "b")
    assert result.returncode == 0, result.stdout
    assert "same after masks       reports/manifest.json" in result.stdout
    assert "same cell by cell      reports/晾晒表.xlsx" in result.stdout
    assert "same outputs and code  reports/county.ipynb" in result.stdout


def test_a_changed_cell_is_reported(tmp_path):
    _tree(tmp_path / "a", "2026-12-07T18:59:02+08:00", 28.2)
    _tree(tmp_path / "b", "2026-12-07T18:59:02+08:00", 28.3)
    result = _compare(tmp_path / "a", tmp_path / "b")
    assert result.returncode == 1
    assert "DIFFERENT cells        reports/晾晒表.xlsx" in result.stdout
    assert "3 files, 1 different" in result.stdout
