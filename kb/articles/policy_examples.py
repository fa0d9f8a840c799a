"""Policy examples in articles: the ```policy blocks, read and validated.

An article proves each rule it states with fenced blocks of language ``policy`` holding a
YAML list of cases: the facts of a return and what the policy engine must answer. This
module finds the blocks, removes them from what readers see, and turns them into
``Example`` values, refusing anything it does not understand with the line at fault.
Running them against the engine is ``kb.articles.example_checks``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from kb.articles.example_values import (
    ExampleError,
    check_code,
    check_expectation,
    check_fact,
    check_order,
)
from kb.policy import (
    Condition,
    Method,
    Reason,
    Resolution,
)

# A fence of three or more backticks (or tildes) whose info string is exactly "policy".
_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*policy[ \t]*$")
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
                key: check_fact(f"{name}.{key}", value, read.line(key_node))
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
            facts[name] = check_code(name, value, codes, read.line(key_node))
    check_order(facts.get("order", {}), line)
    currency = facts.get("order", {}).get("currency", "EUR")
    expect_node = _value_node(node, "expect")
    expected = read.mapping(expect_node, "'expect'", EXPECT_KEYS)
    if not expected:
        raise ExampleError("'expect' must name at least one answer", read.line(expect_node))
    expectations = tuple(
        Expectation(key, check_expectation(key, value, currency, read.line(key_node)), read.line(key_node))
        for key, (value, key_node) in expected.items()
    )
    return Example(case=" ".join(case.split()), line=line, facts=facts, expectations=expectations)


def _value_node(mapping: Node, key: str) -> Node:
    return next(value for k, value in mapping.value if k.value == key)
