"""Elders' names in pinyin and by initials, for the operators' search (elders/spelling.py), filled in for every
elder already registered

Revision ID: d1e2f3a4b5c6
Revises: c9e5a7b1d3f4
Create Date: 2026-11-29 01:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'd1e2f3a4b5c6'
down_revision = 'c9e5a7b1d3f4'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    from eldercare.elders import spelling

    # Plain ALTERs (SQLite adds and drops a column in place): a batch would rebuild the table on SQLite and lose
    # the coverage grid's expression index.
    op.add_column("elders", sa.Column("name_pinyin", sa.String(120), nullable=True))
    op.add_column("elders", sa.Column("name_initials", sa.String(40), nullable=True))
    op.create_index(op.f("ix_elders_name_pinyin"), "elders", ["name_pinyin"])
    op.create_index(op.f("ix_elders_name_initials"), "elders", ["name_initials"])
    elders = sa.table("elders", sa.column("id", sa.Integer), sa.column("name", sa.String),
                      sa.column("name_pinyin", sa.String), sa.column("name_initials", sa.String))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(elders.c.id, elders.c.name).where(elders.c.id > last)
                                  .order_by(elders.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(elders.update().where(elders.c.id == sa.bindparam("row_id"))
                           .values(name_pinyin=sa.bindparam("p"), name_initials=sa.bindparam("i")),
                           [dict(row_id=i, p=spelling.full(n), i=spelling.initials(n)) for i, n in rows])
        last = rows[-1][0]


def downgrade():
    op.drop_index(op.f("ix_elders_name_initials"), table_name="elders")
    op.drop_index(op.f("ix_elders_name_pinyin"), table_name="elders")
    op.drop_column("elders", "name_initials")
    op.drop_column("elders", "name_pinyin")
