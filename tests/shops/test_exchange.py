"""An exchange offers the ordered product's other variants in stock, and the ticket carries the choice."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.catalogue.service import upsert_product, validate_product
from kb.extensions import db
from kb.mail.models import OutboxMessage, Webhook
from kb.returns import wizard_service
from kb.tickets.models import Ticket
from tests.returns.helpers import create, item, lookup, options
from tests.shops.conftest import Platform, fixture

TEE = {
    "id": "tee", "title": "Organic tee", "options": ["Size", "Colour"],
    "variants": [
        {"id": "1", "sku": "TEE-S-BLUE", "title": "S, blue", "options": {"Size": "S", "Colour": "blue"}, "stock": 3},
        {"id": "2", "sku": "TEE-M-BLUE", "title": "M, blue", "options": {"Size": "M", "Colour": "blue"}, "stock": 9},
        {"id": "3", "sku": "TEE-L-BLUE", "title": "L, blue", "options": {"Size": "L", "Colour": "blue"}, "stock": 0},
        {"id": "4", "sku": "TEE-M-RED", "title": "M, red", "options": {"Size": "M", "Colour": "red"}, "stock": None},
    ],
}
OFFERED = ["Organic tee – S, blue", "Organic tee – M, red"]


@pytest.fixture
def shop(content_app: Flask, demo: dict[str, Any]) -> FlaskClient:
    """The demo shop, whose catalogue knows the organic tee."""
    upsert_product(validate_product(TEE))
    db.session.commit()
    return content_app.test_client()


def test_the_options_step_lists_the_other_variants_in_stock(shop: FlaskClient) -> None:
    session = lookup(shop)
    body = options(shop, session, [item("TEE-M-BLUE", reason="wrong_size")])
    assert [c["label"] for c in body["items"][0]["exchange_choices"]] == OFFERED
    assert body["items"][0]["exchange_choices"][1]["sku"] == "TEE-M-RED"


def test_the_chosen_variant_reaches_the_ticket_and_the_shops_webhook(shop: FlaskClient) -> None:
    db.session.add(Webhook(url="https://shop.example/hook", secret="s", events="*"))
    db.session.commit()
    session = lookup(shop)
    lines = [item("TEE-M-BLUE", reason="wrong_size")]
    options(shop, session, lines)
    refused = create(shop, session, lines, resolution="exchange", exchange_variant="size XXL, gold")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "unknown_exchange_variant"
    created = create(shop, session, lines, resolution="exchange", exchange_variant="Organic tee – M, red")
    assert created.status_code == 201, created.get_json()
    assert db.session.scalar(select(Ticket.exchange_variant)) == "Organic tee – M, red"
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "webhook"))
    hooks = [json.loads(message.body) for message in queued]
    opened = next(h for h in hooks if h["event"] == "ticket.opened")
    assert opened["exchange_variant"] == "Organic tee – M, red" and opened["exchange_sku"] == "TEE-M-RED"


def _to_confirm(shop: FlaskClient, lang: str) -> str:
    found = shop.post(f"/{lang}/returns/start", data={"mode": "number", "order_number": "A1001",
                                                      "email": "ana@example.com"})
    assert found.status_code == 302
    chosen = shop.post(f"/{lang}/returns/items", data={"pick-TEE-M-BLUE": "1", "qty-TEE-M-BLUE": "1",
                                                       "reason-TEE-M-BLUE": "wrong_size",
                                                       "condition-TEE-M-BLUE": "unopened"})
    assert chosen.status_code == 302
    return shop.get(f"/{lang}/returns/confirm").get_data(as_text=True)


@pytest.mark.parametrize(("lang", "hint"), [
    ("en", "These are the ones we have in stock."),
    ("fr", "Voici celles que nous avons en stock."),
])
def test_the_page_without_script_offers_a_list_of_variants(shop: FlaskClient, lang: str, hint: str) -> None:
    page = _to_confirm(shop, lang)
    assert '<select id="exchange_variant" name="exchange_variant"' in page
    assert hint in page
    for label in OFFERED:
        assert f'<option value="{label}" >{label}</option>' in page
    assert "Organic tee – L, blue" not in page  # sold out
    done = shop.post(f"/{lang}/returns/confirm", data={"action": "create", "resolution": "exchange",
                                                       "method": "carrier", "exchange_variant": OFFERED[0]})
    assert done.status_code == 302, done.get_data(as_text=True)
    assert db.session.scalar(select(Ticket.exchange_variant)) == OFFERED[0]


def test_without_the_product_in_the_catalogue_the_shopper_writes_the_variant(
    content_app: Flask, demo: dict[str, Any]
) -> None:
    page = _to_confirm(content_app.test_client(), "en")
    assert '<input id="exchange_variant" name="exchange_variant" type="text"' in page


def test_a_shopify_order_offers_its_products_other_variants(
    shopify: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wizard_service, "today", lambda: date(2008, 1, 20))
    for topic, name in [("products/create", "shopify_product.json"), ("orders/create", "shopify_order.json"),
                        ("fulfillments/update", "shopify_fulfillment.json")]:
        assert shopify.send(topic, fixture(name)).get_json() == {"status": "stored"}
    session = lookup(shopify.client, "#1001", "bob.norman@hostmail.com")
    body = options(shopify.client, session, [item("IPOD2008GREEN", reason="wrong_size")])
    assert body["items"][0]["eligible"] is True
    assert "exchange" in body["items"][0]["resolutions"]
    assert [c["label"] for c in body["items"][0]["exchange_choices"]] == \
        ["IPod Nano - 8GB – Red", "IPod Nano - 8GB – Black"]
