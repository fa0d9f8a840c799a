"""The returns assistant's sessions (the orders they are about live in kb.orders)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.extensions import Model
from kb.orders.models import Order
from kb.types import UTCDateTime, change_marker, utcnow


class WizardOutcome(StrEnum):
    """How a wizard session ended."""

    OPEN = "open"
    DEFLECTED = "deflected"
    TICKET = "ticket"


class WizardSession(Model):
    """One shopper's run through the returns assistant, from lookup to outcome."""

    __tablename__ = "wizard_session"
    __table_args__ = (Index("ix_wizard_session_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), index=True)
    lang: Mapped[str] = mapped_column(String(5))
    receiptless: Mapped[bool] = mapped_column(default=False)
    # The shopper's current choice: [{"sku", "quantity", "reason", "condition"}] and a note.
    selection_json: Mapped[str] = mapped_column(Text, default="[]")
    note: Mapped[str] = mapped_column(Text, default="")
    # Keys of the articles the self-help step offered, and of those the shopper opened.
    offered_json: Mapped[str] = mapped_column(Text, default="[]")
    opened_json: Mapped[str] = mapped_column(Text, default="[]")
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(20), default=WizardOutcome.OPEN)
    deflected_key: Mapped[str | None] = mapped_column(String(80))
    visit_id: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stamped at every write: the insights rollups follow the rows changed since they last looked.
    changed_at: Mapped[datetime | None] = change_marker()

    order: Mapped[Order] = relationship()
