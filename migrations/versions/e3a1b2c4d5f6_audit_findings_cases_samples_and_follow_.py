"""The bureau's audit: anomaly findings (one per rule and order), the cases they open with each step, samples of
a provider's orders for follow-up calls (回访) and the calls; work orders indexed by check-in, which the day's
scan reads by.

Revision ID: e3a1b2c4d5f6
Revises: e1a4c9f20b77
Create Date: 2026-11-28 17:13:08.729108

"""
import sqlalchemy as sa
from alembic import op

revision = 'e3a1b2c4d5f6'
down_revision = 'e1a4c9f20b77'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('frame_size', sa.Integer(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('drawn_at', sa.DateTime(), nullable=False),
    sa.Column('deduction_status', sa.String(length=10), nullable=False),
    sa.Column('deduction_fen', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=400), nullable=True),
    sa.CheckConstraint('percent >= 1 AND percent <= 100', name=op.f('ck_audit_samples_percent_range')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_audit_samples_decided_by_id_users')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['users.id'], name=op.f('fk_audit_samples_drawn_by_id_users')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_audit_samples_provider_id_providers')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_audit_samples_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_samples'))
    )
    with op.batch_alter_table('audit_samples', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_samples_provider_id'), ['provider_id'], unique=False)

    op.create_table('audit_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('reversed_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_audit_cases_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_cases')),
    sa.UniqueConstraint('order_id', name=op.f('uq_audit_cases_order_id'))
    )
    with op.batch_alter_table('audit_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_cases_status'), ['status'], unique=False)

    op.create_table('audit_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('facts', sa.JSON(), nullable=False),
    sa.Column('found_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_audit_findings_order_id_work_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_findings')),
    sa.UniqueConstraint('rule', 'order_id', name='uq_audit_findings_rule_order')
    )
    with op.batch_alter_table('audit_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_findings_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_findings_rule'), ['rule'], unique=False)

    op.create_table('audit_follow_up_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('service_happened', sa.Boolean(), nullable=True),
    sa.Column('asked_to_pay_extra', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=400), nullable=True),
    sa.Column('caller_id', sa.Integer(), nullable=True),
    sa.Column('called_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('satisfaction IS NULL OR (satisfaction >= 1 AND satisfaction <= 5)', name=op.f('ck_audit_follow_up_calls_satisfaction_range')),
    sa.ForeignKeyConstraint(['caller_id'], ['users.id'], name=op.f('fk_audit_follow_up_calls_caller_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_audit_follow_up_calls_order_id_work_orders')),
    sa.ForeignKeyConstraint(['sample_id'], ['audit_samples.id'], name=op.f('fk_audit_follow_up_calls_sample_id_audit_samples')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_follow_up_calls'))
    )
    with op.batch_alter_table('audit_follow_up_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_follow_up_calls_sample_id'), ['sample_id'], unique=False)

    op.create_table('audit_sample_orders',
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['work_orders.id'], name=op.f('fk_audit_sample_orders_order_id_work_orders')),
    sa.ForeignKeyConstraint(['sample_id'], ['audit_samples.id'], name=op.f('fk_audit_sample_orders_sample_id_audit_samples')),
    sa.PrimaryKeyConstraint('sample_id', 'order_id', name=op.f('pk_audit_sample_orders'))
    )
    op.create_table('audit_case_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.String(length=400), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_case_steps_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['audit_cases.id'], name=op.f('fk_audit_case_steps_case_id_audit_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_case_steps'))
    )
    with op.batch_alter_table('audit_case_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_case_steps_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.create_index('ix_work_orders_check_in_at', ['check_in_at'], unique=False)



def downgrade():
    with op.batch_alter_table('work_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_work_orders_check_in_at')

    with op.batch_alter_table('audit_case_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_case_steps_case_id'))

    op.drop_table('audit_case_steps')
    op.drop_table('audit_sample_orders')
    with op.batch_alter_table('audit_follow_up_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_follow_up_calls_sample_id'))

    op.drop_table('audit_follow_up_calls')
    with op.batch_alter_table('audit_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_findings_rule'))
        batch_op.drop_index(batch_op.f('ix_audit_findings_order_id'))

    op.drop_table('audit_findings')
    with op.batch_alter_table('audit_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_cases_status'))

    op.drop_table('audit_cases')
    with op.batch_alter_table('audit_samples', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_samples_provider_id'))

    op.drop_table('audit_samples')
