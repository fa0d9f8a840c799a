"""The shop's orders, as imported from its systems, and their items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.extensions import db
from kb.types import Money, UTCDateTime, utcnow

CURRENCIES = ("EUR", "GBP", "USD")


class Order(db.Model):
    """One order of the shop."""

    __tablename__ = "shop_order"
    __table_args__ = (Index("ix_shop_order_email", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))
    seller: Mapped[str | None] = mapped_column(String(120))
    store: Mapped[str | None] = mapped_column(String(40))
    transaction_id: Mapped[str | None] = mapped_column(String(80), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    shipping: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    # Set when the shop cancels the order (its platform says so): nothing on it can be returned.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )

    @property
    def items_total(self) -> Decimal:
        """What was paid for the items, shipping excluded."""
        return sum((i.unit_price * i.quantity for i in self.items), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        """What was paid in all: items plus shipping."""
        return self.items_total + self.shipping


class OrderItem(db.Model):
    """One line of an order (a SKU appears once per order)."""

    __tablename__ = "order_item"
    __table_args__ = (UniqueConstraint("order_id", "sku", name="uq_order_item_order_sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    final_sale: Mapped[bool] = mapped_column(default=False)

    order: Mapped[Order] = relationship(back_populates="items")


class WizardOutcome(StrEnum):
    """How a wizard session ended."""

    OPEN = "open"
    DEFLECTED = "deflected"
    TICKET = "ticket"


class WizardSession(db.Model):
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

    order: Mapped[Order] = relationship()
