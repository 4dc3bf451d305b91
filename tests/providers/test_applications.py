"""Applying, editing, scope and the bureau's review."""
import pytest
from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.providers.models import Provider, ProviderReview

from ..factories import ProviderFactory, UserFactory
from .conftest import LICENSE, application

URL = "/api/v1/providers"


def test_applying_creates_a_pending_provider_linked_to_the_applicant(api, place, db):
    response = api.as_(place.applicant).post(URL, json=application(place))
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["categories"] == ["meal", "bathing"]
    assert body["service_areas"] == [place.street_a.id, place.street_b.id]
    assert body["district_id"] == place.district.id
    assert body["prices"] == [{"item_id": place.meal_item.id, "price_fen": 1200}]
    assert body["documents"] == [] and body["reviews"] == []
    db.session.expire_all()
    assert place.applicant.provider_id == body["id"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider.applied")).target_id == body["id"]


@pytest.mark.parametrize("override, field", [
    ({"license_no": "91321202MA1XYZ12"}, "license_no"),
    ({"license_no": "91321202ma1xyz123!"}, "license_no"),
    ({"categories": ["nonsense"]}, "categories"),
    ({"categories": []}, "categories"),
    ({"service_areas": []}, "service_areas"),
    ({"base_lat": 60.0}, "base_lat"),
    ({"base_lng": 10.0}, "base_lng"),
    ({"service_radius_m": 100}, "service_radius_m"),
    ({"service_radius_m": 25000}, "service_radius_m"),
    ({"phone": "12345"}, "phone"),
    ({"name": ""}, "name"),
    ({"base_lat": "north"}, "base_lat"),
])
def test_each_rule_answers_422_naming_the_field(api, place, override, field):
    response = api.as_(place.applicant).post(URL, json=application(place, **override))
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["errors"]


def test_service_areas_must_be_streets(api, place):
    response = api.as_(place.applicant).post(URL, json=application(place, service_areas=[place.district.id]))
    assert response.status_code == 422
    assert "service_areas" in response.get_json()["errors"]


def test_missing_fields_are_named(api, place):
    response = api.as_(place.applicant).post(URL, json={})
    assert response.status_code == 422
    assert {"name", "license_no", "categories", "service_areas", "base_lat", "base_lng",
            "service_radius_m"} <= set(response.get_json()["errors"])


def test_prices_must_be_in_offered_categories_and_within_the_guide_price(api, place):
    over = application(place, prices=[{"item_id": place.meal_item.id, "price_fen": 1501}])
    response = api.as_(place.applicant).post(URL, json=over)
    assert response.status_code == 422
    assert "prices.0.price_fen" in response.get_json()["errors"]
    outside = application(place, prices=[{"item_id": place.meal_item.id, "price_fen": 1500},
                                         {"item_id": place.cleaning_item.id, "price_fen": 100}])
    response = api.as_(place.applicant).post(URL, json=outside)
    assert response.status_code == 422
    assert "prices.1.item_id" in response.get_json()["errors"]


def test_an_admin_with_a_provider_and_a_duplicate_licence_get_409(api, place, applied, db):
    again = api.as_(place.applicant).post(URL, json=application(place, license_no="91321202MA1XYZ9999"))
    assert again.status_code == 409
    second = UserFactory(role="provider_admin", provider_id=None)
    duplicate = api.as_(second).post(URL, json=application(place, license_no=LICENSE.lower()))
    assert duplicate.status_code == 409
    assert "license_no" in duplicate.get_json()["errors"]
    assert db.session.scalar(select(Provider.id).where(Provider.id != applied["id"])) is None


def test_other_roles_cannot_apply(api, place):
    assert api.as_(place.bureau).post(URL, json=application(place)).status_code == 403
    assert api.post(URL, json=application(place)).status_code == 401


def test_scope(api, place, applied):
    elsewhere = ProviderFactory(district_id=place.other_street.parent_id)
    pid = applied["id"]
    assert [p["id"] for p in api.as_(place.bureau).get(URL).get_json()] == [pid]
    assert api.as_(place.bureau).get(f"{URL}/{elsewhere.id}").status_code == 404
    assert api.as_(place.other_bureau).get(f"{URL}/{pid}").status_code == 404
    assert [p["id"] for p in api.as_(place.other_bureau).get(URL).get_json()] == [elsewhere.id]
    assert [p["id"] for p in api.as_(place.applicant).get(URL).get_json()] == [pid]
    assert api.as_(place.applicant).get(f"{URL}/{elsewhere.id}").status_code == 404
    assert len(api.as_(place.admin).get(URL).get_json()) == 2
    assert api.as_(place.operator).get(URL).status_code == 403
    assert [p["id"] for p in api.as_(place.admin).get(URL, query_string={"status": "pending"}).get_json()] == [pid]


def test_a_bureau_sees_providers_serving_its_streets_though_registered_elsewhere(api, place, applied):
    other_admin = UserFactory(role="provider_admin", provider_id=None)
    body = application(place, license_no="91321203MA1XYZ0001", service_areas=[place.other_street.id,
                                                                               place.street_a.id])
    pid = api.as_(other_admin).post(URL, json=body).get_json()["id"]
    assert api.as_(place.bureau).get(f"{URL}/{pid}").status_code == 200


def review(api, user, pid, decision, note=None):
    return api.as_(user).post(f"{URL}/{pid}/review", json={"decision": decision, "note": note})


def test_review_transitions(api, place, applied, db):
    pid = applied["id"]
    assert review(api, place.bureau, pid, "needs_info", "请补充营业执照").get_json()["to_status"] == "needs_info"
    assert review(api, place.bureau, pid, "approve").status_code == 201
    assert review(api, place.bureau, pid, "approve").status_code == 409
    assert review(api, place.bureau, pid, "reject", "x").status_code == 409
    assert review(api, place.bureau, pid, "reinstate", "x").status_code == 409
    assert review(api, place.bureau, pid, "suspend", "投诉调查").get_json()["to_status"] == "suspended"
    assert review(api, place.bureau, pid, "suspend", "again").status_code == 409
    assert review(api, place.admin, pid, "reinstate", "调查结束").get_json()["to_status"] == "approved"
    body = api.as_(place.applicant).get(f"{URL}/{pid}").get_json()
    assert body["status"] == "approved" and body["review_note"] == "调查结束"
    assert [(r["decision"], r["from_status"], r["to_status"]) for r in body["reviews"]] == [
        ("needs_info", "pending", "needs_info"), ("approve", "needs_info", "approved"),
        ("suspend", "approved", "suspended"), ("reinstate", "suspended", "approved")]
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "provider.reviewed")).all()) == 4


def test_reject_from_pending_then_nothing_more(api, place, applied):
    pid = applied["id"]
    assert review(api, place.bureau, pid, "reject", "资质不符").get_json()["to_status"] == "rejected"
    for decision in ("approve", "needs_info", "suspend", "reinstate"):
        assert review(api, place.bureau, pid, decision, "x").status_code == 409
    assert api.as_(place.applicant).patch(f"{URL}/{pid}", json={"name": "新名字"}).status_code == 409


@pytest.mark.parametrize("decision", ["reject", "needs_info"])
def test_a_note_is_required_except_for_approval(api, place, applied, decision, db):
    response = review(api, place.bureau, applied["id"], decision, "  ")
    assert response.status_code == 422
    assert "note" in response.get_json()["errors"]
    assert db.session.scalar(select(ProviderReview)) is None


def test_only_the_bureau_in_scope_or_an_admin_reviews(api, place, applied):
    assert review(api, place.other_bureau, applied["id"], "approve").status_code == 404
    assert review(api, place.applicant, applied["id"], "approve").status_code == 403
    assert review(api, place.operator, applied["id"], "approve").status_code == 403
    assert api.as_(place.bureau).post(f"{URL}/{applied['id']}/review", json={"decision": "bless"}).status_code == 422


def test_editing_while_waiting_and_resubmitting(api, place, applied, db):
    pid = applied["id"]
    review(api, place.bureau, pid, "needs_info", "请补充")
    response = api.as_(place.applicant).patch(f"{URL}/{pid}", json={"name": "安康护理站", "categories": ["meal"]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["name"] == "安康护理站" and body["categories"] == ["meal"]
    bad = api.as_(place.applicant).patch(f"{URL}/{pid}", json={"service_radius_m": 1})
    assert bad.status_code == 422 and "service_radius_m" in bad.get_json()["errors"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider.updated"))
    assert event.detail["resubmitted"] is True


def test_an_approved_provider_changes_only_contact_radius_and_prices(api, place, applied):
    pid = applied["id"]
    review(api, place.bureau, pid, "approve")
    ok = api.as_(place.applicant).patch(f"{URL}/{pid}", json={
        "phone": "13912345678", "service_radius_m": 5000, "prices": [{"item_id": place.meal_item.id,
                                                                      "price_fen": 1000}]})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["status"] == "approved" and ok.get_json()["prices"][0]["price_fen"] == 1000
    assert api.as_(place.applicant).patch(f"{URL}/{pid}", json={"name": "x"}).status_code == 409
    assert api.as_(place.bureau).patch(f"{URL}/{pid}", json={"phone": "13912345678"}).status_code == 403
