"""The month sums of the SKU rollups equal their days, and a period read from whole months and
its other days gives what its days alone give."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from kb.extensions import db
from kb.insights import returns_queries
from kb.insights.models import (
    SearchGapDay,
    SearchGapMonth,
    SearchGapTotal,
    SoldDay,
    SoldMonth,
    TicketSkuDay,
    TicketSkuMonth,
)
from kb.insights.months import split
from kb.insights.period import Period, day_ranges
from kb.insights.refresh import catch_up
from kb.orders.models import Order, OrderItem
from kb.tickets.models import Ticket
from tests.insights.conftest import at


def _months_of_days(day_model: Any, dims: tuple[str, ...], sums: tuple[str, ...]) -> set[tuple]:
    rows = db.session.execute(select(day_model.day, *(getattr(day_model, d) for d in dims),
                                     *(getattr(day_model, s) for s in sums))).all()
    totals: dict[tuple, list[int]] = {}
    for row in rows:
        key = (row[0].replace(day=1), *row[1:1 + len(dims)])
        entry = totals.setdefault(key, [0] * len(sums))
        for n, value in enumerate(row[1 + len(dims):]):
            entry[n] += value
    return {(*key, *values) for key, values in totals.items()}


def _stored(month_model: Any) -> set[tuple]:
    return {tuple(row) for row in db.session.execute(select(month_model.__table__))}


def assert_sums_equal_their_days() -> None:
    """Every month sum, and the knowledge gaps' totals, equal the day rows they sum."""
    catch_up()
    assert _stored(TicketSkuMonth) == _months_of_days(TicketSkuDay, ("lang", "sku", "declined"),
                                                      ("tickets", "units"))
    assert _stored(SoldMonth) == _months_of_days(SoldDay, ("sku",), ("lines", "units"))
    gap_months = _months_of_days(SearchGapDay, ("kind", "lang", "normalized"), ("searches",))
    assert _stored(SearchGapMonth) == gap_months
    totals: dict[tuple, int] = {}
    for _month, kind, lang, normalized, searches in gap_months:
        totals[(kind, lang, normalized)] = totals.get((kind, lang, normalized), 0) + searches
    assert {row[:3]: row[3] for row in _stored(SearchGapTotal) if row[3]} == totals


def _by_days(period: Period) -> tuple[list, dict[str, tuple[int, int]]]:
    """Tickets by product and units returned and sold, from the day rows alone."""
    days = (TicketSkuDay.day >= period.start, TicketSkuDay.day <= period.end)
    language = (TicketSkuDay.lang == period.lang,) if period.lang else ()
    tickets = func.sum(TicketSkuDay.tickets)
    products = db.session.execute(
        select(TicketSkuDay.sku, tickets, func.sum(TicketSkuDay.units)).where(*days, *language)
        .group_by(TicketSkuDay.sku).order_by(tickets.desc(), TicketSkuDay.sku)).all()
    returned = dict(db.session.execute(
        select(TicketSkuDay.sku, func.sum(TicketSkuDay.units)).where(*days, TicketSkuDay.declined == 0)
        .group_by(TicketSkuDay.sku)).all())
    sold = dict(db.session.execute(
        select(SoldDay.sku, func.sum(SoldDay.units)).where(SoldDay.day >= period.start,
                                                           SoldDay.day <= period.end)
        .group_by(SoldDay.sku)).all())
    return ([(sku, int(n), int(u)) for sku, n, u in products],
            {sku: (int(units), int(sold[sku])) for sku, units in returned.items() if sold.get(sku)})


def _order(number: str, placed: str, hour: int = 12) -> Order:
    order = Order(number=number, email="new@example.com", placed_at=at(placed, hour),
                  channel="online", currency="EUR")
    order.items.append(OrderItem(sku="SKU-A", name="Shirt", category="clothing", quantity=5,
                                 unit_price=Decimal("20.00")))
    db.session.add(order)
    return order


def test_whole_months_and_other_days_give_what_the_days_give(app: Flask, history: dict) -> None:
    for number, day in (("A7", "03-01"), ("A8", "04-01"), ("A9", "02-28")):  # months' edges
        _order(number, day)
    db.session.commit()
    assert_sums_equal_their_days()
    days = [date(2026, 2, 27) + timedelta(days=n) for n in range(0, 40, 2)] + [date(2026, 3, 31), date(2026, 4, 1)]
    periods = [Period(start, end, lang) for start in days for end in days if start <= end
               for lang in (None, "en")]
    assert any(split(p).months for p in periods)
    for period in periods:
        products, rates = _by_days(period)
        assert [(r["key"], r["tickets"], r["units"])
                for r in returns_queries.tickets_by_product(period, limit=100)] == products
        assert {r["key"]: (r["returned"], r["sold"])
                for r in returns_queries.return_rates(period, limit=100)} == rates


def test_months_follow_their_days_when_tickets_and_orders_change(app: Flask, history: dict) -> None:
    assert_sums_equal_their_days()
    ticket = db.session.scalars(select(Ticket).where(Ticket.status == "approved")).first()
    assert ticket is not None
    ticket.status = "declined"
    order = _order("A9", "03-31", 23)
    db.session.commit()
    assert_sums_equal_their_days()
    order.placed_at = at("04-01", 1)  # moves to the next month
    db.session.commit()
    assert_sums_equal_their_days()


def test_changed_days_are_recounted_as_runs_of_consecutive_days() -> None:
    days = {date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 5),
            date(2025, 12, 31), date(2026, 1, 1)}
    assert day_ranges(days) == [
        (date(2025, 12, 31), date(2026, 1, 2)),  # across the new year
        (date(2026, 2, 28), date(2026, 3, 3)),  # across the month's end
        (date(2026, 3, 5), date(2026, 3, 6)),
    ]
    assert day_ranges(set()) == []
