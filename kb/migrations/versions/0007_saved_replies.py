"""Saved replies: the canned answers admins keep per language for agents to insert

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_reply",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", kb.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_reply")),
    )
    with op.batch_alter_table("saved_reply", schema=None) as batch_op:
        batch_op.create_index("ix_saved_reply_lang_title", ["lang", "title"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("saved_reply", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_reply_lang_title")
    op.drop_table("saved_reply")
