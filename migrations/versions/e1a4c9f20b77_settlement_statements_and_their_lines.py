"""Settlement statements and their lines: one statement per provider and month (then supplementary ones), an
order on one line at most (the unique order_id makes settlement exactly-once)

Revision ID: e1a4c9f20b77
Revises: e2b7c41d9a05
Create Date: 2026-11-28 17:09:13.981342

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1a4c9f20b77'
down_revision = 'e2b7c41d9a05'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('settlement_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('voucher_total_fen', sa.BigInteger(), nullable=False),
    sa.Column('copay_total_fen', sa.BigInteger(), nullable=False),
    sa.Column('copay_collected_fen', sa.BigInteger(), nullable=False),
    sa.Column('held_back', sa.JSON(), nullable=False),
    sa.Column('generated_by_id', sa.Integer(), nullable=True),
    sa.Column('generated_at', sa.DateTime(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('regular', 'supplementary')", name=op.f('ck_settlement_statements_kind_known')),
    sa.CheckConstraint("length(period) = 7 AND substr(period, 5, 1) = '-' AND trim(substr(period, 1, 4) || substr(period, 6, 2), '0123456789') = '' AND substr(period, 6, 2) BETWEEN '01' AND '12'", name=op.f('ck_settlement_statements_period_canonical')),
    sa.CheckConstraint("status IN ('draft', 'approved')", name=op.f('ck_settlement_statements_status_known')),
    sa.CheckConstraint('voucher_total_fen >= 0 AND copay_total_fen >= 0 AND copay_collected_fen >= 0', name=op.f('ck_settlement_statements_totals_not_negative')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_settlement_statements_approved_by_id_users')),
    sa.ForeignKeyConstraint(['generated_by_id'], ['users.id'], name=op.f('fk_settlement_statements_generated_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_settlement_statements_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_statements')),
    sa.UniqueConstraint('provider_id', 'period', 'sequence', name='uq_settlement_statements_provider_period_seq')
    )
    with op.batch_alter_table('settlement_statements', schema=None) as batch_op:
        batch_op.create_index('ix_settlement_statements_period', ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_statements_provider_id'), ['provider_id'], unique=False)

    op.create_table('settlement_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('elder_id', sa.Integer(), nullable=False),
    sa.Column('caregiver_id', sa.Integer(), nullable=True),
    sa.Column('check_in_at', sa.DateTime(), nullable=True),
    sa.Column('check_out_at', sa.DateTime(), nullable=True),
    sa.Column('check_in_distance_m', sa.Integer(), nullable=True),
    sa.Column('check_out_distance_m', sa.Integer(), nullable=True),
    sa.Column('voucher_fen', sa.Integer(), nullable=False),
    sa.Column('copay_fen', sa.Integer(), nullable=False),
    sa.Column('copay_collected_fen', sa.Integer(), nullable=False),
    sa.CheckConstraint('voucher_fen >= 0 AND copay_fen >= 0 AND copay_collected_fen >= 0', name=op.f('ck_settlement_lines_money_not_negative')),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregivers.id'], name=op.f('fk_settlement_lines_caregiver_id_caregivers')),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_settlement_lines_elder_id_elders')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_settlement_lines_item_id_items')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_settlement_lines_order_id_work_orders')),
    sa.ForeignKeyConstraint(['statement_id'], ['settlement_statements.id'], name=op.f('fk_settlement_lines_statement_id_settlement_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_lines')),
    sa.UniqueConstraint('order_id', name='uq_settlement_lines_order')
    )
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_lines_statement_id'), ['statement_id'], unique=False)



def downgrade():
    with op.batch_alter_table('settlement_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_lines_statement_id'))

    op.drop_table('settlement_lines')
    with op.batch_alter_table('settlement_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_statements_provider_id'))
        batch_op.drop_index('ix_settlement_statements_period')

    op.drop_table('settlement_statements')
