"""The daily rollups of returns: tickets by reason, category and SKU, and units sold by SKU.

Recounted a whole UTC day at a time, in SQL, like the other rollups (kb.insights.daily): a
ticket counts on the day it was opened, with its items, their value and their order lines'
categories; an
order's lines count on the day it was placed. Questions from the contact form are no returns:
they count in none of these figures.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnClause, Connection, case, func, insert, literal_column, select

from kb.insights.daily import clear_days
from kb.insights.distinct import Seen, sync_seen
from kb.insights.models import (
    OrderDay,
    RefundDay,
    ShopperDay,
    SoldDay,
    SoldMonth,
    TicketCategoryDay,
    TicketDay,
    TicketSkuDay,
    TicketSkuMonth,
    TicketValueDay,
)
from kb.insights.months import move_months
from kb.insights.sql import day_of, day_range, upsert_insert
from kb.orders.models import Order, OrderItem
from kb.tickets.models import Refund, RefundStatus, Ticket, TicketItem, TicketKind, TicketStatus

KEPT_RESOLUTIONS = ("exchange", "store_credit")  # the value the shop keeps
# The month sums of two day rollups (kb.insights.months): the day and month models, the
# columns they share and those they sum.
_SKU_MONTHS = (TicketSkuDay, TicketSkuMonth, ("lang", "sku", "declined"), ("tickets", "units"))
_SOLD_MONTHS = (SoldDay, SoldMonth, ("sku",), ("lines", "units"))


def recount_tickets(connection: Connection, start: date, end: date) -> None:
    """Recount the tickets opened from ``start`` to ``end`` (excluded)."""
    move_months(connection, *_SKU_MONTHS, -1, start, end)
    clear_days(connection, (TicketDay, TicketCategoryDay, TicketSkuDay, TicketValueDay), start, end)
    day = day_of(Ticket.created_at).label("day")
    # Constants written into the SQL: a bound parameter in the SELECT and again in the GROUP
    # BY would be two different parameters to PostgreSQL, and not the same expression.
    returns = (day_range(Ticket.created_at, start, end),
               Ticket.kind != literal_column(f"'{TicketKind.QUESTION.value}'"))
    tickets = (select(day, Ticket.lang, Ticket.reason, Ticket.channel, func.count())
               .where(*returns).group_by(day, Ticket.lang, Ticket.reason, Ticket.channel))
    connection.execute(insert(TicketDay).from_select(
        ["day", "lang", "reason", "channel", "tickets"], tickets))

    declined = case((Ticket.status == literal_column(f"'{TicketStatus.DECLINED.value}'"),
                     literal_column("1")), else_=literal_column("0")).label("declined")
    by_sku = (select(day, Ticket.lang, TicketItem.sku, declined,
                     func.count(func.distinct(Ticket.id)), func.sum(TicketItem.quantity))
              .join(TicketItem, TicketItem.ticket_id == Ticket.id)
              .where(*returns).group_by(day, Ticket.lang, TicketItem.sku, declined))
    connection.execute(insert(TicketSkuDay).from_select(
        ["day", "lang", "sku", "declined", "tickets", "units"], by_sku))
    move_months(connection, *_SKU_MONTHS, 1, start, end)

    by_category = (select(day, Ticket.lang, OrderItem.category,
                          func.count(func.distinct(Ticket.id)), func.sum(TicketItem.quantity))
                   .join(TicketItem, TicketItem.ticket_id == Ticket.id)
                   .join(OrderItem, OrderItem.id == TicketItem.order_item_id)
                   .where(*returns).group_by(day, Ticket.lang, OrderItem.category))
    connection.execute(insert(TicketCategoryDay).from_select(
        ["day", "lang", "category", "tickets", "units"], by_category))

    kept = case((Ticket.resolution.in_(KEPT_RESOLUTIONS), TicketItem.value), else_=literal_column("0"))
    values = (select(day, Ticket.lang, Ticket.currency, func.sum(TicketItem.value), func.sum(kept))
              .join(TicketItem, TicketItem.ticket_id == Ticket.id)
              .where(*returns, Ticket.status != literal_column(f"'{TicketStatus.DECLINED.value}'"))
              .group_by(day, Ticket.lang, Ticket.currency))
    connection.execute(insert(TicketValueDay).from_select(
        ["day", "lang", "currency", "returned", "kept"], values))


def recount_sold(connection: Connection, start: date, end: date) -> None:
    """Recount the order lines of the orders placed from ``start`` to ``end`` (excluded), and
    note the day each of those orders counts under."""
    move_months(connection, *_SOLD_MONTHS, -1, start, end)
    clear_days(connection, (SoldDay,), start, end)
    day = day_of(Order.placed_at).label("day")
    placed = day_range(Order.placed_at, start, end)
    sold = (select(day, OrderItem.sku, func.count(), func.sum(OrderItem.quantity))
            .join(OrderItem, OrderItem.order_id == Order.id)
            .where(placed).group_by(day, OrderItem.sku))
    connection.execute(insert(SoldDay).from_select(["day", "sku", "lines", "units"], sold))
    move_months(connection, *_SOLD_MONTHS, 1, start, end)
    # "WHERE" present: SQLite needs one before ON CONFLICT to parse an INSERT ... SELECT.
    noted = upsert_insert(connection, OrderDay).from_select(
        ["order_id", "day"], select(Order.id, day).where(placed))
    connection.execute(noted.on_conflict_do_update(index_elements=["order_id"],
                                                   set_={"day": noted.excluded.day}))


SHOPPERS = Seen("shopper", ShopperDay, "email")


def recount_shoppers(connection: Connection, start: date, end: date) -> None:
    """Note who opened tickets from ``start`` to ``end`` (excluded): each shopper (e-mail in
    any case) once a day and language, questions included, for the distinct shoppers."""
    day = day_of(Ticket.created_at).label("day")
    fresh = (select(day, Ticket.lang.label("lang"), func.lower(Ticket.email).label("email"))
             .where(day_range(Ticket.created_at, start, end)).distinct())
    sync_seen(connection, SHOPPERS, fresh, start, end)


def recount_refunds(connection: Connection, start: date, end: date) -> None:
    """Recount the confirmed refunds made from ``start`` to ``end`` (excluded), under the
    language of their ticket, so that money in one language needs no join with the tickets."""
    clear_days(connection, (RefundDay,), start, end)
    day = day_of(Refund.created_at).label("day")
    zero: ColumnClause[int] = literal_column("0")
    guarantee = Refund.guarantee.is_(True)
    totals = (select(day, Ticket.lang, Refund.currency,
                     func.count(case((~guarantee, Refund.id))),
                     func.sum(case((~guarantee, Refund.amount), else_=zero)),
                     func.sum(Refund.goodwill),
                     func.count(case((guarantee, Refund.id))),
                     func.sum(case((guarantee, Refund.amount), else_=zero)))
              .join(Ticket, Ticket.id == Refund.ticket_id)
              .where(day_range(Refund.created_at, start, end),
                     Refund.status == literal_column(f"'{RefundStatus.CONFIRMED.value}'"))
              .group_by(day, Ticket.lang, Refund.currency))
    connection.execute(insert(RefundDay).from_select(
        ["day", "lang", "currency", "refunds", "refunded", "goodwill", "claims", "guarantee_paid"],
        totals))
