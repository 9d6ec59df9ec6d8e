"""drafter.guard.numerals: one isolated numeral to an exact Decimal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drafter.guard.numerals import clean_decimal, fold_text, is_capital, parse_integer, parse_numeral

CASES = [
    # Arabic, full-width, separators, decimals
    ("1200", "1200"),
    ("１２００", "1200"),
    ("1,250", "1250"),
    ("９，９９９", "9999"),
    ("12.60", "12.6"),
    ("－3.5", "-3.5"),
    # Chinese, both scripts, 两/兩, 〇/零
    ("一千二百", "1200"),
    ("兩千六", "2600"),
    ("两千零一", "2001"),
    ("二〇二三", "2023"),
    ("一千零十", "1010"),
    ("十一", "11"),
    ("一十一", "11"),
    ("十", "10"),
    ("万万", None),
    ("四万万", "400000000"),
    ("十万亿", "10000000000000"),
    ("一亿五千万零六千三百五十五", "150006355"),
    # 大写
    ("壹佰萬零伍拾肆", "1000054"),
    ("玖仟陆佰陆拾伍", "9665"),
    ("貳拾", "20"),
    # mixed and colloquial
    ("3.2萬", "32000"),
    ("13萬2", "132000"),
    ("1万600", "10600"),
    ("200亿零四千230", "20000004230"),
    ("三万五", "35000"),
    ("一百二", "120"),
    ("千三", "1300"),
    ("廿二", "22"),
    ("4.78万亿", "4780000000000"),
    # decimals, signs
    ("六点五", "6.5"),
    ("六點五", "6.5"),
    ("一百点123", "100.123"),
    ("十二点零", "12"),
    ("负零点一", "-0.1"),
    ("負三十二", "-32"),
    # fractions
    ("三分之一", "0.3333333333333333333333333333"),
    ("二分之一", "0.5"),
    ("百分之八十", "0.8"),
    ("百分之六點五", "0.065"),
    ("1/2", "0.5"),
]


@pytest.mark.parametrize("text,expected", CASES)
def test_parse_numeral(text: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(ValueError):
            parse_numeral(text)
    else:
        assert parse_numeral(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "负", "万", "元", "三五百", "1,2345", "一点", "1/0", "abc"])
def test_not_a_numeral(text: str) -> None:
    with pytest.raises(ValueError):
        parse_numeral(text)


def test_parse_integer_digit_by_digit() -> None:
    assert parse_integer("一七二零") == 1720
    assert parse_integer("零零三") == 3


def test_clean_decimal() -> None:
    assert str(clean_decimal(Decimal("1E+3"))) == "1000"
    assert str(clean_decimal(Decimal("12.500"))) == "12.5"


def test_is_capital() -> None:
    assert is_capital("壹佰")
    assert not is_capital("一百")


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_fold_text_keeps_length(text: str) -> None:
    assert len(fold_text(text)) == len(text)


@given(st.integers(min_value=0, max_value=10**16 - 1))
@settings(max_examples=200, deadline=None)
def test_round_trip_through_cn2an(n: int) -> None:
    """Chinese numerals written by cn2an (lower case and 大写) read back to the number."""
    import cn2an

    for mode in ("low", "up"):
        assert parse_numeral(cn2an.an2cn(n, mode)) == n
