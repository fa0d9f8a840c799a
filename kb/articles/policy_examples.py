"""Policy examples in articles: the ```policy blocks, read and validated.

An article proves each rule it states with fenced blocks of language ``policy`` holding a
YAML list of cases: the facts of a return and what the policy engine must answer. This
module finds the blocks, removes them from what readers see, and turns them into
``Example`` values, refusing anything it does not understand with the line at fault.
Running them against the engine is ``kb.articles.example_checks``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, Final

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from kb.policy import (
    Channel,
    Condition,
    Method,
    NotEligible,
    Reason,
    Resolution,
    ReviewReason,
    load_policy,
    parse_money,
    placeholder_values,
)

# A fence of three or more backticks (or tildes) whose info string is exactly "policy".
_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*policy[ \t]*$")
# {{ policy.window_days }}, or {{ policy.window_days + 1 }} for the day after a window.
EXAMPLE_PLACEHOLDER: Final = re.compile(
    r"\{\{\s*policy\.([a-z_]+)\s*(?:([+-])\s*([0-9]+)\s*)?\}\}"
)

FACT_KEYS: Final = ("order", "item", "shopper", "reason", "condition", "resolution", "method")
CASE_KEYS: Final = ("case", *FACT_KEYS, "expect")
ORDER_KEYS: Final = (
    "channel",
    "currency",
    "days_since_delivery",
    "delivered",
    "days_since_purchase",
    "shipping",
    "other_items_total",
)
ITEM_KEYS: Final = (
    "category",
    "price",
    "quantity",
    "final_sale",
    "returned_quantity",
    "return_quantity",
)
SHOPPER_KEYS: Final = ("returns_last_12_months", "receiptless")

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
EXPECT_KEYS: Final = (
    "eligible",
    "not_eligible",
    "resolutions",
    "resolutions_include",
    "resolutions_exclude",
    "methods",
    "methods_include",
    "methods_exclude",
    "fee",
    "deduction",
    "refund_total",
    "shipping_refunded",
    "seller_fault",
    "free_return_shipping",
    "needs_review",
    "review_reasons",
    "last_day",
    "goodwill_cap",
    "guarantee_cap",
)


class ExampleError(ValueError):
    """A policy block that cannot be read; ``line`` counts from the text given."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class Block:
    """One ```policy fenced block: its YAML and the line its YAML starts on (from 1)."""

    source: str
    first_line: int


@dataclass(frozen=True)
class Expectation:
    """One key of ``expect``: what the engine must answer, as the writer wrote it."""

    name: str
    value: Any
    line: int


@dataclass(frozen=True)
class Example:
    """One case of a policy block: the facts of a return and the expected answers."""

    case: str
    line: int
    facts: Mapping[str, Any] = field(hash=False)
    expectations: tuple[Expectation, ...]

    def comparable(self) -> tuple[Any, ...]:
        """The facts and expectations, without the case text (which is translated)."""
        facts = tuple(sorted((k, _frozen(v)) for k, v in self.facts.items()))
        expected = tuple(sorted((e.name, _frozen(e.value)) for e in self.expectations))
        return facts, expected


def _frozen(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    return value


# ---- finding the blocks ---------------------------------------------------------------


def find_blocks(text: str) -> list[Block]:
    """The ```policy blocks of a Markdown text, in order (an unclosed one runs to the end)."""
    lines = text.split("\n")
    return [Block("\n".join(lines[first + 1 : last]), first + 2) for first, last in _fences(lines)]


def remove_examples(text: str) -> str:
    """The Markdown without its ```policy blocks: readers and search never see them."""
    if "policy" not in text:
        return text
    lines = text.split("\n")
    for first, last in reversed(_fences(lines)):
        del lines[first : last + 1]
    return "\n".join(lines)


def _fences(lines: list[str]) -> list[tuple[int, int]]:
    """(opening line, closing line) of each policy block, counted from 0."""
    spans = []
    index = 0
    while index < len(lines):
        opening = _OPEN.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence = opening.group(1)
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        last = next((n for n in range(index + 1, len(lines)) if closing.match(lines[n])), len(lines))
        spans.append((index, last))
        index = last + 1
    return spans


# ---- reading the cases ----------------------------------------------------------------


def parse_examples(text: str) -> list[Example]:
    """Every case of every ```policy block of ``text``; raise ExampleError at the bad line."""
    examples: list[Example] = []
    for block in find_blocks(text):
        examples.extend(_parse_block(block))
    return examples


def _parse_block(block: Block) -> list[Example]:
    offset = block.first_line
    loader = _Loader(block.source)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        line = offset + mark.line if mark is not None else offset
        raise ExampleError(f"the policy block is not valid YAML: {problem}", line) from exc
    finally:
        loader.dispose()
    if not isinstance(root, SequenceNode) or not root.value:
        line = offset + root.start_mark.line if root is not None else offset
        raise ExampleError("a policy block holds a list of cases (each starting with - case:)", line)
    return [_parse_case(loader, node, offset) for node in root.value]


# libyaml when it is there: several times faster on the hundreds of cases of the articles.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Reader:
    """Turns one case's YAML nodes into plain values, keeping each key's line."""

    def __init__(self, loader: Any, offset: int) -> None:
        self.loader = loader
        self.offset = offset

    def line(self, node: Node) -> int:
        return self.offset + node.start_mark.line

    def mapping(self, node: Node, what: str, allowed: tuple[str, ...]) -> dict[str, tuple[Any, Node]]:
        if not isinstance(node, MappingNode):
            raise ExampleError(f"{what} must be a mapping of keys", self.line(node))
        entries: dict[str, tuple[Any, Node]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key not in allowed:
                raise ExampleError(
                    f"unknown key '{key}' in {what} (one of {', '.join(allowed)})",
                    self.line(key_node),
                )
            if key in entries:
                raise ExampleError(f"'{key}' is given twice in {what}", self.line(key_node))
            try:
                value = self.loader.construct_object(value_node, deep=True)
            except yaml.YAMLError as exc:
                raise ExampleError(f"'{key}' cannot be read: {exc}", self.line(value_node)) from exc
            entries[key] = (value, key_node)
        return entries


def _parse_case(loader: Any, node: Node, offset: int) -> Example:
    read = _Reader(loader, offset)
    entries = read.mapping(node, "a case", CASE_KEYS)
    line = read.line(node)
    case, _ = entries.get("case", (None, node))
    if not isinstance(case, str) or not case.strip():
        raise ExampleError("each case needs a 'case' line saying what it shows", line)
    if "reason" not in entries:
        raise ExampleError("each case needs a 'reason'", line)
    if "expect" not in entries:
        raise ExampleError("each case needs an 'expect' mapping", line)
    facts: dict[str, Any] = {}
    sections = {"order": ORDER_KEYS, "item": ITEM_KEYS, "shopper": SHOPPER_KEYS}
    for name, allowed in sections.items():
        if name in entries:
            value_node = _value_node(node, name)
            facts[name] = {
                key: _check_fact(f"{name}.{key}", value, read.line(key_node))
                for key, (value, key_node) in read.mapping(value_node, f"'{name}'", allowed).items()
            }
    for name, codes in (
        ("reason", Reason),
        ("condition", Condition),
        ("resolution", Resolution),
        ("method", Method),
    ):
        if name in entries:
            value, key_node = entries[name]
            facts[name] = _code(name, value, codes, read.line(key_node))
    _check_order(facts.get("order", {}), line)
    currency = facts.get("order", {}).get("currency", "EUR")
    expect_node = _value_node(node, "expect")
    expected = read.mapping(expect_node, "'expect'", EXPECT_KEYS)
    if not expected:
        raise ExampleError("'expect' must name at least one answer", read.line(expect_node))
    expectations = tuple(
        Expectation(key, _check_expectation(key, value, currency, read.line(key_node)), read.line(key_node))
        for key, (value, key_node) in expected.items()
    )
    return Example(case=" ".join(case.split()), line=line, facts=facts, expectations=expectations)


def _value_node(mapping: Node, key: str) -> Node:
    return next(value for k, value in mapping.value if k.value == key)


# ---- checking values --------------------------------------------------------------------


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


def _code(name: str, value: Any, codes: type[StrEnum], line: int) -> str:
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
    "order.channel": lambda n, v, line: _code(n, v, Channel, line),
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


def _check_fact(name: str, value: Any, line: int) -> Any:
    return _FACT_CHECKS[name](name, value, line)


def _check_order(order: Mapping[str, Any], line: int) -> None:
    """Facts that contradict each other would make the example prove nothing."""
    channel = order.get("channel", Channel.ONLINE)
    if channel == Channel.STORE and ("days_since_delivery" in order or "delivered" in order):
        raise ExampleError(
            "a store purchase is delivered over the counter: give days_since_purchase", line
        )
    if order.get("delivered") is False and "days_since_delivery" in order:
        raise ExampleError("an order not delivered has no days_since_delivery", line)


def _check_expectation(name: str, value: Any, currency: str, line: int) -> Any:
    if name in BOOL_EXPECTATIONS:
        return _flag(name, value, line)
    if name == "not_eligible":
        return _code(name, value, NotEligible, line)
    if name in MONEY_EXPECTATIONS:
        return _money(name, value, line, currency)
    if name == "last_day":
        return None if value is None else _count(name, value, line)
    codes = LIST_EXPECTATIONS[name]
    if not isinstance(value, list):
        raise ExampleError(f"'{name}' must be a list, like [refund, exchange]", line)
    return [_code(name, item, codes, line) for item in value]
