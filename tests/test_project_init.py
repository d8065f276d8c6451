"""`kpi init` on the seed itself: Jinyun's own plan text (its annex is in the text) drafts the registry the
project's people made by hand — the same identity, regions and indicator kinds — and the draft loads."""

import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.errors import InputError
from kpi.project.init import init_project, mark_reviewed, pending

PLAN = paths.RAW / "source" / "jinyun_139_plan_2023-2027.txt"


@pytest.fixture(scope="module")
def drafted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("init") / "jinyun"
    init_project(folder, PLAN)
    return folder


def test_the_seed_drafts_the_registry_made_by_hand(drafted):
    toml = (drafted / "kpi.toml").read_text("utf-8")
    for line in (
        'name = "缙云县"',
        'short_name = "139"',
        'document_number = "缙政办发〔2023〕25号"',
        "base_year = 2022",
    ):
        assert line in toml
    shipped = pd.read_csv(paths.RAW / "indicators.csv", dtype=str)
    draft = pd.read_csv(drafted / "data" / "raw" / "indicators.csv", dtype=str)
    columns = ["name_zh", "unit", "kind", "sums_to_county", "higher_is_better", "annex_block", "annex_order"]
    pd.testing.assert_frame_equal(draft[columns], shipped[columns])
    regions = pd.read_csv(drafted / "data" / "raw" / "regions.csv", dtype=str)
    assert regions["region"].tolist() == pd.read_csv(paths.RAW / "regions.csv", dtype=str)["region"].tolist()
    assert regions["slug"].str.fullmatch(r"[a-z0-9-]+").all()


def test_review_rows_are_listed_until_reviewed(drafted):
    left = pending(drafted / "kpi.toml")
    assert len(left) > 10 and (left["why"] != "").all()
    first = f"{left.loc[0, 'file']}:{left.loc[0, 'key']}"
    assert mark_reviewed(drafted / "kpi.toml", [first]) >= 1
    assert len(pending(drafted / "kpi.toml")) < len(left)
    with pytest.raises(InputError, match="review.csv"):
        mark_reviewed(drafted / "kpi.toml", ["indicators.csv:no_such_row"])


def test_a_folder_that_holds_something_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("x", "utf-8")
    with pytest.raises(InputError, match="不为空"):
        init_project(tmp_path, PLAN)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing written beside it either
