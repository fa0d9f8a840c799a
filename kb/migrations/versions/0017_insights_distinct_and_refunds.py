"""insights: distinct visits and shoppers from first-seen counts, refunds by language, gap totals

A year's distinct visits were counted from one row per visit and day (millions at volume), and
the distinct shoppers from every ticket. Now each visit or shopper counts on the first day of a
period it was seen (kb.insights.distinct): ``insights_first_seen_day`` holds how many were seen
for the first time each day, ``insights_seen_again`` the few seen again after an earlier day,
with that day; ``insights_shopper_day`` notes each shopper once a day and language. Money in one
language joined every refund with its ticket: ``insights_refund_day`` files the confirmed
refunds under their ticket's language, and ``refund`` gets the change marker the rollups follow.
A long period's knowledge gaps grouped every unanswered query's rows of every day: each query's
total over every day (``insights_search_gap_total``) lets the list count only the queries that
can enter it. A long period's products and return rates read the SKU rollups' whole months from
``insights_ticket_sku_month`` and ``insights_sold_month``, and gaps count their queries' whole
months from ``insights_search_gap_month``. All are filled here from what the rollups and events hold.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("refund", sa.Column("changed_at", kb.types.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_refund_changed_at", "refund", ["changed_at"], unique=False)
    _create_tables()
    op.execute(f"""
        INSERT INTO insights_shopper_day (day, lang, email)
        SELECT DISTINCT {_day('created_at')}, lang, lower(email) FROM ticket""")
    for kind, table, key in (("visit", "help_visit_day", "visit_id"),
                             ("shopper", "insights_shopper_day", "email")):
        _fill_first_seen(kind, table, key)
    op.execute(f"""
        INSERT INTO insights_refund_day (day, lang, currency, refunds, refunded, goodwill, claims,
                                         guarantee_paid)
        SELECT {_day('r.created_at')}, t.lang, r.currency,
               count(CASE WHEN NOT r.guarantee THEN r.id END),
               sum(CASE WHEN NOT r.guarantee THEN r.amount ELSE 0 END), sum(r.goodwill),
               count(CASE WHEN r.guarantee THEN r.id END),
               sum(CASE WHEN r.guarantee THEN r.amount ELSE 0 END)
        FROM refund r JOIN ticket t ON t.id = r.ticket_id
        WHERE r.status = 'confirmed'
        GROUP BY {_day('r.created_at')}, t.lang, r.currency""")
    month = ("CAST(date_trunc('month', day) AS date)" if op.get_bind().dialect.name == "postgresql"
             else "date(day, 'start of month')")
    op.execute(f"""
        INSERT INTO insights_ticket_sku_month (month, lang, sku, declined, tickets, units)
        SELECT {month}, lang, sku, declined, sum(tickets), sum(units) FROM insights_ticket_sku_day
        GROUP BY {month}, lang, sku, declined""")
    op.execute(f"""
        INSERT INTO insights_sold_month (month, sku, lines, units)
        SELECT {month}, sku, sum(lines), sum(units) FROM insights_sold_day GROUP BY {month}, sku""")
    op.execute(f"""
        INSERT INTO insights_search_gap_month (month, kind, lang, normalized, searches)
        SELECT {month}, kind, lang, normalized, sum(searches) FROM insights_search_gap_day
        GROUP BY {month}, kind, lang, normalized""")
    op.execute("""
        INSERT INTO insights_search_gap_total (kind, lang, normalized, searches)
        SELECT kind, lang, normalized, sum(searches) FROM insights_search_gap_day
        GROUP BY kind, lang, normalized""")


def _day(column: str) -> str:
    """The UTC day of a timestamp column, as kb.insights.sql.day_of writes it."""
    if op.get_bind().dialect.name == "postgresql":
        return f"CAST(timezone('UTC', {column}) AS date)"
    return f"date({column})"


def _create_tables() -> None:
    op.create_table(
        "insights_shopper_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.PrimaryKeyConstraint("day", "lang", "email", name=op.f("pk_insights_shopper_day")),
    )
    op.create_index("ix_insights_shopper_day_email", "insights_shopper_day", ["email", "day", "lang"])
    op.create_table(
        "insights_first_seen_day",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "scope", "day", name=op.f("pk_insights_first_seen_day")),
    )
    op.create_table(
        "insights_seen_again",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=5), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=254), nullable=False),
        sa.Column("previous", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "scope", "day", "key", name=op.f("pk_insights_seen_again")),
    )
    op.create_index("ix_insights_seen_again_previous", "insights_seen_again",
                    ["kind", "previous", "day", "scope"])
    op.create_table(
        "insights_refund_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("refunds", sa.Integer(), nullable=False),
        sa.Column("refunded", kb.types.Money(), nullable=False),
        sa.Column("goodwill", kb.types.Money(), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("guarantee_paid", kb.types.Money(), nullable=False),
        sa.PrimaryKeyConstraint("day", "lang", "currency", name=op.f("pk_insights_refund_day")),
    )
    op.create_table(
        "insights_search_gap_total",
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("normalized", sa.String(length=200), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "lang", "normalized", name=op.f("pk_insights_search_gap_total")),
    )
    op.create_table(
        "insights_ticket_sku_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("declined", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "lang", "sku", "declined", name=op.f("pk_insights_ticket_sku_month")),
    )
    op.create_table(
        "insights_sold_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "sku", name=op.f("pk_insights_sold_month")),
    )
    op.create_table(
        "insights_search_gap_month",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("normalized", sa.String(length=200), nullable=False),
        sa.Column("searches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "kind", "lang", "normalized", name=op.f("pk_insights_search_gap_month")),
    )
    op.create_index("ix_insights_search_gap_month_query", "insights_search_gap_month",
                    ["kind", "normalized", "lang", "month", "searches"])
    op.create_index("ix_insights_search_gap_total_rank", "insights_search_gap_total", ["kind", "searches"])


def _fill_first_seen(kind: str, table: str, key: str) -> None:
    """Each key's days with the previous one (in its language, and in any: scope "*")."""
    in_language = (f"SELECT lang AS scope, day, {key} AS key, "
                   f"lag(day) OVER (PARTITION BY {key}, lang ORDER BY day) AS previous FROM {table}")
    in_any = (f"SELECT '*' AS scope, day, {key} AS key, "
              f"lag(day) OVER (PARTITION BY {key} ORDER BY day) AS previous "
              f"FROM (SELECT DISTINCT day, {key} FROM {table}) days")
    for days in (in_language, in_any):
        op.execute(f"""
            INSERT INTO insights_seen_again (kind, scope, day, key, previous)
            SELECT '{kind}', scope, day, key, previous FROM ({days}) seen WHERE previous IS NOT NULL""")
        op.execute(f"""
            INSERT INTO insights_first_seen_day (kind, scope, day, count)
            SELECT '{kind}', scope, day, count(*) FROM ({days}) seen WHERE previous IS NULL
            GROUP BY scope, day""")


def downgrade() -> None:
    op.drop_index("ix_insights_search_gap_month_query", table_name="insights_search_gap_month")
    op.drop_table("insights_search_gap_month")
    op.drop_table("insights_sold_month")
    op.drop_table("insights_ticket_sku_month")
    op.drop_index("ix_insights_search_gap_total_rank", table_name="insights_search_gap_total")
    op.drop_table("insights_search_gap_total")
    op.drop_table("insights_refund_day")
    op.drop_index("ix_insights_seen_again_previous", table_name="insights_seen_again")
    op.drop_table("insights_seen_again")
    op.drop_table("insights_first_seen_day")
    op.drop_index("ix_insights_shopper_day_email", table_name="insights_shopper_day")
    op.drop_table("insights_shopper_day")
    with op.batch_alter_table("refund") as batch_op:
        batch_op.drop_index("ix_refund_changed_at")
        batch_op.drop_column("changed_at")
