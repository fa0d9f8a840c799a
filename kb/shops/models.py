"""What the shop platforms' webhooks leave behind: deliveries seen, and their orders' ids."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kb.extensions import Model
from kb.types import UTCDateTime, utcnow


class WebhookDelivery(Model):
    """One webhook delivery handled, by the platform's delivery id: a repeat is acknowledged and ignored."""

    __tablename__ = "shop_webhook_delivery"
    __table_args__ = (UniqueConstraint("platform", "delivery_id", name="uq_shop_webhook_delivery"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    delivery_id: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlatformOrder(Model):
    """A platform's own order id and the order number it maps to.

    Fulfilments and deletions name the order only by the platform's id; a fulfilment that arrives
    before its order waits here as ``delivered_at`` until the order comes.
    """

    __tablename__ = "shop_platform_order"
    __table_args__ = (UniqueConstraint("platform", "external_id", name="uq_shop_platform_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    order_number: Mapped[str | None] = mapped_column(String(40))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The platform's own time of the last order update applied: an older one arriving late is ignored.
    platform_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
