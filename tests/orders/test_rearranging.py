"""An operator's way out of the queue (assign an escalated order to a chosen provider) and moving a visit to
another time before it happens (reschedule): API.md's POST /orders/{id}/assign and /reschedule."""
from datetime import datetime, time, timedelta

import time_machine
from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.clock import LOCAL
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder

from .conftest import next_monday
from .flows import balances, post
from .test_dispatch import book


def _escalated(api, city, *providers):
    order = book(api, city)
    for p in providers:
        assert api.as_(p.admin).post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "没空"}).status_code == 200
    order = api.as_(city.operator).get(f"/api/v1/orders/{order['id']}").json
    assert order["status"] == "escalated"
    return order


def _events(action, order_id):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action,
                                                       AuditEvent.target_id == order_id)).all()


def test_an_operator_assigns_an_escalated_order_to_a_provider_who_agreed_on_the_phone(api, city):
    one, two = city.provider("一", km=0.5), city.provider("二", km=1.0)
    order = _escalated(api, city, one, two)
    response = api.as_(city.operator).post(f"/api/v1/orders/{order['id']}/assign", json={"provider_id": two.id})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "dispatched" and response.json["provider_id"] == two.id
    assert [(o["provider_id"], o["status"]) for o in response.json["offers"]][-1] == (two.id, "open")
    assert [e.actor_id for e in _events("order.assigned", order["id"])] == [city.operator.id]
    # The provider answers as it would any offer.
    taken = api.as_(two.admin).post(f"/api/v1/orders/{order['id']}/accept", json={"caregiver_id": two.team[0].id})
    assert taken.status_code == 200 and taken.json["status"] == "accepted"


def test_assigning_is_refused_for_an_order_not_escalated_and_a_provider_who_cannot_serve(api, city):
    one = city.provider("一", km=0.5)
    elsewhere = city.provider("远", km=0.8, areas=[city.far_street], radius_m=100)
    order = book(api, city)
    assert order["status"] == "dispatched"
    refused = api.as_(city.operator).post(f"/api/v1/orders/{order['id']}/assign", json={"provider_id": one.id})
    assert refused.status_code == 409 and "status" in refused.json["errors"]
    order = _escalated_after(api, city, order, one)
    refused = api.as_(city.operator).post(f"/api/v1/orders/{order['id']}/assign", json={"provider_id": elsewhere.id})
    assert refused.status_code == 422 and "provider_id" in refused.json["errors"]
    assert db.session.get(WorkOrder, order["id"]).status == "escalated"  # nothing written
    family_or_provider = api.as_(one.admin).post(f"/api/v1/orders/{order['id']}/assign", json={"provider_id": one.id})
    assert family_or_provider.status_code == 403


def _escalated_after(api, city, order, *providers):
    for p in providers:
        assert api.as_(p.admin).post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "没空"}).status_code == 200
    return api.as_(city.operator).get(f"/api/v1/orders/{order['id']}").json


def test_the_family_moves_an_accepted_visit_and_matching_runs_again_with_the_vouchers_still_held(flow):
    city, order = flow["city"], flow["order"]
    held_before = balances(flow)
    later = flow["start"] + timedelta(hours=5)
    response = post(flow, flow["family"], "reschedule", scheduled_start=later.isoformat())
    assert response.status_code == 200, response.json
    moved = response.json
    assert datetime.fromisoformat(moved["scheduled_start"]) == later
    assert moved["status"] == "dispatched" and moved["caregiver_id"] is None
    stored = db.session.get(WorkOrder, order["id"])
    assert [(o.provider_id, o.status) for o in stored.offers] == [(flow["provider"].id, "withdrawn"),
                                                                 (flow["provider"].id, "open")]
    assert stored.scheduled_end - stored.scheduled_start == timedelta(minutes=city.lunch.duration_minutes)
    assert balances(flow) == held_before  # the same month: the same hold
    event = _events("order.rescheduled", order["id"])[0]
    assert event.actor_id == flow["family"].id
    assert datetime.fromisoformat(event.detail["after"]) == later
    # The provider takes the new time with its caregiver.
    again = post(flow, flow["provider"].admin, "accept", caregiver_id=flow["provider"].team[0].id)
    assert again.status_code == 200 and again.json["status"] == "accepted"


def test_a_voucher_visit_stays_in_the_month_its_vouchers_are_held_for(flow):
    start = flow["start"]
    first_of_next = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    target = datetime.combine(first_of_next, time(10), LOCAL)
    with time_machine.travel(target - timedelta(days=1)):  # the new time is near, only its month differs
        refused = post(flow, flow["family"], "reschedule", scheduled_start=target.isoformat())
    assert refused.status_code == 422 and list(refused.json["errors"]) == ["scheduled_start"]
    assert db.session.get(WorkOrder, flow["order"]["id"]).scheduled_start == start


def test_rescheduling_refuses_the_provider_a_started_visit_the_same_time_and_a_taken_slot(flow):
    city = flow["city"]
    later = flow["start"] + timedelta(hours=3)
    assert post(flow, flow["provider"].admin, "reschedule", scheduled_start=later.isoformat()).status_code == 403
    same = post(flow, flow["family"], "reschedule", scheduled_start=flow["start"].isoformat())
    assert same.status_code == 422 and "scheduled_start" in same.json["errors"]
    taken = flow["api"].as_(flow["family"]).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": later.isoformat()})
    assert taken.status_code == 201
    clash = post(flow, flow["family"], "reschedule", scheduled_start=later.isoformat())
    assert clash.status_code == 409 and str(taken.json["id"]) in clash.json["errors"]["scheduled_start"][0]
    past = post(flow, flow["family"], "reschedule", scheduled_start=(next_monday() - timedelta(days=8)).isoformat())
    assert past.status_code == 422
    with time_machine.travel(flow["start"] + timedelta(minutes=5)):
        assert post(flow, flow["carer"], "check-in", lat=32.4901, lng=119.9301).status_code == 200
    started = post(flow, flow["family"], "reschedule", scheduled_start=later.isoformat())
    assert started.status_code == 409 and "status" in started.json["errors"]
