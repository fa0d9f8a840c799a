"""Article page views, and the indexes the insights reports need on other rooms' tables."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, FromClause, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from kb.articles.models import Vote
from kb.extensions import Model
from kb.orders.models import Order, OrderItem
from kb.returns.models import WizardSession
from kb.search.models import SearchLog
from kb.tickets.models import Refund, Ticket, TicketItem
from kb.types import Money, UTCDateTime, change_marker, utcnow


class ArticleView(Model):
    """One reader opening one published article (no personal data: the random visit id)."""

    __tablename__ = "article_view"
    # Reports count a period's views by article.
    __table_args__ = (Index("ix_article_view_created", "created_at", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    visit_id: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime | None] = change_marker()


class HelpVisitDay(Model):
    """A help-centre visit seen on a day in a language: one row however many events it had.

    Follows the searches, article views, votes, questions and assistant sessions recorded
    (kb.insights.rollup), so that counting a period's distinct visits reads one row per visit
    and day instead of every event.
    """

    __tablename__ = "help_visit_day"
    # Long periods count the visits in visit order, without sorting the year's rows.
    __table_args__ = (Index("ix_help_visit_day_visit", "visit_id", "day", "lang"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    visit_id: Mapped[str] = mapped_column(String(40), primary_key=True)


def _covering(name: str, table: FromClause, *columns: str, **options: Any) -> Index:
    """An index on another room's table that starts with the period's column and holds every
    column a report reads, so that the report never visits the table's rows."""
    return Index(name, *(table.c[c] for c in columns), **options)


# The reports read every table by period. These indexes live here, next to the queries that
# need them, rather than in the rooms that own the tables (migration 0002 creates them). The
# bench (python -m bench.insights_bench) shows what each one is for.
REPORT_INDEXES = (
    _covering("ix_ticket_report", Ticket.__table__, "created_at", "lang", "status", "reason",
              "channel", "resolution", "currency", "email"),
    _covering("ix_ticket_item_report", TicketItem.__table__, "ticket_id", "order_item_id", "sku",
              "quantity", "value"),
    _covering("ix_shop_order_placed", Order.__table__, "placed_at"),
    _covering("ix_order_item_sales", OrderItem.__table__, "order_id", "sku", "quantity"),
    # A name for each SKU of a list (the products and return-rates tables).
    _covering("ix_order_item_sku_name", OrderItem.__table__, "sku", "name"),
    _covering("ix_refund_created", Refund.__table__, "created_at"),
    _covering("ix_wizard_session_report", WizardSession.__table__, "created_at", "lang",
              "outcome", "last_seen_at"),
    # The sessions of one outcome in a period (articles before a deflection or a ticket).
    _covering("ix_wizard_session_outcome", WizardSession.__table__, "outcome", "created_at"),
    # Partial indexes: only the searches each knowledge-gap list reads. The queries repeat
    # these conditions word for word (SQLite matches them as text, not as values).
    _covering("ix_search_log_no_results", SearchLog.__table__, "created_at", "lang",
              "normalized", sqlite_where=text("results = 0"),
              postgresql_where=text("results = 0")),
    _covering("ix_search_log_not_opened", SearchLog.__table__, "created_at", "lang",
              "normalized", sqlite_where=text("results > 0 AND clicked_key IS NULL"),
              postgresql_where=text("results > 0 AND clicked_key IS NULL")),
    _covering("ix_vote_created", Vote.__table__, "created_at", "article_id", "helpful"),
)


# Daily rollups (kb.insights.daily, daily_returns, rollup): one row per day and dimensions,
# recounted from the events by kb.insights.refresh, so that a year's report reads a few
# thousand rows instead of a million.


class TicketDay(Model):
    """Tickets opened per UTC day, language, reason and channel."""

    __tablename__ = "insights_ticket_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    reason: Mapped[str] = mapped_column(String(30), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)


class WizardDay(Model):
    """Wizard sessions started per UTC day, language, first reason and outcome so far."""

    __tablename__ = "insights_wizard_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    reason: Mapped[str] = mapped_column(String(30), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)


class WizardArticleDay(Model):
    """Sessions started per UTC day and language that count for an article in a list.

    ``kind`` is "deflected" (the article solved the session), "ticket" (offered or opened in a
    session that ended with a ticket) or "ticket_opened" (opened in such a session).
    """

    __tablename__ = "insights_wizard_article_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)


class SearchGapDay(Model):
    """Searches per UTC day, language and normalized query that found nothing ("none") or
    whose results nobody opened ("unopened"), with the last time one was made."""

    __tablename__ = "insights_search_gap_day"
    # Long periods read each query's days in order, without sorting the year's rows.
    __table_args__ = (Index("ix_insights_search_gap_query", "kind", "normalized", "lang", "day",
                            "searches", "last_seen"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    normalized: Mapped[str] = mapped_column(String(200), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


class SearchGapMonth(Model):
    """``insights_search_gap_day``'s searches summed by calendar month (kb.insights.months)."""

    __tablename__ = "insights_search_gap_month"
    # A long period counts some queries' searches: their months in order.
    __table_args__ = (Index("ix_insights_search_gap_month_query", "kind", "normalized", "lang",
                            "month", "searches"),)

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    normalized: Mapped[str] = mapped_column(String(200), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0)


class SearchGapTotal(Model):
    """Each unanswered query's searches over every day ``insights_search_gap_day`` holds.

    Never less than its searches in any period: a long period's top list reads the queries in
    the order of these totals and stops once no query left can reach it
    (kb.insights.gap_queries).
    """

    __tablename__ = "insights_search_gap_total"
    __table_args__ = (Index("ix_insights_search_gap_total_rank", "kind", "searches"),)

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    normalized: Mapped[str] = mapped_column(String(200), primary_key=True)
    searches: Mapped[int] = mapped_column(Integer, default=0)


# Open sessions that were seen in the last hour are not abandoned yet (kb.insights.help_queries).
OPEN_SESSIONS_INDEX = Index("ix_wizard_session_open_seen", WizardSession.__table__.c.outcome,
                            WizardSession.__table__.c.last_seen_at)


class TicketCategoryDay(Model):
    """Tickets (and their returned units) per UTC day, language and category of their items."""

    __tablename__ = "insights_ticket_category_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)


class TicketSkuDay(Model):
    """Tickets (and their returned units) per UTC day, language, SKU and whether declined."""

    __tablename__ = "insights_ticket_sku_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    declined: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)


class TicketSkuMonth(Model):
    """``insights_ticket_sku_day`` summed by calendar month: a long period reads its whole
    months here and only its first and last partial months by day (kb.insights.months)."""

    __tablename__ = "insights_ticket_sku_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    declined: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)


class SoldMonth(Model):
    """``insights_sold_day`` summed by calendar month (kb.insights.months)."""

    __tablename__ = "insights_sold_month"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)


class SoldDay(Model):
    """Units sold per UTC day (of the order) and SKU; ``lines`` counts the order lines."""

    __tablename__ = "insights_sold_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    lines: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)


class Watermark(Model):
    """How far the rollups have followed one event table: its rows changed before ``seen_until``
    are counted (kb.insights.refresh)."""

    __tablename__ = "insights_watermark"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    seen_until: Mapped[datetime] = mapped_column(UTCDateTime)


class OrderDay(Model):
    """The UTC day each order's lines count under in ``insights_sold_day``.

    An order whose ``placed_at`` is corrected moves to another day: this is how a recount
    finds the day it leaves (kb.insights.refresh).
    """

    __tablename__ = "insights_order_day"

    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"),
                                          primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date)


class TicketValueDay(Model):
    """The value of returned items per UTC day, language and currency (declined tickets
    aside), and of those kept as an exchange or store credit."""

    __tablename__ = "insights_ticket_value_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    returned: Mapped[Decimal] = mapped_column(Money)
    kept: Mapped[Decimal] = mapped_column(Money)


class RefundDay(Model):
    """Confirmed refunds per UTC day (of the refund), language (of its ticket) and currency:
    the refunds and guarantee claims, what each paid, and the goodwill on top."""

    __tablename__ = "insights_refund_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    refunds: Mapped[int] = mapped_column(Integer, default=0)
    refunded: Mapped[Decimal] = mapped_column(Money)
    goodwill: Mapped[Decimal] = mapped_column(Money)
    claims: Mapped[int] = mapped_column(Integer, default=0)
    guarantee_paid: Mapped[Decimal] = mapped_column(Money)


class ArticleDay(Model):
    """Views, and helpful and unhelpful votes, per UTC day and article."""

    __tablename__ = "insights_article_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False)
    views: Mapped[int] = mapped_column(Integer, default=0)
    yes: Mapped[int] = mapped_column(Integer, default=0)
    no: Mapped[int] = mapped_column(Integer, default=0)


# Distinct visits and shoppers over any period, from additive daily figures
# (kb.insights.distinct): a period's distinct count is the keys first seen on its days, plus the
# keys seen again on its days whose previous day falls before the period.


class ShopperDay(Model):
    """A shopper (their lower-cased e-mail) who opened a ticket on a UTC day in a language."""

    __tablename__ = "insights_shopper_day"
    # The earlier and later days of one shopper (kb.insights.distinct).
    __table_args__ = (Index("ix_insights_shopper_day_email", "email", "day", "lang"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(5), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), primary_key=True)


class FirstSeenDay(Model):
    """How many visits or shoppers (``kind``) were seen for the first time on a UTC day, in a
    language or in any of them (``scope`` "*")."""

    __tablename__ = "insights_first_seen_day"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(String(5), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class SeenAgain(Model):
    """A visit or shopper seen on a UTC day after an earlier one (``previous``, the last
    before it), in a language or in any of them (``scope`` "*")."""

    __tablename__ = "insights_seen_again"
    # A long period reads the few rows whose previous day falls before it; a recount, the
    # rows whose previous day it recounts.
    __table_args__ = (Index("ix_insights_seen_again_previous", "kind", "previous", "day", "scope"),)

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(String(5), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(254), primary_key=True)
    previous: Mapped[date] = mapped_column(Date)
