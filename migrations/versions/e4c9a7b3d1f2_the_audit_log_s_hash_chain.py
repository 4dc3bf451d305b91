"""The audit log's hash chain: a MAC on each event as it is written, its place in the chain given by the sealer,
and the chain's head. Events written before this have no MAC: the first seal adopts them (legacy_max_id).

Revision ID: e4c9a7b3d1f2
Revises: e6c3a9d1f2b8
Create Date: 2026-11-28 17:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e4c9a7b3d1f2'
down_revision = 'e6c3a9d1f2b8'
branch_labels = None
depends_on = None

SEALED = "seq IS NOT NULL"
UNSEALED = "seq IS NULL"
GENESIS = "0" * 64


def upgrade():
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("nonce", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch.create_index("ix_audit_events_target", ["target_type", "target_id"])
        batch.create_index("uq_audit_events_mac", ["mac"], unique=True)
        batch.create_index("uq_audit_events_seq", ["seq"], unique=True, postgresql_where=sa.text(SEALED),
                           sqlite_where=sa.text(SEALED))
        batch.create_index("ix_audit_events_unsealed", ["id"], postgresql_where=sa.text(UNSEALED),
                           sqlite_where=sa.text(UNSEALED))
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", sa.DateTime(), nullable=True),
        sa.Column("legacy_max_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    legacy = op.get_bind().execute(sa.text("SELECT max(id) FROM audit_events")).scalar()
    op.bulk_insert(head, [dict(id=1, seq=0, hash=GENESIS, sealed_at=None, legacy_max_id=legacy)])


def downgrade():
    op.drop_table("audit_chain_head")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_unsealed", postgresql_where=sa.text(UNSEALED),
                         sqlite_where=sa.text(UNSEALED))
        batch.drop_index("uq_audit_events_seq", postgresql_where=sa.text(SEALED), sqlite_where=sa.text(SEALED))
        batch.drop_index("uq_audit_events_mac")
        batch.drop_index("ix_audit_events_target")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
        batch.drop_column("mac")
        batch.drop_column("nonce")
