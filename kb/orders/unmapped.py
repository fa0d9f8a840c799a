"""What no mapping rule matched: the shop's words on items that fell to the default category,
most frequent first, with the rule an admin would add to the policy file for each."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from kb.extensions import db
from kb.orders.models import OrderItem, Source

# A SKU's prefix is its start up to its first separator ("EL-" of "EL-TV-55"), else the letters
# before its first digit ("IPOD" of "IPOD2008GREEN"); a SKU of one piece has none.
_SEPARATED = re.compile(r"^([^-_/. ]+[-_/. ])[^-_/. ]")
_LETTERS = re.compile(r"^([A-Za-z]{2,})[0-9]")
PLACEHOLDER = "CATEGORY"


def sku_prefix(sku: str) -> str | None:
    """The part of a SKU a ``sku_prefix`` rule would name, or None when it has no clear one."""
    found = _SEPARATED.match(sku) or _LETTERS.match(sku)
    return found.group(1) if found else None


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (JSON's escapes are TOML's, DEL aside)."""
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007F")


@dataclass(frozen=True)
class UnmappedValue:
    """One of the shop's words that no rule maps, and how many items and orders carry it."""

    match: str  # a rule's match kind: product_type, tag, vendor or sku_prefix
    value: str
    items: int
    orders: int

    @property
    def rule(self) -> str:
        """The line of ``[catalogue_mapping] rules`` that would map it (its category to choose)."""
        return (f"{{ match = {toml_string(self.match)}, value = {toml_string(self.value)}, "
                f"category = {toml_string(PLACEHOLDER)} }},")


def _words(sku: str, product_type: str | None, tags_json: str, vendor: str | None) -> Iterator[tuple[str, str]]:
    if product_type:
        yield "product_type", product_type
    for tag in json.loads(tags_json or "[]"):
        yield "tag", tag
    if vendor:
        yield "vendor", vendor
    prefix = sku_prefix(sku)
    if prefix:
        yield "sku_prefix", prefix


def unmapped_values(page: int = 1, per_page: int = 25) -> tuple[list[UnmappedValue], int]:
    """One page of the words of items that fell to the default category, most items first, and
    how many such words there are in all.

    Words are grouped as the rules compare them (without case), shown as first seen.
    """
    shown: dict[tuple[str, str], str] = {}
    items: dict[tuple[str, str], int] = {}
    orders: dict[tuple[str, str], set[int]] = {}
    rows = db.session.execute(
        select(OrderItem.order_id, OrderItem.sku, OrderItem.product_type, OrderItem.tags_json, OrderItem.vendor)
        .where(OrderItem.category_source == Source.DEFAULT).execution_options(yield_per=1000))
    for order_id, sku, product_type, tags, vendor in rows:
        for match, value in _words(sku, product_type, tags, vendor):
            key = (match, value.casefold())
            shown.setdefault(key, value)
            items[key] = items.get(key, 0) + 1
            orders.setdefault(key, set()).add(order_id)
    ranked = sorted(items, key=lambda key: (-items[key], -len(orders[key]), key))
    start = (page - 1) * per_page
    chosen = [UnmappedValue(key[0], shown[key], items[key], len(orders[key]))
              for key in ranked[start:start + per_page]]
    return chosen, len(ranked)
