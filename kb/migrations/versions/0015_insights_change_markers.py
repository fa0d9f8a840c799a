"""insights: change markers on the tables the rollups follow, watermarks, three more rollups

The daily rollups were kept up to date by hooks on other rooms' writes; now insights recounts
the days whose events changed (kb.insights.refresh). Each table it follows gets ``changed_at``,
stamped by its model at every insert and update, and indexed. Rows written before this
migration keep NULL: they are already counted, since the hooks kept the rollups up to date
until now, so the watermarks start at the time of the upgrade. ``insights_order_day`` notes the
day each order's lines count under, so that an order whose placed_at is corrected leaves it.
Returned values and article views and votes get daily rollups (a year of raw rows was too many
to read for a report), filled here from the events; order lines get an index by SKU and name.

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
    op.create_table(
        "insights_order_day",
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["shop_order.id"], ondelete="CASCADE",
                                name=op.f("fk_insights_order_day_order_id_shop_order")),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_insights_order_day")),
    )
    op.execute(f"INSERT INTO insights_order_day (order_id, day) SELECT id, {_day('placed_at')} FROM shop_order")
    op.create_index("ix_order_item_sku_name", "order_item", ["sku", "name"], unique=False)
    _value_and_article_days()


def _day(column: str) -> str:
    """The UTC day of a timestamp column, as kb.insights.sql.day_of writes it."""
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(timezone('UTC', {column}) AS date)"
    return f"date({column})"


def _value_and_article_days() -> None:
    op.create_table(
        "insights_ticket_value_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("returned", kb.types.Money(), nullable=False),
        sa.Column("kept", kb.types.Money(), nullable=False),
        sa.PrimaryKeyConstraint("day", "lang", "currency", name=op.f("pk_insights_ticket_value_day")),
    )
    op.create_table(
        "insights_article_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("article_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("yes", sa.Integer(), nullable=False),
        sa.Column("no", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["article.id"], ondelete="CASCADE",
                                name=op.f("fk_insights_article_day_article_id_article")),
        sa.PrimaryKeyConstraint("day", "article_id", name=op.f("pk_insights_article_day")),
    )
    op.execute(f"""
        INSERT INTO insights_ticket_value_day (day, lang, currency, returned, kept)
        SELECT {_day('t.created_at')}, t.lang, t.currency, sum(i.value),
               sum(CASE WHEN t.resolution IN ('exchange', 'store_credit') THEN i.value ELSE 0 END)
        FROM ticket t JOIN ticket_item i ON i.ticket_id = t.id
        WHERE t.kind <> 'question' AND t.status <> 'declined'
        GROUP BY {_day('t.created_at')}, t.lang, t.currency""")
    op.execute(f"""
        INSERT INTO insights_article_day (day, article_id, views, "yes", "no")
        SELECT day, article_id, sum(views), sum("yes"), sum("no") FROM (
            SELECT {_day('created_at')} AS day, article_id, 1 AS views, 0 AS "yes", 0 AS "no"
            FROM article_view
            UNION ALL
            SELECT {_day('created_at')}, article_id, 0, CASE WHEN helpful THEN 1 ELSE 0 END,
                   CASE WHEN helpful THEN 0 ELSE 1 END
            FROM vote) events
        GROUP BY day, article_id""")


def downgrade() -> None:
    op.drop_table("insights_article_day")
    op.drop_table("insights_ticket_value_day")
    op.drop_index("ix_order_item_sku_name", table_name="order_item")
    op.drop_table("insights_order_day")
    op.drop_table("insights_watermark")
    for table in reversed(FOLLOWED):
        op.drop_index(f"ix_{table}_changed_at", table_name=table)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("changed_at")
