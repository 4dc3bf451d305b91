"""One live booking per elder, service and time: a partial unique index decides two bookings that race.

Revision ID: 5b2f0c7d9e11
Revises: 3464bfb034da
Create Date: 2026-11-23 10:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5b2f0c7d9e11'
down_revision = '3464bfb034da'
branch_labels = None
depends_on = None

LIVE = "status <> 'cancelled'"


def upgrade():
    # Two live orders for one slot (from a race before this index) need a person to cancel one, with its
    # voucher release and history: say which, rather than change orders silently here.
    twins = op.get_bind().execute(sa.text(
        "SELECT elder_id, item_id, scheduled_start, count(*) FROM work_orders WHERE status <> 'cancelled' "
        "GROUP BY elder_id, item_id, scheduled_start HAVING count(*) > 1 LIMIT 20")).all()
    if twins:
        raise RuntimeError(f"cancel one order of each of these double bookings first (elder, item, start): {twins}")
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('uq_work_orders_elder_item_start', ['elder_id', 'item_id', 'scheduled_start'],
                              unique=True, postgresql_where=sa.text(LIVE), sqlite_where=sa.text(LIVE))


def downgrade():
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('uq_work_orders_elder_item_start', postgresql_where=sa.text(LIVE),
                            sqlite_where=sa.text(LIVE))
