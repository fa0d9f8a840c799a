"""The platforms' own words reach the order items, and an order update that arrives late is left out."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from kb.extensions import db
from kb.orders.models import Order, OrderItem
from tests.shops.conftest import Platform, fixture


def _items(number: str) -> dict[str, OrderItem]:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert order is not None
    return {item.sku: item for item in order.items}


def test_a_shopify_line_takes_its_product_type_and_vendor_from_the_catalogue(shopify: Platform) -> None:
    assert shopify.send("products/create", fixture("shopify_product.json")).get_json() == {"status": "stored"}
    shopify.send("orders/create", fixture("shopify_order.json"))
    green = _items("1001")["IPOD2008GREEN"]
    assert (green.product_type, green.vendor) == ("Cult Products", "Apple")
    # No rule of the default policy names "Cult Products": the item falls to the default category.
    assert (green.category, green.category_source) == ("general", "default")


def test_a_shopify_line_keeps_its_own_vendor_without_a_catalogue(shopify: Platform) -> None:
    payload = fixture("shopify_order.json")
    payload["line_items"][0]["vendor"] = "Apple"
    shopify.send("orders/create", payload)
    items = _items("1001")
    assert (items["IPOD2008GREEN"].vendor, items["IPOD2008GREEN"].product_type) == ("Apple", None)
    assert items["IPOD2008RED"].vendor is None


def test_a_woocommerce_line_takes_its_products_category_as_product_type(woocommerce: Platform) -> None:
    woocommerce.send("product.created", fixture("woocommerce_product.json"))
    woocommerce.send("order.created", fixture("woocommerce_order.json"))
    number = fixture("woocommerce_order.json")["number"]
    assert _items(number)["Bar3"].product_type == "Clothing"


def test_a_woocommerce_line_may_carry_its_own_categories_and_tags(woocommerce: Platform) -> None:
    payload = fixture("woocommerce_order.json")
    payload["line_items"][1]["categories"] = [{"id": 3, "name": "Gift card"}]
    payload["line_items"][1]["tags"] = [{"id": 4, "name": "Sale &amp; more"}, "new"]
    woocommerce.send("order.created", payload)
    bar = _items(payload["number"])["Bar3"]
    assert (bar.product_type, bar.tags) == ("Gift card", ["Sale & more", "new"])
    # The default policy maps the "Gift card" product type to a final-sale gift card.
    assert (bar.category, bar.category_source, bar.final_sale) == ("gift_card", "rule", True)


def _version(updated_at: str, quantity: int) -> dict:
    payload = fixture("shopify_order.json")
    payload["updated_at"] = updated_at
    payload["line_items"][1]["quantity"] = quantity
    return payload


def test_a_shopify_update_older_than_the_one_applied_is_acknowledged_and_left_out(
        shopify: Platform, caplog: pytest.LogCaptureFixture) -> None:
    shopify.send("orders/create", _version("2008-01-10T11:00:00-05:00", 1))
    assert shopify.send("orders/updated", _version("2008-01-12T09:00:00-05:00", 3)).get_json() == {"status": "stored"}
    with caplog.at_level(logging.INFO, logger="kb.shops.service"):
        late = shopify.send("orders/updated", _version("2008-01-11T09:00:00-05:00", 2))
    assert late.status_code == 200
    assert late.get_json()["status"] == "stale"
    assert _items("1001")["IPOD2008RED"].quantity == 3
    assert any("already applied" in record.getMessage() for record in caplog.records)


def test_a_newer_shopify_update_still_applies_after_a_late_one(shopify: Platform) -> None:
    shopify.send("orders/updated", _version("2008-01-12T09:00:00-05:00", 3))
    shopify.send("orders/updated", _version("2008-01-11T09:00:00-05:00", 2))
    assert shopify.send("orders/updated", _version("2008-01-13T09:00:00-05:00", 4)).get_json() == {"status": "stored"}
    assert _items("1001")["IPOD2008RED"].quantity == 4
