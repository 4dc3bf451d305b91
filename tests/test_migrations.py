"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from datetime import time

import pytest
import time_machine
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text

from eldercare import clock, create_app
from eldercare.accounts.models import User
from eldercare.clock import Month
from eldercare.config import TestConfig
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.providers.models import Caregiver
from eldercare.sealed import ID_LAST6, ID_NUMBER, PHONE, lookup
from eldercare.vouchers import issuance
from eldercare.vouchers.models import VoucherCommunityMonth

from .factories import CategoryFactory, CommunityFactory, DistrictFactory, ElderFactory, StreetFactory
from .scratch import scratch_database
from .vouchers.conftest import make_policy


@pytest.fixture
def migrated(tmp_path):
    with scratch_database(tmp_path, "migr") as uri:
        app = create_app(type("MigrConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": uri}))
        with app.app_context():
            upgrade()
            yield app, uri
            db.session.remove()
            db.engine.dispose()


def test_models_and_migrations_agree(migrated):
    _, uri = migrated
    engine = create_engine(uri)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_base_removes_every_table(migrated):
    _, uri = migrated
    downgrade(revision="base")
    engine = create_engine(uri)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_sealing_rows_written_before_it_and_opening_them_again(migrated):
    """The migration that seals ID numbers and phones (issue 19) seals the rows already there, with their lookup
    hashes, and its downgrade gives the plain values back."""
    app, uri = migrated
    downgrade(revision="e4c9a7b3d1f2")
    engine = create_engine(uri)
    number, phone, carer_phone = "321202195006010143", "13912345678", "13700001111"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO regions (id, code, name, level) VALUES (1, 'c1', '幸福社区', 'community')"))
        conn.execute(text(
            "INSERT INTO elders (id, name, id_number, birth_date, gender, phone, address, community_id, lat, lng, "
            "hardship, lives_alone, status, created_at, emergency_contacts, verification_pending) VALUES (1, '王秀英', "
            ":number, '1950-06-01', 'F', :phone, '城东街道1号', 1, 32.4, 119.9, 'none', false, 'active', "
            "'2026-11-01 00:00:00', :contacts, false)"),
            dict(number=number, phone=phone, contacts='[{"name": "王强", "relation": "儿子", "phone": "13800001111"}]'))
        conn.execute(text("INSERT INTO users (id, username, password_hash, role, phone, active, created_at) "
                          "VALUES (1, 'u1', 'x', 'family', :phone, true, '2026-11-01 00:00:00')"), dict(phone=phone))
        conn.execute(text("INSERT INTO providers (id, name, license_no, status, base_lat, base_lng, service_radius_m, "
                          "created_at) VALUES (1, 'p', 'L1', 'approved', 32.4, 119.9, 3000, '2026-11-01 00:00:00')"))
        conn.execute(text("INSERT INTO caregivers (id, provider_id, name, phone, daily_limit, active, created_at) "
                          "VALUES (1, 1, '李', :phone, 8, true, '2026-11-01 00:00:00')"), dict(phone=carer_phone))
    upgrade()
    with engine.connect() as conn:
        raw = " ".join(str(v) for table in ("elders", "users", "caregivers")
                       for row in conn.execute(text(f"SELECT * FROM {table}")) for v in row)  # noqa: S608
    assert number not in raw and phone not in raw and carer_phone not in raw and "13800001111" not in raw
    db.session.remove()
    elder = db.session.get(Elder, 1)
    assert (elder.id_number, elder.phone, elder.emergency_contacts[0]["phone"]) == (number, phone, "13800001111")
    assert db.session.scalar(select(Elder.id).where(Elder.id_number_hash == lookup(ID_NUMBER, number))) == 1
    assert db.session.scalar(select(Elder.id).where(Elder.id_last6_hash == lookup(ID_LAST6, number[-6:]))) == 1
    assert db.session.scalar(select(Caregiver.id).where(Caregiver.phone_hash == lookup(PHONE, carer_phone))) == 1
    assert db.session.get(User, 1).phone == phone
    db.session.remove()
    downgrade(revision="e4c9a7b3d1f2")
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT id_number, phone FROM elders")).one()) == (number, phone)
        assert conn.execute(text("SELECT phone FROM caregivers")).scalar() == carer_phone
        assert conn.execute(text("SELECT phone FROM users")).scalar() == phone
        contacts = conn.execute(text("SELECT emergency_contacts FROM elders")).scalar()
        assert "13800001111" in (contacts if isinstance(contacts, str) else str(contacts))
    engine.dispose()


def test_the_summary_by_community_is_filled_from_the_ledger_so_far(migrated):
    """The migration that adds the reports' summary of what was issued and lapsed by community and month fills it
    from the entries already in the ledger: the same rows the issuance and lapse have written since."""
    district = DistrictFactory()
    street = StreetFactory(parent_id=district.id)
    first, second = (CommunityFactory(parent_id=street.id).id for _ in range(2))
    for n, level in enumerate(("moderate", "severe", "moderate")):
        ElderFactory(community_id=(first, second)[n % 2], care_level=level)
    make_policy(district, [CategoryFactory(code="meal")])
    for month in (Month(2026, 10), Month(2026, 11)):
        with time_machine.travel(clock.at_local(month.first_day, time(0, 5)), tick=False):
            issuance.lapse_period(month)
            issuance.issue_period(month)

    def summary():
        db.session.remove()
        rows = sorted(tuple(r) for r in db.session.execute(select(
            VoucherCommunityMonth.community_id, VoucherCommunityMonth.period, VoucherCommunityMonth.issued_fen,
            VoucherCommunityMonth.lapsed_fen)))
        db.session.remove()  # no transaction left open: the downgrade drops the table
        return rows

    kept = summary()
    # Two moderate elders (300 yuan) in the first community, a severe one (400) in the second.
    assert kept == [(first, "2026-10", 60000, 0), (first, "2026-11", 60000, 60000),  # October's lapsed in November
                    (second, "2026-10", 40000, 0), (second, "2026-11", 40000, 40000)]
    downgrade(revision="e7d2c5a8b4f1")
    upgrade()
    assert summary() == kept
