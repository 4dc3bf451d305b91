"""Settlement deductions: an order settled and paid whose audit case was confirmed afterwards is taken back on the
provider's next statement (settlement_deductions, and the statement's deduction_total_fen).

Revision ID: f1d2e3c4b5a6
Revises: f7d2b9c4e1a3
Create Date: 2026-11-28 20:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f1d2e3c4b5a6'
down_revision = 'f7d2b9c4e1a3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("settlement_statements") as batch:
        batch.add_column(sa.Column("deduction_total_fen", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_table(
        "settlement_deductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("fen > 0", name=op.f("ck_settlement_deductions_fen_positive")),
        sa.ForeignKeyConstraint(["case_id"], ["audit_cases.id"], name=op.f("fk_settlement_deductions_case_id_audit_cases")),
        sa.ForeignKeyConstraint(["order_id"], ["work_orders.id"], name=op.f("fk_settlement_deductions_order_id_work_orders")),
        sa.ForeignKeyConstraint(["provider_id"], ["providers.id"], name=op.f("fk_settlement_deductions_provider_id_providers")),
        sa.ForeignKeyConstraint(["statement_id"], ["settlement_statements.id"],
                                name=op.f("fk_settlement_deductions_statement_id_settlement_statements")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_deductions")),
        sa.UniqueConstraint("order_id", name="uq_settlement_deductions_order"),
    )
    op.create_index(op.f("ix_settlement_deductions_provider_id"), "settlement_deductions", ["provider_id"])
    op.create_index(op.f("ix_settlement_deductions_statement_id"), "settlement_deductions", ["statement_id"])


def downgrade():
    op.drop_index(op.f("ix_settlement_deductions_statement_id"), table_name="settlement_deductions")
    op.drop_index(op.f("ix_settlement_deductions_provider_id"), table_name="settlement_deductions")
    op.drop_table("settlement_deductions")
    with op.batch_alter_table("settlement_statements") as batch:
        batch.drop_column("deduction_total_fen")
