"""insights: daily rollups of tickets, items, units sold, wizard sessions and unanswered searches

The rollups are filled here from the events already recorded (with the functions that keep
them up to date afterwards, kb.insights.daily), and indexes find the open wizard sessions
seen in the last hour (those not yet abandoned) and let long periods read the visits and
unanswered searches in order.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('insights_ticket_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'reason', 'channel', name=op.f('pk_insights_ticket_day'))
    )
    op.create_table('insights_wizard_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'reason', 'outcome', name=op.f('pk_insights_wizard_day'))
    )
    op.create_table('insights_wizard_article_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('sessions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'kind', 'key', name=op.f('pk_insights_wizard_article_day'))
    )
    op.create_table('insights_search_gap_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('normalized', sa.String(length=200), nullable=False),
    sa.Column('searches', sa.Integer(), nullable=False),
    sa.Column('last_seen', kb.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'kind', 'normalized', name=op.f('pk_insights_search_gap_day'))
    )
    op.create_table('insights_ticket_category_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'category', name=op.f('pk_insights_ticket_category_day'))
    )
    op.create_table('insights_ticket_sku_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lang', sa.String(length=5), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('declined', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('tickets', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'lang', 'sku', 'declined', name=op.f('pk_insights_ticket_sku_day'))
    )
    op.create_table('insights_sold_day',
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

    from kb.insights.daily import rebuild_daily

    rebuild_daily(op.get_bind())


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
