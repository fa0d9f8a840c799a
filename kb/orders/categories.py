"""Items' categories in the shop's own words: the policy's mapping applied when an order arrives,
and applied again (``kb orders remap``) to orders whose returns have not started."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from flask import has_app_context
from sqlalchemy import select

from kb.extensions import db
from kb.orders.changes import returns_started
from kb.orders.models import Order, OrderItem, Source
from kb.policy import load_policy
from kb.policy.mapping import MappingRule, resolve
from kb.types import utcnow

CHUNK = 200  # orders per query while re-mapping: bounded memory, few round trips


@dataclass(frozen=True)
class Categorized:
    """An item's category and final sale, and where each came from."""

    category: str
    category_source: Source
    final_sale: bool
    final_sale_source: Source


def mapping_rules() -> tuple[MappingRule, ...]:
    """The catalogue mapping rules of the policy in use (the app's, else the packaged default)."""
    if has_app_context():
        from kb.shop import current_policy  # kb.shop needs an app; imported only with one
        return current_policy().catalogue_mapping
    return load_policy().catalogue_mapping


def categorize(rules: Iterable[MappingRule], sku: str, category: str | None, final_sale: bool | None,
               product_type: str | None, tags: Sequence[str], vendor: str | None) -> Categorized:
    """The category the order gave, else the first matching rule's, else the default.

    A final sale the order gave always stands; otherwise a matching rule may set it.
    """
    if category is not None:
        given = Source.ORDER if final_sale is not None else Source.DEFAULT
        return Categorized(category.lower(), Source.ORDER, bool(final_sale), given)
    found = resolve(rules, sku, product_type, tags, vendor)
    source = Source.RULE if found.mapped else Source.DEFAULT
    if final_sale is not None:
        return Categorized(found.category, source, final_sale, Source.ORDER)
    if found.final_sale is not None:
        return Categorized(found.category, source, found.final_sale, Source.RULE)
    return Categorized(found.category, source, False, Source.DEFAULT)


@dataclass(frozen=True)
class ItemChange:
    """One item whose category or final sale the current rules change."""

    order_number: str
    sku: str
    old_category: str
    new_category: str
    old_final_sale: bool
    new_final_sale: bool


@dataclass
class RemapReport:
    """What a re-mapping changed (or would change), and what it left alone."""

    changes: list[ItemChange] = field(default_factory=list)
    examined: int = 0  # items mapped by a rule or the default, on orders without returns
    held_orders: int = 0  # orders skipped because a return has started on them

    def per_category(self) -> Counter[str]:
        """Items changed, by their new category."""
        return Counter(change.new_category for change in self.changes)


def orders_to_remap() -> list[int]:
    """Ids of the orders that have an item whose category a rule or the default decided."""
    return list(db.session.scalars(
        select(OrderItem.order_id).distinct().where(OrderItem.category_source != Source.ORDER)
        .order_by(OrderItem.order_id)))


def remap(order_ids: Sequence[int], rules: Sequence[MappingRule], *, dry_run: bool = False,
          progress: Callable[[int], None] | None = None) -> RemapReport:
    """Apply ``rules`` again to the mapped items of ``order_ids``, skipping orders with a return.

    Items whose category came with the order are never touched; ``dry_run`` changes nothing.
    ``progress`` is told how many orders each step went through.
    """
    report = RemapReport()
    for start in range(0, len(order_ids), CHUNK):
        chunk = order_ids[start:start + CHUNK]
        held = returns_started(chunk)
        report.held_orders += len(held)
        rows = db.session.execute(
            select(OrderItem, Order).join(Order, OrderItem.order_id == Order.id)
            .where(OrderItem.order_id.in_([i for i in chunk if i not in held]),
                   OrderItem.category_source != Source.ORDER)
            .order_by(OrderItem.id))
        for item, order in rows:
            report.examined += 1
            change = _remap_item(item, order, rules, dry_run)
            if change is not None:
                report.changes.append(change)
        if progress is not None:
            progress(len(chunk))
    return report


def _remap_item(item: OrderItem, order: Order, rules: Sequence[MappingRule], dry_run: bool) -> ItemChange | None:
    """The item's change under ``rules`` (applied unless ``dry_run``), or None when it stays."""
    given = item.final_sale if item.final_sale_source == Source.ORDER else None
    new = categorize(rules, item.sku, None, given, item.product_type, item.tags, item.vendor)
    if (new.category, new.final_sale) == (item.category, item.final_sale) \
            and (new.category_source, new.final_sale_source) == (item.category_source, item.final_sale_source):
        return None
    change = ItemChange(order.number, item.sku, item.category, new.category, item.final_sale, new.final_sale)
    if not dry_run:
        item.category, item.category_source = new.category, new.category_source
        item.final_sale, item.final_sale_source = new.final_sale, new.final_sale_source
        order.updated_at = utcnow()
    if (change.old_category, change.old_final_sale) == (change.new_category, change.new_final_sale):
        return None  # only the bookkeeping moved (a rule now names the default category)
    return change


def tags_json(tags: Sequence[str]) -> str:
    """Tags as the item stores them."""
    return json.dumps(list(tags), ensure_ascii=False)
