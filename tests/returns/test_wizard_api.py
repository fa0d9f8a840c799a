"""The returns assistant's API, path by path, on the demo orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from kb.extensions import db
from kb.mail.models import OutboxMessage
from kb.returns.models import WizardSession
from kb.tickets.models import Ticket
from tests.returns.helpers import create, item, lookup, options


@pytest.fixture
def shop(content_app: Flask, demo: dict[str, Any]) -> FlaskClient:
    """A client of an app with the real articles and the demo orders."""
    return content_app.test_client()


def test_within_window_is_approved_at_once_with_a_status_link(shop: FlaskClient) -> None:
    session = lookup(shop)
    result = options(shop, session, [item("TEE-M-BLUE", quantity=2)])
    line = result["items"][0]
    assert line["eligible"] is True and line["not_eligible_reason"] is None
    assert line["estimate"] == {"currency": "EUR", "items_total": "39.80", "shipping": "0.00",
                                "fee": "4.95", "deduction": "0.00", "total": "34.85"}
    assert "refund" in line["resolutions"] and "store" in line["methods"]
    assert result["articles"] and result["answer"]
    response = create(shop, session, [item("TEE-M-BLUE", quantity=2)])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved"
    assert body["reference"].startswith("R-") and len(body["reference"]) == 8
    assert len(body["token"]) >= 32
    assert body["estimate"]["total"] == "34.85"
    status = shop.get(f"/api/v1/returns/{body['reference']}", headers={"Authorization": f"Bearer {body['token']}"})
    assert status.status_code == 200 and status.get_json()["status"] == "approved"
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email"))
    assert mail.recipient == "ana@example.com" and body["reference"] in mail.subject
    assert body["token"] in mail.body


def _one_item(sku: str, category: str, price: str, final_sale: bool = False) -> list[dict[str, Any]]:
    return [{"sku": sku, "name": sku.title(), "category": category, "quantity": 1, "unit_price": price,
             "final_sale": final_sale}]


def test_expired_item_is_refused_unless_an_exception_is_asked(shop: FlaskClient, make_order: Any) -> None:
    order = make_order(placed_days_ago=47, delivered_days_ago=45, items=_one_item("THROW-WOOL", "home", "79.00"))
    session = lookup(shop, order.number, order.email)
    line = options(shop, session, [item("THROW-WOOL")])["items"][0]
    assert line["eligible"] is False and line["not_eligible_reason"] == "window_expired"
    refused = create(shop, session, [item("THROW-WOOL")])
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "not_eligible"
    asked = create(shop, session, [item("THROW-WOOL")], exception=True)
    assert asked.status_code == 201 and asked.get_json()["status"] == "needs_review"


def test_final_sale_is_not_returnable_for_a_change_of_mind_but_is_when_defective(
    shop: FlaskClient, make_order: Any
) -> None:
    order = make_order(items=_one_item("DRESS-38-GREEN", "apparel", "44.50", final_sale=True))
    session = lookup(shop, order.number, order.email)
    result = options(shop, session, [item("DRESS-38-GREEN")])
    assert result["items"][0]["not_eligible_reason"] == "final_sale"
    faulty = options(shop, session, [item("DRESS-38-GREEN", reason="defective")])["items"][0]
    assert faulty["eligible"] is True and faulty["estimate"]["fee"] == "0.00"


def test_electronics_have_15_days_for_a_change_of_mind(shop: FlaskClient, make_order: Any) -> None:
    order = make_order(placed_days_ago=22, delivered_days_ago=20,
                       items=_one_item("SPEAKER-MINI", "electronics", "49.00"))
    session = lookup(shop, order.number, order.email)
    assert options(shop, session, [item("SPEAKER-MINI")])["items"][0]["not_eligible_reason"] == "window_expired"
    assert options(shop, session, [item("SPEAKER-MINI", reason="defective")])["items"][0]["eligible"] is True


def test_defective_after_60_days_is_refunded_and_after_200_days_repaired(shop: FlaskClient) -> None:
    refund = options(shop, lookup(shop, "A1005"), [item("HEADPH-NC700", reason="defective", condition="used")])
    assert refund["items"][0]["eligible"] and "refund" in refund["items"][0]["resolutions"]
    # No deduction for a fault, and the whole order comes back, so its shipping too.
    assert refund["items"][0]["estimate"]["shipping"] == "4.99"
    assert refund["items"][0]["estimate"]["total"] == "253.99"
    session = lookup(shop, "A1006")
    repair = options(shop, session, [item("BLENDER-PRO", reason="defective")])["items"][0]
    assert repair["eligible"] and repair["resolutions"] == ["repair"]
    assert create(shop, session, [item("BLENDER-PRO", reason="defective")], resolution="refund").status_code == 400
    done = create(shop, session, [item("BLENDER-PRO", reason="defective")], resolution="repair")
    assert done.status_code == 201 and done.get_json()["estimate"]["total"] == "0.00"


def test_used_item_gets_a_partial_refund(shop: FlaskClient) -> None:
    line = options(shop, lookup(shop), [item("JEANS-32-INDIGO", condition="used")])["items"][0]
    assert line["estimate"]["deduction"] == "34.50"
    assert line["estimate"]["total"] == "29.55"  # 69.00 − 34.50 − 4.95


def test_online_order_can_be_returned_in_a_store_without_fee(shop: FlaskClient) -> None:
    session = lookup(shop, "A1018", "camille@example.fr", lang="fr")
    options(shop, session, [item("JEANS-32-INDIGO")])
    missing_store = create(shop, session, [item("JEANS-32-INDIGO")], method="store")
    assert missing_store.status_code == 400 and missing_store.get_json()["error"]["code"] == "invalid_store"
    response = create(shop, session, [item("JEANS-32-INDIGO")], method="store", store="PAR-RIV")
    assert response.status_code == 201
    assert response.get_json()["estimate"]["fee"] == "0.00"
    ticket = db.session.scalar(select(Ticket))
    assert ticket.store_code == "PAR-RIV" and ticket.lang == "fr"
    mail = db.session.scalar(select(OutboxMessage))
    assert "retour" in mail.subject.lower()


def test_receiptless_lookup_by_transaction_id(shop: FlaskClient) -> None:
    response = shop.post("/api/v1/returns/lookup",
                         json={"transaction_id": "P01-5550123-9988776", "email": "leo@example.fr"})
    assert response.status_code == 200
    assert response.get_json()["order"]["number"] == "A1016"
    session = response.get_json()["session"]
    options(shop, session, [item("BOOTS-39-BROWN")])
    # Worth more than 100 without a receipt: an agent checks it first.
    created = create(shop, session, [item("BOOTS-39-BROWN")])
    assert created.status_code == 201 and created.get_json()["status"] == "needs_review"
    assert "receiptless_over_limit" in db.session.scalar(select(Ticket)).review_reasons


def test_marketplace_parcel_never_delivered_is_a_guarantee_claim(shop: FlaskClient) -> None:
    session = lookup(shop, "A1008")
    line = options(shop, session, [item("MKT-ARMCHAIR", reason="not_received")])["items"][0]
    assert line["eligible"] and line["resolutions"] == ["guarantee_claim"]
    assert line["estimate"]["total"] == "459.00"  # items and shipping
    response = create(shop, session, [item("MKT-ARMCHAIR", reason="not_received")],
                      resolution="guarantee_claim", method="none")
    assert response.status_code == 201 and response.get_json()["status"] == "needs_review"


def test_deflection_records_the_outcome_and_creates_no_ticket(shop: FlaskClient) -> None:
    session = lookup(shop)
    result = options(shop, session, [item("TEE-M-BLUE", reason="wrong_size")])
    key = result["articles"][0]["key"]
    assert shop.post("/api/v1/returns/deflect", json={"session": session, "article_key": key}).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    wizard = db.session.scalar(select(WizardSession))
    assert wizard.outcome == "deflected" and wizard.deflected_key == key
    assert create(shop, session, [item("TEE-M-BLUE")]).status_code == 409


def test_an_item_cannot_be_returned_twice(shop: FlaskClient) -> None:
    first = lookup(shop)
    options(shop, first, [item("JEANS-32-INDIGO")])
    assert create(shop, first, [item("JEANS-32-INDIGO")]).status_code == 201
    second = lookup(shop)
    order = shop.post("/api/v1/returns/lookup", json={"order_number": "A1001", "email": "ana@example.com"})
    quantities = {i["sku"]: i["returnable_quantity"] for i in order.get_json()["order"]["items"]}
    assert quantities == {"TEE-M-BLUE": 2, "JEANS-32-INDIGO": 0}
    line = options(shop, second, [item("JEANS-32-INDIGO")])["items"][0]
    assert line["not_eligible_reason"] == "already_returned"
    again = create(shop, second, [item("JEANS-32-INDIGO")])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_returned"


def test_creating_without_the_self_help_step_is_refused(shop: FlaskClient) -> None:
    session = lookup(shop)
    response = create(shop, session, [item("TEE-M-BLUE")])
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "self_help_first"


def test_same_idempotency_key_creates_one_ticket(shop: FlaskClient) -> None:
    session = lookup(shop)
    options(shop, session, [item("TEE-M-BLUE")])
    first = create(shop, session, [item("TEE-M-BLUE")], idempotency_key="click-1")
    again = create(shop, session, [item("TEE-M-BLUE")], idempotency_key="click-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["reference"] == again.get_json()["reference"]
    assert first.get_json()["token"] == again.get_json()["token"]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1


def test_status_needs_the_token_and_never_shows_another_ticket(shop: FlaskClient) -> None:
    refs = []
    for number, sku in (("A1001", "TEE-M-BLUE"), ("A1003", "SNEAK-42-WHITE")):
        session = lookup(shop, number)
        options(shop, session, [item(sku)])
        refs.append(create(shop, session, [item(sku)]).get_json())
    mine, other = refs
    assert shop.get(f"/api/v1/returns/{mine['reference']}").status_code == 404
    assert shop.get(f"/api/v1/returns/{mine['reference']}?token=wrong").status_code == 404
    assert shop.get(f"/api/v1/returns/{mine['reference']}?token={other['token']}").status_code == 404
    assert shop.get(f"/en/returns/status/{mine['reference']}").status_code == 404
    assert shop.get(f"/en/returns/status/{mine['reference']}?token={mine['token']}").status_code == 200


def test_wrong_number_and_wrong_email_give_the_same_answer(shop: FlaskClient) -> None:
    wrong_number = shop.post("/api/v1/returns/lookup", json={"order_number": "Z9999", "email": "ana@example.com"})
    wrong_email = shop.post("/api/v1/returns/lookup", json={"order_number": "A1001", "email": "eve@example.com"})
    assert wrong_number.status_code == wrong_email.status_code == 404
    assert wrong_number.get_json() == wrong_email.get_json()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "ana@example.com"}, 400, "missing_order"),
        ({"order_number": "A1001"}, 400, "missing_field"),
        ({"order_number": 1001, "email": "ana@example.com"}, 400, "invalid_field"),
        ({"order_number": "A1001", "email": "ana@example.com", "admin": True}, 400, "unknown_field"),
        ({"order_number": "A" * 500, "email": "ana@example.com"}, 400, "invalid_field"),
    ],
)
def test_lookup_input_errors_are_json_400s(shop: FlaskClient, body: dict, status: int, code: str) -> None:
    response = shop.post("/api/v1/returns/lookup", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


def test_malformed_json_and_unknown_sessions(shop: FlaskClient) -> None:
    bad = shop.post("/api/v1/returns/lookup", data="{nope", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_json"
    expired = shop.post("/api/v1/returns/options", json={"session": "nope", "items": [item("X")]})
    assert expired.status_code == 404 and expired.get_json()["error"]["code"] == "session_not_found"
    session = lookup(shop)
    for items, code in ((["x"], "invalid_items"), ([item("TEE-M-BLUE", reason="bored")], "invalid_reason"),
                        ([{**item("TEE-M-BLUE"), "quantity": "2"}], "invalid_quantity"),
                        ([item("NOT-IN-ORDER")], "unknown_sku")):
        response = shop.post("/api/v1/returns/options", json={"session": session, "items": items})
        assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_lookups_are_rate_limited(tmp_path: Any) -> None:
    from tests.conftest import make_app, reset_database

    app = make_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_LOOKUP="3 per minute")
    reset_database(app)
    client = app.test_client()
    codes = [client.post("/api/v1/returns/lookup", json={"order_number": "A1", "email": "a@b.co"}).status_code
             for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    limited = client.post("/api/v1/returns/lookup", json={"order_number": "A1", "email": "a@b.co"})
    assert limited.get_json()["error"]["code"] == "too_many_requests"


def test_a_session_expires_after_an_hour_without_activity(shop: FlaskClient) -> None:
    from datetime import timedelta

    session = lookup(shop)
    wizard = db.session.scalar(select(WizardSession))
    wizard.last_seen_at = wizard.last_seen_at - timedelta(minutes=61)
    db.session.commit()
    response = shop.post("/api/v1/returns/options", json={"session": session, "items": [item("TEE-M-BLUE")]})
    assert response.status_code == 404


def test_refund_estimate_amounts_are_decimal_strings(shop: FlaskClient) -> None:
    line = options(shop, lookup(shop, "A1010", "oliver@example.co.uk"), [item("LAMP-OAK")])["items"][0]
    assert line["estimate"]["currency"] == "GBP"
    assert Decimal(line["estimate"]["total"]) == Decimal("47.05")


def test_estimate_follows_the_chosen_resolution_and_method(shop: FlaskClient) -> None:
    session = lookup(shop)
    options(shop, session, [item("JEANS-32-INDIGO")])

    def estimate(resolution: str, method: str) -> dict:
        response = shop.post("/api/v1/returns/estimate", json={
            "session": session, "items": [item("JEANS-32-INDIGO")], "resolution": resolution, "method": method})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["estimate"]

    assert estimate("refund", "carrier")["total"] == "64.05"
    assert estimate("refund", "store")["total"] == "69.00"
    assert estimate("exchange", "carrier")["fee"] == "0.00"
    bad = shop.post("/api/v1/returns/estimate", json={
        "session": session, "items": [item("JEANS-32-INDIGO")], "resolution": "repair", "method": "carrier"})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_choice"


@pytest.mark.parametrize(
    ("lang", "answer", "subject"),
    [("en", "free of charge", "Your return"), ("fr", "gratuitement", "Votre retour")],
)
def test_the_assistant_speaks_the_shoppers_language(shop: FlaskClient, lang: str, answer: str, subject: str) -> None:
    session = lookup(shop, lang=lang)
    result = options(shop, session, [item("TEE-M-BLUE", reason="wrong_size")])
    assert answer in result["answer"]
    assert all(f"/{lang}/articles/" in article["url"] for article in result["articles"])
    created = create(shop, session, [item("TEE-M-BLUE", reason="wrong_size")], resolution="exchange")
    assert f"/{lang}/returns/status/" in created.get_json()["status_url"]
    mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email"))
    assert mail.subject.startswith(subject)
