"""A statement line reads its item, elder and caregiver through its order (a confirmed order's never change): the
three columns and their foreign keys leave settlement_lines, which keeps its statement, its order (unique: an order
is settled once) and the facts of the visit as they stood

Revision ID: a7c3e5f9b1d2
Revises: e7d2c5a8b4f1
Create Date: 2026-11-29 00:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a7c3e5f9b1d2'
down_revision = 'e7d2c5a8b4f1'
branch_labels = None
depends_on = None

FOREIGN_KEYS = (("item_id", "items"), ("elder_id", "elders"), ("caregiver_id", "caregivers"))


def upgrade():
    with op.batch_alter_table("settlement_lines") as batch:
        for column, table in FOREIGN_KEYS:
            batch.drop_constraint(batch.f(f"fk_settlement_lines_{column}_{table}"), type_="foreignkey")
        for column, _table in FOREIGN_KEYS:
            batch.drop_column(column)


def downgrade():
    with op.batch_alter_table("settlement_lines") as batch:
        for column, _table in FOREIGN_KEYS:
            batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
    for column, _table in FOREIGN_KEYS:
        op.execute(f"UPDATE settlement_lines SET {column} = (SELECT work_orders.{column} FROM work_orders "
                   f"WHERE work_orders.id = settlement_lines.order_id)")
    with op.batch_alter_table("settlement_lines") as batch:
        batch.alter_column("item_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("elder_id", existing_type=sa.Integer(), nullable=False)
        for column, table in FOREIGN_KEYS:
            batch.create_foreign_key(batch.f(f"fk_settlement_lines_{column}_{table}"), table, [column], ["id"])
