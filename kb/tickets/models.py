"""Tickets (returns, and questions from the contact form): what the shopper asked, what the
policy said, and everything since."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.extensions import Model
from kb.types import Money, UTCDateTime, change_marker, utcnow


class TicketStatus(StrEnum):
    """The states of the one ticket state machine (see kb.tickets.states)."""

    NEEDS_REVIEW = "needs_review"
    APPROVED = "approved"
    RECEIVED = "received"
    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    REPAIRED = "repaired"
    CLOSED = "closed"
    DECLINED = "declined"


class RefundStatus(StrEnum):
    """A refund is confirmed at once, or waits above the threshold for a second agent."""

    CONFIRMED = "confirmed"
    PENDING_CONFIRMATION = "pending_confirmation"


class TicketKind(StrEnum):
    """What a ticket is about: a return (the assistant's) or a question (the contact form's)."""

    RETURN = "return"
    QUESTION = "question"


class Ticket(Model):
    """One request to the desk: a return opened by the assistant, or a shopper's question.

    A question has no items, refunds or estimate, and its order is optional.
    """

    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_status_created", "status", "created_at"),
        Index("ix_ticket_created", "created_at"),
        # A new return counts the shopper's returns of the last year, under the write lock.
        Index("ix_ticket_email_created", "email", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The status token is an HMAC of the reference and this salt under the secret key, so that
    # later e-mails and idempotent retries can show the link again; only its hash is compared.
    token_salt: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default=TicketKind.RETURN,
                                      server_default=TicketKind.RETURN.value)
    # A question names its order only when the number matched the shopper's e-mail.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("wizard_session.id"))
    lang: Mapped[str] = mapped_column(String(5))
    email: Mapped[str] = mapped_column(String(254))
    reason: Mapped[str] = mapped_column(String(30))  # the first line's reason, for filters
    channel: Mapped[str] = mapped_column(String(20))
    resolution: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    store_code: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(200), default="", server_default="")
    exception: Mapped[bool] = mapped_column(default=False)
    receiptless: Mapped[bool] = mapped_column(default=False)
    review_reasons_json: Mapped[str] = mapped_column(Text, default="[]")
    # For an exchange: the size or colour the shopper wants instead, in their words (later, the
    # label of a variant picked from the catalogue). Empty for other resolutions.
    exchange_variant: Mapped[str] = mapped_column(String(120), default="", server_default="")
    policy_version: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    estimate_items: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    estimate_fee: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    estimate_deduction: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    estimate_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    idempotency_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decline_reason: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Stamped at every write: the insights rollups follow the rows changed since they last looked.
    changed_at: Mapped[datetime | None] = change_marker()

    items: Mapped[list[TicketItem]] = relationship(
        back_populates="ticket", order_by="TicketItem.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[Refund]] = relationship(
        back_populates="ticket", order_by="Refund.id", cascade="all, delete-orphan"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="ticket", order_by="Attachment.id"
    )

    @property
    def is_question(self) -> bool:
        """Whether this ticket is a question from the contact form (not a return)."""
        return self.kind == TicketKind.QUESTION

    @property
    def review_reasons(self) -> list[str]:
        """Why the ticket needs an agent (exception, guarantee, abuse rules…)."""
        return list(json.loads(self.review_reasons_json or "[]"))


class TicketItem(Model):
    """One order line in a ticket, with the quantity it reserves and the decision made."""

    __tablename__ = "ticket_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_item.id"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int]
    reason: Mapped[str] = mapped_column(String(30))
    condition: Mapped[str] = mapped_column(String(20))
    eligible: Mapped[bool]
    not_eligible_reason: Mapped[str | None] = mapped_column(String(30))
    window_ends: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[Decimal] = mapped_column(Money)
    # Released when the ticket is declined, so the item can be returned again.
    reserved: Mapped[bool] = mapped_column(default=True)
    condition_received: Mapped[str | None] = mapped_column(String(20))
    # Stamped at every write: the insights rollups follow the rows changed since they last looked.
    changed_at: Mapped[datetime | None] = change_marker()

    ticket: Mapped[Ticket] = relationship(back_populates="items")


class TicketEvent(Model):
    """One entry of a ticket's history: who did what, and when."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(200))
    # Shown on the shopper's status page (replies, approvals) or staff only (notes).
    public: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str] = mapped_column(Text, default="")
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    @property
    def data(self) -> dict[str, Any]:
        """Structured details of the event."""
        return dict(json.loads(self.data_json or "{}"))


class Refund(Model):
    """Money given back on a ticket: the items' amount and any goodwill on top."""

    __tablename__ = "refund"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money)
    goodwill: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    method: Mapped[str] = mapped_column(String(20))
    guarantee: Mapped[bool] = mapped_column(default=False)
    # Above the second-approval threshold a refund waits for another agent's confirmation.
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.CONFIRMED)
    created_by: Mapped[str] = mapped_column(String(200))
    # Who made it ("user:12", "token:3"): the second approval must come from someone else.
    created_by_key: Mapped[str | None] = mapped_column(String(60))
    confirmed_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The insights rollups follow refunds (a pending one counts once confirmed).
    changed_at: Mapped[datetime | None] = change_marker()

    ticket: Mapped[Ticket] = relationship(back_populates="refunds")


class Attachment(Model):
    """A shopper's photo, re-encoded, stored outside the web root, shown to staff only."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("wizard_session.id"), index=True)
    filename: Mapped[str] = mapped_column(String(80))
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket | None] = relationship(back_populates="attachments")
