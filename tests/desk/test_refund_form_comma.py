"""French agents type amounts with a decimal comma in the desk's refund form."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select

from kb.auth.service import create_user
from kb.extensions import db
from kb.tickets.models import Refund, Ticket
from tests.returns.helpers import create, item, lookup, options


def test_a_decimal_comma_is_accepted_in_the_refund_form(content_app: Flask, demo: dict[str, Any]) -> None:
    shop = content_app.test_client()
    session = lookup(shop)
    options(shop, session, [item("TEE-M-BLUE")])
    reference = create(shop, session, [item("TEE-M-BLUE")]).get_json()["reference"]
    create_user("agent@example.com", "a long enough password", "agent", "Alex Agent")
    db.session.commit()
    agent = content_app.test_client()
    agent.post("/login", data={"email": "agent@example.com", "password": "a long enough password"})
    response = agent.post(f"/desk/tickets/{reference}/refund",
                          data={"amount": "12,50", "goodwill": "", "method": "original_payment"})
    assert response.status_code in (200, 302)
    ticket = db.session.scalar(select(Ticket).where(Ticket.reference == reference))
    refund = db.session.scalar(select(Refund).where(Refund.ticket_id == ticket.id))
    assert refund.amount == Decimal("12.50")
