"""The filled 晾晒表: CSV columns, the xlsx layout and colours, and its round trip through read_annex."""

import openpyxl
import pandas as pd
import pytest

from kpi.core import paths
from kpi.core.facts import STATUS_COLOURS, STATUS_MARKS
from kpi.inputs.annex import read_annex
from kpi.inputs.progress_input import read_progress
from kpi.metadata.identity import Imprint
from kpi.metrics.leaderboard import LEADERBOARD_COLUMNS, build_leaderboard
from kpi.outputs.excel import write_leaderboard_xlsx
from tests.support import run_kpi, shipped_plan


@pytest.fixture(scope="module")
def board_2023(registry):
    targets = read_annex(paths.RAW / "annex_2023.csv", registry)
    progress = read_progress(paths.EXAMPLE / "progress_example.csv", registry)
    return targets, build_leaderboard(targets, progress, registry)


def test_every_month_of_2023_is_scored(board_2023):
    _, board = board_2023
    assert sorted(board["period"].str[:4].unique()) == ["2023"]
    assert board["period"].nunique() == 12 and len(board) == 12 * 9 * 8


@pytest.mark.parametrize("period", ["2023-03", "2023-09", "2023-12"])
def test_xlsx_round_trip(tmp_path, registry, board_2023, period):
    targets, board = board_2023
    path = write_leaderboard_xlsx(board, registry, period, tmp_path / f"晾晒表_{period}.xlsx", Imprint(shipped_plan()))
    back = read_annex(path, registry)
    columns = ["year", "region", "indicator_id", "target", "comparator"]
    pd.testing.assert_frame_equal(back[columns], targets[columns])


def test_xlsx_layout_colours_and_notes(tmp_path, registry, board_2023):
    _, board = board_2023
    path = write_leaderboard_xlsx(board, registry, "2023-09", tmp_path / "t.xlsx", Imprint(shipped_plan()))
    sheet = openpyxl.load_workbook(path).active
    assert "（截至2023年9月）" in sheet["A1"].value and sheet["A1"].value.endswith("（示例数据）")
    assert "示例数据" in sheet["A2"].value
    assert sheet.freeze_panes == "C5"
    cells = {(c.row, c.column): c for row in sheet.iter_rows() for c in row}
    by_region = {sheet.cell(r, 2).value: r for r in range(5, 14)}
    dongdu, xinjian = by_region["东渡镇"], by_region["新建镇"]
    assert cells[(dongdu, 4)].value == "未报送" and cells[(dongdu, 4)].fill.start_color.rgb.endswith(
        STATUS_COLOURS["未报送"]
    )
    # 新建镇 rd 2023-09: progress cell holds the completion rate with a 0.0% format, coloured by status
    row = board[
        (board["period"] == "2023-09")
        & (board["region"] == "新建镇")
        & (board["indicator_id"] == "rd_expense_above_scale")
    ].iloc[0]
    cell = cells[(xinjian, 4)]
    mark = STATUS_MARKS[row["status"]]
    assert cell.number_format == f'"{mark} "0.0%' and cell.value == pytest.approx(
        round(row["completion_rate"] * 100, 1) / 100
    )  # a number, its status's mark before it
    assert cell.fill.start_color.rgb.endswith(STATUS_COLOURS[row["status"]])
    assert cells[(xinjian, 5)].value == row["rank"]
    notes = [
        c.value
        for c in sheet["A"]
        if isinstance(c.value, str) and c.value[:2] in ("注：", "2.", "3.", "4.", "5.", "6.")
    ]
    assert any("序时进度 = 月份 ÷ 12" in n for n in notes) and any("综合得分" in n for n in notes)


@pytest.mark.integration
def test_cli_fills_every_month(tmp_path):
    result = run_kpi(
        "leaderboard", "--period", "2023", "--out", str(tmp_path), "--processed", str(tmp_path / "processed")
    )
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.glob("monthly/2023-*/leaderboard_2023-*.csv"))) == 12
    assert len(list(tmp_path.glob("monthly/2023-*/晾晒表_2023-*.xlsx"))) == 12
    csv = pd.read_csv(tmp_path / "monthly" / "2023-09" / "leaderboard_2023-09.csv", encoding="utf-8-sig")
    assert csv.columns.tolist() == [*LEADERBOARD_COLUMNS, "rank_change"] and len(csv) == 72
    assert (tmp_path / "monthly" / "2023-09" / "leaderboard_2023-09.csv").read_bytes()[
        :3
    ] == b"\xef\xbb\xbf"  # BOM for Excel
    assert "示例数据" in result.stdout


@pytest.mark.integration
def test_cli_says_when_no_region_has_a_composite_rank(tmp_path):
    """The composite is scored only for a region that has reported every indicator: a month where none has
    is said in words, not left as an empty ranking."""
    progress = tmp_path / "progress.csv"
    progress.write_text("period,region,indicator_id,value\n2023-09,壶山镇,new_invention_patents,7\n", encoding="utf-8")
    out = ["--out", str(tmp_path), "--processed", str(tmp_path / "processed")]
    result = run_kpi("leaderboard", "--period", "2023-09", "--progress", str(progress), *out)
    assert result.returncode == 0, result.stderr
    assert "2023-09 综合排名 / composite ranking: 无：没有区域报齐全部指标" in result.stdout


@pytest.mark.integration
def test_cli_unknown_period(tmp_path):
    result = run_kpi(
        "leaderboard", "--period", "2031-01", "--out", str(tmp_path), "--processed", str(tmp_path / "processed")
    )
    assert result.returncode == 2 and "没有 2031 年的晾晒表指标" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("months, dashes", [(["2023-01"], True), ([f"2023-{m:02d}" for m in range(1, 13)], False)])
def test_region_chart_shows_the_reference_lines_of_a_single_month(registry, board_2023, months, dashes):
    """A step line of one point draws nothing: a Q1 report made from March alone would lose its 序时 and
    target lines; they are then drawn as a dash at that month (and as plain dashed steps otherwise)."""
    import matplotlib

    matplotlib.use("agg")
    from kpi.outputs.plots import region_progress_chart, use_cjk_font

    use_cjk_font()
    _, board = board_2023
    board = board[board["period"].isin(months)]
    figure = region_progress_chart(board, registry, "壶山镇", months[-1])
    references = [line for ax in figure.axes for line in ax.get_lines() if line.get_label() in ("序时进度", "目标增幅")]
    assert len(references) == 7  # one per indicator
    assert all((line.get_marker() == "_") is dashes for line in references)


def test_the_bulletins_properties_come_from_the_project(registry, board_2023):
    import datetime as dt

    from kpi.core.formatting import BEIJING
    from kpi.outputs.bulletin import bulletin

    made = dt.datetime(2026, 4, 5, 9, 30, tzinfo=BEIJING)
    _, board = board_2023
    document = bulletin(board, registry, "2023-09", Imprint(shipped_plan(), "缙云县科技局", made))
    properties = document.core_properties
    assert properties.title == "缙云县“139”科技创新体系建设情况通报（2023年9月）"
    assert (properties.author, properties.last_modified_by) == ("缙云县科技局", "缙云县科技局")
    assert (
        properties.created == dt.datetime(2026, 4, 5, 1, 30, tzinfo=dt.timezone.utc) and properties.language == "zh-CN"
    )


def _grey(colour: str) -> float:
    """The grey a black-and-white printer makes of an RGB colour (ITU-R BT.601 luma)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_statuses_survive_a_printer_without_colour(registry, board_2023):
    from kpi.outputs.bulletin import board_cells
    from kpi.outputs.status_views import leaderboard_table

    # the fills of 超序时, 基本序时, 滞后 and 未报送 are at least 20 grey levels apart …
    greys = sorted(_grey(STATUS_COLOURS[s]) for s in ("超序时", "基本序时", "滞后", "未报送"))
    assert min(b - a for a, b in zip(greys, greys[1:])) >= 20
    # … and every coloured cell carries its mark or its word, in the docx and the HTML table alike
    _, board = board_2023
    cells = board_cells(board, "2023-09", registry)
    for status, text in zip(cells["status"], cells["text"]):
        assert text == "未报送" if status == "未报送" else text.startswith(STATUS_MARKS[status]), (status, text)
    html = leaderboard_table(board, registry, "2023-09").to_html()
    assert html.count(">▼") + html.count(">▲") + html.count(">●") >= 60 and "▲ 超序时/达标" in html
