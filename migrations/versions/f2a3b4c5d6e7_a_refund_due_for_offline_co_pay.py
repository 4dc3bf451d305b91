"""A refund due: co-pay paid offline on an order cancelled since is owed back to the family, as a new payments row
(kind refund_due, one per order).

Revision ID: f2a3b4c5d6e7
Revises: f1d2e3c4b5a6
Create Date: 2026-11-28 21:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f2a3b4c5d6e7'
down_revision = 'f1d2e3c4b5a6'
branch_labels = None
depends_on = None

REFUND_DUE = "kind = 'refund_due'"


def upgrade():
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(batch.f("ck_payments_kind_known"), type_="check")
        batch.create_check_constraint(batch.f("ck_payments_kind_known"),
                                      "kind IN ('online', 'offline', 'reversal', 'refund_due')")
        batch.create_index("uq_payments_refund_due", ["order_id"], unique=True,
                           postgresql_where=sa.text(REFUND_DUE), sqlite_where=sa.text(REFUND_DUE))


def downgrade():
    op.execute("DELETE FROM payments WHERE kind = 'refund_due'")
    with op.batch_alter_table("payments") as batch:
        batch.drop_index("uq_payments_refund_due")
        batch.drop_constraint(batch.f("ck_payments_kind_known"), type_="check")
        batch.create_check_constraint(batch.f("ck_payments_kind_known"), "kind IN ('online', 'offline', 'reversal')")
