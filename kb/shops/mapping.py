"""Small helpers the platform modules share to turn a payload into kb's neutral records."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kb.orders.schemas import MAX_TAG, MAX_TAGS


class PayloadError(ValueError):
    """A payload kb cannot use (a field the shop may omit is missing): logged and acknowledged."""


def amount(value: Any, default: str = "0") -> Decimal:
    """A platform's price (a string, or a number in some WooCommerce fields) as a Decimal."""
    if value is None or value == "":
        value = default
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise PayloadError(f"not an amount: {value!r}") from exc
    if not result.is_finite():
        raise PayloadError(f"not an amount: {value!r}")
    return result


def when(value: Any, assume_utc: bool = False) -> datetime | None:
    """An ISO 8601 time as aware UTC; WooCommerce's ``*_gmt`` fields carry no offset (``assume_utc``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise PayloadError(f"not a date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        if not assume_utc:
            raise PayloadError(f"a date-time without its time zone: {value!r}")
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """A datetime as the neutral order format writes it."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def merge_lines(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per SKU: the platforms may split a SKU over lines (a gift wrap, an edit), kb may not.

    The merged line's unit price is what was paid for all its units, divided evenly.
    """
    merged: dict[str, dict[str, Any]] = {}
    for item in items:
        line = merged.get(item["sku"])
        if line is None:
            merged[item["sku"]] = dict(item)
            continue
        paid = line["unit_price"] * line["quantity"] + item["unit_price"] * item["quantity"]
        line["quantity"] += item["quantity"]
        line["unit_price"] = paid / line["quantity"]
    for line in merged.values():
        line["unit_price"] = str(max(line["unit_price"], Decimal("0")).quantize(Decimal("0.01")))
    return list(merged.values())


def text(value: Any, limit: int) -> str:
    """A platform's text field, trimmed to what kb keeps ("" when absent)."""
    if value is None:
        return ""
    return str(value).strip()[:limit]


def clip_tags(names: list[str]) -> list[str]:
    """A platform's tags, each once and cut to what kb keeps, so that too many never refuse a payload."""
    unique = dict.fromkeys(name.strip()[:MAX_TAG] for name in names if name.strip())
    return list(unique)[:MAX_TAGS]
