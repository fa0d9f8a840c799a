"""Shopify's webhook payloads (orders, fulfilments, products) as kb's neutral records.

Nothing else in kb knows Shopify's field names. An order's ``name`` ("#1001") is its number;
a line's refundable price is what was paid for it (its discount allocations taken off); an order
from the point of sale (``source_name`` "pos") is a purchase in the store at ``location_id``; a
fulfilment whose ``shipment_status`` is "delivered" dates the delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from kb.shops.mapping import PayloadError, amount, clip_tags, iso, merge_lines, text, when

PLATFORM = "shopify"
ORDER_TOPICS = ("orders/create", "orders/updated", "orders/cancelled")
FULFILMENT_TOPICS = ("fulfillments/create", "fulfillments/update")
PRODUCT_TOPICS = ("products/create", "products/update")
SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
DELIVERY_HEADER = "X-Shopify-Webhook-Id"


@dataclass(frozen=True)
class OrderUpdate:
    """An order as a platform sent it: the neutral record and what the record has no field for.

    ``products`` names each line's product by the platform's id (SKU -> id), so that the catalogue
    can lend the line its product type; ``updated_at`` is the platform's time of this version.
    """

    external_id: str
    record: dict[str, Any]
    cancelled_at: datetime | None
    products: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    """A fulfilment's news for an order named by the platform's id."""

    order_external_id: str
    delivered_at: datetime | None


def line_sku(sku: Any, variant_id: Any, line_id: Any) -> str:
    """A line's SKU, or a stand-in from the variant id when the shop gave the product no SKU.

    Catalogue variants without a SKU get the same stand-in, so an order line still finds its product.
    """
    if isinstance(sku, str) and sku.strip():
        return sku.strip()[:64]
    if variant_id:
        return f"SHOPIFY-V{variant_id}"
    return f"SHOPIFY-L{line_id}"


def order_update(payload: dict[str, Any]) -> OrderUpdate:
    """An ``orders/*`` payload as an order record; PayloadError when a needed field is missing."""
    if not payload.get("id"):
        raise PayloadError("the order has no id")
    email = payload.get("email") or (payload.get("customer") or {}).get("email")
    if not email:
        raise PayloadError(f"order {payload.get('name')!r} has no e-mail address")
    items = [_line(line) for line in payload.get("line_items") or [] if _quantity(line) > 0]
    if not items:
        raise PayloadError(f"order {payload.get('name')!r} has no line to return")
    pos = payload.get("source_name") == "pos"
    record = {
        "number": text(payload.get("name") or payload.get("order_number"), 40),
        "email": text(email, 254),
        "placed_at": iso(when(payload.get("created_at"))),
        "delivered_at": iso(_delivered(payload.get("fulfillments") or [])),
        "channel": "store" if pos else "online",
        "store": text(payload.get("location_id"), 40) or None if pos else None,
        "currency": text(payload.get("currency"), 3).upper(),
        "shipping": str(_shipping(payload.get("shipping_lines") or [])),
        "items": merge_lines(items),
    }
    products = {line_sku(line.get("sku"), line.get("variant_id"), line.get("id")): str(line["product_id"])
                for line in payload.get("line_items") or [] if line.get("product_id")}
    return OrderUpdate(str(payload["id"]), record, when(payload.get("cancelled_at")), products,
                       when(payload.get("updated_at")))


def _quantity(line: dict[str, Any]) -> int:
    # After an edit, current_quantity says how many are still on the order.
    quantity = line.get("current_quantity", line.get("quantity"))
    return quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else 0


def _line(line: dict[str, Any]) -> dict[str, Any]:
    quantity = _quantity(line)
    allocations = line.get("discount_allocations")
    if isinstance(allocations, list) and allocations:
        discount = sum((amount(a.get("amount")) for a in allocations), Decimal("0"))
    else:
        discount = amount(line.get("total_discount"))
    title = text(line.get("title") or line.get("name") or "Item", 200)
    variant = text(line.get("variant_title"), 80)
    return {
        "sku": line_sku(line.get("sku"), line.get("variant_id"), line.get("id")),
        "name": f"{title} – {variant}"[:200] if variant else title,
        # No category: the policy's catalogue mapping decides it (by vendor or SKU here, and by the
        # product type the catalogue knows for the line's product).
        **({"vendor": vendor} if (vendor := text(line.get("vendor"), 200)) else {}),
        "quantity": quantity,
        "unit_price": (amount(line.get("price")) * quantity - discount) / quantity,
    }


def _shipping(lines: list[dict[str, Any]]) -> Decimal:
    """What the shopper paid for shipping: each line's discounted price when Shopify gives it."""
    total = sum((amount(line.get("discounted_price", line.get("price"))) for line in lines), Decimal("0"))
    return max(total, Decimal("0"))


def _delivered(fulfilments: list[dict[str, Any]]) -> datetime | None:
    dates = [fulfilment_delivered_at(f) for f in fulfilments if isinstance(f, dict)]
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def fulfilment_delivered_at(fulfilment: dict[str, Any]) -> datetime | None:
    """When a fulfilment reached the shopper, if its carrier says it did."""
    if fulfilment.get("shipment_status") != "delivered":
        return None
    return when(fulfilment.get("updated_at") or fulfilment.get("created_at"))


def delivery(payload: dict[str, Any]) -> Delivery:
    """A ``fulfillments/*`` payload: which order, and its delivery date if delivered."""
    if not payload.get("order_id"):
        raise PayloadError("the fulfilment names no order")
    return Delivery(str(payload["order_id"]), fulfilment_delivered_at(payload))


def product_record(payload: dict[str, Any]) -> dict[str, Any]:
    """A ``products/*`` payload as a catalogue record (variants with their options and stock)."""
    names = [text(o.get("name"), 40) for o in payload.get("options") or [] if isinstance(o, dict)]
    names = [n for n in names if n]
    variants = []
    for variant in payload.get("variants") or []:
        values = [variant.get(f"option{i}") for i in (1, 2, 3)]
        variants.append({
            "id": str(variant.get("id")),
            "sku": line_sku(variant.get("sku"), variant.get("id"), None),
            "title": text(variant.get("title") or payload.get("title"), 120),
            "options": {n: text(v, 80) for n, v in zip(names, values, strict=False) if v},
            "stock": _stock(variant),
        })
    return {"id": str(payload.get("id") or ""), "title": text(payload.get("title"), 200),
            "product_type": text(payload.get("product_type"), 80), "vendor": text(payload.get("vendor"), 120),
            "tags": _tags(payload.get("tags")), "options": names, "variants": variants}


def _tags(value: Any) -> list[str]:
    """A product's ``tags``: one comma-separated string ("Barnes & Noble, John's Fav")."""
    return clip_tags(value.split(",")) if isinstance(value, str) else []


def _stock(variant: dict[str, Any]) -> int | None:
    """Counted stock, or None when Shopify does not count it or sells past zero ("continue")."""
    if not variant.get("inventory_management") or variant.get("inventory_policy") == "continue":
        return None
    quantity = variant.get("inventory_quantity")
    return quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else None
