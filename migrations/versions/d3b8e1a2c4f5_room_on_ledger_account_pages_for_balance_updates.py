"""Room on the ledger accounts' pages for their balances' next versions (PostgreSQL's fillfactor): every booking
and the month's turn move balances, and an update that fits its page rewrites no index entry.

Revision ID: d3b8e1a2c4f5
Revises: d2a7c0f1e3b4
Create Date: 2026-11-28 17:30:00

"""
from alembic import op

revision = 'd3b8e1a2c4f5'
down_revision = 'd2a7c0f1e3b4'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":  # a storage parameter SQLite does not have
        op.execute("ALTER TABLE ledger_accounts SET (fillfactor = 80)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_accounts RESET (fillfactor)")
