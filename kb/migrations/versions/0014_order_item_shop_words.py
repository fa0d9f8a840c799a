"""The shop's own words on order items, where their category came from, and platform update times

Order items keep the product type, tags and vendor the shop sent, and whether their category
and final sale were given by the order, set by a catalogue mapping rule or left to the default,
so that ``kb orders remap`` can apply changed rules again and the desk can list what no rule maps.
Items already stored count as given by the order (they are never re-mapped).
A platform order link keeps the platform's ``updated_at`` of the last update applied, so that an
older update delivered late does not overwrite a newer one.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kb.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product_type", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("tags_json", sa.Text(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("vendor", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("category_source", sa.String(length=10), server_default="order",
                                      nullable=False))
        batch_op.add_column(sa.Column("final_sale_source", sa.String(length=10), server_default="order",
                                      nullable=False))
    with op.batch_alter_table("shop_platform_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_updated_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shop_platform_order", schema=None) as batch_op:
        batch_op.drop_column("platform_updated_at")
    with op.batch_alter_table("order_item", schema=None) as batch_op:
        batch_op.drop_column("final_sale_source")
        batch_op.drop_column("category_source")
        batch_op.drop_column("vendor")
        batch_op.drop_column("tags_json")
        batch_op.drop_column("product_type")
