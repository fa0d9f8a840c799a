"""Give each logged search a random click token, carried by its result links

Searches are now written in batches, after their results are shown, so the links cannot carry
the row id; a random token also cannot be guessed to mark other searches as opened.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=24), nullable=True))
        batch_op.create_index("ix_search_log_token", ["token"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("search_log", schema=None) as batch_op:
        batch_op.drop_index("ix_search_log_token")
        batch_op.drop_column("token")
