"""Registering a service point, the bureau's review, and finding points near home."""
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db

from ..factories import UserFactory

BODY = {"name": "城东老年食堂", "kind": "canteen", "lat": 32.49, "lng": 119.93, "daily_capacity": 120,
        "hours": [{"weekday": 0, "start": "10:30", "end": "13:00"}]}


def test_a_provider_registers_a_point_the_bureau_approves_and_elders_find_it_nearest_first(api, counter):
    admin = counter.point.provider.admin if hasattr(counter.point.provider, "admin") else None
    admin = admin or UserFactory(role="provider_admin", provider_id=counter.point.provider_id)
    body = dict(BODY, community_id=counter.elder.community_id, items=[{"item_id": counter.lunch.id, "price_fen": 1300}])
    r = api.as_(admin).post("/api/v1/service-points", json=body)
    assert r.status_code == 201, r.json
    point = r.json
    assert point["status"] == "pending" and point["provider_id"] == counter.point.provider_id
    family = UserFactory(role="family")
    seen = [p["id"] for p in api.as_(family).get("/api/v1/service-points").json]
    assert point["id"] not in seen  # not approved yet
    other_bureau = UserFactory(role="bureau")  # another district's
    assert api.as_(other_bureau).post(f"/api/v1/service-points/{point['id']}/review",
                                      json={"decision": "approve"}).status_code in (403, 404)
    r = api.as_(counter.city.bureau).post(f"/api/v1/service-points/{point['id']}/review", json={"decision": "approve"})
    assert r.status_code == 201 and r.json["status"] == "approved"
    assert api.as_(counter.city.bureau).post(f"/api/v1/service-points/{point['id']}/review",
                                             json={"decision": "reject", "note": "x"}).status_code == 409
    near = api.as_(family).get("/api/v1/service-points?lat=32.49&lng=119.93").json
    assert [p["id"] for p in near] == [point["id"], counter.point.id]
    assert near[0]["distance_m"] < near[1]["distance_m"]
    actions = {e.action for e in db.session.query(AuditEvent)}
    assert {"service_point.registered", "service_point.reviewed"} <= actions


def test_bad_points_are_refused_naming_the_field(api, counter):
    admin = UserFactory(role="provider_admin", provider_id=counter.point.provider_id)
    base = dict(BODY, community_id=counter.elder.community_id, items=[{"item_id": counter.lunch.id, "price_fen": 1300}])
    for field, value in (("items", [{"item_id": counter.lunch.id, "price_fen": 99999}]),
                         ("hours", [{"weekday": 0, "start": "13:00", "end": "10:00"}]),
                         ("community_id", counter.city.street.id), ("lat", 60.0)):
        r = api.as_(admin).post("/api/v1/service-points", json=dict(base, **{field: value}))
        assert r.status_code == 422, (field, r.json)
        assert any(k.startswith(field) for k in r.json["errors"]), r.json
    r = api.as_(admin).post("/api/v1/service-points", json=dict(base, hours=[{"weekday": 0, "start": "１０:00",
                                                                               "end": "13:00"}]))
    assert r.status_code == 422


def test_point_staff_are_created_for_chosen_points_of_their_provider(api, counter):
    admin = UserFactory(role="admin")
    r = api.as_(admin).post("/api/v1/users", json={"username": "counter1", "password": "a-long-pass-77",
                                                   "role": "point_staff", "provider_id": counter.point.provider_id,
                                                   "service_point_ids": [counter.point.id]})
    assert r.status_code == 201, r.json
    other = counter.city.provider("别家", caregivers=0)
    r = api.as_(admin).post("/api/v1/users", json={"username": "counter2", "password": "a-long-pass-77",
                                                   "role": "point_staff", "provider_id": other.id,
                                                   "service_point_ids": [counter.point.id]})
    assert r.status_code == 422 and "service_point_ids" in r.json["errors"]
