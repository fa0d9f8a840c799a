"""Articles that state the law carry a legal_review flag, kept through import and export

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 16:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("legal_review", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("legal_review")
