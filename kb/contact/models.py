"""A shopper's question on its way to the desk: what they asked and the self-help they saw."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import Model
from kb.returns.models import WizardOutcome
from kb.types import UTCDateTime, change_marker, utcnow


class ContactRequest(Model):
    """One run through the contact form, from the question to its outcome.

    It is counted in the self-help reports like an assistant session: offered and opened
    articles, and an outcome of open, deflected (an article answered it) or ticket. The
    shopper's words are kept only until that outcome: then the ticket holds them, or nobody.
    """

    __tablename__ = "contact_request"
    __table_args__ = (Index("ix_contact_request_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    lang: Mapped[str] = mapped_column(String(5))
    email: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    order_number: Mapped[str] = mapped_column(String(40), default="")
    # Keys of the articles offered for the question, and of those the shopper opened.
    offered_json: Mapped[str] = mapped_column(Text, default="[]")
    opened_json: Mapped[str] = mapped_column(Text, default="[]")
    outcome: Mapped[str] = mapped_column(String(20), default=WizardOutcome.OPEN)
    deflected_key: Mapped[str | None] = mapped_column(String(80))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    visit_id: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stamped at every write: the insights rollups follow the rows changed since they last looked.
    changed_at: Mapped[datetime | None] = change_marker()
