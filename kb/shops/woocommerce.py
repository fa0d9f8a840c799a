"""WooCommerce's webhook payloads (orders, products) as kb's neutral records.

Nothing else in kb knows WooCommerce's field names. Its ``*_gmt`` dates carry no offset and are
UTC; a line's refundable price is its ``total`` (after coupons) divided by its quantity; an order
whose status is "completed" counts as delivered at ``date_completed_gmt``.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

from kb.shops.mapping import PayloadError, amount, clip_tags, iso, merge_lines, text, when
from kb.shops.shopify import OrderUpdate

PLATFORM = "woocommerce"
ORDER_TOPICS = ("order.created", "order.updated", "order.deleted")
PRODUCT_TOPICS = ("product.created", "product.updated")
SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
DELIVERY_HEADER = "X-WC-Webhook-Delivery-ID"
# When a webhook is created, WooCommerce checks the address with this form body, unsigned.
PING = re.compile(rb"^webhook_id=\d{1,20}$")
CANCELLED_STATUSES = ("cancelled", "refunded", "failed", "trash")


def line_sku(sku: Any, product_id: Any, variation_id: Any) -> str:
    """A line's SKU, or a stand-in from the product (or variation) id when the shop gave none."""
    if isinstance(sku, str) and sku.strip():
        return sku.strip()[:64]
    return f"WOO-{variation_id or product_id}"


def order_update(payload: dict[str, Any]) -> OrderUpdate:
    """An ``order.created|updated`` payload as an order record; PayloadError when unusable."""
    if not payload.get("id"):
        raise PayloadError("the order has no id")
    email = (payload.get("billing") or {}).get("email")
    if not email:
        raise PayloadError(f"order {payload.get('number')!r} has no billing e-mail address")
    items = [_line(line) for line in payload.get("line_items") or [] if _quantity(line) > 0]
    if not items:
        raise PayloadError(f"order {payload.get('number')!r} has no line to return")
    status = payload.get("status")
    delivered = when(payload.get("date_completed_gmt"), assume_utc=True) if status == "completed" else None
    record = {
        "number": text(payload.get("number") or payload.get("id"), 40),
        "email": text(email, 254),
        "placed_at": iso(when(payload.get("date_created_gmt"), assume_utc=True)),
        "delivered_at": iso(delivered),
        "channel": "online",
        "transaction_id": text(payload.get("transaction_id"), 80) or None,
        "currency": text(payload.get("currency"), 3).upper(),
        "shipping": str(max(amount(payload.get("shipping_total")), Decimal("0"))),
        "items": merge_lines(items),
    }
    modified = when(payload.get("date_modified_gmt"), assume_utc=True)
    cancelled = modified if status in CANCELLED_STATUSES else None
    products = {line_sku(line.get("sku"), line.get("product_id"), line.get("variation_id")): str(line["product_id"])
                for line in payload.get("line_items") or [] if line.get("product_id")}
    return OrderUpdate(str(payload["id"]), record, cancelled, products, modified)


def _quantity(line: dict[str, Any]) -> int:
    quantity = line.get("quantity")
    return quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else 0


def _line(line: dict[str, Any]) -> dict[str, Any]:
    quantity = _quantity(line)
    paid = amount(line.get("total"), default=str(line.get("price") or 0))
    categories, tags = _names(line.get("categories")), _names(line.get("tags"))
    return {
        "sku": line_sku(line.get("sku"), line.get("product_id"), line.get("variation_id")),
        "name": text(html.unescape(str(line.get("name") or "Item")), 200),
        # No category: the policy's catalogue mapping decides it (by SKU prefix, by the line's own
        # categories and tags when a plugin adds them, else by the catalogue's product type).
        **({"product_type": categories[0][:200]} if categories else {}),
        **({"tags": clip_tags(tags)} if tags else {}),
        "quantity": quantity,
        "unit_price": paid / quantity,
    }


def _names(value: Any) -> list[str]:
    """Names from a list of terms (``{"name": ...}`` objects or plain strings), as WooCommerce writes them."""
    if not isinstance(value, list):
        return []
    names = [html.unescape(str(v.get("name") if isinstance(v, dict) else v or "")).strip() for v in value]
    return [n for n in names if n]


def deleted_order_id(payload: dict[str, Any]) -> str:
    """The order id an ``order.deleted`` payload names."""
    if not payload.get("id"):
        raise PayloadError("the deleted order has no id")
    return str(payload["id"])


def product_record(payload: dict[str, Any]) -> dict[str, Any]:
    """A simple or variable product as a catalogue record.

    A variable product's payload lists only its variations' ids; each variation arrives as its
    own ``product.*`` payload (see ``variation_record``), so its record has no variants.
    """
    attributes = [a for a in payload.get("attributes") or [] if isinstance(a, dict)]
    names = [text(a.get("name"), 40) for a in attributes if a.get("variation", True)]
    record: dict[str, Any] = {"id": str(payload.get("id") or ""),
                              "title": text(html.unescape(str(payload.get("name") or "")), 200),
                              "product_type": _first_category(payload), "vendor": "",
                              "tags": clip_tags(_names(payload.get("tags"))),
                              "options": [n for n in names if n], "variants": []}
    if payload.get("type") != "variable":
        record["variants"] = [{
            "id": str(payload.get("id") or ""),
            "sku": line_sku(payload.get("sku"), payload.get("id"), None),
            "title": record["title"][:120],
            "options": {},
            "stock": _stock(payload),
        }]
    return record


def variation_record(payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A variation's payload: its product's id and the variant record."""
    options = {text(a.get("name"), 40): text(a.get("option"), 80)
               for a in payload.get("attributes") or [] if isinstance(a, dict) and a.get("option")}
    title = ", ".join(options.values()) or text(html.unescape(str(payload.get("name") or "")), 120)
    return str(payload.get("parent_id")), {
        "id": str(payload.get("id") or ""),
        "sku": line_sku(payload.get("sku"), payload.get("parent_id"), payload.get("id")),
        "title": title[:120],
        "options": options,
        "stock": _stock(payload),
    }


def is_variation(payload: dict[str, Any]) -> bool:
    """Whether a ``product.*`` payload is one variation of a variable product."""
    return payload.get("type") == "variation" or bool(payload.get("parent_id"))


def _first_category(payload: dict[str, Any]) -> str:
    categories = [c for c in payload.get("categories") or [] if isinstance(c, dict)]
    return text(html.unescape(str(categories[0].get("name") or "")), 80) if categories else ""


def _stock(payload: dict[str, Any]) -> int | None:
    """Counted stock; 0 when marked out of stock; None when WooCommerce does not count it."""
    quantity = payload.get("stock_quantity")
    if payload.get("manage_stock") is True and isinstance(quantity, int) and not isinstance(quantity, bool):
        return quantity
    return 0 if payload.get("stock_status") == "outofstock" else None
