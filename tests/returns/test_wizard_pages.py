"""The returns assistant without JavaScript: one form per step, from lookup to the slip."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb.extensions import db
from kb.returns.models import WizardSession
from kb.tickets.models import Ticket


@pytest.fixture
def shop(content_app: Flask, demo: dict[str, Any]) -> FlaskClient:
    """A browser-like client of an app with articles and demo orders."""
    return content_app.test_client()


def _to_help(shop: FlaskClient, lang: str = "en", number: str = "A1001", email: str = "ana@example.com",
             sku: str = "TEE-M-BLUE", reason: str = "wrong_size") -> None:
    found = shop.post(f"/{lang}/returns/start", data={"mode": "number", "order_number": number, "email": email})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/{lang}/returns/items")
    chosen = shop.post(f"/{lang}/returns/items", data={
        f"pick-{sku}": "1", f"qty-{sku}": "1", f"reason-{sku}": reason, f"condition-{sku}": "unopened"})
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith(f"/{lang}/returns/help")


def test_full_return_without_javascript(shop: FlaskClient) -> None:
    _to_help(shop)
    help_page = shop.get("/en/returns/help").get_data(as_text=True)
    assert "exchange it for another size or colour, free of charge" in help_page
    assert "/en/returns/read/" in help_page  # the suggested articles
    confirm = shop.get("/en/returns/confirm").get_data(as_text=True)
    assert "Your estimated refund" in confirm and "€" in confirm
    done = shop.post("/en/returns/confirm", data={"action": "create", "resolution": "exchange", "method": "carrier",
                                                  "exchange_variant": "size L"})
    assert done.status_code == 302
    location = done.headers["Location"]
    assert re.search(r"/en/returns/status/R-[0-9A-Z]{6}\?token=[\w-]{32,}&new=1$", location)
    status = shop.get(location).get_data(as_text=True)
    assert "Approved: waiting for your item" in status and "Open the return label" in status
    assert "size L" in status and "Organic tee, blue, M" in status and "TEE-M-BLUE" not in status
    assert "Estimated refund" not in status and "refunds reach" not in status  # an exchange pays no refund
    slip_url = re.search(r'href="([^"]*/slip\?token=[^"]+)"', status).group(1).replace("&amp;", "&")
    slip = shop.get(slip_url).get_data(as_text=True)
    assert "<svg" in slip and "Organic tee" in slip


def test_back_button_after_the_ticket_does_not_create_a_second_one(shop: FlaskClient) -> None:
    _to_help(shop)
    shop.post("/en/returns/confirm", data={"action": "create", "resolution": "refund", "method": "carrier"})
    again = shop.post("/en/returns/confirm", data={"action": "create", "resolution": "refund", "method": "carrier"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/en/returns/start")
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_solved_by_an_article_creates_no_ticket(shop: FlaskClient) -> None:
    _to_help(shop, lang="fr", number="A1018", email="camille@example.fr", sku="JEANS-32-INDIGO")
    page = shop.post("/fr/returns/solved", data={})
    assert page.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    assert db.session.scalar(select(WizardSession)).outcome == "deflected"


def test_wrong_details_keep_what_was_typed_and_say_what_to_check(shop: FlaskClient) -> None:
    page = shop.post("/en/returns/start", data={"mode": "number", "order_number": "A1001", "email": "x@example.com"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "We could not find an order with these details" in html
    assert 'value="x@example.com"' in html and 'value="A1001"' in html


def test_choosing_no_item_is_explained(shop: FlaskClient) -> None:
    shop.post("/en/returns/start", data={"mode": "number", "order_number": "A1001", "email": "ana@example.com"})
    page = shop.post("/en/returns/items", data={})
    assert page.status_code == 400 and "Choose at least one item." in page.get_data(as_text=True)


def test_expired_item_can_still_go_to_an_agent(shop: FlaskClient) -> None:
    _to_help(shop, number="A1002", sku="THROW-WOOL", reason="changed_mind")
    confirm = shop.get("/en/returns/confirm").get_data(as_text=True)
    assert "Ask for an exception" in confirm
    done = shop.post("/en/returns/confirm", data={"action": "create", "exception": "1", "resolution": "refund",
                                                 "method": "carrier"})
    assert done.status_code == 302
    assert db.session.scalar(select(Ticket)).status == "needs_review"


def test_steps_without_a_session_send_the_shopper_to_the_start(shop: FlaskClient) -> None:
    for step in ("items", "help", "confirm"):
        response = shop.get(f"/en/returns/{step}")
        assert response.status_code == 302 and response.headers["Location"].endswith("/en/returns/start")


def test_shopper_can_reply_on_the_status_page(shop: FlaskClient) -> None:
    _to_help(shop)
    done = shop.post("/en/returns/confirm", data={"action": "create", "resolution": "refund", "method": "carrier"})
    location = done.headers["Location"]
    token = re.search(r"token=([\w-]+)", location).group(1)
    reference = re.search(r"(R-[0-9A-Z]{6})", location).group(1)
    sent = shop.post(f"/en/returns/status/{reference}", data={"token": token, "message": "Can I drop it off tomorrow?"})
    assert sent.status_code == 302
    page = shop.get(f"/en/returns/status/{reference}?token={token}").get_data(as_text=True)
    assert "Can I drop it off tomorrow?" in page


def test_an_overlong_idempotency_key_is_refused_and_nothing_is_stored(shop: FlaskClient) -> None:
    _to_help(shop)
    page = shop.post("/en/returns/confirm", data={"action": "create", "resolution": "refund", "method": "carrier",
                                                  "idempotency_key": "k" * 300_000})
    assert page.status_code in (400, 413)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    done = shop.post("/en/returns/confirm", data={"action": "create", "resolution": "refund", "method": "carrier",
                                                  "idempotency_key": "k" * 80})
    assert done.status_code == 302
    assert db.session.scalar(select(Ticket.idempotency_key)) == "k" * 80


def test_an_idempotency_key_over_80_characters_shows_an_error(shop: FlaskClient) -> None:
    _to_help(shop)
    page = shop.post("/en/returns/confirm", data={"action": "create", "resolution": "refund", "method": "carrier",
                                                  "idempotency_key": "k" * 81})
    assert "This form has expired" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_without_javascript_the_article_opened_is_the_one_credited(shop: FlaskClient) -> None:
    import json as json_module
    import re as re_module

    _to_help(shop)
    help_page = shop.get("/en/returns/help").get_data(as_text=True)
    keys = re_module.findall(r'/en/returns/read/([\w-]+)"', help_page)
    assert len(keys) >= 2, keys
    first = re_module.search(r'name="article_key" value="([\w-]+)"', help_page).group(1)
    opened = next(key for key in keys if key != first)
    shop.get(f"/en/returns/read/{opened}")
    assert shop.post("/en/returns/solved", data={"article_key": first}).status_code == 200
    wsession = db.session.scalar(select(WizardSession))
    assert opened in json_module.loads(wsession.opened_json)
    assert wsession.deflected_key == opened
