"""A refund given back: co-pay owed back to the family (a refund due) recorded as handed back, as a new payments
row (kind refund, its refunded_fen counted in the order's copay_refunded_fen); a reversal of one recorded by
mistake takes its refunded_fen back

Revision ID: c9e5a7b1d3f4
Revises: b8d4f6a0c2e3
Create Date: 2026-11-29 01:00:00

"""
from alembic import op

revision = 'c9e5a7b1d3f4'
down_revision = 'b8d4f6a0c2e3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(batch.f("ck_payments_kind_known"), type_="check")
        batch.create_check_constraint(batch.f("ck_payments_kind_known"),
                                      "kind IN ('online', 'offline', 'reversal', 'refund_due', 'refund')")
        batch.drop_constraint(batch.f("ck_payments_refunds_not_negative"), type_="check")
        batch.create_check_constraint(batch.f("ck_payments_refunds_not_negative"),
                                      "(refunded_fen >= 0 OR kind = 'reversal') AND refund_requested_fen >= 0")


def downgrade():
    # The refunds and their reversals go; the orders' sums are put back to what the rows left add up to.
    op.execute("DELETE FROM payments WHERE kind = 'reversal' AND reverses_id IN "
               "(SELECT id FROM payments WHERE kind = 'refund')")
    op.execute("DELETE FROM payments WHERE kind = 'refund'")
    op.execute("UPDATE work_orders SET copay_refunded_fen = (SELECT COALESCE(SUM(refunded_fen), 0) FROM payments "
               "WHERE payments.order_id = work_orders.id)")
    with op.batch_alter_table("payments") as batch:
        batch.drop_constraint(batch.f("ck_payments_refunds_not_negative"), type_="check")
        batch.create_check_constraint(batch.f("ck_payments_refunds_not_negative"),
                                      "refunded_fen >= 0 AND refund_requested_fen >= 0")
        batch.drop_constraint(batch.f("ck_payments_kind_known"), type_="check")
        batch.create_check_constraint(batch.f("ck_payments_kind_known"),
                                      "kind IN ('online', 'offline', 'reversal', 'refund_due')")
