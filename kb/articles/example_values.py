"""The values of a policy example, checked one by one: codes, amounts, counts and placeholders.

``kb.articles.policy_examples`` reads the blocks and hands each value here; anything not
understood is an ExampleError carrying the line at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import cache
from typing import Any, Final

from kb.policy import (
    Channel,
    Method,
    NotEligible,
    Resolution,
    ReviewReason,
    load_policy,
    parse_money,
    placeholder_values,
)

# {{ policy.window_days }}, or {{ policy.window_days + 1 }} for the day after a window.
EXAMPLE_PLACEHOLDER: Final = re.compile(
    r"\{\{\s*policy\.([a-z_]+)\s*(?:([+-])\s*([0-9]+)\s*)?\}\}"
)

BOOL_EXPECTATIONS: Final = ("eligible", "seller_fault", "free_return_shipping", "needs_review")
MONEY_EXPECTATIONS: Final = (
    "fee",
    "deduction",
    "refund_total",
    "shipping_refunded",
    "goodwill_cap",
    "guarantee_cap",
)
LIST_EXPECTATIONS: Final[Mapping[str, type]] = {
    "resolutions": Resolution,
    "resolutions_include": Resolution,
    "resolutions_exclude": Resolution,
    "methods": Method,
    "methods_include": Method,
    "methods_exclude": Method,
    "review_reasons": ReviewReason,
}

class ExampleError(ValueError):
    """A policy block that cannot be read; ``line`` counts from the text given."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line



@cache
def placeholder_names() -> frozenset[str]:
    """The names a ``{{ policy.name }}`` placeholder may use (the same for every policy)."""
    return frozenset(placeholder_values(load_policy()))


def is_placeholder(value: Any) -> bool:
    """Whether ``value`` is a placeholder string such as "{{ policy.return_fee }}"."""
    return isinstance(value, str) and EXAMPLE_PLACEHOLDER.fullmatch(value.strip()) is not None


def _placeholder(name: str, value: str, line: int) -> str:
    match = EXAMPLE_PLACEHOLDER.fullmatch(value.strip())
    if match is None:
        raise ExampleError(f"'{name}' is not a policy placeholder: {value}", line)
    if match.group(1) not in placeholder_names():
        raise ExampleError(f"'{name}' uses an unknown placeholder: {value}", line)
    return value.strip()


def check_code(name: str, value: Any, codes: type[StrEnum], line: int) -> str:
    allowed = [str(code) for code in codes]
    if not isinstance(value, str) or value not in allowed:
        raise ExampleError(f"'{name}' must be one of {', '.join(allowed)}, got {value!r}", line)
    return value


def _money(name: str, value: Any, line: int, currency: str = "EUR") -> str:
    if is_placeholder(value):
        return _placeholder(name, value, line)
    if isinstance(value, float):
        raise ExampleError(f"'{name}' must be quoted, like \"4.95\": got {value!r}", line)
    try:
        return str(parse_money(value if isinstance(value, str) else int(value), currency))
    except (ValueError, TypeError) as exc:
        raise ExampleError(f"'{name}' is not an amount of money: {value!r} ({exc})", line) from exc


def _count(name: str, value: Any, line: int, minimum: int = 0) -> int | str:
    if is_placeholder(value):
        return _placeholder(name, value, line)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ExampleError(f"'{name}' must be a whole number >= {minimum}, got {value!r}", line)
    return value


def _flag(name: str, value: Any, line: int) -> bool:
    if not isinstance(value, bool):
        raise ExampleError(f"'{name}' must be true or false, got {value!r}", line)
    return value


def _text(name: str, value: Any, line: int) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9_]+", value.strip().lower()):
        raise ExampleError(f"'{name}' must be a category name such as clothing, got {value!r}", line)
    return value.strip().lower()


def _currency(name: str, value: Any, line: int) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise ExampleError(f"'{name}' must be a currency code such as EUR, got {value!r}", line)
    return value


_FACT_CHECKS: Final[Mapping[str, Callable[[str, Any, int], Any]]] = {
    "order.channel": lambda n, v, line: check_code(n, v, Channel, line),
    "order.currency": _currency,
    "order.days_since_delivery": _count,
    "order.delivered": _flag,
    "order.days_since_purchase": _count,
    "order.shipping": _money,
    "order.other_items_total": _money,
    "item.category": _text,
    "item.price": _money,
    "item.quantity": lambda n, v, line: _count(n, v, line, minimum=1),
    "item.final_sale": _flag,
    "item.returned_quantity": _count,
    "item.return_quantity": lambda n, v, line: _count(n, v, line, minimum=1),
    "shopper.returns_last_12_months": _count,
    "shopper.receiptless": _flag,
}


def check_fact(name: str, value: Any, line: int) -> Any:
    return _FACT_CHECKS[name](name, value, line)


def check_order(order: Mapping[str, Any], line: int) -> None:
    """Facts that contradict each other would make the example prove nothing."""
    channel = order.get("channel", Channel.ONLINE)
    if channel == Channel.STORE and ("days_since_delivery" in order or "delivered" in order):
        raise ExampleError(
            "a store purchase is delivered over the counter: give days_since_purchase", line
        )
    if order.get("delivered") is False and "days_since_delivery" in order:
        raise ExampleError("an order not delivered has no days_since_delivery", line)


def check_expectation(name: str, value: Any, currency: str, line: int) -> Any:
    if name in BOOL_EXPECTATIONS:
        return _flag(name, value, line)
    if name == "not_eligible":
        return check_code(name, value, NotEligible, line)
    if name in MONEY_EXPECTATIONS:
        return _money(name, value, line, currency)
    if name == "last_day":
        return None if value is None else _count(name, value, line)
    codes = LIST_EXPECTATIONS[name]
    if not isinstance(value, list):
        raise ExampleError(f"'{name}' must be a list, like [refund, exchange]", line)
    return [check_code(name, item, codes, line) for item in value]
