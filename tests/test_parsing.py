import datetime as dt

import pytest

from kpi.core.parsing import normalize_text, parse_number, parse_period, parse_target


@pytest.mark.parametrize(
    "text, expected",
    [
        ("壶山 镇 ", "壶山镇"),
        ("１５．４４", "15.44"),
        ("（亿元）", "(亿元)"),
        (None, ""),
    ],
)
def test_normalize_text(text, expected):
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    "cell, unit, expected",
    [
        ("15.44", "亿元", 15.44),
        ("１５．４４", "亿元", 15.44),
        ("15.44亿元", "亿元", 15.44),
        ("1544万元", "亿元", 0.1544),
        ("1,234", "件", 1234.0),
        ("12件", "件", 12.0),
        ("3.4%", "%", 3.4),
        (7, "家", 7.0),
        (0.5, "亿元", 0.5),
        ("-3.5", "%", -3.5),
    ],
)
def test_parse_number(cell, unit, expected):
    assert parse_number(cell, unit) == pytest.approx(expected)


@pytest.mark.parametrize("cell", ["", "—", "/", "-", None, "  ", float("nan")])
def test_blank_is_none_never_zero(cell):
    assert parse_number(cell, "亿元") is None


@pytest.mark.parametrize("cell, unit", [("abc", "件"), ("12家", "件"), ("1.2.3", "亿元"), (True, "件")])
def test_parse_number_rejects(cell, unit):
    with pytest.raises(ValueError):
        parse_number(cell, unit)


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("15以上", (15.0, ">=")),
        ("１５以上", (15.0, ">=")),
        ("不低于15", (15.0, ">=")),
        ("≥15", (15.0, ">=")),
        ("15%以上", (15.0, ">=")),
        ("超过3.4", (3.4, ">")),
        ("5以下", (5.0, "<=")),
        ("15.44", (15.44, "=")),
        (47, (47.0, "=")),
        (" 15 以上 ", (15.0, ">=")),
    ],
)
def test_parse_target(cell, expected):
    assert parse_target(cell, "%") == expected


@pytest.mark.parametrize("cell", ["", "—", "以上", "不低于", "超过15以下"])
def test_parse_target_rejects(cell):
    with pytest.raises(ValueError):
        parse_target(cell, "%")


@pytest.mark.parametrize(
    "cell",
    [
        "2023-09",
        "2023-9",
        "2023年9月",
        "2023.09",
        "202309",
        "2023/9",
        dt.date(2023, 9, 30),
        dt.datetime(2023, 9, 1, 12),
        45199,
        "２０２３年９月",
    ],
)
def test_parse_period(cell):
    assert parse_period(cell) == "2023-09"


@pytest.mark.parametrize("cell", ["2023-13", "九月", "", "2023"])
def test_parse_period_rejects(cell):
    with pytest.raises(ValueError):
        parse_period(cell)
