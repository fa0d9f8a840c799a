"""Insights fixtures: a small known history of March 2026, and staff who sign in or hold tokens.

The figures every test expects are worked out by hand from this history (see test_reports).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kb.articles.models import Article, Vote
from kb.auth.service import create_token, create_user
from kb.extensions import db
from kb.insights.models import ArticleView
from kb.orders.models import Order, OrderItem
from kb.returns.models import WizardSession
from kb.search.models import SearchLog
from kb.tickets.models import Refund, Ticket, TicketItem
from kb.types import utcnow

PASSWORD = "correct horse battery staple"
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
APRIL = {"from": "2026-04-01", "to": "2026-04-30"}


def at(day: str, hour: int = 12) -> datetime:
    """A UTC time on a day of 2026 written MM-DD."""
    return datetime.fromisoformat(f"2026-{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


@dataclass
class Staff:
    """Signs staff in on the test client, or makes API tokens for them."""

    client: FlaskClient

    def login(self, role: str) -> FlaskClient:
        """Create the role's user, sign in through the form, and return the client."""
        email = f"{role}@example.com"
        create_user(email, PASSWORD, role, name=role.title())
        db.session.commit()
        response = self.client.post("/login", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.client

    def token(self, role: str) -> dict[str, str]:
        """Headers carrying a fresh bearer token of the role."""
        _token, plain = create_token(f"{role} token", role)
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def staff(client: FlaskClient) -> Staff:
    """Sign staff in, or give them tokens."""
    return Staff(client)


def _article(key: str, lang: str, slug: str, title: str) -> Article:
    article = Article(key=key, lang=lang, slug=slug, title=title, category="returning",
                      status="published")
    db.session.add(article)
    return article


def _order(number: str, email: str, placed: str, channel: str, currency: str,
           items: list[tuple[str, str, str, int, str]]) -> Order:
    order = Order(number=number, email=email, placed_at=at(placed), channel=channel,
                  currency=currency)
    for sku, name, category, quantity, price in items:
        order.items.append(OrderItem(sku=sku, name=name, category=category, quantity=quantity,
                                     unit_price=Decimal(price)))
    db.session.add(order)
    return order


def _ticket(order: Order, created: str, lang: str, reason: str, resolution: str, status: str,
            items: list[tuple[str, int, str]], hour: int = 12) -> Ticket:
    ticket = Ticket(
        reference="R-" + secrets.token_hex(3).upper(), token_hash=secrets.token_hex(32),
        token_salt=secrets.token_hex(16), status=status, order_id=order.id, lang=lang,
        email=order.email, reason=reason, channel=order.channel, resolution=resolution,
        method="carrier", policy_version="test", currency=order.currency,
        created_at=at(created, hour), updated_at=at(created, hour),
    )
    by_sku = {item.sku: item for item in order.items}
    for sku, quantity, value in items:
        ticket.items.append(TicketItem(
            order_item_id=by_sku[sku].id, sku=sku, quantity=quantity, reason=reason,
            condition="unopened", eligible=True, value=Decimal(value),
        ))
    db.session.add(ticket)
    return ticket


def _refund(ticket: Ticket, created: str, amount: str, goodwill: str = "0.00",
            status: str = "confirmed", guarantee: bool = False) -> None:
    ticket.refunds.append(Refund(
        order_id=ticket.order_id, currency=ticket.currency, amount=Decimal(amount),
        goodwill=Decimal(goodwill), method="original_payment", guarantee=guarantee,
        status=status, created_by="agent", created_at=at(created),
    ))


def _session(order: Order, created: str, lang: str, outcome: str, *, reason: str | None = None,
             offered: tuple[str, ...] = (), opened: tuple[str, ...] = (),
             deflected_key: str | None = None, visit: str = "",
             last_seen: datetime | None = None) -> None:
    selection = [] if reason is None else [
        {"sku": order.items[0].sku, "quantity": 1, "reason": reason, "condition": "unopened"}]
    db.session.add(WizardSession(
        token_hash=secrets.token_hex(32), order_id=order.id, lang=lang,
        selection_json=json.dumps(selection), offered_json=json.dumps(list(offered)),
        opened_json=json.dumps(list(opened)), outcome=outcome, deflected_key=deflected_key,
        visit_id=visit, created_at=at(created), last_seen_at=last_seen or at(created, 13),
    ))


def _search(query: str, lang: str, results: int, when: datetime, visit: str,
            clicked: str | None = None, normalized: str | None = None) -> None:
    db.session.add(SearchLog(query=query, normalized=query if normalized is None else normalized,
                             lang=lang, results=results, clicked_key=clicked, visit_id=visit,
                             created_at=when))


@pytest.fixture
def history(app: Flask) -> dict[str, Any]:
    """March 2026 (and a little of February and April) of a small shop's returns."""
    exchange_en = _article("exchange", "en", "exchange", "Exchanges")
    exchange_fr = _article("exchange", "fr", "echange", "Échanges")
    window = _article("return-window", "en", "return-window", "Return window")
    _article("damaged-or-defective", "en", "damaged", "Damaged or defective")

    o1 = _order("A1", "ana@example.com", "03-02", "online", "EUR",
                [("SKU-A", "Shirt", "clothing", 4, "20.00"),
                 ("SKU-B", "Kettle", "appliances", 1, "50.00")])
    o2 = _order("A2", "bob@example.com", "03-05", "marketplace", "GBP",
                [("SKU-A", "Shirt", "clothing", 2, "18.00"),
                 ("SKU-C", "Headphones", "electronics", 1, "100.00")])
    o3 = _order("A3", "cy@example.com", "02-10", "store", "EUR",
                [("SKU-B", "Kettle", "appliances", 3, "50.00")])
    o4 = _order("A4", "ANA@example.com", "03-20", "marketplace", "EUR",
                [("SKU-D", "Socks", "clothing", 10, "5.00")])
    db.session.flush()

    _ticket(o1, "03-03", "en", "wrong_size", "exchange", "approved",
                 [("SKU-A", 2, "40.00")], hour=10)
    t2 = _ticket(o1, "03-03", "en", "defective", "refund", "refunded",
                 [("SKU-B", 1, "50.00")], hour=15)
    t3 = _ticket(o2, "03-06", "fr", "wrong_size", "store_credit", "approved",
                 [("SKU-A", 1, "18.00"), ("SKU-C", 1, "100.00")])
    _ticket(o3, "03-10", "fr", "changed_mind", "refund", "declined", [("SKU-B", 2, "100.00")])
    t5 = _ticket(o4, "03-21", "en", "changed_mind", "guarantee_claim", "refunded",
                 [("SKU-D", 3, "15.00")])
    t6 = _ticket(o1, "04-02", "en", "defective", "refund", "approved", [("SKU-A", 1, "20.00")])
    _refund(t2, "03-04", "50.00", goodwill="5.00")
    _refund(t2, "03-05", "20.00", status="pending_confirmation")
    _refund(t3, "03-07", "118.00")
    _refund(t5, "03-22", "15.00", goodwill="2.50", guarantee=True)
    _refund(t6, "04-03", "20.00")

    _session(o1, "03-03", "en", "deflected", reason="wrong_size",
             offered=("exchange", "size-guide"), opened=("exchange",), deflected_key="exchange",
             visit="v1")
    _session(o1, "03-03", "en", "deflected", reason="changed_mind",
             offered=("return-window", "exchange"), opened=("return-window", "exchange"),
             visit="v2")
    _session(o2, "03-06", "fr", "ticket", reason="wrong_size",
             offered=("exchange", "return-window"), opened=("return-window",), visit="v3")
    _session(o1, "03-03", "en", "ticket", reason="defective", offered=("damaged-or-defective",),
             visit="v1")
    _session(o3, "03-10", "en", "open")
    _session(o4, "03-21", "fr", "open", reason="other", visit="v4", last_seen=utcnow())
    _session(o1, "04-02", "en", "deflected", reason="wrong_size", offered=("exchange",),
             deflected_key="exchange", visit="v9")

    _search("where is my refund", "en", 0, at("03-04", 9), "v5")
    _search("where is my refund", "en", 0, at("03-08", 10), "v6")
    _search("remboursement carte", "fr", 0, at("03-09"), "v7")
    _search("exchange size", "en", 3, at("03-03"), "v1")
    _search("exchange size", "en", 3, at("03-03"), "v2", clicked="exchange")
    _search("label printer", "en", 2, at("03-12"), "v5")
    _search("label printer", "en", 2, at("03-13"), "")
    _search("where is my refund", "en", 0, at("04-05"), "v8")
    _search("???", "en", 0, at("03-15"), "v10", normalized="")
    db.session.flush()

    for article, day, visit in ((exchange_en, "03-03", "v1"), (exchange_en, "03-03", "v2"),
                                (exchange_fr, "03-06", "v3"), (window, "03-11", "v11"),
                                (exchange_en, "03-03", "v1"), (exchange_en, "04-02", "v12")):
        db.session.add(ArticleView(article_id=article.id, visit_id=visit, created_at=at(day)))
    for article, helpful, day, visit in ((exchange_en, True, "03-03", "v1"),
                                         (exchange_en, False, "03-14", "v13"),
                                         (window, False, "03-11", "v11"),
                                         (exchange_fr, True, "03-06", "v3"),
                                         (exchange_en, True, "04-02", "v14")):
        db.session.add(Vote(article_id=article.id, helpful=helpful, visit_id=visit,
                            created_at=at(day)))
    db.session.commit()
    return {"exchange_en": exchange_en.id, "window": window.id}
