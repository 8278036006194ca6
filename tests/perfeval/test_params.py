"""Values typed into URLs and forms are read without surprises."""

import pytest

from perfeval.params import MAX_ID, clean_text, parse_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023", 2023),
        (" 7 ", 7),
        ("0", 0),
        (str(MAX_ID), MAX_ID),
        ("²", None),
        ("１２", None),
        ("-1", None),
        ("+1", None),
        ("1e3", None),
        ("1.0", None),
        ("", None),
        ("   ", None),
        (None, None),
        ("9" * 30, None),
        (str(MAX_ID + 1), None),
        ("٣", None),  # Arabic-Indic three: int() accepts it, we do not
    ],
)
def test_parse_int_takes_ascii_digits_within_bounds_only(value, expected):
    assert parse_int(value) == expected


def test_parse_int_applies_the_callers_bounds():
    assert parse_int("1999", low=2000, high=2100) is None
    assert parse_int("2101", low=2000, high=2100) is None
    assert parse_int("2024", low=2000, high=2100) == 2024


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("教育局", "教育局"),
        ("\x00", ""),
        ("局\x00\x1b[0m", "局[0m"),
        ("  北塔 ", "北塔"),
        (None, ""),
        ("长" * 300, "长" * 100),
    ],
)
def test_clean_text_drops_control_characters_and_bounds_the_length(value, expected):
    assert clean_text(value, max_length=100) == expected
