"""The shop's products and their variants (size, colour…), for offering exchanges."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.extensions import Model
from kb.types import UTCDateTime, utcnow


class Product(Model):
    """One product of the shop, by the shop's own id."""

    __tablename__ = "catalogue_product"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    product_type: Mapped[str] = mapped_column(String(80), default="")
    vendor: Mapped[str] = mapped_column(String(120), default="")
    # The option names in order, e.g. ["Size", "Colour"], as a JSON list.
    options_json: Mapped[str] = mapped_column(Text, default="[]")
    # The shop's tags for the product, as a JSON list: order lines without tags of their own
    # take them, so that the policy's mapping rules by tag can match them.
    tags_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product", order_by="ProductVariant.position", cascade="all, delete-orphan"
    )

    @property
    def tags(self) -> list[str]:
        """The shop's tags for the product."""
        return list(json.loads(self.tags_json or "[]"))


class ProductVariant(Model):
    """One buyable variant of a product; ``sku`` is what order lines name."""

    __tablename__ = "catalogue_variant"
    __table_args__ = (UniqueConstraint("product_id", "external_id", name="uq_catalogue_variant_external"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("catalogue_product.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(120))
    # The variant's value for each option, e.g. {"Size": "M", "Colour": "Blue"}, as a JSON object.
    options_json: Mapped[str] = mapped_column(Text, default="{}")
    # None: the shop does not count this variant's stock (it is always offered).
    stock: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="variants")
