"""Shopify's webhooks: signed, stored once, mapped to orders shoppers can return."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from kb.extensions import db
from kb.orders.models import Order
from kb.returns import wizard_service
from kb.shops.models import WebhookDelivery
from tests.shops.conftest import Platform, fixture


def _orders() -> int:
    return db.session.scalar(select(func.count()).select_from(Order)) or 0


def _order(number: str = "1001") -> Order:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert order is not None
    return order


def test_a_wrong_signature_is_refused_and_nothing_stored(shopify: Platform) -> None:
    response = shopify.send("orders/create", fixture("shopify_order.json"), secret="not the shop's secret")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_signature"
    missing = shopify.send("orders/create", fixture("shopify_order.json"), signature_value="")
    assert missing.status_code == 401
    assert _orders() == 0
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0


def test_the_signature_is_checked_before_the_body_is_parsed(shopify: Platform) -> None:
    body = b"{not json"
    response = shopify.client.post("/hooks/shopify", data=body, content_type="application/json",
                                   headers={"X-Shopify-Hmac-Sha256": "d3Jvbmc=", "X-Shopify-Topic": "orders/create"})
    assert response.status_code == 401


def test_without_a_secret_the_hook_says_it_is_not_set_up(app: Flask) -> None:
    response = app.test_client().post("/hooks/shopify", json=fixture("shopify_order.json"),
                                      headers={"X-Shopify-Topic": "orders/create"})
    assert response.status_code == 404
    assert "KB_SHOPIFY_WEBHOOK_SECRET" in response.get_json()["error"]["message"]
    assert _orders() == 0


def test_the_same_delivery_twice_is_stored_once(shopify: Platform) -> None:
    first = shopify.send("orders/create", fixture("shopify_order.json"), delivery="b54557e4-bdd9-4b37-8a5f")
    again = shopify.send("orders/create", fixture("shopify_order.json"), delivery="b54557e4-bdd9-4b37-8a5f")
    assert first.get_json() == {"status": "stored"}
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    assert _orders() == 1
    assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 1


def test_the_order_is_mapped_as_the_issue_describes(shopify: Platform) -> None:
    assert shopify.send("orders/create", fixture("shopify_order.json")).status_code == 200
    order = _order()
    assert order.email == "bob.norman@hostmail.com"
    assert order.currency == "USD" and order.channel == "online"
    assert order.placed_at.isoformat() == "2008-01-10T16:00:00+00:00"
    assert order.shipping == Decimal("9.99")
    assert order.delivered_at is None
    lines = {item.sku: item for item in order.items}
    # The TENOFF discount was allocated to the green one: its refundable price is what was paid.
    assert lines["IPOD2008GREEN"].unit_price == Decimal("189.00")
    assert lines["IPOD2008RED"].unit_price == Decimal("199.00")
    assert lines["IPOD2008GREEN"].name == "IPod Nano - 8gb – green"


@pytest.mark.parametrize("typed", ["#1001", "1001", " 1001 "])
def test_the_shopper_finds_the_order_with_or_without_the_hash(shopify: Platform, typed: str) -> None:
    shopify.send("orders/create", fixture("shopify_order.json"))
    response = shopify.client.post("/api/v1/returns/lookup",
                                   json={"order_number": typed, "email": "Bob.Norman@hostmail.com"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["order"]["number"] == "1001"  # stored without the sign


def test_the_order_becomes_returnable_once_its_fulfilment_says_delivered(
    shopify: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wizard_service, "today", lambda: date(2008, 1, 20))
    shopify.send("orders/create", fixture("shopify_order.json"))
    item = {"sku": "IPOD2008RED", "quantity": 1, "reason": "changed_mind", "condition": "unopened"}

    def decision() -> dict:
        token = shopify.client.post("/api/v1/returns/lookup", json={
            "order_number": "1001", "email": "bob.norman@hostmail.com"}).get_json()["session"]
        body = shopify.client.post("/api/v1/returns/options", json={"session": token, "items": [item]}).get_json()
        return body["items"][0]

    assert decision()["eligible"] is False
    assert shopify.send("fulfillments/update", fixture("shopify_fulfillment.json")).get_json() == {"status": "stored"}
    assert _order().delivered_at.isoformat() == "2008-01-14T20:06:08+00:00"
    assert decision()["eligible"] is True


def test_a_later_order_update_without_fulfilments_keeps_the_delivery(shopify: Platform) -> None:
    shopify.send("fulfillments/create", fixture("shopify_fulfillment.json"))  # before its order
    shopify.send("orders/create", fixture("shopify_order.json"))
    assert _order().delivered_at is not None
    shopify.send("orders/updated", fixture("shopify_order.json"))
    assert _order().delivered_at is not None


def test_a_cancelled_order_cannot_be_returned(shopify: Platform) -> None:
    shopify.send("orders/create", fixture("shopify_order.json"))
    cancelled = {**fixture("shopify_order.json"), "cancelled_at": "2008-01-11T09:00:00-05:00",
                 "cancel_reason": "customer"}
    assert shopify.send("orders/cancelled", cancelled).get_json() == {"status": "stored"}
    response = shopify.client.post("/api/v1/returns/lookup",
                                   json={"order_number": "1001", "email": "bob.norman@hostmail.com"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "order_cancelled"


def test_a_point_of_sale_order_is_a_purchase_in_that_store(shopify: Platform) -> None:
    pos = {**fixture("shopify_order.json"), "source_name": "pos", "location_id": 487838322}
    shopify.send("orders/create", pos)
    order = _order()
    assert order.channel == "store" and order.store == "487838322"


def test_a_line_without_sku_is_stored_under_its_variant(shopify: Platform) -> None:
    payload = fixture("shopify_order.json")
    payload["line_items"][1]["sku"] = ""
    shopify.send("orders/create", payload)
    assert {item.sku for item in _order().items} == {"IPOD2008GREEN", "SHOPIFY-V49148385"}


def test_an_order_without_email_or_shipping_is_logged_and_acknowledged(
    shopify: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    no_email = fixture("shopify_order.json")
    no_email["email"] = None
    no_email["customer"] = None
    with caplog.at_level(logging.WARNING, logger="kb.shops.service"):
        response = shopify.send("orders/create", no_email)
    assert response.status_code == 200
    assert response.get_json()["status"] == "ignored"
    assert "has no e-mail address" in caplog.text
    assert _orders() == 0
    no_shipping = fixture("shopify_order.json")
    del no_shipping["shipping_lines"]
    assert shopify.send("orders/create", no_shipping).get_json() == {"status": "stored"}
    assert _order().shipping == Decimal("0.00")


def test_an_unused_topic_or_bad_json_never_fails_the_server(shopify: Platform) -> None:
    assert shopify.send("carts/update", {"id": 1}).get_json()["status"] == "ignored"
    assert shopify.send("orders/create", ["not", "an", "object"]).status_code == 400
    assert shopify.send("orders/create", {"id": 5, "name": "#5", "email": "a@b.example",
                                          "created_at": "yesterday"}).status_code == 200
    assert _orders() == 0
