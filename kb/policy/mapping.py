"""The shop's own words for categories: rules that turn product type, tag, vendor or SKU
prefix into a policy category (and final sale), read from ``[catalogue_mapping]``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Items that no rule matches still need a category the engine knows how to treat;
# "general" has no overrides, so it takes the plain change-of-mind window.
DEFAULT_CATEGORY = "general"
MATCH_KINDS = ("product_type", "tag", "vendor", "sku_prefix")
_CATEGORY = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class MappingRule:
    match: str
    value: str
    category: str
    final_sale: bool | None = None

    def matches(self, sku: str, product_type: str | None, tags: Iterable[str],
                vendor: str | None) -> bool:
        wanted = self.value.casefold()
        if self.match == "sku_prefix":
            return sku.casefold().startswith(wanted)
        if self.match == "tag":
            return any(tag.casefold() == wanted for tag in tags)
        seen = product_type if self.match == "product_type" else vendor
        return seen is not None and seen.strip().casefold() == wanted


@dataclass(frozen=True)
class Resolution:
    category: str
    final_sale: bool | None
    mapped: bool


def resolve(rules: Iterable[MappingRule], sku: str, product_type: str | None = None,
            tags: Iterable[str] = (), vendor: str | None = None) -> Resolution:
    """The first rule that matches decides; no match gives the default category."""
    tags = tuple(tags)
    for rule in rules:
        if rule.matches(sku, product_type, tags, vendor):
            return Resolution(rule.category, rule.final_sale, True)
    return Resolution(DEFAULT_CATEGORY, None, False)


def parse_rules(value: Any, fail: Any, known_categories: frozenset[str]) -> tuple[MappingRule, ...]:
    """Validate ``[catalogue_mapping] rules``; ``fail(key, problem)`` builds the error.

    ``known_categories`` are the policy's categories: a rule may name no other.
    """
    if value is None:
        return ()
    if not isinstance(value, dict) or set(value) - {"rules"}:
        raise fail("catalogue_mapping", "must be a table with a 'rules' list")
    rules = value.get("rules", [])
    if not isinstance(rules, list):
        raise fail("catalogue_mapping.rules", "must be a list of rules")
    return tuple(_rule(entry, f"catalogue_mapping.rules[{n}]", fail, known_categories)
                 for n, entry in enumerate(rules))


def _rule(entry: Any, key: str, fail: Any, known: frozenset[str]) -> MappingRule:
    if not isinstance(entry, dict):
        raise fail(key, "must be a table with match, value and category")
    extra = set(entry) - {"match", "value", "category", "final_sale"}
    if extra:
        raise fail(f"{key}.{sorted(extra)[0]}", "is not a mapping rule setting (a typo?)")
    match = entry.get("match")
    if match not in MATCH_KINDS:
        raise fail(f"{key}.match", f"must be one of {', '.join(MATCH_KINDS)}, got {match!r}")
    text = entry.get("value")
    if not isinstance(text, str) or not text.strip():
        raise fail(f"{key}.value", "must be a non-empty text")
    category = entry.get("category")
    if not isinstance(category, str) or not _CATEGORY.match(category.strip().lower()):
        raise fail(f"{key}.category", f"must be a category name (a-z, 0-9, _), got {category!r}")
    category = category.strip().lower()
    if category not in known:
        raise fail(f"{key}.category", f"is not a category the policy knows (see 'categories'): {category!r}")
    final_sale = entry.get("final_sale")
    if final_sale is not None and not isinstance(final_sale, bool):
        raise fail(f"{key}.final_sale", "must be true or false")
    return MappingRule(match, text.strip(), category, final_sale)
