"""Article page views, and the indexes the insights reports need on other rooms' tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kb.articles.models import Vote
from kb.extensions import db
from kb.returns.models import Order, WizardSession
from kb.search.models import SearchLog
from kb.tickets.models import Refund, Ticket
from kb.types import UTCDateTime, utcnow


class ArticleView(db.Model):
    """One reader opening one published article (no personal data: the random visit id)."""

    __tablename__ = "article_view"
    __table_args__ = (
        Index("ix_article_view_created", "created_at", "visit_id"),
        Index("ix_article_view_article_created", "article_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("article.id", ondelete="CASCADE"))
    visit_id: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The reports read every table by period. These indexes live here, next to the queries that
# need them, rather than in the rooms that own the tables; the migration 0002 creates them.
REPORT_INDEXES = (
    # Sold quantities per SKU of the orders placed in a period.
    Index("ix_shop_order_placed", Order.__table__.c.placed_at),
    # Refunds paid in a period, per currency.
    Index("ix_refund_created", Refund.__table__.c.created_at),
    # Votes of a period (the existing index starts with the article).
    Index("ix_vote_created", Vote.__table__.c.created_at),
    # Tickets of a period and language, read without touching the table.
    Index(
        "ix_ticket_created_lang",
        Ticket.__table__.c.created_at,
        Ticket.__table__.c.lang,
    ),
    # Distinct visits of a period, read from the index alone.
    Index(
        "ix_search_log_created_visit",
        SearchLog.__table__.c.created_at,
        SearchLog.__table__.c.visit_id,
    ),
    Index(
        "ix_wizard_session_created_visit",
        WizardSession.__table__.c.created_at,
        WizardSession.__table__.c.visit_id,
    ),
)
