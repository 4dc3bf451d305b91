"""Registering and editing elders: every rule names its field; the same ID number twice is a conflict."""
from datetime import date

import pytest
from sqlalchemy import select

from eldercare import clock
from eldercare.audit.models import AuditEvent
from eldercare.elders.models import Elder, FamilyLink
from eldercare.vouchers.models import LedgerAccount

from ..factories import valid_id_number
from .conftest import payload


def test_operator_registers_an_elder_in_their_street(api, place, db):
    response = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["id_number"] == "3212**********" + payload(0)["id_number"][-4:]
    assert body["phone"] == "139****5678"
    assert body["emergency_contacts"] == [{"name": "王强", "relation": "儿子", "phone": "138****1111"}]
    assert body["status"] == "active" and body["hardship"] == "dibao" and body["community_name"] == "幸福社区"
    elder = db.session.get(Elder, body["id"])
    assert elder.id_number == payload(0)["id_number"]  # stored whole, shown masked
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.registered"))
    assert event.actor_id == place.operator_a.id and event.target_id == elder.id
    account = db.session.scalar(select(LedgerAccount).where(LedgerAccount.kind == "elder_available",
                                                            LedgerAccount.owner_id == elder.id))
    assert account is not None and account.balance_fen == 0  # opened at registration, empty until issuance


def test_lower_case_x_check_character_is_accepted_as_upper_case(api, place):
    birth = date(1950, 6, 1)
    number = next(n for n in (valid_id_number(birth, "F", s) for s in range(50)) if n.endswith("X"))
    response = api.as_(place.operator_a).post("/api/v1/elders", json=payload(
        place.community_a.id, id_number=number.lower()))
    assert response.status_code == 201, response.json
    assert response.json["id_number"].endswith("X")


@pytest.mark.parametrize("id_number, message", [
    ("32120219500601014", "18 characters"),  # 17 characters
    ("3212021950060101433", "18 characters"),  # 19 characters
    ("32120219500601A14X", "17 digits"),
    ("WRONG_CHECK", "check digit"),
    ("BIRTH_MISMATCH", "says born 1950-06-02"),
])
def test_id_number_rules_name_the_field(api, place, id_number, message):
    good = payload(0)["id_number"]
    if id_number == "WRONG_CHECK":
        id_number = good[:17] + ("0" if good[17] != "0" else "1")
    if id_number == "BIRTH_MISMATCH":
        id_number = valid_id_number(date(1950, 6, 2), "F", 7)
    response = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id,
                                                                             id_number=id_number))
    assert response.status_code == 422
    assert response.json["status"] == "Unprocessable Entity"
    assert message in " ".join(response.json["errors"]["id_number"])


@pytest.mark.parametrize("field, value, message", [
    ("gender", "M", "does not match"),
    ("phone", "1391234567", "11 digits"),
    ("phone", "23912345678", "11 digits"),
    ("lat", 1.3, "not in China"),
    ("lng", 151.2, "not in China"),
    ("community_id", 999999, "No such community"),
    ("hardship_since", None, "took effect"),
    ("name", "", "Length"),
    ("hardship", "poor", "Must be one of"),
])
def test_field_rules_name_the_field(api, place, field, value, message):
    response = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id) | {field: value})
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]
    assert message.lower() in " ".join(response.json["errors"][field]).lower()


def test_under_sixty_is_refused(api, place):
    today = clock.today()
    birth = date(today.year - 59, today.month, 1)  # 58 or 59 today; the 1st exists in every month
    response = api.as_(place.operator_a).post("/api/v1/elders", json=payload(
        place.community_a.id, birth_date=birth.isoformat(), id_number=valid_id_number(birth, "F", 3)))
    assert response.status_code == 422
    assert "60 or older" in response.json["errors"]["birth_date"][0]


def test_a_community_id_that_is_a_street_is_refused(api, place):
    response = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.street_a.id))
    assert response.status_code == 422 and "community_id" in response.json["errors"]


def test_the_same_id_number_twice_is_a_conflict(api, place, db):
    assert api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id)).status_code == 201
    again = api.as_(place.bureau).post("/api/v1/elders", json=payload(place.community_a.id, name="另一个"))
    assert again.status_code == 409
    assert "id_number" in again.json["errors"]
    assert len(db.session.scalars(select(Elder)).all()) == 1


def test_operator_cannot_register_outside_their_street(api, place):
    response = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_b.id))
    assert response.status_code == 422
    assert "outside your region" in response.json["errors"]["community_id"][0]


def test_family_registers_a_relative_and_is_linked(api, place, db):
    no_relation = api.as_(place.family).post("/api/v1/elders", json=payload(place.community_b.id))
    assert no_relation.status_code == 422 and "relation" in no_relation.json["errors"]
    response = api.as_(place.family).post("/api/v1/elders", json=payload(place.community_b.id, relation="女儿"))
    assert response.status_code == 201
    link = db.session.scalar(select(FamilyLink))
    assert (link.elder_id, link.user_id, link.relation) == (response.json["id"], place.family.id, "女儿")
    assert api.as_(place.family).get(f"/api/v1/elders/{link.elder_id}").status_code == 200


@pytest.mark.parametrize("role", ["caregiver", "provider_admin", "elder"])
def test_other_roles_cannot_register(api, place, role):
    from ..factories import UserFactory

    response = api.as_(UserFactory(role=role)).post("/api/v1/elders", json=payload(place.community_a.id))
    assert response.status_code == 403


def test_edit_changes_fields_and_logs_old_and_new(api, place, db):
    elder_id = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id)).json["id"]
    response = api.as_(place.operator_a).patch(f"/api/v1/elders/{elder_id}", json={
        "phone": "13700001234", "lives_alone": False})
    assert response.status_code == 200
    assert response.json["phone"] == "137****1234" and response.json["lives_alone"] is False
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.updated"))
    # The phone is sealed in its table: the log keeps it masked, never whole (issue 19).
    assert event.detail == {"before": {"phone": "139****5678", "lives_alone": True},
                            "after": {"phone": "137****1234", "lives_alone": False}}


def test_edit_cannot_move_an_elder_out_of_scope_or_break_rules(api, place):
    elder_id = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id)).json["id"]
    moved = api.as_(place.operator_a).patch(f"/api/v1/elders/{elder_id}", json={"community_id": place.community_b.id})
    assert moved.status_code == 422 and "community_id" in moved.json["errors"]
    bad_phone = api.as_(place.operator_a).patch(f"/api/v1/elders/{elder_id}", json={"phone": "12"})
    assert bad_phone.status_code == 422 and "phone" in bad_phone.json["errors"]
    fixed = api.as_(place.operator_a).patch(f"/api/v1/elders/{elder_id}", json={"id_number": "x"})
    assert fixed.status_code == 422 and "id_number" in fixed.json["errors"]  # unknown field: fixed at registration
