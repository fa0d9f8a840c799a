"""Money helpers: minor units, rounding, and the strict amount parser."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kb.policy import floor_to_minor, minor_unit, parse_money, quantize


@pytest.mark.parametrize(("currency", "digits"), [("EUR", 2), ("GBP", 2), ("USD", 2), ("JPY", 0)])
def test_minor_unit_of_known_currencies(currency: str, digits: int) -> None:
    assert minor_unit(currency) == digits


def test_minor_unit_defaults_to_two_for_an_unlisted_currency() -> None:
    assert minor_unit("NOK") == 2


@pytest.mark.parametrize("currency", ["eur", "EURO", "", "E1R"])
def test_minor_unit_refuses_what_is_not_an_iso_code(currency: str) -> None:
    with pytest.raises(ValueError, match="currency"):
        minor_unit(currency)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.125", "0.13"),  # banker's rounding would give 0.12
        ("0.005", "0.01"),
        ("2.675", "2.68"),
        ("0.124", "0.12"),
        ("10", "10.00"),
    ],
)
def test_quantize_rounds_half_up_to_the_cent(amount: str, expected: str) -> None:
    result = quantize(Decimal(amount), "EUR")
    assert result == Decimal(expected)
    assert str(result) == expected


def test_quantize_to_a_currency_without_decimals() -> None:
    assert str(quantize(Decimal("1234.5"), "JPY")) == "1235"


@pytest.mark.parametrize(
    ("amount", "expected"), [("74.9985", "74.99"), ("0.019", "0.01"), ("75", "75.00")]
)
def test_floor_to_minor_never_rounds_a_cap_up(amount: str, expected: str) -> None:
    assert str(floor_to_minor(Decimal(amount), "GBP")) == expected


def test_rounding_refuses_floats() -> None:
    with pytest.raises(TypeError):
        quantize(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        floor_to_minor(0.1, "EUR")  # type: ignore[arg-type]


def test_rounding_refuses_nan_and_infinity() -> None:
    with pytest.raises(ValueError):
        quantize(Decimal("NaN"), "EUR")
    with pytest.raises(ValueError):
        floor_to_minor(Decimal("Infinity"), "EUR")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", "12.50"),
        (" 12.5 ", "12.50"),
        ("0", "0.00"),
        ("007", "7.00"),
        (12, "12.00"),
        (Decimal("3.1"), "3.10"),
        (Decimal("1.500"), "1.50"),  # a NUMERIC column's trailing zeros are harmless
        (Decimal("-0"), "0.00"),
    ],
)
def test_parse_money_accepts_plain_amounts(value: str | int | Decimal, expected: str) -> None:
    result = parse_money(value)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize(
    "value",
    [
        0.1,
        1.0,
        True,
        "",
        "   ",
        "abc",
        "nan",
        "NaN",
        "inf",
        "Infinity",
        "-1",
        "-0.01",
        "+1",
        "1e3",
        "1,000",
        "1.000",  # "one thousand" in much of Europe
        "10.001",
        "10.",
        ".5",
        "1 000",
        "\u0661\u0662",  # Arabic-Indic digits, which Decimal() would accept
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("-0.01"),
        Decimal("10.001"),
        -1,
        None,
        [1],
    ],
)
def test_parse_money_refuses_garbage(value: object) -> None:
    with pytest.raises(ValueError):
        parse_money(value)  # type: ignore[arg-type]


def test_parse_money_follows_the_currency_minor_unit() -> None:
    assert str(parse_money("1200", "JPY")) == "1200"
    with pytest.raises(ValueError, match="more than 0 decimals"):
        parse_money("10.5", "JPY")
