"""insights: change markers on the tables the rollups follow, and the rollups' watermarks

The daily rollups were kept up to date by hooks on other rooms' writes; now insights recounts
the days whose events changed (kb.insights.refresh). Each table it follows gets ``changed_at``,
stamped by its model at every insert and update, and indexed. Rows written before this
migration keep NULL: they are already counted, since the hooks kept the rollups up to date
until now, so the watermarks start at the time of the upgrade.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

FOLLOWED = ("ticket", "ticket_item", "shop_order", "order_item", "wizard_session",
            "contact_request", "search_log", "vote", "article_view")


def upgrade() -> None:
    for table in FOLLOWED:
        # Nullable and without a default: adding it does not rewrite a large table.
        op.add_column(table, sa.Column("changed_at", kb.types.UTCDateTime(timezone=True), nullable=True))
        op.create_index(f"ix_{table}_changed_at", table, ["changed_at"], unique=False)
    watermark = op.create_table(
        "insights_watermark",
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("seen_until", kb.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_insights_watermark")),
    )
    now = kb.types.utcnow()
    op.bulk_insert(watermark, [{"source": table, "seen_until": now} for table in FOLLOWED])


def downgrade() -> None:
    op.drop_table("insights_watermark")
    for table in reversed(FOLLOWED):
        op.drop_index(f"ix_{table}_changed_at", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("changed_at")
