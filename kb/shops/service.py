"""Receiving a platform's webhook: once per delivery, in one transaction, never half-stored.

The platform modules turn payloads into neutral records; this module stores them through the
orders import and the catalogue, and keeps the two facts the order record has no field for
(the platform's order id, and a cancellation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kb.catalogue.service import (
    ProductRecordError,
    product_for,
    upsert_product,
    upsert_variant,
    validate_product,
)
from kb.database import write_transaction
from kb.extensions import db
from kb.orders.models import Order
from kb.orders.records import import_orders, normalise_order_number
from kb.shops.mapping import PayloadError, iso, when
from kb.shops.models import PlatformOrder, WebhookDelivery
from kb.shops.shopify import Delivery, OrderUpdate
from kb.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a webhook delivery did: stored, duplicate (seen before) or ignored (and why)."""

    status: str
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        """The acknowledgement body."""
        return {"status": self.status, **({"detail": self.detail} if self.detail else {})}


STORED = Outcome("stored")


def receive(platform: str, delivery_id: str, topic: str, apply: Callable[[], Outcome]) -> Outcome:
    """Apply a delivery once: the delivery row and what it stores commit together or not at all.

    Two deliveries racing on the same new order (or the same delivery sent twice at once) make one
    of them fail on a unique key; it is then run again and finds the other's work.
    """
    for attempt in (1, 2):
        try:
            with write_transaction():
                seen = db.session.scalar(select(WebhookDelivery.id).where(
                    WebhookDelivery.platform == platform, WebhookDelivery.delivery_id == delivery_id))
                if seen is not None:
                    return Outcome("duplicate")
                db.session.add(WebhookDelivery(platform=platform, delivery_id=delivery_id, topic=topic[:60]))
                db.session.flush()
                outcome = _guarded(platform, topic, apply)
            return outcome
        except IntegrityError:
            if attempt == 2:
                raise
            log.info("%s webhook %s raced another delivery; applying it again", platform, delivery_id)
    raise AssertionError("unreachable")  # pragma: no cover


def _guarded(platform: str, topic: str, apply: Callable[[], Outcome]) -> Outcome:
    """Run ``apply``; a payload kb cannot use is logged and acknowledged, nothing of it stored."""
    try:
        with db.session.begin_nested():
            outcome = apply()
    except (PayloadError, ProductRecordError) as exc:
        outcome = Outcome("ignored", str(exc))
    if outcome.status == "ignored":
        log.warning("%s webhook %s ignored: %s", platform, topic, outcome.detail)
    return outcome


def _link(platform: str, external_id: str) -> PlatformOrder:
    link = db.session.scalar(select(PlatformOrder).where(
        PlatformOrder.platform == platform, PlatformOrder.external_id == external_id))
    if link is None:
        link = PlatformOrder(platform=platform, external_id=external_id)
        db.session.add(link)
        db.session.flush()
    return link


def _latest(*dates: datetime | None) -> datetime | None:
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def store_order(platform: str, update: OrderUpdate) -> Outcome:
    """Create or replace an order from a platform; a delivery once known is never forgotten.

    An update older than the one last applied (the platform's ``updated_at``) arrived late: it is
    acknowledged and left out, so that it cannot overwrite newer data.
    """
    link = _link(platform, update.external_id)
    if update.updated_at and link.platform_updated_at and update.updated_at < link.platform_updated_at:
        log.info("%s order %s: update of %s ignored, the one of %s is already applied", platform,
                 update.external_id, update.updated_at.isoformat(), link.platform_updated_at.isoformat())
        return Outcome("stale", f"an update of {update.updated_at.isoformat()} arrived after the one of "
                                f"{link.platform_updated_at.isoformat()}")
    record = dict(update.record)
    record["items"] = [with_catalogue_words(item, update.products.get(item["sku"])) for item in record["items"]]
    number = normalise_order_number(record.get("number"))
    existing = db.session.scalar(select(Order).where(Order.number == number)) if number else None
    # An update without fulfilments (or sent before the fulfilment's own webhook) keeps the date.
    delivered = _latest(when(record.get("delivered_at")), link.delivered_at,
                        existing.delivered_at if existing else None)
    record["delivered_at"] = iso(delivered)
    report = import_orders([record])
    if report.errors:
        raise PayloadError(f"order {record.get('number')!r}: {report.errors[0][1]}")
    link.order_number = number
    link.platform_updated_at = _latest(link.platform_updated_at, update.updated_at)
    link.updated_at = utcnow()
    order = db.session.scalar(select(Order).where(Order.number == number))
    if order is not None and update.cancelled_at is not None:
        mark_cancelled(order, update.cancelled_at)
    return STORED


def with_catalogue_words(item: dict[str, Any], product_id: str | None) -> dict[str, Any]:
    """An order line with the product type, vendor and tags the catalogue knows for its product.

    Order payloads name a line's product but not its type or tags; the catalogue (from the products
    webhooks or import) has them, for the policy's catalogue mapping. What the line says stands.
    """
    if item.get("product_type") and item.get("vendor") and item.get("tags"):
        return item
    product = product_for(item["sku"], product_id)
    if product is None:
        return item
    words: dict[str, Any] = {"product_type": product.product_type, "vendor": product.vendor,
                             "tags": product.tags}
    return {**{name: value for name, value in words.items() if value}, **item}


def record_delivery(platform: str, news: Delivery) -> Outcome:
    """A fulfilment: date the order's delivery, or keep the date until the order arrives."""
    if news.delivered_at is None:
        return Outcome("ignored", "the fulfilment is not delivered yet")
    link = _link(platform, news.order_external_id)
    link.delivered_at = _latest(link.delivered_at, news.delivered_at)
    link.updated_at = utcnow()
    order = db.session.scalar(select(Order).where(Order.number == link.order_number)) if link.order_number else None
    if order is not None:
        mark_delivered(order, news.delivered_at)
    return STORED


def cancel_order(platform: str, external_id: str, at: datetime | None = None) -> Outcome:
    """The platform deleted or cancelled an order: it can no longer be returned."""
    link = _link(platform, external_id)
    order = db.session.scalar(select(Order).where(Order.number == link.order_number)) if link.order_number else None
    if order is None:
        return Outcome("ignored", f"order {external_id} is not known")
    mark_cancelled(order, at or utcnow())
    return STORED


# -- the two order facts the neutral order record has no field for ----------------------------

def mark_delivered(order: Order, at: datetime) -> None:
    """Date an order's delivery (the latest known; never before it was placed)."""
    if at < order.placed_at:
        return
    if order.delivered_at is None or at > order.delivered_at:
        order.delivered_at = at
        order.updated_at = utcnow()


def mark_cancelled(order: Order, at: datetime) -> None:
    """Mark an order cancelled: the returns assistant no longer offers it."""
    if order.cancelled_at is None:
        order.cancelled_at = at
        order.updated_at = utcnow()


def store_product(record: dict[str, Any], *, variants_required: bool = True) -> Outcome:
    """Create or replace a catalogue product from a platform's product record."""
    upsert_product(validate_product(record, variants_required=variants_required))
    return STORED


def store_variation(product_id: str, values: dict[str, Any]) -> Outcome:
    """One variation of a product already in the catalogue (WooCommerce)."""
    record = validate_product({"id": product_id, "title": "-", "variants": [values]})["variants"][0]
    if not upsert_variant(product_id, record):
        return Outcome("ignored", f"product {product_id} is not in the catalogue yet")
    return STORED
