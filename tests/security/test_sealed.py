"""ID numbers and phones are sealed at rest (issue 19, medium): the database holds ciphertext under a key from the
environment, lookups match keyed hashes, another key opens nothing, and production refuses to start without keys."""
import os

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import inspect, select, text

from eldercare import create_app, sealed, sql
from eldercare.accounts.models import User
from eldercare.config import TestConfig
from eldercare.elders.models import Elder
from eldercare.providers.models import Caregiver
from eldercare.sealed import Keyring

from ..elders.conftest import payload, place  # noqa: F401  the elders' district, officers and payload
from ..factories import ProviderFactory

NUMBER = payload(0)["id_number"]
PHONES = ("13912345678", "13800001111", "13766665555", "13655554444")  # elder, contact, caregiver, user
GOOD_SECRET = "s" * 40


def _caregiver(db, phone: str) -> Caregiver:
    carer = Caregiver(provider_id=ProviderFactory().id, name="李护理", phone=phone, daily_limit=8, active=True)
    db.session.add(carer)
    db.session.flush()
    return carer


def _everything_stored(db) -> str:
    """Every value of every column of every table, read with plain SQL past the models' types."""
    names = inspect(db.engine).get_table_names()
    return " ".join(str(value) for name in names
                    for row in db.session.execute(text(f'SELECT * FROM "{name}"')) for value in row)  # nosec B608


def test_no_table_holds_a_plain_id_number_or_phone(api, place, db):  # noqa: F811
    body = payload(place.community_a.id)
    elder_id = api.as_(place.operator_a).post("/api/v1/elders", json=body,
                                              headers={"Idempotency-Key": "sealed-1"}).json["id"]
    api.as_(place.operator_a).patch(f"/api/v1/elders/{elder_id}", json={"lives_alone": False})
    api.as_(place.admin).patch(f"/api/v1/users/{place.family.id}", json={"phone": PHONES[3]})
    _caregiver(db, PHONES[2])
    db.session.commit()
    stored = _everything_stored(db)
    for secret in (NUMBER, NUMBER[:17], *PHONES):
        assert secret not in stored
    raw = db.session.execute(text("SELECT id_number, phone FROM elders WHERE id = :id"), {"id": elder_id}).one()
    assert raw.id_number.startswith(sealed.FORMAT) and len(raw.id_number) > 40
    # The models read them whole; the API still masks them, and shows them whole to an officer who says why.
    elder = db.session.get(Elder, elder_id)
    assert (elder.id_number, elder.phone, elder.emergency_contacts[0]["phone"]) == (NUMBER, PHONES[0], PHONES[1])
    shown = api.as_(place.operator_a).get(f"/api/v1/elders/{elder_id}").json
    assert (shown["id_number"], shown["phone"]) == ("3212**********" + NUMBER[-4:], "139****5678")
    revealed = api.as_(place.operator_a).get(f"/api/v1/elders/{elder_id}?reveal=1&reason=回访核对").json
    assert (revealed["id_number"], revealed["phone"]) == (NUMBER, PHONES[0])
    assert (elder.birth_date.isoformat(), elder.gender) == (body["birth_date"], "F")


def test_the_same_value_seals_differently_each_time_and_hashes_alike(db):
    ring = sealed.keyring()
    first, second = ring.seal(NUMBER), ring.seal(NUMBER)
    assert first != second and ring.unseal(first) == ring.unseal(second) == NUMBER
    assert ring.lookup(sealed.ID_NUMBER, NUMBER) == ring.lookup(sealed.ID_NUMBER, NUMBER)
    # Each kind of lookup has its own label: the same six digits as a last-six and as a phone hash apart.
    assert ring.lookup(sealed.ID_LAST6, "123456") != ring.lookup(sealed.PHONE, "123456")
    assert ring.lookup(sealed.PHONE, None) is None and ring.lookup(sealed.PHONE, "") is None


def test_lookups_find_by_keyed_hash(api, place, db):  # noqa: F811
    elder_id = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id)).json["id"]
    again = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id, name="别人"))
    assert again.status_code == 409 and "id_number" in again.json["errors"]
    for term in (NUMBER, NUMBER[-6:], NUMBER[-4:], NUMBER.lower()):
        found = api.as_(place.bureau).get("/api/v1/elders", query_string={"q": term}).json
        assert [e["id"] for e in found] == [elder_id], term
    assert api.as_(place.bureau).get("/api/v1/elders", query_string={"q": NUMBER[-5:]}).json == []


def test_another_key_opens_nothing(db, place, api):  # noqa: F811
    elder_id = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id)).json["id"]
    stored = db.session.execute(text("SELECT id_number FROM elders WHERE id = :id"), {"id": elder_id}).scalar()
    thief = Keyring(os.urandom(32), os.urandom(32))
    with pytest.raises(InvalidTag):
        thief.unseal(stored)
    assert thief.lookup(sealed.ID_NUMBER, NUMBER) != sealed.lookup(sealed.ID_NUMBER, NUMBER)
    altered = stored[:-2] + ("A" if stored[-2] != "A" else "B") + stored[-1]
    with pytest.raises(InvalidTag):
        sealed.keyring().unseal(altered)  # a changed ciphertext is refused, not opened into something else


def test_an_app_with_another_field_key_cannot_read_the_rows(db, app, place, api):  # noqa: F811
    api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id))
    other = create_app(type("OtherKey", (TestConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "FIELD_KEY": os.urandom(32).hex()}))
    with other.app_context():
        from eldercare.extensions import db as other_db
        with pytest.raises(InvalidTag):
            other_db.session.scalars(select(Elder)).all()
        other_db.session.remove()


def test_a_sealed_column_refuses_to_be_compared():
    with pytest.raises(TypeError, match="keyed hash"):
        Elder.id_number == NUMBER  # noqa: B015 - the comparison itself must raise
    with pytest.raises(TypeError, match="keyed hash"):
        Caregiver.phone.in_(PHONES)
    with pytest.raises(TypeError, match="keyed hash"):
        User.phone.endswith("5678")
    Elder.phone.is_(None)  # whether there is a value at all is fine


def test_bulk_writers_refuse_tables_with_sealed_columns(db):
    provider = ProviderFactory()
    with pytest.raises(TypeError, match="sealed"):
        sql.insert_rows(Caregiver.__table__, [dict(provider_id=provider.id, name="李", phone=PHONES[2],
                                                   daily_limit=8, active=True)])


def test_caregiver_phone_hash_follows_the_phone(db):
    carer = _caregiver(db, PHONES[2])
    assert carer.phone_hash == sealed.lookup(sealed.PHONE, PHONES[2])
    carer.phone = None
    assert carer.phone_hash is None


def _production(**keys):
    return type("Production", (TestConfig,), {"ELDERCARE_ENV": "production", "SECRET_KEY": GOOD_SECRET} | keys)


@pytest.mark.parametrize("keys, named", [
    ({}, "FIELD_KEY"),
    ({"FIELD_KEY": os.urandom(32).hex()}, "LOOKUP_KEY"),
    ({"LOOKUP_KEY": os.urandom(32).hex()}, "FIELD_KEY"),
    ({"FIELD_KEY": "ab" * 16, "LOOKUP_KEY": os.urandom(32).hex()}, "FIELD_KEY"),  # 16 bytes: too short
    ({"FIELD_KEY": sealed.DEVELOPMENT_FIELD_KEY.hex(), "LOOKUP_KEY": os.urandom(32).hex()}, "FIELD_KEY"),
    ({"FIELD_KEY": os.urandom(32).hex(), "LOOKUP_KEY": "short"}, "LOOKUP_KEY"),
    ({"FIELD_KEY": "cd" * 32, "LOOKUP_KEY": "cd" * 32}, "differ"),
])
def test_production_refuses_to_start_without_real_keys(keys, named):
    with pytest.raises(RuntimeError, match=named):
        create_app(_production(**keys))


def test_production_starts_with_keys_from_the_environment(app):
    started = create_app(_production(FIELD_KEY=os.urandom(32).hex(), LOOKUP_KEY=os.urandom(32).hex(),
                                     SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    with started.app_context():
        ring = sealed.keyring()
        assert ring.unseal(ring.seal(NUMBER)) == NUMBER
        development = Keyring(sealed.DEVELOPMENT_FIELD_KEY, sealed.DEVELOPMENT_LOOKUP_KEY)
        assert ring.lookup(sealed.ID_NUMBER, NUMBER) != development.lookup(sealed.ID_NUMBER, NUMBER)
        with pytest.raises(InvalidTag):
            development.unseal(ring.seal(NUMBER))


def test_development_runs_on_the_fixed_keys_in_the_repository(app):
    """A developer's machine needs no setting; the keys it uses are public and production refuses them."""
    ring = create_app(type("Development", (TestConfig,), {
        "ELDERCARE_ENV": "development", "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    ).extensions["sealed"]
    development = Keyring(sealed.DEVELOPMENT_FIELD_KEY, sealed.DEVELOPMENT_LOOKUP_KEY)
    assert development.unseal(ring.seal(NUMBER)) == NUMBER
