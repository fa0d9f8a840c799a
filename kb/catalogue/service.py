"""The catalogue's one way in (a neutral product record) and its one question (what else is in stock)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from kb.catalogue.models import Product, ProductVariant
from kb.extensions import db
from kb.orders.categories import tags_json
from kb.orders.records import OrderRecordError, validate_tags
from kb.types import utcnow

PRODUCT_FIELDS = {"id", "title", "product_type", "vendor", "tags", "options", "variants"}
VARIANT_FIELDS = {"id", "sku", "title", "options", "stock"}
MAX_VARIANTS = 250  # Shopify's own limit per product
MAX_CHOICE = 120  # what a ticket keeps of the chosen variant


class ProductRecordError(ValueError):
    """A product record that cannot be stored, and why."""


@dataclass(frozen=True)
class VariantChoice:
    """Another variant of an ordered product, offered for an exchange."""

    sku: str
    label: str  # "IPod Nano - 8GB – Pink": what the shopper picks and the agent reads


def _text(record: dict[str, Any], name: str, limit: int, required: bool = True) -> str:
    value = record.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # platforms send their ids as numbers
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ProductRecordError(f"'{name}' is required")
        return ""
    if not isinstance(value, str):
        raise ProductRecordError(f"'{name}' must be a string")
    value = value.strip()
    if len(value) > limit:
        raise ProductRecordError(f"'{name}' is longer than {limit} characters")
    return value


def validate_product(record: Any, *, variants_required: bool = True) -> dict[str, Any]:
    """Check one product record and return it normalised; raise ProductRecordError.

    Without ``variants_required`` an empty list of variants leaves the stored ones as they are
    (WooCommerce sends a variable product and its variations separately).
    """
    if not isinstance(record, dict):
        raise ProductRecordError("a product must be a JSON object")
    unknown = set(record) - PRODUCT_FIELDS
    if unknown:
        raise ProductRecordError(f"unknown field(s): {', '.join(sorted(unknown))}")
    options = record.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) and 0 < len(o) <= 40 for o in options):
        raise ProductRecordError("'options' must be a list of option names such as \"Size\"")
    if len(options) > 10:
        raise ProductRecordError("a product may have at most 10 options")
    variants = record.get("variants")
    if not isinstance(variants, list) or (variants_required and not variants):
        raise ProductRecordError("'variants' must be a non-empty list")
    if len(variants) > MAX_VARIANTS:
        raise ProductRecordError(f"a product may have at most {MAX_VARIANTS} variants")
    parsed = [_validate_variant(v, i) for i, v in enumerate(variants, start=1)]
    ids = [v["id"] for v in parsed]
    if len(set(ids)) != len(ids):
        raise ProductRecordError("a variant id is repeated")
    try:
        # The same limits as an order item's tags: the mapping reads both the same way.
        tags = validate_tags(record.get("tags"), "product")
    except OrderRecordError as exc:
        raise ProductRecordError(str(exc)) from exc
    return {
        "id": _text(record, "id", 64),
        "title": _text(record, "title", 200),
        "product_type": _text(record, "product_type", 80, required=False),
        "vendor": _text(record, "vendor", 120, required=False),
        "tags": tags,
        "options": options,
        "variants": parsed,
    }


def _validate_variant(variant: Any, position: int) -> dict[str, Any]:
    where = f"variant {position}"
    if not isinstance(variant, dict):
        raise ProductRecordError(f"{where} must be a JSON object")
    unknown = set(variant) - VARIANT_FIELDS
    if unknown:
        raise ProductRecordError(f"{where}: unknown field(s): {', '.join(sorted(unknown))}")
    try:
        values = {"id": _text(variant, "id", 64), "sku": _text(variant, "sku", 64),
                  "title": _text(variant, "title", 120)}
    except ProductRecordError as exc:
        raise ProductRecordError(f"{where}: {exc}") from exc
    options = variant.get("options", {})
    if not isinstance(options, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(k) <= 40 and len(v) <= 80 for k, v in options.items()
    ):
        raise ProductRecordError(f"{where}: 'options' must map option names to values, e.g. {{\"Size\": \"M\"}}")
    stock = variant.get("stock")
    if stock is not None and (isinstance(stock, bool) or not isinstance(stock, int) or abs(stock) > 10**9):
        raise ProductRecordError(f"{where}: 'stock' must be a whole number, or null when not counted")
    return {**values, "options": options, "stock": stock, "position": position}


def upsert_product(data: dict[str, Any]) -> bool:
    """Create or replace one validated product with its variants; True when it was new."""
    product = db.session.scalar(select(Product).where(Product.external_id == data["id"]))
    created = product is None
    if product is None:
        product = Product(external_id=data["id"])
        db.session.add(product)
    product.title = data["title"]
    product.product_type = data["product_type"]
    product.vendor = data["vendor"]
    product.tags_json = tags_json(data["tags"])
    product.options_json = json.dumps(data["options"])
    product.updated_at = utcnow()
    if not data["variants"]:
        db.session.flush()
        return created
    existing = {variant.external_id: variant for variant in product.variants}
    for values in data["variants"]:
        variant = existing.pop(values["id"], None)
        if variant is None:
            variant = ProductVariant(external_id=values["id"])
            product.variants.append(variant)
        variant.sku = values["sku"]
        variant.title = values["title"]
        variant.options_json = json.dumps(values["options"])
        variant.stock = values["stock"]
        variant.position = values["position"]
    for stale in existing.values():
        product.variants.remove(stale)
    db.session.flush()
    return created


def upsert_variant(product_id: str, values: dict[str, Any]) -> bool:
    """Create or replace one variant of a known product (WooCommerce sends variations one by one).

    False when the product is not in the catalogue yet: the variation waits for its product.
    """
    product = db.session.scalar(select(Product).where(Product.external_id == product_id))
    if product is None:
        return False
    variant = next((v for v in product.variants if v.external_id == values["id"]), None)
    if variant is None:
        variant = ProductVariant(external_id=values["id"], position=len(product.variants) + 1)
        product.variants.append(variant)
    variant.sku = values["sku"]
    variant.title = values["title"]
    variant.options_json = json.dumps(values["options"])
    variant.stock = values["stock"]
    product.updated_at = utcnow()
    db.session.flush()
    return True


def product_for_sku(sku: str) -> Product | None:
    """The product a SKU belongs to, if the catalogue knows it."""
    return db.session.scalar(
        select(Product).join(ProductVariant).where(ProductVariant.sku == sku).limit(1)
    )


def product_for(sku: str, product_id: str | None = None) -> Product | None:
    """An order line's product: by the shop's product id when the line names it, else by its SKU."""
    if product_id:
        product = db.session.scalar(select(Product).where(Product.external_id == product_id))
        if product is not None:
            return product
    return product_for_sku(sku)


def exchange_choices(skus: list[str], *, in_stock_only: bool = True) -> list[VariantChoice]:
    """The other variants in stock of the products these SKUs were ordered as, in the shop's order.

    Empty when the catalogue knows none of them: the assistant then asks in free text.
    """
    choices: list[VariantChoice] = []
    seen: set[str] = set(skus)
    for sku in skus:
        product = product_for_sku(sku)
        if product is None:
            continue
        for variant in product.variants:
            sold_out = variant.stock is not None and variant.stock <= 0
            if variant.sku in seen or (in_stock_only and sold_out):
                continue
            seen.add(variant.sku)
            label = f"{product.title} – {variant.title}" if variant.title != product.title else product.title
            choices.append(VariantChoice(sku=variant.sku, label=label[:MAX_CHOICE]))
    return choices
