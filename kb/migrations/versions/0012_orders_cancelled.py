"""Orders remember when the shop cancelled them

A shop's API or platform tells kb that an order was cancelled; the order stays on file (the
shop may still be asked about it) but the returns assistant refuses to start a return on it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kb.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shop_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shop_order", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
