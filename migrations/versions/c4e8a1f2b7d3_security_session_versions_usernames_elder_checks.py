"""Security (issue 19): a session version per user (logout and an admin end sessions on the server), usernames
unique whatever their case, and elders registered by family waiting for an officer's check.

Revision ID: c4e8a1f2b7d3
Revises: 5b2f0c7d9e11
Create Date: 2026-11-28 14:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4e8a1f2b7d3'
down_revision = '5b2f0c7d9e11'
branch_labels = None
depends_on = None


def upgrade():
    # Two accounts whose names differ only in case need a person to rename one (and tell its owner): say which,
    # rather than rename accounts silently here.
    twins = op.get_bind().execute(sa.text(
        "SELECT lower(username), count(*) FROM users GROUP BY lower(username) HAVING count(*) > 1 LIMIT 20")).all()
    if twins:
        raise RuntimeError(f"rename one account of each of these usernames that differ only in case first: {twins}")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    op.create_index('uq_users_username_lower', 'users', [sa.text('lower(username)')], unique=True)

    # Elders already in the registry stay as they are (verification_pending false): they were registered under
    # the old rules and any voucher they get has been paid by an officer's assessment.
    with op.batch_alter_table('elders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verification_pending', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_elders_verified_by_id_users'), 'users', ['verified_by_id'],
                                    ['id'])


def downgrade():
    with op.batch_alter_table('elders', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_elders_verified_by_id_users'), type_='foreignkey')
        batch_op.drop_column('verified_by_id')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('verification_pending')
    op.drop_index('uq_users_username_lower', table_name='users')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
