"""Catalogue products keep the shop's tags

Shopify and WooCommerce order lines carry no tags; the catalogue product of a line lends it its
tags (as it lends its product type and vendor), so that the policy's mapping rules by tag match.
Products stored before have no tags until the shop sends them again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("catalogue_product", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags_json", sa.Text(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_product", schema=None) as batch_op:
        batch_op.drop_column("tags_json")
