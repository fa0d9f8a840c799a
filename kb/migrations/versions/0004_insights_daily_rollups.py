"""insights: daily rollups of tickets, items, units sold, wizard sessions and unanswered searches

The rollups are filled here from the events already recorded, by this migration's own reading of
the tables as they are at this revision (a migration never imports the application, whose models
move on), and indexes find the open wizard sessions
seen in the last hour (those not yet abandoned) and let long periods read the visits and
unanswered searches in order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 20:45:00
"""

from __future__ import annotations

import collections
import datetime
import json

import sqlalchemy as sa
from alembic import op

import kb.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    ticket_day = op.create_table('insights_ticket_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'reason', 'channel', name=op.f('pk_insights_ticket_day'))
    )
    wizard_day = op.create_table('insights_wizard_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'reason', 'outcome', name=op.f('pk_insights_wizard_day'))
    )
    wizard_article_day = op.create_table('insights_wizard_article_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'kind', 'key', name=op.f('pk_insights_wizard_article_day'))
    )
    search_gap_day = op.create_table('insights_search_gap_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('normalized', sa.String(length=200), nullable=False),
    sa.Column('searches', sa.Integer(), nullable=False),
    sa.Column('last_seen', kb.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'kind', 'normalized', name=op.f('pk_insights_search_gap_day'))
    )
    ticket_category_day = op.create_table('insights_ticket_category_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'category', name=op.f('pk_insights_ticket_category_day'))
    )
    ticket_sku_day = op.create_table('insights_ticket_sku_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('declined', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'sku', 'declined', name=op.f('pk_insights_ticket_sku_day'))
    )
    sold_day = op.create_table('insights_sold_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'sku', name=op.f('pk_insights_sold_day'))
    )
    with op.batch_alter_table('insights_search_gap_day', schema=None) as batch_op:
        batch_op.create_index('ix_insights_search_gap_query', ['kind', 'normalized', 'lang', 'day', 'searches', 'last_seen'], unique=False)
    with op.batch_alter_table('help_visit_day', schema=None) as batch_op:
        batch_op.create_index('ix_help_visit_day_visit', ['visit_id', 'day', 'lang'], unique=False)
    with op.batch_alter_table('wizard_session', schema=None) as batch_op:
        batch_op.create_index('ix_wizard_session_open_seen', ['outcome', 'last_seen_at'], unique=False)

    _fill(op.get_bind(), {"ticket_day": ticket_day, "wizard_day": wizard_day,
                          "wizard_article_day": wizard_article_day, "search_gap_day": search_gap_day,
                          "ticket_category_day": ticket_category_day, "ticket_sku_day": ticket_sku_day,
                          "sold_day": sold_day})


_UTC = kb.types.UTCDateTime(timezone=True)
_SESSION = sa.table('wizard_session', sa.column('created_at', _UTC), sa.column('lang'),
                    sa.column('selection_json'), sa.column('outcome'), sa.column('deflected_key'),
                    sa.column('offered_json'), sa.column('opened_json'))
_SEARCH = sa.table('search_log', sa.column('created_at', _UTC), sa.column('lang'), sa.column('normalized'),
                   sa.column('results'), sa.column('clicked_key'))
_TICKET = sa.table('ticket', sa.column('id'), sa.column('created_at', _UTC), sa.column('lang'),
                   sa.column('reason'), sa.column('channel'), sa.column('status'))
_TICKET_ITEM = sa.table('ticket_item', sa.column('ticket_id'), sa.column('order_item_id'), sa.column('sku'),
                        sa.column('quantity'))
_ORDER = sa.table('shop_order', sa.column('id'), sa.column('placed_at', _UTC))
_ORDER_ITEM = sa.table('order_item', sa.column('id'), sa.column('order_id'), sa.column('sku'),
                       sa.column('quantity'), sa.column('category'))


def _day(moment):
    return moment.astimezone(datetime.UTC).date()


def _strings(text):
    values = json.loads(text or "[]")
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _sessions(conn, counts):
    for row in conn.execute(sa.select(_SESSION)):
        selection = json.loads(row.selection_json or "[]")
        first = selection[0] if isinstance(selection, list) and selection else None
        reason = first.get("reason") if isinstance(first, dict) else None
        day, lang, outcome = _day(row.created_at), row.lang, str(row.outcome)
        counts["wizard_day"][(day, lang, reason if isinstance(reason, str) else "", outcome)]["sessions"] += 1
        opened = set(_strings(row.opened_json))
        articles = counts["wizard_article_day"]
        if outcome == "deflected":
            for key in sorted({row.deflected_key} if row.deflected_key is not None else opened):
                articles[(day, lang, "deflected", key)]["sessions"] += 1
        elif outcome == "ticket":
            for key in opened | set(_strings(row.offered_json)):
                articles[(day, lang, "ticket", key)]["sessions"] += 1
            for key in opened:
                articles[(day, lang, "ticket_opened", key)]["sessions"] += 1


def _searches(conn, counts, last_seen):
    for row in conn.execute(sa.select(_SEARCH).where(_SEARCH.c.normalized != "")):
        if row.results == 0:
            kind = "none"
        elif row.results > 0 and row.clicked_key is None:
            kind = "unopened"
        else:
            continue
        key = (_day(row.created_at), row.lang, kind, row.normalized)
        counts["search_gap_day"][key]["searches"] += 1
        last_seen[key] = max(last_seen.get(key, row.created_at), row.created_at)


def _tickets(conn, counts):
    items: dict[int, list[sa.Row]] = {}
    query = (sa.select(_TICKET_ITEM.c.ticket_id, _TICKET_ITEM.c.sku, _TICKET_ITEM.c.quantity, _ORDER_ITEM.c.category)
             .select_from(_TICKET_ITEM.outerjoin(_ORDER_ITEM, _ORDER_ITEM.c.id == _TICKET_ITEM.c.order_item_id)))
    for row in conn.execute(query):
        items.setdefault(row.ticket_id, []).append(row)
    for ticket in conn.execute(sa.select(_TICKET)):
        day, lang = _day(ticket.created_at), ticket.lang
        declined = int(ticket.status == "declined")
        counts["ticket_day"][(day, lang, ticket.reason, ticket.channel)]["tickets"] += 1
        skus, categories = set(), set()
        for item in items.get(ticket.id, []):
            counts["ticket_sku_day"][(day, lang, item.sku, declined)]["units"] += item.quantity
            skus.add(item.sku)
            if item.category is not None:
                counts["ticket_category_day"][(day, lang, item.category)]["units"] += item.quantity
                categories.add(item.category)
        for sku in skus:
            counts["ticket_sku_day"][(day, lang, sku, declined)]["tickets"] += 1
        for category in categories:
            counts["ticket_category_day"][(day, lang, category)]["tickets"] += 1


def _orders(conn, counts):
    query = sa.select(_ORDER.c.placed_at, _ORDER_ITEM.c.sku, _ORDER_ITEM.c.quantity).select_from(
        _ORDER.join(_ORDER_ITEM, _ORDER_ITEM.c.order_id == _ORDER.c.id))
    for row in conn.execute(query):
        amounts = counts["sold_day"][(_day(row.placed_at), row.sku)]
        amounts["lines"] += 1
        amounts["units"] += row.quantity


def _fill(conn, tables):
    """Aggregate the events recorded before this revision into the new rollup tables."""
    counts: dict[str, collections.defaultdict] = {name: collections.defaultdict(collections.Counter) for name in tables}
    last_seen: dict[tuple, datetime.datetime] = {}
    _sessions(conn, counts)
    _searches(conn, counts, last_seen)
    _tickets(conn, counts)
    _orders(conn, counts)
    for name, table in tables.items():
        keys = [c.name for c in table.primary_key.columns]
        counted = [c.name for c in table.columns if c.name not in keys and c.name != "last_seen"]
        rows = []
        for key, amounts in counts[name].items():
            row = {**dict(zip(keys, key, strict=True)), **{column: amounts[column] for column in counted}}
            if name == "search_gap_day":
                row["last_seen"] = last_seen[key]
            rows.append(row)
        if rows:
            op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table('help_visit_day', schema=None) as batch_op:
        batch_op.drop_index('ix_help_visit_day_visit')
    with op.batch_alter_table('wizard_session', schema=None) as batch_op:
        batch_op.drop_index('ix_wizard_session_open_seen')
    op.drop_table('insights_sold_day')
    op.drop_table('insights_ticket_sku_day')
    op.drop_table('insights_ticket_category_day')
    op.drop_table('insights_search_gap_day')
    op.drop_table('insights_wizard_article_day')
    op.drop_table('insights_wizard_day')
    op.drop_table('insights_ticket_day')
