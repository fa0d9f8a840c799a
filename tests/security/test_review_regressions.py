"""Holes found in review, each kept closed by a test."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.auth.service import create_token, create_user
from kb.extensions import db
from kb.orders.records import import_orders
from kb.tickets.models import Refund, Ticket
from kb.tickets.refunds import issue_refund
from kb.tickets.service import TicketError, apply_action
from tests.returns.helpers import create, item, lookup, options


def _ticket(shop: FlaskClient, number: str, email: str, line: dict, **extra: Any) -> Ticket:
    session = lookup(shop, number, email)
    options(shop, session, [line])
    body = create(shop, session, [line], **extra).get_json()
    return db.session.scalar(select(Ticket).where(Ticket.reference == body["reference"]))


@pytest.fixture
def shop(content_app: Flask, demo: dict[str, Any]) -> FlaskClient:
    """A client of an app with the articles and demo orders."""
    return content_app.test_client()


def test_a_refunded_ticket_cannot_be_declined_to_free_its_items_again(shop: FlaskClient) -> None:
    ticket = _ticket(shop, "A1010", "oliver@example.co.uk", item("LAMP-OAK"))
    issue_refund(ticket, amount="52.00", goodwill="0", method="original_payment", actor="Alex")
    apply_action(ticket, "close", "Alex")
    apply_action(ticket, "reopen", "Alex")
    with pytest.raises(TicketError) as refused:
        apply_action(ticket, "decline", "Alex", decline_reason="other")
    assert refused.value.code == "refunded_ticket"
    assert all(i.reserved for i in ticket.items)


def test_all_tickets_of_an_order_never_refund_more_than_it_cost(shop: FlaskClient) -> None:
    import_orders([{
        "number": "M1", "email": "m@example.com", "placed_at": "2026-01-01T10:00:00Z", "delivered_at": None,
        "channel": "marketplace", "seller": "S", "currency": "EUR", "shipping": "40.00",
        "items": [{"sku": "A", "name": "A", "category": "home", "quantity": 1, "unit_price": "100.00"},
                  {"sku": "B", "name": "B", "category": "home", "quantity": 1, "unit_price": "100.00"}]}])
    db.session.commit()
    first = _ticket(shop, "M1", "m@example.com", item("A", reason="not_received"),
                    resolution="guarantee_claim", method="none")
    second = _ticket(shop, "M1", "m@example.com", item("B", reason="not_received"),
                     resolution="guarantee_claim", method="none")
    # Each claim covers part of the order, so neither pays the delivery charge back.
    for ticket in (first, second):
        with pytest.raises(TicketError) as refused:
            issue_refund(ticket, amount="140.00", goodwill="0", method="original_payment", actor="Alex")
        assert refused.value.code == "over_cap"
        issue_refund(ticket, amount="100.00", goodwill="0", method="original_payment", actor="Alex")
    paid = sum(r.amount for r in db.session.scalars(select(Refund)))
    assert paid == Decimal("200.00")


def test_splitting_a_refund_does_not_dodge_the_second_approval(shop: FlaskClient, content_app: Flask) -> None:
    content_app.config["REFUND_SECOND_APPROVAL_OVER"] = "100"
    ticket = _ticket(shop, "A1017", "ana@example.com", item("HEADPH-NC700", reason="defective"))
    first = issue_refund(ticket, amount="99.00", goodwill="0", method="original_payment", actor="Alex")
    apply_action(ticket, "close", "Alex")
    apply_action(ticket, "reopen", "Alex")
    second = issue_refund(ticket, amount="99.00", goodwill="0", method="original_payment", actor="Alex")
    assert (first.status, second.status) == ("confirmed", "pending_confirmation")


def test_an_agent_cannot_confirm_their_own_refund_with_their_token(shop: FlaskClient, content_app: Flask) -> None:
    content_app.config["REFUND_SECOND_APPROVAL_OVER"] = "10"
    agent = create_user("alex@example.com", "a long enough password", "agent", "Alex Agent")
    db.session.flush()
    _token, plain = create_token("alex laptop", "agent", created_by=agent)
    db.session.commit()
    ticket = _ticket(shop, "A1005", "ana@example.com", item("HEADPH-NC700", reason="defective"))
    desk = content_app.test_client()
    desk.post("/login", data={"email": "alex@example.com", "password": "a long enough password"})
    desk.post(f"/desk/tickets/{ticket.reference}/refund", data={"amount": "50.00", "method": "original_payment"})
    refund = db.session.scalar(select(Refund))
    assert refund.status == "pending_confirmation"
    response = shop.post(f"/api/v1/refunds/{refund.id}/confirm", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "same_agent"


def test_one_session_opens_one_ticket(shop: FlaskClient) -> None:
    session = lookup(shop)
    options(shop, session, [item("TEE-M-BLUE")])
    assert create(shop, session, [item("TEE-M-BLUE")]).status_code == 201
    again = create(shop, session, [item("JEANS-32-INDIGO")])
    assert again.status_code == 409


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/api/v1/returns/lookup", {"order_number": "A1001", "email": "anä@example.com"}),
    ("get", "/api/v1/search?q=refund&limit=²", None),
    ("get", "/api/v1/suggest?q=ref&limit=²", None),
    ("get", "/en/articles/return-window?s=²", None),
])
def test_odd_input_is_a_clear_answer_not_a_server_error(shop: FlaskClient, method: str, path: str,
                                                         body: dict | None) -> None:
    response = shop.post(path, json=body) if method == "post" else shop.get(path)
    assert response.status_code < 500


@pytest.mark.parametrize("field", ["resolution", "method", "store"])
def test_lists_where_strings_are_expected_are_refused(shop: FlaskClient, field: str) -> None:
    session = lookup(shop)
    options(shop, session, [item("TEE-M-BLUE")])
    body = {"resolution": "refund", "method": "store", "store": "PAR-RIV", field: []}
    response = create(shop, session, [item("TEE-M-BLUE")], **body)
    assert response.status_code == 400


def test_reimporting_an_order_cannot_break_its_returns(shop: FlaskClient) -> None:
    from kb.orders.models import Order
    from tests.returns.test_orders_import import make_order

    ticket = _ticket(shop, "A1001", "ana@example.com", item("TEE-M-BLUE", quantity=2))
    order = db.session.get(Order, ticket.order_id)
    base = make_order(number="A1001", email="ana@example.com", currency="EUR",
                      placed_at=order.placed_at.isoformat(), delivered_at=order.delivered_at.isoformat())
    tee = {"sku": "TEE-M-BLUE", "name": "Tee", "category": "apparel", "quantity": 2, "unit_price": "19.90"}
    report = import_orders([
        {**base, "items": [{**tee, "quantity": 1}]},
        {**base, "currency": "GBP", "items": [tee]},
        {**base, "items": [{**tee, "sku": "OTHER"}]},
    ])
    assert [reason for _, reason in report.errors] == [
        "TEE-M-BLUE: the quantity cannot go below what is already returned",
        "the currency cannot change: the order has returns",
        "TEE-M-BLUE cannot be removed: it is part of a return",
    ]
    assert shop.post("/api/v1/returns/options", json={"session": lookup(shop), "items": [item("TEE-M-BLUE")]}
                     ).status_code == 200
