"""Voucher grants: a month's vouchers per elder, the key that makes issuing idempotent

Revision ID: 16a9f98f95d1
Revises: 600dd1e007c0
Create Date: 2026-11-23 06:43:19.517560

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '16a9f98f95d1'
down_revision = '600dd1e007c0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('voucher_grants',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('elder_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('care_level', sa.String(length=16), nullable=True),
    sa.Column('hardship', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_voucher_grants_elder_id_elders')),
    sa.PrimaryKeyConstraint('period', 'elder_id', name=op.f('pk_voucher_grants'))
    )
    # Grants made before this table existed were one ledger transaction each, keyed 'issue:<elder>:<period>'.
    op.execute("""
        INSERT INTO voucher_grants (period, elder_id, amount_fen, care_level, hardship)
        SELECT t.period, t.elder_id, t.amount_fen, e.care_level, e.hardship
        FROM ledger_transactions t JOIN elders e ON e.id = t.elder_id
        WHERE t.kind = 'issue' AND t.period IS NOT NULL""")


def downgrade():
    op.drop_table('voucher_grants')
