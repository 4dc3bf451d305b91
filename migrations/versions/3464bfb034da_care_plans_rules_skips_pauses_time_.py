"""Care plans: rules, skips, pauses, time changes; the orders they make

Revision ID: 3464bfb034da
Revises: 16a9f98f95d1
Create Date: 2026-11-23 07:04:15.711507

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3464bfb034da'
down_revision = '16a9f98f95d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('care_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('elder_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('freq', sa.String(length=8), nullable=False),
    sa.Column('weekdays', sa.JSON(), nullable=False),
    sa.Column('interval_weeks', sa.Integer(), nullable=False),
    sa.Column('time_of_day', sa.Time(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('pay_with', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=400), nullable=True),
    sa.Column('family_care_bed', sa.Boolean(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('caregiver_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('paused_by_registry', sa.Boolean(), nullable=False),
    sa.Column('end_reason', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('end_date IS NULL OR end_date >= start_date', name=op.f('ck_care_plans_ends_after_start')),
    sa.CheckConstraint('interval_weeks >= 1', name=op.f('ck_care_plans_interval_positive')),
    sa.ForeignKeyConstraint(['caregiver_id'], ['caregivers.id'], name=op.f('fk_care_plans_caregiver_id_caregivers')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_care_plans_created_by_id_users')),
    sa.ForeignKeyConstraint(['elder_id'], ['elders.id'], name=op.f('fk_care_plans_elder_id_elders')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_care_plans_item_id_items')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_care_plans_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plans'))
    )
    with op.batch_alter_table('care_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plans_elder_id'), ['elder_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_plans_status'), ['status'], unique=False)

    op.create_table('care_plan_pauses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=False),
    sa.Column('until_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plans.id'], name=op.f('fk_care_plan_pauses_plan_id_care_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_plan_pauses'))
    )
    with op.batch_alter_table('care_plan_pauses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_plan_pauses_plan_id'), ['plan_id'], unique=False)

    op.create_table('care_plan_skips',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plans.id'], name=op.f('fk_care_plan_skips_plan_id_care_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'day', name=op.f('pk_care_plan_skips'))
    )
    op.create_table('care_plan_times',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=False),
    sa.Column('time_of_day', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['care_plans.id'], name=op.f('fk_care_plan_times_plan_id_care_plans')),
    sa.PrimaryKeyConstraint('plan_id', 'from_date', name=op.f('pk_care_plan_times'))
    )
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('care_plan_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plan_date', sa.Date(), nullable=True))
        batch_op.create_unique_constraint('uq_work_orders_plan_date', ['care_plan_id', 'plan_date'])
        batch_op.create_foreign_key(batch_op.f('fk_work_orders_care_plan_id_care_plans'), 'care_plans', ['care_plan_id'], ['id'])



def downgrade():
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_work_orders_care_plan_id_care_plans'), type_='foreignkey')
        batch_op.drop_constraint('uq_work_orders_plan_date', type_='unique')
        batch_op.drop_column('plan_date')
        batch_op.drop_column('care_plan_id')

    op.drop_table('care_plan_times')
    op.drop_table('care_plan_skips')
    with op.batch_alter_table('care_plan_pauses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plan_pauses_plan_id'))

    op.drop_table('care_plan_pauses')
    with op.batch_alter_table('care_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_plans_status'))
        batch_op.drop_index(batch_op.f('ix_care_plans_elder_id'))

    op.drop_table('care_plans')
