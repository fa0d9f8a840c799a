"""Questions from the contact form: a ticket kind, an optional order, and the form's runs

Tickets get a kind (return for every existing row, or question), a subject, and an order that
a question may lack. contact_request keeps each run of the contact form: the question until it
becomes a ticket, the articles offered and opened, and the outcome, for the self-help reports.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kb.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="return", nullable=False))
        batch_op.add_column(sa.Column("subject", sa.String(length=200), server_default="", nullable=False))
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=True)

    op.create_table(
        "contact_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("lang", sa.String(length=5), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("order_number", sa.String(length=40), nullable=False),
        sa.Column("offered_json", sa.Text(), nullable=False),
        sa.Column("opened_json", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("deflected_key", sa.String(length=80), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", kb.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", kb.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", kb.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_contact_request_ticket_id_ticket")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_request")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_contact_request_token_hash")),
    )
    with op.batch_alter_table("contact_request", schema=None) as batch_op:
        batch_op.create_index("ix_contact_request_created", ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_request_ticket_id"), ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contact_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_request_ticket_id"))
        batch_op.drop_index("ix_contact_request_created")
    op.drop_table("contact_request")
    op.execute("DELETE FROM ticket WHERE kind = 'question'")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.alter_column("order_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("subject")
        batch_op.drop_column("kind")
