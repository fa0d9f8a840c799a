"""WooCommerce's webhooks: signed, stored once, mapped to orders shoppers can return."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask
from sqlalchemy import func, select

from kb.extensions import db
from kb.orders.models import Order
from tests.shops.conftest import Platform, fixture


def _order(number: str = "727") -> Order:
    db.session.expire_all()
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert order is not None
    return order


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order)) or 0


def test_a_wrong_signature_is_refused_and_nothing_stored(woocommerce: Platform) -> None:
    response = woocommerce.send("order.created", fixture("woocommerce_order.json"), secret="guess")
    assert response.status_code == 401
    assert _count() == 0


def test_the_ping_sent_when_a_webhook_is_created_is_answered(woocommerce: Platform) -> None:
    response = woocommerce.client.post("/hooks/woocommerce", data="webhook_id=14",
                                       content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    unsigned = woocommerce.client.post("/hooks/woocommerce", json=fixture("woocommerce_order.json"))
    assert unsigned.status_code == 401
    assert _count() == 0


def test_without_a_secret_the_hook_says_it_is_not_set_up(app: Flask) -> None:
    response = app.test_client().post("/hooks/woocommerce", json={"id": 1},
                                      headers={"X-WC-Webhook-Signature": "x"})
    assert response.status_code == 404
    assert "KB_WOOCOMMERCE_WEBHOOK_SECRET" in response.get_json()["error"]["message"]


def test_the_same_delivery_twice_is_stored_once(woocommerce: Platform) -> None:
    woocommerce.send("order.created", fixture("woocommerce_order.json"), delivery="5f1e")
    again = woocommerce.send("order.created", fixture("woocommerce_order.json"), delivery="5f1e")
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    assert _count() == 1


def test_the_order_is_mapped_and_completed_counts_as_delivered(woocommerce: Platform) -> None:
    assert woocommerce.send("order.created", fixture("woocommerce_order.json")).get_json() == {"status": "stored"}
    order = _order()
    assert order.email == "john.doe@example.com" and order.currency == "USD"
    assert order.placed_at.isoformat() == "2017-03-22T19:28:02+00:00"
    assert order.delivered_at is not None and order.delivered_at.isoformat() == "2017-03-22T19:30:35+00:00"
    assert order.shipping == Decimal("10.00")
    assert order.transaction_id == "CH_1A2B3C4D5E6F"
    lines = {item.sku: item for item in order.items}
    assert lines["WOO-93"].unit_price == Decimal("3.00") and lines["WOO-93"].quantity == 2
    assert lines["Bar3"].name == "Ship Your Idea – Color: Black, Size: M Test"


def test_a_processing_order_is_not_delivered_yet(woocommerce: Platform) -> None:
    woocommerce.send("order.created", {**fixture("woocommerce_order.json"), "status": "processing",
                                       "date_completed_gmt": None})
    assert _order().delivered_at is None


def test_the_shopper_finds_it_by_transaction_id_without_a_receipt(woocommerce: Platform) -> None:
    woocommerce.send("order.created", fixture("woocommerce_order.json"))
    response = woocommerce.client.post("/api/v1/returns/lookup", json={
        "transaction_id": "ch_1a2b 3c4d-5e6f", "email": "john.doe@example.com"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["order"]["number"] == "727"


def test_a_deleted_order_cannot_be_returned(woocommerce: Platform) -> None:
    woocommerce.send("order.created", fixture("woocommerce_order.json"))
    assert woocommerce.send("order.deleted", {"id": 727}).get_json() == {"status": "stored"}
    assert _order().cancelled_at is not None
    response = woocommerce.client.post("/api/v1/returns/lookup",
                                       json={"order_number": "727", "email": "john.doe@example.com"})
    assert response.status_code == 409


def test_missing_optional_fields_never_fail_the_server(woocommerce: Platform) -> None:
    payload = fixture("woocommerce_order.json")
    payload["billing"]["email"] = ""
    response = woocommerce.send("order.updated", payload)
    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert _count() == 0
    payload = fixture("woocommerce_order.json")
    del payload["shipping_total"], payload["transaction_id"]
    payload["line_items"][1]["sku"] = None
    assert woocommerce.send("order.updated", payload).get_json() == {"status": "stored"}
    order = _order()
    assert order.shipping == Decimal("0.00") and order.transaction_id is None
    assert {item.sku for item in order.items} == {"WOO-93", "WOO-23"}
    assert woocommerce.send("order.deleted", {"id": 4040}).get_json()["status"] == "ignored"
