"""Index tickets by shopper and date: each new return counts the shopper's returns of the year

Without it that count read every ticket of the last year, inside the write transaction that
opens the return, so returns grew slower as the shop grew.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 23:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_email_created", ["email", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_email_created")
