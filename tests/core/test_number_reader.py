"""The one number reader of forms and imports: thousands separators and full-width digits."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specialops.entities import FieldSpec
from specialops.io.convert import AmbiguousNumber, CellError, importer, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234.5", "1234.5"),
        ("1,234.5", "1234.5"),
        ("12,000", "12000"),
        ("1,234,567.5", "1234567.5"),
        ("-1,234", "-1234"),
        ("12 000", "12000"),
        ("1_000_000", "1000000"),
        ("１２３", "123"),  # full-width digits
        ("１２，０００", "12000"),  # and a full-width comma
        ("１，２３４．５", "1234.5"),  # and a full-width point
        ("－５", "-5"),
        (".5", "0.5"),
        ("1e3", "1E+3"),
    ],
)
def test_numbers_people_type(text: str, value: str) -> None:
    assert parse_number(text) == Decimal(value)


@pytest.mark.parametrize(
    "text", ["1,23", "1,2345", "12,00,000", "1.234,5", ",123", "1,,234", "1,234 567", "1_23"]
)
def test_misplaced_separators_are_ambiguous(text: str) -> None:
    with pytest.raises(AmbiguousNumber, match="ambiguous: thousands separators go between"):
        parse_number(text)


@pytest.mark.parametrize("text", ["abc", "12,34x", "nan", "inf", "", "1..2", "٣"])
def test_other_text_is_not_a_number(text: str) -> None:
    with pytest.raises(CellError, match="not a number"):
        parse_number(text)


def _grouped(number: int, sep: str) -> str:
    return f"{number:,}".replace(",", sep)


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from([",", " ", "_", "，"]),
    st.one_of(st.none(), st.integers(min_value=0, max_value=99)),
)
def test_any_well_grouped_number_reads_back(number: int, sep: str, cents: int | None) -> None:
    text = _grouped(number, sep) + ("" if cents is None else f".{cents:02d}")
    expected = Decimal(number) if cents is None else Decimal(f"{number}.{cents:02d}")
    assert parse_number(text) == expected


@given(st.integers(min_value=1000, max_value=10**12), st.integers(min_value=1, max_value=2))
def test_a_group_of_the_wrong_size_is_refused(number: int, cut: int) -> None:
    text = f"{number:,}"
    with pytest.raises(AmbiguousNumber):
        parse_number(text[:-cut])  # the last group now has one or two digits


@given(st.text(alphabet="0123456789", min_size=1, max_size=12))
def test_full_width_digits_read_as_ascii(digits: str) -> None:
    wide = digits.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_number(wide) == Decimal(digits)


def test_field_converters_use_the_reader() -> None:
    assert importer(FieldSpec("budget", "money", min=0))("１２，０００") == 1_200_000
    assert importer(FieldSpec("hours", "int"))("12,000") == 12_000
    assert importer(FieldSpec("share", "percent", max=100))("１００％") == 100
    with pytest.raises(CellError, match="ambiguous"):
        importer(FieldSpec("hours", "int"))("1,23")
