"""A family account registers its relative, but cannot make up a hardship status, cannot learn whether
someone else is registered, and its elder gets no vouchers until an officer has checked the record
(issue 19, medium)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.vouchers.eligibility import explain
from eldercare.vouchers.models import VoucherPolicy, VoucherTier

from ..elders.conftest import payload, place  # noqa: F401  the elders' district, officers and payload
from ..elders.test_assessments import items_for_total
from ..factories import UserFactory

PERIOD = date.today().strftime("%Y-%m")


def _policy(place):  # noqa: F811
    db.session.add(VoucherPolicy(region_id=place.district.id, name="券", valid_from=date(2026, 1, 1),
                                 tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000,
                                                    copay_percent=30)]))
    db.session.commit()


def _register_as_family(api, place, **overrides):  # noqa: F811
    response = api.as_(place.family).post("/api/v1/elders", json=payload(place.community_a.id, relation="女儿",
                                                                          **overrides))
    assert response.status_code == 201, response.json
    return response.json


def test_a_family_cannot_declare_a_hardship_status(api, place):  # noqa: F811
    body = _register_as_family(api, place, hardship="tekun", hardship_since="2024-01-01", hardship_source="自报")
    elder = db.session.get(Elder, body["id"])
    assert body["hardship"] == "none" and elder.hardship == "none" and elder.hardship_source is None
    # The claim is kept for the officer who checks the record, and nowhere else.
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.registered"))
    assert event.detail["hardship_claimed"]["hardship"] == "tekun"


def test_a_hardship_claim_without_its_date_does_not_block_the_registration(api, place):  # noqa: F811
    body = _register_as_family(api, place, hardship="dibao", hardship_since=None, hardship_source=None)
    assert body["hardship"] == "none" and body["verification_pending"] is True


def test_an_officer_still_records_hardship_at_registration(api, place):  # noqa: F811
    response = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id, hardship="tekun"))
    assert response.status_code == 201 and response.json["hardship"] == "tekun"
    assert response.json["verification_pending"] is False


def test_a_family_registered_elder_gets_no_vouchers_until_an_officer_verifies(api, place):  # noqa: F811
    _policy(place)
    body = _register_as_family(api, place)
    assert body["verification_pending"] is True and body["verified_at"] is None
    elder = db.session.get(Elder, body["id"])
    elder.care_level = "moderate"  # as if assessed: the pending check alone must stop the vouchers
    db.session.commit()
    eligibility = explain(elder, PERIOD)
    assert not eligibility.eligible and "officer must check" in " ".join(eligibility.reasons)

    assert api.as_(place.family).post(f"/api/v1/elders/{elder.id}/verify").status_code == 403
    assert api.as_(place.operator_b).post(f"/api/v1/elders/{elder.id}/verify").status_code in (403, 404)
    verified = api.as_(place.operator_a).post(f"/api/v1/elders/{elder.id}/verify")
    assert verified.status_code == 200, verified.json
    assert verified.json["verification_pending"] is False and verified.json["verified_at"]
    assert api.as_(place.operator_a).post(f"/api/v1/elders/{elder.id}/verify").status_code == 409
    db.session.expire_all()
    assert explain(db.session.get(Elder, elder.id), PERIOD).eligible
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.verified"))
    assert event.target_id == elder.id and event.actor_id == place.operator_a.id


def test_the_first_assessment_by_an_officer_verifies_the_record(api, place):  # noqa: F811
    body = _register_as_family(api, place)
    response = api.as_(place.operator_a).post(f"/api/v1/elders/{body['id']}/assessments", json=dict(
        assessed_on=(date.today() - timedelta(days=1)).isoformat(), reason="initial", items=items_for_total(60),
        diagnoses={}, risk_events_30d=0))
    assert response.status_code == 201, response.json
    elder = db.session.get(Elder, body["id"])
    assert elder.verification_pending is False and elder.verified_by_id == place.operator_a.id


def test_the_profile_page_lets_an_officer_verify(pages, api, place):  # noqa: F811
    elder_id = _register_as_family(api, place)["id"]
    pages.login(place.family.username)
    page = pages.client.get(f"/elders/{elder_id}").get_data(as_text=True)
    assert "/verify" not in page
    pages.logout()
    pages.login(place.operator_a.username)
    token = pages.token(f"/elders/{elder_id}")
    response = pages.client.post(f"/elders/{elder_id}/verify", data={"csrf_token": token})
    assert response.status_code == 302
    assert db.session.get(Elder, elder_id).verification_pending is False


def test_a_duplicate_id_number_tells_a_family_nothing_about_the_person(api, place):  # noqa: F811
    registered = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id))
    assert registered.status_code == 201
    stranger = UserFactory(role="family")
    response = api.as_(stranger).post("/api/v1/elders", json=payload(place.community_b.id, relation="儿子"),
                                      headers={"Accept-Language": "en"})
    assert response.status_code == 409
    text = response.get_data(as_text=True).lower()
    assert "already" not in text and "registered" not in text.replace("cannot be registered online", "")
    assert "community office" in text
    assert registered.json["name"] not in response.get_data(as_text=True)
    # An officer, who can see the record anyway, is told plainly.
    again = api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id),
                                           headers={"Accept-Language": "en"})
    assert again.status_code == 409 and "already registered" in again.json["message"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_duplicate_answer_is_translated(api, place, lang):  # noqa: F811
    api.as_(place.operator_a).post("/api/v1/elders", json=payload(place.community_a.id))
    response = api.as_(place.family).post("/api/v1/elders", json=payload(place.community_a.id, relation="女儿"),
                                          headers={"Accept-Language": lang})
    assert response.status_code == 409
    assert ("社区" in response.json["message"]) == (lang == "zh")
