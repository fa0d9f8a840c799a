"""Keeping the rollups in step with the events: a periodic recount that only reads other rooms.

Why this design: the rollups used to follow other rooms' writes through SQLAlchemy mapper
events, inside those rooms' transactions, moving each change by a difference computed in the
middle of a flush; a failed flush could leave a wrong difference behind. Now every event table
the rollups depend on carries ``changed_at`` (kb.types.change_marker: stamped by the owning
room's model at every insert and update, and indexed), and insights only reads:

1. For each event table, insights keeps how far it has looked (``insights_watermark``).
2. ``catch_up`` finds the UTC days of the rows changed since then and *recounts those whole
   days* from the events, with the same functions ``kb insights rebuild`` runs over every day.
   A recount deletes the days' rollup rows and writes them again, so it is idempotent: it can
   look back further than needed at no risk. It looks back ``OVERLAP`` before the watermark,
   for transactions that stamped their rows before the last look but committed after it.
3. Reports call ``catch_up`` before reading (cheap when nothing changed: one indexed probe per
   table), so staff never see stale figures; a background job runs it too, every minute.

Rows only ever deleted leave nothing behind to notice. Nothing in the app deletes tickets,
sessions, questions, votes or views; an order line dropped by an order update stamps its order
(kb.orders), and the search-log retention prune tells the rollup which days it emptied
(``kb.insights.daily.forget_searches_before``). An order whose placed_at is corrected leaves the
day it counted under, which ``insights_order_day`` remembers. A changed order line's category
also reaches the tickets that return it, which the old hooks never did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, select, union
from sqlalchemy.orm import InstrumentedAttribute

from kb.articles.models import Vote
from kb.contact.models import ContactRequest
from kb.database import write_transaction
from kb.extensions import db
from kb.insights.daily import recount_gaps, recount_self_help
from kb.insights.daily_returns import recount_refunds, recount_shoppers, recount_sold, recount_tickets
from kb.insights.models import (
    ArticleDay,
    ArticleView,
    FirstSeenDay,
    HelpVisitDay,
    OrderDay,
    RefundDay,
    SearchGapDay,
    SearchGapMonth,
    SearchGapTotal,
    SeenAgain,
    ShopperDay,
    SoldDay,
    SoldMonth,
    TicketCategoryDay,
    TicketDay,
    TicketSkuDay,
    TicketSkuMonth,
    TicketValueDay,
    Watermark,
    WizardArticleDay,
    WizardDay,
)
from kb.insights.period import day_ranges
from kb.insights.rollup import recount_articles, recount_visits
from kb.insights.sql import analyze, as_date, day_of, lock_rollups, upsert_insert
from kb.orders.models import Order, OrderItem
from kb.returns.models import WizardSession
from kb.search.models import SearchLog
from kb.tickets.models import Refund, Ticket, TicketItem
from kb.types import utcnow

# How far before the watermark each catch-up looks again: longer than any write transaction
# takes between stamping its rows and committing, and than the clocks of two machines differ.
OVERLAP = timedelta(minutes=10)
REFRESH_EVERY = 60.0  # seconds between the background job's catch-ups
REBUILD_DAYS = 31  # days recounted together by a rebuild: bounds what one statement holds

Recount = Callable[[Connection, date, date], None]
# Each rollup: the function that recounts some days of it, and its tables.
ROLLUPS: dict[str, tuple[Recount, tuple[Any, ...]]] = {
    "tickets": (recount_tickets, (TicketDay, TicketCategoryDay, TicketSkuDay, TicketSkuMonth,
                                  TicketValueDay)),
    "sold": (recount_sold, (SoldDay, SoldMonth, OrderDay)),
    "self_help": (recount_self_help, (WizardDay, WizardArticleDay)),
    "gaps": (recount_gaps, (SearchGapDay, SearchGapMonth, SearchGapTotal)),
    # The first-seen counts and seen-again rows of both visits and shoppers (kb.insights.distinct).
    "visits": (recount_visits, (HelpVisitDay, FirstSeenDay, SeenAgain)),
    "shoppers": (recount_shoppers, (ShopperDay,)),
    "refunds": (recount_refunds, (RefundDay,)),
    "articles": (recount_articles, (ArticleDay,)),
}


@dataclass(frozen=True)
class Source:
    """An event table the rollups follow: which rollups' days its changed rows touch.

    Each of ``touches`` pairs a rollup with a SELECT of the days concerned, from the table's
    rows (the caller adds the condition on the change marker).
    """

    marker: InstrumentedAttribute[Any]
    touches: tuple[tuple[str, Callable[[], Any]], ...]

    @property
    def name(self) -> str:
        """The event table's name (the watermark's key)."""
        return str(self.marker.class_.__tablename__)


def _days(model: Any, column: Any, *joins: tuple[Any, Any]) -> Callable[[], Any]:
    def query() -> Any:
        statement = select(day_of(column).label("day")).select_from(model)
        for target, on in joins:
            statement = statement.join(target, on)
        return statement
    return query


def _event_days(model: Any, *rollups: str) -> tuple[tuple[str, Callable[[], Any]], ...]:
    return tuple((name, _days(model, model.created_at)) for name in rollups)


_TICKET = (Ticket, Ticket.id == TicketItem.ticket_id)
SOURCES = (
    Source(Ticket.changed_at, (*_event_days(Ticket, "tickets", "shoppers"),
                               # A ticket's language counts in its refunds, whenever made.
                               ("refunds", _days(Ticket, Refund.created_at,
                                                 (Refund, Refund.ticket_id == Ticket.id))))),
    Source(Refund.changed_at, _event_days(Refund, "refunds")),
    Source(TicketItem.changed_at, (("tickets", _days(TicketItem, Ticket.created_at, _TICKET)),)),
    Source(Order.changed_at, (
        ("sold", _days(Order, Order.placed_at)),
        # The day an order leaves when its placed_at is corrected: the day it counted under.
        ("sold", lambda: select(OrderDay.day).select_from(Order).join(
            OrderDay, OrderDay.order_id == Order.id)))),
    # An order line's category counts in the tickets that return it, whenever they were opened.
    Source(OrderItem.changed_at, (
        ("sold", _days(OrderItem, Order.placed_at, (Order, Order.id == OrderItem.order_id))),
        ("tickets", _days(OrderItem, Ticket.created_at,
                          (TicketItem, TicketItem.order_item_id == OrderItem.id), _TICKET)))),
    Source(WizardSession.changed_at, _event_days(WizardSession, "self_help", "visits")),
    Source(ContactRequest.changed_at, _event_days(ContactRequest, "self_help", "visits")),
    Source(SearchLog.changed_at, _event_days(SearchLog, "gaps", "visits")),
    Source(Vote.changed_at, _event_days(Vote, "visits", "articles")),
    Source(ArticleView.changed_at, _event_days(ArticleView, "visits", "articles")),
)


def _watermarks() -> dict[str, datetime]:
    return {row.source: row.seen_until for row in db.session.scalars(select(Watermark))}


def _changed_since(source: Source, marks: dict[str, datetime], overlap: timedelta) -> bool:
    since = marks.get(source.name)
    condition = source.marker.is_not(None) if since is None else source.marker > since - overlap
    return db.session.scalar(select(source.marker).where(condition).limit(1)) is not None


def catch_up(thorough: bool = False) -> int:
    """Recount the days whose events changed since the last look; returns how many days.

    Cheap when nothing changed since then. ``thorough`` (the background job) also looks again
    at the last ``OVERLAP``, for rows committed late.
    """
    marks = _watermarks()
    overlap = OVERLAP if thorough else timedelta(0)
    if not any(_changed_since(source, marks, overlap) for source in SOURCES):
        return 0
    with write_transaction():
        connection = db.session.connection()
        lock_rollups(connection)
        started = utcnow()
        touched = _touched_days(connection, _watermarks())
        for name, days in touched.items():
            recount = ROLLUPS[name][0]
            for start, end in day_ranges(days):
                recount(connection, start, end)
        _move_watermarks(connection, started)
    return len(set().union(*touched.values()))


def _touched_days(connection: Connection, marks: dict[str, datetime]) -> dict[str, set[date]]:
    """The days of each rollup that the rows changed since the watermarks (less OVERLAP) touch."""
    queries: dict[str, list[Any]] = {}
    for source in SOURCES:
        since = marks.get(source.name)
        condition = source.marker.is_not(None) if since is None else source.marker > since - OVERLAP
        for name, days in source.touches:
            queries.setdefault(name, []).append(days().where(condition))
    return {name: {as_date(day) for day in connection.scalars(union(*selects)) if day is not None}
            for name, selects in queries.items()}


def _move_watermarks(connection: Connection, until: datetime) -> None:
    insert = upsert_insert(connection, Watermark)
    connection.execute(insert.on_conflict_do_update(index_elements=["source"],
                                                    set_={"seen_until": insert.excluded.seen_until}),
                       [{"source": source.name, "seen_until": until} for source in SOURCES])


def rebuild(advance: Callable[[int], None] | None = None) -> dict[str, int]:
    """Recount every rollup from every event, a month of days at a time, in one transaction.

    Memory stays bounded whatever the volume: the SQL recounts aggregate in the database, the
    self-help one holds a month's rollup rows. ``advance(days)`` is told of each month done
    (``event_days`` gives the whole span beforehand, for a progress bar).
    """
    with write_transaction():
        connection = db.session.connection()
        lock_rollups(connection)
        started = utcnow()
        for _recount, models in ROLLUPS.values():
            for model in models:
                connection.execute(delete(model))
        span = event_days(connection)
        if span is not None:
            first, last = span
            start = first
            while start <= last:
                end = min(start + timedelta(days=REBUILD_DAYS), last + timedelta(days=1))
                for recount, _models in ROLLUPS.values():
                    recount(connection, start, end)
                if advance is not None:
                    advance((end - start).days)
                start = end
        _move_watermarks(connection, started)
        analyze(connection, [model.__tablename__ for _recount, models in ROLLUPS.values()
                             for model in models])
        return {model.__tablename__: int(connection.scalar(select(func.count()).select_from(model)) or 0)
                for _recount, models in ROLLUPS.values() for model in models}


def event_days(connection: Connection | None = None) -> tuple[date, date] | None:
    """The first and last UTC day of any event the rollups count (None without events)."""
    connection = connection or db.session.connection()
    columns = [Ticket.created_at, Refund.created_at, Order.placed_at, WizardSession.created_at,
               ContactRequest.created_at, SearchLog.created_at, Vote.created_at,
               ArticleView.created_at]
    firsts, lasts = [], []
    for column in columns:  # each an indexed MIN and MAX: no table is read whole
        first, last = connection.execute(select(func.min(column), func.max(column))).one()
        if first is not None:
            firsts.append(first)
            lasts.append(last)
    if not firsts:
        return None
    return min(firsts).date(), max(lasts).date()


def refresh_job(should_stop: Callable[[], bool]) -> int:
    """The background catch-up (reports catch up too: this keeps their first look short)."""
    return catch_up(thorough=True)
