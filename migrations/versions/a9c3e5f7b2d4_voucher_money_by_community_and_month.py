"""Voucher money by community and month: what the ledger issued to and lapsed from the available accounts of each
community's elders, kept as the money moves, for the reports; filled here from the ledger's entries so far

Revision ID: a9c3e5f7b2d4
Revises: d1e2f3a4b5c6
Create Date: 2026-11-29 00:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a9c3e5f7b2d4'
down_revision = 'd1e2f3a4b5c6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'voucher_community_months',
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('issued_fen', sa.BigInteger(), nullable=False),
        sa.Column('lapsed_fen', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['regions.id'],
                                name=op.f('fk_voucher_community_months_community_id_regions')),
        sa.PrimaryKeyConstraint('community_id', 'period', name=op.f('pk_voucher_community_months')),
    )
    # The months so far, from the entries on the elders' available accounts (each elder in the community he lives
    # in now: where he lived when the money moved is not recorded).
    op.execute("""
        INSERT INTO voucher_community_months (community_id, period, issued_fen, lapsed_fen)
        SELECT e.community_id, t.period,
               SUM(CASE WHEN t.kind = 'issue' THEN en.amount_fen ELSE 0 END),
               SUM(CASE WHEN t.kind = 'lapse' THEN -en.amount_fen ELSE 0 END)
        FROM ledger_entries en
        JOIN ledger_transactions t ON t.id = en.transaction_id
        JOIN ledger_accounts a ON a.id = en.account_id
        JOIN elders e ON e.id = a.owner_id
        WHERE a.kind = 'elder_available' AND t.kind IN ('issue', 'lapse') AND t.period IS NOT NULL
        GROUP BY e.community_id, t.period""")


def downgrade():
    op.drop_table('voucher_community_months')
