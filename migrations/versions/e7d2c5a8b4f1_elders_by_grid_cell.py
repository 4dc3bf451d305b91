"""The coverage map's index on the elders' homes for SQLite: their grid cell (1/100 of a degree); PostgreSQL
hashes the cells instead (see eldercare/coverage/models.py)

Revision ID: e7d2c5a8b4f1
Revises: f2a3b4c5d6e7
Create Date: 2026-11-28 20:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e7d2c5a8b4f1'
down_revision = 'f2a3b4c5d6e7'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.create_index('ix_elders_grid_cell', 'elders', [sa.text('CAST(floor(lat * 100) AS INTEGER)'),
                                                       sa.text('CAST(floor(lng * 100) AS INTEGER)')])


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.drop_index('ix_elders_grid_cell', table_name='elders')
