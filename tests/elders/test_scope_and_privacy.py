"""Who sees which elders, masked personal data, and logged reveals."""
import pytest
from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.elders.models import FamilyLink

from ..factories import ElderFactory, UserFactory


@pytest.fixture
def elders(place, db):
    a = ElderFactory(community_id=place.community_a.id, name="城东老人", phone="13912345678")
    b = ElderFactory(community_id=place.community_b.id, name="城西老人")
    db.session.add(FamilyLink(elder_id=a.id, user_id=place.family.id, relation="儿子"))
    db.session.commit()
    return a, b


def names(response):
    assert response.status_code == 200, response.json
    return sorted(e["name"] for e in response.json)


def test_each_role_lists_only_its_elders(api, place, elders):
    assert names(api.as_(place.bureau).get("/api/v1/elders")) == ["城东老人", "城西老人"]
    assert names(api.as_(place.admin).get("/api/v1/elders")) == ["城东老人", "城西老人"]
    assert names(api.as_(place.operator_a).get("/api/v1/elders")) == ["城东老人"]
    assert names(api.as_(place.operator_b).get("/api/v1/elders")) == ["城西老人"]
    assert names(api.as_(place.family).get("/api/v1/elders")) == ["城东老人"]
    assert names(api.as_(UserFactory(role="family")).get("/api/v1/elders")) == []
    assert names(api.as_(UserFactory(role="caregiver")).get("/api/v1/elders")) == []


def test_family_gets_404_for_an_elder_it_is_not_linked_to(api, place, elders):
    a, b = elders
    assert api.as_(place.family).get(f"/api/v1/elders/{a.id}").status_code == 200
    response = api.as_(place.family).get(f"/api/v1/elders/{b.id}")
    assert response.status_code == 404 and response.json["status"] == "Not Found"
    for path in ("assessments", "events", "family-links", "status-history"):
        assert api.as_(place.family).get(f"/api/v1/elders/{b.id}/{path}").status_code == 404


def test_street_officer_gets_404_for_an_elder_outside_the_street(api, place, elders):
    a, b = elders
    assert api.as_(place.operator_a).get(f"/api/v1/elders/{a.id}").status_code == 200
    assert api.as_(place.operator_a).get(f"/api/v1/elders/{b.id}").status_code == 404
    assert api.as_(place.operator_a).patch(f"/api/v1/elders/{b.id}", json={"phone": "13700000000"}).status_code == 404
    assert api.as_(place.operator_a).post(f"/api/v1/elders/{b.id}/events", json={
        "kind": "death", "occurred_on": "2026-01-01"}).status_code == 404


def test_an_elder_sees_only_their_own_record(api, place, elders):
    a, b = elders
    me = UserFactory(role="elder")
    a.user_id = me.id
    from eldercare.extensions import db
    db.session.commit()
    assert names(api.as_(me).get("/api/v1/elders")) == ["城东老人"]
    assert api.as_(me).get(f"/api/v1/elders/{b.id}").status_code == 404


def test_search_by_name_or_the_last_four_of_the_id_number(api, place, elders):
    a, b = elders
    assert names(api.as_(place.bureau).get("/api/v1/elders?q=城西")) == ["城西老人"]
    assert names(api.as_(place.bureau).get(f"/api/v1/elders?q={a.id_number[-4:]}")) == ["城东老人"]
    assert names(api.as_(place.bureau).get("/api/v1/elders?q=%25")) == []  # a wildcard is just a character


def test_personal_data_is_masked_until_an_officer_in_scope_reveals_it_with_a_reason(api, place, elders, db):
    a, _ = elders
    masked = api.as_(place.operator_a).get(f"/api/v1/elders/{a.id}").json
    assert masked["id_number"] == a.id_number[:4] + "*" * 10 + a.id_number[-4:]
    assert masked["phone"] == "139****5678"

    no_reason = api.as_(place.operator_a).get(f"/api/v1/elders/{a.id}?reveal=1")
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]

    whole = api.as_(place.operator_a).get(f"/api/v1/elders/{a.id}?reveal=1&reason=核对低保名册")
    assert whole.status_code == 200
    assert whole.json["id_number"] == a.id_number and whole.json["phone"] == "13912345678"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.personal_data_revealed"))
    assert (event.actor_id, event.target_id, event.detail["reason"]) == (place.operator_a.id, a.id, "核对低保名册")
    assert event.at is not None

    # The next request is masked again: a reveal lasts one answer.
    assert api.as_(place.operator_a).get(f"/api/v1/elders/{a.id}").json["phone"] == "139****5678"


def test_family_and_admin_cannot_reveal(api, place, elders, db):
    a, _ = elders
    for user in (place.family, place.admin):
        response = api.as_(user).get(f"/api/v1/elders/{a.id}?reveal=1&reason=想看")
        assert response.status_code == 403
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.personal_data_revealed")) is None


def test_reveal_in_a_list_logs_each_elder_shown(api, place, elders, db):
    response = api.as_(place.bureau).get("/api/v1/elders?reveal=1&reason=年度核查")
    assert response.status_code == 200
    assert {e["id_number"] for e in response.json} == {e.id_number for e in elders}
    logged = db.session.scalars(select(AuditEvent.target_id).where(
        AuditEvent.action == "elder.personal_data_revealed")).all()
    assert sorted(logged) == sorted(e.id for e in elders)


def test_officers_link_family_accounts(api, place, elders, db):
    _, b = elders
    relative = UserFactory(role="family")
    assert api.as_(relative).get(f"/api/v1/elders/{b.id}").status_code == 404
    not_family = api.as_(place.operator_b).post(f"/api/v1/elders/{b.id}/family-links", json={
        "user_id": place.operator_a.id, "relation": "女儿"})
    assert not_family.status_code == 422 and "user_id" in not_family.json["errors"]
    linked = api.as_(place.operator_b).post(f"/api/v1/elders/{b.id}/family-links", json={
        "user_id": relative.id, "relation": "女儿"})
    assert linked.status_code == 201 and linked.json["username"] == relative.username
    again = api.as_(place.operator_b).post(f"/api/v1/elders/{b.id}/family-links", json={
        "user_id": relative.id, "relation": "女儿"})
    assert again.status_code == 409
    assert api.as_(relative).get(f"/api/v1/elders/{b.id}").status_code == 200
    assert api.as_(place.family).post(f"/api/v1/elders/{b.id}/family-links", json={
        "user_id": relative.id, "relation": "女儿"}).status_code == 403


def test_an_elder_gets_a_login_of_their_own(api, place, elders, client):
    a, _ = elders
    response = api.as_(place.operator_a).post(f"/api/v1/elders/{a.id}/login", json={
        "username": "wang.xiuying", "password": "long-enough-pass-1"})
    assert response.status_code == 201, response.json
    assert response.json["role"] == "elder"
    token = client.post("/api/v1/auth/tokens", json={"username": "wang.xiuying",
                                                     "password": "long-enough-pass-1"}).json["token"]
    mine = client.get("/api/v1/elders", headers={"Authorization": f"Bearer {token}"})
    assert [e["id"] for e in mine.json] == [a.id]
    twice = api.as_(place.operator_a).post(f"/api/v1/elders/{a.id}/login", json={
        "username": "another.one", "password": "long-enough-pass-1"})
    assert twice.status_code == 409
