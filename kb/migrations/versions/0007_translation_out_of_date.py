"""Flag an article whose other-language version changed since it was last brought in step

When the published text of an article changes, its translation is marked "out of date" with
the revision of the changed article it last matched, until a writer updates it or confirms
that it still holds.

Revision ID: 0007
Revises: 0012
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("out_of_date_since", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("out_of_date_since")
