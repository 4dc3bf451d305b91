"""Payments of the co-pay (online through Stripe, offline at the door, reversals) and the Stripe events
processed once.

Revision ID: e2b7c41d9a05
Revises: d3b8e1a2c4f5
Create Date: 2026-11-28 17:45:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'e2b7c41d9a05'
down_revision = 'd3b8e1a2c4f5'
branch_labels = None
depends_on = None

LIVE_ONLINE = "kind = 'online' AND status IN ('pending', 'succeeded', 'failed')"


def upgrade():
    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid_fen", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.Integer(), nullable=False),
        sa.Column("refund_requested_fen", sa.Integer(), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("stripe_key", sa.String(length=100), nullable=True),
        sa.Column("stripe_session_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_payment_intent_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_refund_id", sa.String(length=255), nullable=True),
        sa.Column("checkout_url", sa.Text(), nullable=True),
        sa.Column("failure_message", sa.String(length=400), nullable=True),
        sa.CheckConstraint("kind IN ('online', 'offline', 'reversal')", name="kind_known"),
        sa.CheckConstraint("(kind = 'reversal') = (amount_fen < 0)", name="only_a_reversal_is_negative"),
        sa.CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="a_reversal_names_its_payment"),
        sa.CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
        sa.CheckConstraint("refunded_fen >= 0 AND refund_requested_fen >= 0", name="refunds_not_negative"),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["reverses_id"], ["payments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reverses_id"),
        sa.UniqueConstraint("stripe_key"),
        sa.UniqueConstraint("stripe_payment_intent_id"),
        sa.UniqueConstraint("stripe_session_id"),
    )
    op.create_index("ix_payments_order_id", "payments", ["order_id"])
    op.create_index("uq_payments_live_online", "payments", ["order_id"], unique=True,
                    postgresql_where=sa.text(LIVE_ONLINE), sqlite_where=sa.text(LIVE_ONLINE))
    op.create_table(
        "stripe_events",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_stripe_events_payment_id", "stripe_events", ["payment_id"])


def downgrade():
    op.drop_index("ix_stripe_events_payment_id", table_name="stripe_events")
    op.drop_table("stripe_events")
    op.drop_index("uq_payments_live_online", table_name="payments")
    op.drop_index("ix_payments_order_id", table_name="payments")
    op.drop_table("payments")
