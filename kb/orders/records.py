"""Importing the shop's orders: validate each record, upsert the good ones, report the bad."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kb.extensions import db
from kb.orders.categories import categorize, mapping_rules, tags_json
from kb.orders.changes import refusal
from kb.orders.models import CURRENCIES, Order, OrderItem, Source
from kb.orders.schemas import MAX_TAG, MAX_TAGS
from kb.policy import Channel
from kb.policy.money import quantize
from kb.types import utcnow

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,63}$")
ORDER_FIELDS = {
    "number", "email", "placed_at", "delivered_at", "channel", "seller", "store",
    "transaction_id", "currency", "shipping", "items", "cancelled_at",
}
ITEM_FIELDS = {"sku", "name", "category", "quantity", "unit_price", "final_sale",
               "product_type", "tags", "vendor", "category_source", "final_sale_source"}


class OrderRecordError(ValueError):
    """A record that cannot be imported, and why."""


class OrderConflict(OrderRecordError):
    """A valid record whose change would break a return already made on the order."""


@dataclass
class OrdersReport:
    """What an orders import did."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (position, reason)


def parse_records(text: str) -> list[Any]:
    """A JSON array, or JSON Lines (one order per line)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        data = json.loads(stripped, parse_float=Decimal)
        if not isinstance(data, list):
            raise ValueError("expected a JSON array of orders")
        return data
    records: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line, parse_float=Decimal))
        except json.JSONDecodeError as exc:
            records.append(OrderRecordError(f"line {number}: invalid JSON ({exc.msg})"))
    return records


def import_orders(records: list[Any]) -> OrdersReport:
    """Upsert orders by number; a bad record is reported by position and the rest still load."""
    report = OrdersReport()
    for position, record in enumerate(records, start=1):
        try:
            if isinstance(record, OrderRecordError):
                raise record
            outcome = store_order(validate_order(record))
            if outcome == "created":
                report.created += 1
            else:
                report.updated += 1
        except OrderRecordError as exc:
            report.errors.append((position, str(exc)))
    return report


def store_order(data: dict[str, Any]) -> str:
    """Create or replace one validated order: "created", "updated" or "unchanged".

    Raises OrderConflict when the change would break a return. Two writers creating the same
    new number at once: the loser's insert fails on the unique number, and it retries as an update.
    """
    try:
        with db.session.begin_nested():
            return _upsert(data)
    except IntegrityError:
        with db.session.begin_nested():
            return _upsert(data)


def _text(record: dict[str, Any], name: str, limit: int, required: bool = True) -> str | None:
    value = record.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise OrderRecordError(f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise OrderRecordError(f"'{name}' must be a string")
    value = value.strip()
    if len(value) > limit:
        raise OrderRecordError(f"'{name}' is longer than {limit} characters")
    return value


def _datetime(record: dict[str, Any], name: str, required: bool) -> datetime | None:
    value = record.get(name)
    if value is None:
        if required:
            raise OrderRecordError(f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise OrderRecordError(f"'{name}' must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise OrderRecordError(f"'{name}' is not a valid date-time: {value!r}") from exc
    if parsed.tzinfo is None:
        raise OrderRecordError(f"'{name}' needs a time zone (e.g. 2026-11-01T10:00:00Z)")
    return parsed.astimezone(UTC)


def _money(value: Any, name: str, currency: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise OrderRecordError(f"'{name}' must be a decimal amount like \"19.90\"")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise OrderRecordError(f"'{name}' is not a decimal amount: {value!r}") from exc
    if not amount.is_finite() or amount < 0:
        raise OrderRecordError(f"'{name}' must be a positive amount")
    if amount > Decimal("1000000"):
        raise OrderRecordError(f"'{name}' is implausibly large")
    return quantize(amount, currency)


def validate_order(record: Any) -> dict[str, Any]:
    """Check one order record and return it normalised; raise OrderRecordError."""
    if not isinstance(record, dict):
        raise OrderRecordError("an order must be a JSON object")
    unknown = set(record) - ORDER_FIELDS
    if unknown:
        raise OrderRecordError(f"unknown field(s): {', '.join(sorted(unknown))}")
    email = _text(record, "email", 254) or ""
    if not EMAIL.match(email):
        raise OrderRecordError(f"'email' is not an e-mail address: {email!r}")
    channel = _text(record, "channel", 20)
    if channel not in {c.value for c in Channel}:
        raise OrderRecordError("'channel' must be online, store or marketplace")
    currency = _text(record, "currency", 3)
    if currency not in CURRENCIES:
        raise OrderRecordError(f"'currency' must be one of {', '.join(CURRENCIES)}")
    placed_at = _datetime(record, "placed_at", required=True)
    delivered_at = _datetime(record, "delivered_at", required=False)
    if delivered_at and placed_at and delivered_at < placed_at:
        raise OrderRecordError("'delivered_at' is before 'placed_at'")
    cancelled_at = _datetime(record, "cancelled_at", required=False)
    seller = _text(record, "seller", 120, required=False)
    if channel == Channel.MARKETPLACE and not seller:
        raise OrderRecordError("a marketplace order needs its 'seller'")
    items = record.get("items")
    if not isinstance(items, list) or not items:
        raise OrderRecordError("'items' must be a non-empty list")
    if len(items) > 200:
        raise OrderRecordError("an order may have at most 200 items")
    parsed_items = [_validate_item(item, i, currency) for i, item in enumerate(items, start=1)]
    skus = [item["sku"] for item in parsed_items]
    duplicates = sorted({s for s in skus if skus.count(s) > 1})
    if duplicates:
        raise OrderRecordError(f"SKU repeated in the order: {', '.join(duplicates)}")
    return {
        "number": normalise_order_number(_text(record, "number", 40)),
        "email": email.lower(),
        "placed_at": placed_at,
        "delivered_at": delivered_at,
        "channel": channel,
        "seller": seller,
        "store": _text(record, "store", 40, required=False),
        "transaction_id": normalise_transaction_id(_text(record, "transaction_id", 80, required=False)),
        "currency": currency,
        "shipping": _money(record.get("shipping", "0"), "shipping", currency),
        "items": parsed_items,
        "cancelled_at": cancelled_at,
    }


def normalise_order_number(number: str | None) -> str:
    """An order number as stored and looked up: compatibility forms folded, no spaces, upper case.

    Shops print "#1001" where their exports and shoppers often write "1001": the sign is dropped.
    """
    return "".join(unicodedata.normalize("NFKC", number or "").split()).upper().lstrip("#")


def normalise_transaction_id(transaction: str | None) -> str | None:
    """A payment transaction ID as stored and looked up: no spaces or dashes, upper case.

    Shoppers copy these from bank statements and receipts, which group and case them freely.
    """
    if transaction is None:
        return None
    folded = unicodedata.normalize("NFKC", transaction)
    return "".join(char for char in folded if not char.isspace() and char not in "-‐‑–").upper() or None


def _validate_item(item: Any, position: int, currency: str) -> dict[str, Any]:
    where = f"item {position}"
    if not isinstance(item, dict):
        raise OrderRecordError(f"{where} must be a JSON object")
    unknown = set(item) - ITEM_FIELDS
    if unknown:
        raise OrderRecordError(f"{where}: unknown field(s): {', '.join(sorted(unknown))}")
    try:
        sku = _text(item, "sku", 64)
        name = _text(item, "name", 200)
        category = _text(item, "category", 40, required=False)
        product_type = _text(item, "product_type", 200, required=False)
        vendor = _text(item, "vendor", 200, required=False)
    except OrderRecordError as exc:
        raise OrderRecordError(f"{where}: {exc}") from exc
    quantity = item.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= 1000:
        raise OrderRecordError(f"{where}: 'quantity' must be a whole number from 1 to 1000")
    if "unit_price" not in item:
        raise OrderRecordError(f"{where}: 'unit_price' is required")
    try:
        unit_price = _money(item["unit_price"], "unit_price", currency)
    except OrderRecordError as exc:
        raise OrderRecordError(f"{where}: {exc}") from exc
    final_sale = item.get("final_sale")
    if final_sale is not None and not isinstance(final_sale, bool):
        raise OrderRecordError(f"{where}: 'final_sale' must be true or false")
    tags = validate_tags(item.get("tags"), where)
    # An item read back from the API says where its values came from: the mapping's are decided again.
    if _source(item, "category_source", where) != Source.ORDER:
        category = None
    if _source(item, "final_sale_source", where) != Source.ORDER:
        final_sale = None
    # Without a category, the shop's own words (product type, tags, vendor, SKU) decide it.
    decided = categorize(mapping_rules(), str(sku), category, final_sale, product_type, tags, vendor)
    return {
        "sku": sku,
        "name": name,
        "category": decided.category,
        "quantity": quantity,
        "unit_price": unit_price,
        "final_sale": decided.final_sale,
        "product_type": product_type,
        "tags_json": tags_json(tags),
        "vendor": vendor,
        "category_source": decided.category_source.value,
        "final_sale_source": decided.final_sale_source.value,
    }


def _source(item: dict[str, Any], name: str, where: str) -> Source:
    """Where a value came from, as an item read back from the API says (given by the order if absent)."""
    value = item.get(name, Source.ORDER.value)
    if value not in {source.value for source in Source}:
        raise OrderRecordError(f"{where}: '{name}' must be order, rule or default")
    return Source(value)


def validate_tags(value: Any, where: str) -> list[str]:
    """The shop's tags for an item or a product: trimmed, each once, in the order given.

    At most MAX_TAGS, each at most MAX_TAG characters; OrderRecordError (naming ``where``) otherwise.
    """
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise OrderRecordError(f"{where}: 'tags' must be a list of strings")
    if len(value) > MAX_TAGS:
        raise OrderRecordError(f"{where}: 'tags' may hold at most {MAX_TAGS} tags")
    tags = [t.strip() for t in value if t.strip()]
    if any(len(t) > MAX_TAG for t in tags):
        raise OrderRecordError(f"{where}: a tag is longer than {MAX_TAG} characters")
    return list(dict.fromkeys(tags))


ORDER_COLUMNS = ("email", "placed_at", "delivered_at", "channel", "seller", "store",
                 "transaction_id", "currency", "shipping", "cancelled_at")


def snapshot(order: Order) -> dict[str, Any]:
    """An order's stored values, to tell whether a replacement changed anything."""
    values = {name: getattr(order, name) for name in ORDER_COLUMNS}
    values["items"] = sorted((item.sku, item.name, item.category, item.quantity, item.unit_price,
                              item.final_sale, item.product_type, item.tags_json, item.vendor,
                              item.category_source, item.final_sale_source) for item in order.items)
    return values


def _upsert(data: dict[str, Any]) -> str:
    """Create or replace one order (its items replaced by SKU)."""
    order = db.session.scalar(select(Order).where(Order.number == data["number"]))
    before = None
    if order is not None:
        reason = refusal(order, data)
        if reason:
            raise OrderConflict(reason)
        before = snapshot(order)
    else:
        order = Order(number=data["number"])
        db.session.add(order)
    for name in ORDER_COLUMNS:
        setattr(order, name, data[name])
    existing = {item.sku: item for item in order.items}
    for values in data["items"]:
        item = existing.pop(values["sku"], None)
        if item is None:
            order.items.append(OrderItem(**values))
        else:
            for name, value in values.items():
                setattr(item, name, value)
    for stale in existing.values():
        order.items.remove(stale)
    if before is not None and snapshot(order) == before:
        return "unchanged"  # the same body twice changes nothing, not even updated_at
    order.updated_at = utcnow()
    db.session.flush()
    return "created" if before is None else "updated"


def validate_patch(order: Order, body: dict[str, Any]) -> dict[str, Any]:
    """Check fulfilment news (``delivered_at``, ``cancelled``) for ``order``; raise OrderRecordError."""
    change: dict[str, Any] = {}
    if "delivered_at" in body:
        delivered_at = _datetime(body, "delivered_at", required=False)
        if delivered_at and delivered_at < order.placed_at:
            raise OrderRecordError("'delivered_at' is before 'placed_at'")
        change["delivered_at"] = delivered_at
    if "cancelled" in body:
        if not isinstance(body["cancelled"], bool):
            raise OrderRecordError("'cancelled' must be true or false")
        keep = order.cancelled_at or utcnow()
        change["cancelled_at"] = keep if body["cancelled"] else None
    return change


def apply_patch(order: Order, change: dict[str, Any]) -> None:
    """Store validated fulfilment news, unless a guard refuses it (OrderConflict)."""
    reason = refusal(order, change)
    if reason:
        raise OrderConflict(reason)
    if any(getattr(order, name) != value for name, value in change.items()):
        for name, value in change.items():
            setattr(order, name, value)
        order.updated_at = utcnow()
