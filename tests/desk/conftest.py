"""Desk fixtures: staff who sign in, API tokens, and tickets opened the way shoppers open them."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kb.auth.models import User
from kb.auth.service import create_token, create_user
from kb.extensions import db
from kb.orders.models import Order
from kb.orders.records import import_orders
from kb.returns import submission
from kb.returns import wizard_service as wiz
from kb.tickets.models import Ticket

# The lock race only exists on PostgreSQL (SQLite serialises writers): collected there only.
collect_ignore = [] if (os.environ.get("KB_TEST_DATABASE_URL") or "").startswith("postgres") else [
    "test_refund_race_postgres.py"]

PASSWORD = "correct horse battery staple"
NAMES = {"writer": "Wanda Writer", "agent": "Alex Agent", "admin": "Ada Admin"}

# What each demo order is returned for, unless a test says otherwise.
DEFAULT_LINES = {
    "A1001": [("TEE-M-BLUE", 2, "changed_mind", "unopened")],
    "A1002": [("THROW-WOOL", 1, "changed_mind", "unopened")],
    "A1008": [("MKT-ARMCHAIR", 1, "not_received", "unopened")],
    "A1010": [("LAMP-OAK", 1, "changed_mind", "unopened")],
    "A1018": [("JEANS-32-INDIGO", 1, "changed_mind", "unopened")],
}


def staff_user(role: str, email: str | None = None, name: str | None = None) -> User:
    """The staff member with this e-mail (``<role>@example.com``), created on first use."""
    email = email or f"{role}@example.com"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = create_user(email, PASSWORD, role, name=name or NAMES[role])
        db.session.commit()
    return user


def sign_in(client: FlaskClient, role: str, email: str | None = None,
            name: str | None = None) -> User:
    """Sign a staff member in through the login form."""
    user = staff_user(role, email, name)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return user


@pytest.fixture
def agent(client: FlaskClient) -> FlaskClient:
    """``client``, signed in as the agent Alex Agent."""
    sign_in(client, "agent")
    return client


@pytest.fixture
def second_agent(app: Flask) -> FlaskClient:
    """Another browser, signed in as a second agent, Sam Second."""
    other = app.test_client()
    sign_in(other, "agent", "sam@example.com", "Sam Second")
    return other


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    """``client``, signed in as the admin Ada Admin."""
    sign_in(client, "admin")
    return client


def bearer(role: str = "agent", name: str = "shop backend") -> dict[str, str]:
    """An Authorization header with a fresh API token of ``role``."""
    _token, plain = create_token(name, role)
    db.session.commit()
    return {"Authorization": f"Bearer {plain}"}


def open_return(
    number: str,
    lines: list[tuple[str, int, str, str]] | None = None,
    *,
    exception: bool = False,
    resolution: str | None = None,
    method: str | None = None,
    note: str = "",
    lang: str = "en",
) -> tuple[Ticket, str]:
    """Open a ticket as the wizard does: lookup, self-help, create; returns it with its token."""
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert order is not None, number
    session, _session_token = wiz.lookup(email=order.email, order_number=number,
                                         transaction_id=None, lang=lang)
    choices = wiz.parse_lines([
        {"sku": sku, "quantity": quantity, "reason": reason, "condition": condition}
        for sku, quantity, reason, condition in (lines or DEFAULT_LINES[number])
    ])
    evaluated, _articles = wiz.self_help(session, choices, note)
    resolutions, methods = submission.choices_for(evaluated, exception)
    ticket, token, _created = submission.create_return(
        session, choices,
        resolution=resolution or resolutions[0].value,
        method=method or methods[0].value,
        note=note, exception=exception,
    )
    db.session.commit()
    return ticket, token


def age_ticket(ticket: Ticket, hours: float) -> None:
    """Move a ticket and its history back in time, as if it had been opened ``hours`` ago."""
    delta = timedelta(hours=hours)
    ticket.created_at = ticket.created_at - delta
    for event in ticket.events:
        event.created_at = event.created_at - delta
    db.session.commit()


def add_order(number: str, demo: dict[str, Any], **fields: Any) -> None:
    """Import one more order (dated from the demo's fixed now)."""
    now = demo["now"]
    record = {
        "number": number, "email": "big@example.com",
        "placed_at": (now - timedelta(days=14)).isoformat(), "delivered_at": None,
        "channel": "online", "seller": None, "store": None, "transaction_id": None,
        "currency": "EUR", "shipping": "0.00", "items": [],
    }
    record.update(fields)
    report = import_orders([record])
    db.session.commit()
    assert not report.errors, report.errors

