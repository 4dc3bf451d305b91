"""A month is written YYYY-MM in ASCII digits: the database refuses any other spelling of a grant's or a ledger
transaction's period, since the once-per-elder-and-month key is that text ("２０２６-１２" was another December).

Revision ID: c4a1d2e3f5b6
Revises: c4e8a1f2b7d3
Create Date: 2026-11-28 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4a1d2e3f5b6'
down_revision = 'c4e8a1f2b7d3'
branch_labels = None
depends_on = None

# As vouchers/models.py CANONICAL_PERIOD has it at this revision (a migration keeps its own copy).
CANONICAL_PERIOD = ("length(period) = 7 AND substr(period, 5, 1) = '-' "
                    "AND trim(substr(period, 1, 4) || substr(period, 6, 2), '0123456789') = '' "
                    "AND substr(period, 6, 2) BETWEEN '01' AND '12'")


def upgrade():
    # A grant under another spelling is a month granted twice, with its money: a person must reverse it in the
    # ledger (`flask check-ledger` lists them), not this migration rewrite it silently. Say which rows.
    bind = op.get_bind()
    grants = bind.execute(sa.text(
        f"SELECT period, elder_id FROM voucher_grants WHERE NOT ({CANONICAL_PERIOD}) LIMIT 20")).all()
    txns = bind.execute(sa.text(
        f"SELECT id, period FROM ledger_transactions WHERE period IS NOT NULL AND NOT ({CANONICAL_PERIOD}) "
        "LIMIT 20")).all()
    if grants or txns:
        raise RuntimeError(
            "put right these months not written YYYY-MM in ASCII digits first (`flask check-ledger` lists the "
            f"double grants among them): voucher_grants (period, elder_id): {[tuple(g) for g in grants]}; "
            f"ledger_transactions (id, period): {[tuple(t) for t in txns]}")
    for table in ('voucher_grants', 'ledger_transactions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_period_canonical'), sa.text(CANONICAL_PERIOD))


def downgrade():
    for table in ('ledger_transactions', 'voucher_grants'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_period_canonical'), type_='check')
