"""A statement pays nothing, never less: what its deductions take back beyond its voucher total is carried forward
to the provider's next statement, as a deduction naming it (settlement_deductions.carried_from_id, once per
statement) with no order

Revision ID: b8d4f6a0c2e3
Revises: a7c3e5f9b1d2
Create Date: 2026-11-29 00:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b8d4f6a0c2e3'
down_revision = 'a7c3e5f9b1d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("settlement_deductions") as batch:
        batch.add_column(sa.Column("carried_from_id", sa.Integer(), nullable=True))
        batch.alter_column("order_id", existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key(batch.f("fk_settlement_deductions_carried_from_id_settlement_statements"),
                                 "settlement_statements", ["carried_from_id"], ["id"])
        batch.create_unique_constraint("uq_settlement_deductions_carried_from", ["carried_from_id"])
        batch.create_check_constraint(batch.f("ck_settlement_deductions_an_order_or_a_carry"),
                                      "(order_id IS NULL) <> (carried_from_id IS NULL)")


def downgrade():
    op.execute("DELETE FROM settlement_deductions WHERE order_id IS NULL")
    with op.batch_alter_table("settlement_deductions") as batch:
        batch.drop_constraint(batch.f("ck_settlement_deductions_an_order_or_a_carry"), type_="check")
        batch.drop_constraint("uq_settlement_deductions_carried_from", type_="unique")
        batch.drop_constraint(batch.f("fk_settlement_deductions_carried_from_id_settlement_statements"),
                              type_="foreignkey")
        batch.alter_column("order_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("carried_from_id")
