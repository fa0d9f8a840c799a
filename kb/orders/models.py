"""The shop's orders, as they arrive from its systems, and their items."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.extensions import Model
from kb.types import Money, UTCDateTime, change_marker, utcnow

CURRENCIES = ("EUR", "GBP", "USD")


class Source(StrEnum):
    """Where an item's category (or final sale) came from."""

    ORDER = "order"  # the order data said so: never re-mapped
    RULE = "rule"  # a catalogue mapping rule of the policy matched
    DEFAULT = "default"  # no rule matched: the policy's default category, not final sale


class Order(Model):
    """One order of the shop."""

    __tablename__ = "shop_order"
    __table_args__ = (Index("ix_shop_order_email", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A cancelled order stays on file (the shop may still ask about it) but cannot be returned.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))
    seller: Mapped[str | None] = mapped_column(String(120))
    store: Mapped[str | None] = mapped_column(String(40))
    transaction_id: Mapped[str | None] = mapped_column(String(80), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    shipping: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Stamped at every write: the insights rollups follow the rows changed since they last looked.
    changed_at: Mapped[datetime | None] = change_marker()

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


class OrderItem(Model):
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
    # The shop's own words for the product, kept so that the mapping can be applied again.
    product_type: Mapped[str | None] = mapped_column(String(200))
    tags_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    vendor: Mapped[str | None] = mapped_column(String(200))
    # Items stored before these columns existed count as given by the order: never re-mapped.
    category_source: Mapped[str] = mapped_column(String(10), default=Source.ORDER,
                                                 server_default=Source.ORDER.value)
    final_sale_source: Mapped[str] = mapped_column(String(10), default=Source.ORDER,
                                                   server_default=Source.ORDER.value)
    # Stamped at every write: the insights rollups follow the rows changed since they last looked.
    changed_at: Mapped[datetime | None] = change_marker()

    order: Mapped[Order] = relationship(back_populates="items")

    @property
    def tags(self) -> list[str]:
        """The shop's tags for the product."""
        return list(json.loads(self.tags_json or "[]"))
