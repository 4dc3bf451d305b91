"""The co-pay paid and refunded on an order: the sums of its payments, kept beside the order so lists and
settlement read them without adding up payments.

Revision ID: d2a7c0f1e3b4
Revises: c4a1d2e3f5b6
Create Date: 2026-11-28 17:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd2a7c0f1e3b4'
down_revision = 'c4a1d2e3f5b6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("work_orders") as batch:
        batch.add_column(sa.Column("copay_paid_fen", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("copay_refunded_fen", sa.Integer(), nullable=False, server_default="0"))
        batch.create_check_constraint(
            "copay_paid_not_negative", "copay_paid_fen >= 0 AND copay_refunded_fen >= 0")


def downgrade():
    with op.batch_alter_table("work_orders") as batch:
        batch.drop_constraint("copay_paid_not_negative", type_="check")
        batch.drop_column("copay_refunded_fen")
        batch.drop_column("copay_paid_fen")
