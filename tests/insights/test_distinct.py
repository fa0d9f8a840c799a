"""Distinct visits and shoppers, and money by language, read from the rollups, equal the same
figures counted from the events for every period, before and after the events change."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kb.articles.models import Article, Vote
from kb.extensions import db
from kb.insights.distinct import count_distinct
from kb.insights.models import ArticleView
from kb.insights.period import Period
from kb.insights.refresh import catch_up, rebuild
from kb.insights.returns_queries import refunds_paid
from kb.orders.models import Order
from kb.search.models import SearchLog
from kb.tickets.models import Refund, Ticket

FIRST = date(2026, 3, 1)
DAYS = 12
LANGS = (None, "en", "fr")


def _moment(rng: random.Random) -> datetime:
    """A time in the twelve days, often close to midnight (visits that run into the next day)."""
    day = FIRST + timedelta(days=rng.randrange(DAYS))
    minutes = rng.choice((rng.randrange(1440), 1439 - rng.randrange(3), rng.randrange(3)))
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)


def _ticket(order: Order, email: str, lang: str, when: datetime) -> Ticket:
    ticket = Ticket(
        reference="R-" + secrets.token_hex(4).upper(), token_hash=secrets.token_hex(32),
        token_salt=secrets.token_hex(16), status="approved", order_id=order.id, lang=lang,
        email=email, reason="wrong_size", channel="online", resolution="refund", method="carrier",
        policy_version="test", currency=order.currency, created_at=when, updated_at=when)
    db.session.add(ticket)
    return ticket


@pytest.fixture
def events(app: Flask) -> dict[str, Any]:
    """Visits seen on several days and in both languages, shoppers returning under either case
    of their e-mail, and refunds in two currencies."""
    rng = random.Random(18)
    articles = {lang: Article(key="exchange", lang=lang, slug=f"exchange-{lang}", title="Exchange",
                              category="returning", status="published") for lang in ("en", "fr")}
    db.session.add_all(articles.values())
    orders = [Order(number=f"A{n}", email="x@example.com", placed_at=datetime(2026, 2, 1, tzinfo=UTC),
                    channel="online", currency=("EUR", "GBP")[n % 2]) for n in range(4)]
    db.session.add_all(orders)
    db.session.flush()
    for _ in range(120):
        visit, lang = f"v{rng.randrange(25)}", rng.choice(("en", "fr"))
        db.session.add(SearchLog(query="q", normalized="q", lang=lang, results=rng.randrange(2),
                                 visit_id=visit, created_at=_moment(rng)))
        if rng.random() < 0.3:
            db.session.add(ArticleView(article_id=articles[lang].id, visit_id=visit,
                                       created_at=_moment(rng)))
    tickets = []
    for _ in range(40):
        email = rng.choice(("ana", "ANA", "bob", "cy", "Dee", "dee", "eve")) + "@example.com"
        ticket = _ticket(rng.choice(orders), email, rng.choice(("en", "fr")), _moment(rng))
        tickets.append(ticket)
        if rng.random() < 0.5:
            ticket.refunds.append(Refund(
                order_id=ticket.order_id, currency=ticket.currency,
                amount=Decimal(rng.randrange(1, 90)), goodwill=Decimal("1.50"), method="card",
                guarantee=rng.random() < 0.3, created_by="agent", created_at=_moment(rng),
                status=rng.choice(("confirmed", "confirmed", "pending_confirmation"))))
    db.session.commit()
    return {"rng": rng, "tickets": tickets, "articles": articles, "orders": orders}


def _periods() -> list[Period]:
    days = [FIRST + timedelta(days=n) for n in range(-1, DAYS + 1)]
    return [Period(start, end, lang) for start in days for end in days if start <= end
            for lang in LANGS]


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _raw_visits(period: Period) -> int:
    seen = {s.visit_id for s in db.session.scalars(select(SearchLog))
            if period.start <= _day(s.created_at) <= period.end and period.lang in (None, s.lang)}
    for model in (ArticleView, Vote):  # in the language of their article
        for event, lang in db.session.execute(select(model, Article.lang).join(
                Article, Article.id == model.article_id)):
            if period.start <= _day(event.created_at) <= period.end and period.lang in (None, lang):
                seen.add(event.visit_id)
    return len(seen)


def _raw_shoppers(period: Period) -> int:
    return len({t.email.lower() for t in db.session.scalars(select(Ticket))
                if period.start <= _day(t.created_at) <= period.end and period.lang in (None, t.lang)})


def _raw_refunds(period: Period) -> dict[str, dict[str, Any]]:
    paid: dict[str, dict[str, Any]] = {}
    for refund in db.session.scalars(select(Refund).where(Refund.status == "confirmed")):
        if not (period.start <= _day(refund.created_at) <= period.end
                and period.lang in (None, refund.ticket.lang)):
            continue
        row = paid.setdefault(refund.currency, {
            "refunds": 0, "refunded": Decimal("0.00"), "goodwill": Decimal("0.00"),
            "guarantee_claims": 0, "guarantee_paid": Decimal("0.00")})
        row["goodwill"] += refund.goodwill
        if refund.guarantee:
            row["guarantee_claims"] += 1
            row["guarantee_paid"] += refund.amount
        else:
            row["refunds"] += 1
            row["refunded"] += refund.amount
    return paid


def _assert_every_period_exact() -> None:
    catch_up()  # as a report does before reading
    wrong = [(p, kind, got, expected) for p in _periods() for kind, got, expected in (
        ("visits", count_distinct("visit", p), _raw_visits(p)),
        ("shoppers", count_distinct("shopper", p), _raw_shoppers(p)),
        ("refunds", refunds_paid(p), _raw_refunds(p))) if got != expected]
    assert wrong == []


def test_distinct_figures_are_exact_for_every_period(events: dict) -> None:
    _assert_every_period_exact()
    assert count_distinct("visit", Period(FIRST, FIRST + timedelta(days=DAYS))) > 10


def test_they_stay_exact_when_events_arrive_or_change(events: dict) -> None:
    _assert_every_period_exact()
    rng, tickets = events["rng"], events["tickets"]
    # Earlier days of visits and shoppers already seen later, and in the other language.
    db.session.add(SearchLog(query="q", normalized="q", lang="fr", results=0, visit_id="v3",
                             created_at=datetime(2026, 3, 1, 8, tzinfo=UTC)))
    _ticket(events["orders"][0], "Eve@Example.com", "fr", datetime(2026, 3, 1, 9, tzinfo=UTC))
    db.session.commit()
    _assert_every_period_exact()
    # A shopper's e-mail corrected, a ticket's language changed, a refund confirmed.
    tickets[0].email = "zoe@example.com"
    tickets[1].lang = "fr" if tickets[1].lang == "en" else "en"
    pending = db.session.scalars(select(Refund).where(Refund.status != "confirmed")).first()
    assert pending is not None
    pending.status = "confirmed"
    db.session.commit()
    _assert_every_period_exact()
    db.session.add(Vote(article_id=events["articles"]["en"].id, helpful=True,
                        visit_id=f"v{rng.randrange(25)}", created_at=_moment(rng)))
    db.session.commit()
    _assert_every_period_exact()


def test_a_rebuild_gives_the_same_figures(events: dict) -> None:
    catch_up()
    before = [(count_distinct("visit", p), count_distinct("shopper", p)) for p in _periods()]
    rebuild()
    assert [(count_distinct("visit", p), count_distinct("shopper", p)) for p in _periods()] == before


def test_the_next_day_of_a_key_is_recounted_when_an_earlier_day_changes(app: Flask) -> None:
    order = Order(number="A1", email="x@example.com", placed_at=datetime(2026, 2, 1, tzinfo=UTC),
                  channel="online", currency="EUR")
    db.session.add(order)
    db.session.flush()

    def search(visit: str, lang: str, day: int) -> None:
        db.session.add(SearchLog(query="q", normalized="q", lang=lang, results=0, visit_id=visit,
                                 created_at=datetime(2026, 3, day, 12, tzinfo=UTC)))

    search("a", "en", 5)
    search("a", "en", 8)
    search("b", "fr", 4)
    search("b", "en", 8)
    first = _ticket(order, "zed@example.com", "en", datetime(2026, 3, 3, 12, tzinfo=UTC))
    _ticket(order, "zed@example.com", "en", datetime(2026, 3, 6, 12, tzinfo=UTC))
    db.session.commit()
    catch_up()
    search("a", "en", 2)  # a's and b's later days now have an earlier one
    search("b", "en", 2)
    first.email = "amy@example.com"  # zed's sixth of March becomes zed's first day
    db.session.commit()
    catch_up()
    march = {day: date(2026, 3, day) for day in range(1, 10)}
    assert [count_distinct("visit", Period(march[2], march[end], lang))
            for end in (5, 8) for lang in (None, "en")] == [2, 2, 2, 2]
    assert count_distinct("shopper", Period(march[2], march[6])) == 2
    assert count_distinct("shopper", Period(march[4], march[6])) == 1
