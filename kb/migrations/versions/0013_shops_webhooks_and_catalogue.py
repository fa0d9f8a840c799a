"""Shop platforms' webhooks and the product catalogue

Shopify and WooCommerce deliver each webhook at least once: the deliveries handled are kept so that
a repeat is ignored, with each platform's own order id mapped to the order number (fulfilments and
deletions name only that id).
Products and their variants arrive from the same platforms (or the products API) so that an
exchange can offer the ordered product's other variants in stock.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shop_webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('delivery_id', sa.String(length=100), nullable=False),
    sa.Column('topic', sa.String(length=60), nullable=False),
    sa.Column('received_at', kb.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_webhook_delivery')),
    sa.UniqueConstraint('platform', 'delivery_id', name='uq_shop_webhook_delivery')
    )
    op.create_table('shop_platform_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('order_number', sa.String(length=40), nullable=True),
    sa.Column('delivered_at', kb.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', kb.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shop_platform_order')),
    sa.UniqueConstraint('platform', 'external_id', name='uq_shop_platform_order')
    )
    op.create_table('catalogue_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('product_type', sa.String(length=80), nullable=False),
    sa.Column('vendor', sa.String(length=120), nullable=False),
    sa.Column('options_json', sa.Text(), nullable=False),
    sa.Column('updated_at', kb.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_product')),
    sa.UniqueConstraint('external_id', name=op.f('uq_catalogue_product_external_id'))
    )
    op.create_table('catalogue_variant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('options_json', sa.Text(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['catalogue_product.id'], name=op.f('fk_catalogue_variant_product_id_catalogue_product'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_variant')),
    sa.UniqueConstraint('product_id', 'external_id', name='uq_catalogue_variant_external')
    )
    with op.batch_alter_table('catalogue_variant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_variant_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalogue_variant_sku'), ['sku'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('catalogue_variant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalogue_variant_sku'))
        batch_op.drop_index(batch_op.f('ix_catalogue_variant_product_id'))
    op.drop_table('catalogue_variant')
    op.drop_table('catalogue_product')
    op.drop_table('shop_platform_order')
    op.drop_table('shop_webhook_delivery')
