"""ID numbers and phones sealed at rest: elders' ID numbers, phones and emergency contacts, caregivers' and
users' phones are stored encrypted (AES-256-GCM under FIELD_KEY), with keyed hashes (HMAC-SHA256 under LOOKUP_KEY)
of the whole ID number, its last six and last four characters, and the caregiver's phone, for the lookups.
Existing rows are sealed in batches; the downgrade opens them again.

Run it with the keys production will run with (FIELD_KEY and LOOKUP_KEY in the environment): the values are sealed
under whatever keys the app that runs it has (eldercare/sealed.py).

Revision ID: f7d2b9c4e1a3
Revises: e4c9a7b3d1f2
Create Date: 2026-11-28 20:30:00

"""
import sqlalchemy as sa
from alembic import op

from eldercare.sealed import ID_LAST4, ID_LAST6, ID_NUMBER, PHONE, keyring

revision = 'f7d2b9c4e1a3'
down_revision = 'e4c9a7b3d1f2'
branch_labels = None
depends_on = None

BATCH = 5_000
SEALED = sa.String(length=128)
HASH = sa.String(length=64)


def _rows(table: str, columns: str):
    """The table's rows in id order, BATCH at a time (keyset, so each batch is one index range scan)."""
    bind, last = op.get_bind(), 0
    while True:
        rows = bind.execute(sa.text(f"SELECT id, {columns} FROM {table} WHERE id > :last ORDER BY id "  # nosec B608
                                    f"LIMIT {BATCH}"), {"last": last}).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _update(table: str, columns: list[str], rows: list[dict]) -> None:
    if rows:
        sets = ", ".join(f"{c} = :{c}" for c in columns)
        op.get_bind().execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :row_id"), rows)  # nosec B608


def _seal(ring, value):
    return None if value is None else ring.seal(value)


def _open(ring, value):
    return None if value is None else ring.unseal(value)


def _widen_users_phone(type_) -> None:
    """users.phone's new type. SQLite's batch mode rebuilds the table and cannot carry an index on an expression
    over: the case-insensitive username index is dropped first and made again after."""
    op.drop_index("uq_users_username_lower", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.alter_column("phone", existing_type=sa.String(length=128 if type_ is not SEALED else 20), type_=type_,
                           existing_nullable=True)
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)


def upgrade():
    with op.batch_alter_table("elders") as batch:
        batch.drop_constraint("uq_elders_id_number", type_="unique")
        batch.alter_column("id_number", existing_type=sa.String(length=18), type_=SEALED, existing_nullable=False)
        batch.alter_column("phone", existing_type=sa.String(length=20), type_=SEALED, existing_nullable=True)
        batch.alter_column("emergency_contacts", existing_type=sa.JSON(), type_=sa.Text(), existing_nullable=False,
                           postgresql_using="emergency_contacts::text")
        batch.add_column(sa.Column("id_number_hash", HASH, nullable=True))
        batch.add_column(sa.Column("id_last6_hash", HASH, nullable=True))
        batch.add_column(sa.Column("id_last4_hash", HASH, nullable=True))
    with op.batch_alter_table("caregivers") as batch:
        batch.alter_column("phone", existing_type=sa.String(length=20), type_=SEALED, existing_nullable=True)
        batch.add_column(sa.Column("phone_hash", HASH, nullable=True))
    _widen_users_phone(SEALED)

    ring = keyring()
    for rows in _rows("elders", "id_number, phone, emergency_contacts"):
        _update("elders", ["id_number", "phone", "emergency_contacts", "id_number_hash", "id_last6_hash",
                           "id_last4_hash"], [dict(
            row_id=i, id_number=ring.seal(number), phone=_seal(ring, phone), emergency_contacts=_seal(ring, contacts),
            id_number_hash=ring.lookup(ID_NUMBER, number), id_last6_hash=ring.lookup(ID_LAST6, number[-6:]),
            id_last4_hash=ring.lookup(ID_LAST4, number[-4:])) for i, number, phone, contacts in rows])
    for rows in _rows("caregivers", "phone"):
        _update("caregivers", ["phone", "phone_hash"], [
            dict(row_id=i, phone=_seal(ring, phone), phone_hash=ring.lookup(PHONE, phone)) for i, phone in rows])
    for rows in _rows("users", "phone"):
        _update("users", ["phone"], [dict(row_id=i, phone=ring.seal(phone)) for i, phone in rows if phone is not None])

    with op.batch_alter_table("elders") as batch:
        batch.alter_column("id_number_hash", existing_type=HASH, nullable=False)
        batch.alter_column("id_last6_hash", existing_type=HASH, nullable=False)
        batch.alter_column("id_last4_hash", existing_type=HASH, nullable=False)
        batch.create_unique_constraint("uq_elders_id_number_hash", ["id_number_hash"])
        batch.create_index("ix_elders_id_last6_hash", ["id_last6_hash"])
        batch.create_index("ix_elders_id_last4_hash", ["id_last4_hash"])
    with op.batch_alter_table("caregivers") as batch:
        batch.create_index("ix_caregivers_phone_hash", ["phone_hash"])


def downgrade():
    ring = keyring()
    for rows in _rows("elders", "id_number, phone, emergency_contacts"):
        _update("elders", ["id_number", "phone", "emergency_contacts"], [
            dict(row_id=i, id_number=ring.unseal(number), phone=_open(ring, phone),
                 emergency_contacts=_open(ring, contacts)) for i, number, phone, contacts in rows])
    for rows in _rows("caregivers", "phone"):
        _update("caregivers", ["phone"], [dict(row_id=i, phone=_open(ring, phone)) for i, phone in rows])
    for rows in _rows("users", "phone"):
        _update("users", ["phone"], [dict(row_id=i, phone=ring.unseal(phone)) for i, phone in rows
                                     if phone is not None])

    _widen_users_phone(sa.String(length=20))
    with op.batch_alter_table("caregivers") as batch:
        batch.drop_index("ix_caregivers_phone_hash")
        batch.drop_column("phone_hash")
        batch.alter_column("phone", existing_type=SEALED, type_=sa.String(length=20), existing_nullable=True)
    with op.batch_alter_table("elders") as batch:
        batch.drop_index("ix_elders_id_last4_hash")
        batch.drop_index("ix_elders_id_last6_hash")
        batch.drop_constraint("uq_elders_id_number_hash", type_="unique")
        batch.drop_column("id_last4_hash")
        batch.drop_column("id_last6_hash")
        batch.drop_column("id_number_hash")
        batch.alter_column("phone", existing_type=SEALED, type_=sa.String(length=20), existing_nullable=True)
        batch.alter_column("emergency_contacts", existing_type=sa.Text(), type_=sa.JSON(), existing_nullable=False,
                           postgresql_using="emergency_contacts::json")
        batch.alter_column("id_number", existing_type=SEALED, type_=sa.String(length=18),
                           existing_nullable=False)
        batch.create_unique_constraint("uq_elders_id_number", ["id_number"])
