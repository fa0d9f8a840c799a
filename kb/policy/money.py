"""Exact money: Decimal amounts, each rounded to its currency's minor unit."""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from babel.numbers import get_currency_precision

# Amounts are stored as whole hundredths (kb.types.Money), so a currency with more decimals
# (BHD, KWD, TND: 3) cannot be kept exactly and is refused.
MAX_MINOR_UNIT: Final = 2
DEFAULT_MINOR_UNIT: Final = 2

_CURRENCY = re.compile(r"[A-Z]{3}")
# Plain digits with an optional fractional part: no sign, exponent, separator or space inside,
# because "1.000" or "1e3" typed into a form is more likely a mistake than a price.
_PLAIN_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)


def check_currency(currency: str) -> str:
    """Return ``currency`` if it is a three-letter upper-case ISO code, else raise ValueError."""
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise ValueError(f"currency must be a three-letter ISO code such as EUR, got {currency!r}")
    return currency


def minor_unit(currency: str) -> int:
    """Digits after the decimal point in ``currency`` (EUR/GBP/USD: 2, JPY: 0), from CLDR via Babel.

    Codes CLDR does not know get the common 2; ValueError for a currency with more decimals
    than the Money column keeps.
    """
    digits = get_currency_precision(check_currency(currency))
    if digits > MAX_MINOR_UNIT:
        raise ValueError(f"{currency} has {digits} decimals; amounts are kept to {MAX_MINOR_UNIT}")
    return digits


def _step(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_unit(currency))


def _require_decimal(amount: Decimal | int) -> Decimal:
    # bool is an int, and a float has already lost the cents: both are caller bugs.
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"money must be a Decimal, got {type(amount).__name__}")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError(f"money must be a finite amount, got {value}")
    return value


def quantize(amount: Decimal | int, currency: str) -> Decimal:
    """Round ``amount`` half-up to the minor unit of ``currency`` (amounts shown and paid)."""
    return _require_decimal(amount).quantize(_step(currency), rounding=ROUND_HALF_UP)


def floor_to_minor(amount: Decimal | int, currency: str) -> Decimal:
    """Round ``amount`` down to the minor unit of ``currency`` (caps never round up)."""
    return _require_decimal(amount).quantize(_step(currency), rounding=ROUND_FLOOR)


def parse_money(value: object, currency: str | None = None) -> Decimal:
    """Parse a non-negative amount with at most the currency's decimals (2 without one).

    Takes any value (request bodies are untrusted) and refuses all but text, int and Decimal.
    """
    places = DEFAULT_MINOR_UNIT if currency is None else minor_unit(currency)
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"amount must be given as text or Decimal, not {type(value).__name__}")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("-"):
            raise ValueError(f"amount must not be negative, got {value!r}")
        if not _PLAIN_AMOUNT.fullmatch(text):
            raise ValueError(f"amount must be plain digits such as 12.50, got {value!r}")
        decimals = len(text.partition(".")[2])
        if decimals > places:
            raise ValueError(f"amount has more than {places} decimals: {value!r}")
        amount = Decimal(text)
    elif isinstance(value, int | Decimal):
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError(f"amount must be finite, got {value}")
        if amount < 0:
            raise ValueError(f"amount must not be negative, got {value}")
        # A Decimal is judged by its value, so 1.500 from a NUMERIC column is fine.
        try:
            exact = amount == amount.quantize(Decimal(1).scaleb(-places))
        except InvalidOperation as exc:  # more digits than the decimal context holds
            raise ValueError(f"amount is out of range: {value}") from exc
        if not exact:
            raise ValueError(f"amount has more than {places} decimals: {value}")
    else:
        raise ValueError(f"amount must be text, int or Decimal, not {type(value).__name__}")
    try:
        # Decimal("-0") + 0 is 0: never hand back a negative zero.
        return amount.quantize(Decimal(1).scaleb(-places)) + 0
    except InvalidOperation as exc:  # more digits than the decimal context holds
        raise ValueError(f"amount is out of range: {value!r}") from exc


__all__ = [
    "DEFAULT_MINOR_UNIT",
    "MAX_MINOR_UNIT",
    "check_currency",
    "floor_to_minor",
    "minor_unit",
    "parse_money",
    "quantize",
]
