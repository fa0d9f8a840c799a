"""Tickets remember which size or colour an exchange asks for

An exchange used to reach the desk without saying what the shopper wanted instead. Until the
product catalogue lists each product's variants, the shopper writes it in a few words; the
column stays a short text so that a variant chosen from the catalogue can fill it later.

Revision ID: 0010
Revises: 0008 (main's head when merged; the lead re-chains)
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exchange_variant", sa.String(length=120), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_column("exchange_variant")
