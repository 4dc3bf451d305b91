"""Dispatch: offer to the best, move on when rejected or unanswered (the scheduler's job under a controlled
clock), escalate when nobody is left, and exactly one winner when accepts race."""
import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from eldercare import clock
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder

from .conftest import next_monday


def book(api, city, item=None, start=None, **extra):
    response = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": (item or city.lunch).id,
        "scheduled_start": (start or next_monday()).isoformat(), **extra})
    assert response.status_code == 201, response.json
    return response.json


def test_booking_offers_the_order_to_the_best_provider_with_a_deadline(api, city):
    near = city.provider("近", km=0.5)
    city.provider("远", km=2.5)
    order = book(api, city)
    assert order["status"] == "dispatched" and order["provider_id"] == near.id
    offer = order["offers"][0]
    assert offer["provider_id"] == near.id and offer["status"] == "open"
    minutes = (_parse(offer["expires_at"]) - _parse(offer["offered_at"])).total_seconds() / 60
    assert minutes == 30
    assert [c["name"] for c in order["ranking"]] == ["近", "远"]
    assert order["ranking"][0]["explanation"] == "0.5 km, no visits yet, 0 orders today"
    assert [h["to_status"] for h in order["history"]] == ["pending", "dispatched"]


def test_emergency_help_must_be_accepted_within_two_minutes(api, city):
    from ..factories import CategoryFactory, ItemFactory

    emergency = CategoryFactory(code="emergency", name="助急")
    urgent = ItemFactory(code="emergency.visit", category=emergency, duration_minutes=30)
    city.provider("急", categories=[emergency])
    offer = book(api, city, item=urgent)["offers"][0]
    assert (_parse(offer["expires_at"]) - _parse(offer["offered_at"])) == timedelta(minutes=2)


def test_rejection_moves_the_offer_to_the_next_provider(api, city):
    first = city.provider("一", km=0.5)
    second = city.provider("二", km=2.0)
    order = book(api, city)
    response = api.as_(first.admin).post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "人手不够"})
    assert response.status_code == 200 and response.json["status"] == "dispatched"
    # The answer to the declining provider does not say who was asked next (issue 19); an officer sees it.
    assert response.json["provider_id"] is None
    assert [(o["provider_id"], o["status"]) for o in response.json["offers"]] == [(first.id, "rejected")]
    seen = api.as_(city.operator).get(f"/api/v1/orders/{order['id']}").json
    assert seen["provider_id"] == second.id
    assert [(o["provider_id"], o["status"]) for o in seen["offers"]] == [(first.id, "rejected"), (second.id, "open")]
    # The first provider can no longer take it, nor see it: its offer is closed (issue 19).
    late = api.as_(first.admin).post(f"/api/v1/orders/{order['id']}/accept", json={"caregiver_id": first.team[0].id})
    assert late.status_code == 404
    assert api.as_(second.admin).get(f"/api/v1/orders/{order['id']}").json["status"] == "dispatched"


def test_an_unanswered_offer_moves_on_when_the_scheduler_runs(api, app, city):
    first = city.provider("一", km=0.5)
    second = city.provider("二", km=2.0)
    order = book(api, city)
    runner = app.test_cli_runner()
    with time_machine.travel(_parse(order["offers"][0]["expires_at"]) - timedelta(seconds=5)):
        assert "expire-offers: 0" in runner.invoke(args=["scheduler", "--once"]).output
    with time_machine.travel(_parse(order["offers"][0]["expires_at"]) + timedelta(seconds=1)):
        assert "expire-offers: 1" in runner.invoke(args=["scheduler", "--once"]).output
    db.session.expire_all()
    moved = db.session.get(WorkOrder, order["id"])
    assert moved.provider_id == second.id
    assert [(o.provider_id, o.status) for o in moved.offers] == [(first.id, "expired"), (second.id, "open")]


def test_when_everyone_rejects_the_order_is_escalated_to_the_queues(api, city):
    providers = [city.provider(n, km=k) for n, k in (("一", 0.5), ("二", 1.0), ("三", 2.0))]
    order = book(api, city)
    for p in providers:
        response = api.as_(p.admin).post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "没空"})
        assert response.status_code == 200
    assert response.json["status"] == "escalated" and response.json["provider_id"] is None
    for officer in (city.operator, city.bureau):
        queue = api.as_(officer).get("/api/v1/orders?status=escalated").json
        assert [o["id"] for o in queue] == [order["id"]]


def test_nobody_able_to_come_escalates_at_once(api, city):
    order = book(api, city)
    assert order["status"] == "escalated" and order["offers"] == []


def test_accepting_names_a_free_qualified_caregiver(api, city):
    provider = city.provider("一", caregivers=2)
    other = city.provider("二", km=3.0)
    order = book(api, city)
    wrong_team = api.as_(provider.admin).post(f"/api/v1/orders/{order['id']}/accept",
                                              json={"caregiver_id": other.team[0].id})
    assert wrong_team.status_code == 422 and "caregiver_id" in wrong_team.json["errors"]
    response = api.as_(provider.admin).post(f"/api/v1/orders/{order['id']}/accept",
                                            json={"caregiver_id": provider.team[1].id})
    assert response.status_code == 200
    assert response.json["status"] == "accepted" and response.json["caregiver_id"] == provider.team[1].id
    assert response.json["history"][-1]["from_status"] == "dispatched"
    # The other provider never saw the order.
    assert api.as_(other.admin).get(f"/api/v1/orders/{order['id']}").status_code == 404


def test_an_offer_past_its_deadline_cannot_be_accepted_even_before_the_sweep(api, city):
    provider = city.provider("一")
    order = book(api, city)
    with time_machine.travel(_parse(order["offers"][0]["expires_at"]) + timedelta(seconds=1)):
        late = api.as_(provider.admin).post(f"/api/v1/orders/{order['id']}/accept",
                                            json={"caregiver_id": provider.team[0].id})
    assert late.status_code == 409


def test_a_deceased_elder_cannot_be_booked_for(api, city):
    city.provider("一")
    api.as_(city.operator).post(f"/api/v1/elders/{city.elder.id}/events", json={
        "kind": "death", "occurred_on": next_monday().date().replace(year=2025).isoformat()})
    response = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat()})
    assert response.status_code == 409
    assert "deceased" in response.json["errors"]["elder_id"][0]
    assert db.session.scalar(select(WorkOrder)) is None


def test_an_operator_books_only_for_elders_in_their_area(api, city):
    """The district's operator may; another street's operator gets the 404 of an elder that does not exist."""
    from ..factories import UserFactory

    city.provider("一")
    elsewhere = UserFactory(role="operator", scope_region_id=city.far_street.id)
    db.session.commit()
    body = {"elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat()}
    refused = api.as_(elsewhere).post("/api/v1/orders", json=body)
    assert refused.status_code == 404 and refused.json["message"] == "No such elder."
    assert db.session.scalar(select(WorkOrder)) is None
    assert api.as_(city.operator).post("/api/v1/orders", json=body).status_code == 201


@pytest.mark.postgres
def test_two_accepts_at_once_exactly_one_wins(api, city, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    provider = city.provider("一", caregivers=2)
    from ..factories import UserFactory

    other_admin = UserFactory(role="provider_admin", provider_id=provider.id)
    order = book(api, city)
    callers = [(api.as_(provider.admin), provider.team[0].id), (api.as_(other_admin), provider.team[1].id)]
    barrier = threading.Barrier(len(callers))
    results = []

    def accept(client, caregiver_id):
        barrier.wait()
        r = client.post(f"/api/v1/orders/{order['id']}/accept", json={"caregiver_id": caregiver_id})
        results.append((r.status_code, r.json))

    threads = [threading.Thread(target=accept, args=c) for c in callers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(code for code, _ in results) == [200, 409]
    db.session.expire_all()
    won = db.session.get(WorkOrder, order["id"])
    winner = next(body for code, body in results if code == 200)
    assert won.status == "accepted" and won.caregiver_id == winner["caregiver_id"]
    assert [h.to_status for h in won.history].count("accepted") == 1


@pytest.mark.postgres
def test_two_bookings_of_one_slot_at_once_make_one_order(api, city, is_postgres, monkeypatch):
    """Both requests pass the duplicate check before either commits (the barrier sees to it); the unique index
    lets one order in and the other gets the 409 a duplicate gets, with nothing held for it."""
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    from eldercare.orders import booking
    from eldercare.vouchers import ledger

    city.provider("一", caregivers=2)
    checked = threading.Barrier(2)
    check = booking._booking_facts  # the booking's reads, the duplicate check among them

    def check_then_wait(*args):
        found = check(*args)
        checked.wait(timeout=10)
        return found

    monkeypatch.setattr(booking, "_booking_facts", check_then_wait)
    body = {"elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat()}
    results = []

    def post(client):
        r = client.post("/api/v1/orders", json=body)
        results.append((r.status_code, r.json))

    threads = [threading.Thread(target=post, args=(api.as_(city.operator),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(code for code, _ in results) == [201, 409], results
    refused = next(body for code, body in results if code == 409)
    assert "scheduled_start" in refused["errors"]
    db.session.expire_all()
    live = db.session.scalars(select(WorkOrder).where(WorkOrder.elder_id == city.elder.id,
                                                      WorkOrder.status != "cancelled")).all()
    assert len(live) == 1
    check = ledger.check()
    assert check.ok, check


def _parse(value):
    from datetime import datetime

    return datetime.fromisoformat(value)


def test_a_death_cancels_open_orders_with_the_reason_and_withdraws_offers(api, city):
    provider = city.provider("一", caregivers=2)
    accepted = book(api, city)
    api.as_(provider.admin).post(f"/api/v1/orders/{accepted['id']}/accept", json={"caregiver_id": provider.team[0].id})
    offered = book(api, city, start=next_monday(14))
    assert offered["status"] == "dispatched"
    response = api.as_(city.operator).post(f"/api/v1/elders/{city.elder.id}/events", json={
        "kind": "death", "occurred_on": "2026-01-01", "note": "家属告知"})
    assert response.status_code == 201
    for order_id in (accepted["id"], offered["id"]):
        order = api.as_(city.operator).get(f"/api/v1/orders/{order_id}").json
        assert order["status"] == "cancelled"
        assert order["history"][-1]["reason"] == "Registry event: Died"
    assert api.as_(city.operator).get(f"/api/v1/orders/{offered['id']}").json["offers"][0]["status"] == "withdrawn"
    # The provider cannot take the withdrawn offer any more.
    late = api.as_(provider.admin).post(f"/api/v1/orders/{offered['id']}/accept",
                                        json={"caregiver_id": provider.team[1].id})
    assert late.status_code == 409


def test_a_discharge_cancels_nothing(api, city):
    provider = city.provider("一")
    api.as_(city.operator).post(f"/api/v1/elders/{city.elder.id}/events", json={
        "kind": "hospital_admission", "occurred_on": "2026-01-01"})
    api.as_(city.operator).post(f"/api/v1/elders/{city.elder.id}/events", json={
        "kind": "hospital_discharge", "occurred_on": "2026-01-05"})
    order = book(api, city)
    assert order["status"] == "dispatched" and order["provider_id"] == provider.id


def test_the_same_service_twice_in_one_slot_is_refused(api, city):
    city.provider("一", caregivers=2)
    first = book(api, city)
    again = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": first["scheduled_start"]})
    assert again.status_code == 409 and "scheduled_start" in again.json["errors"]


def test_the_booking_answer_is_the_order_as_stored(api, city):
    """The answer is served from what the booking wrote, without reading it back: it must be exactly what a
    later read gives (times in UTC, offers and history included)."""
    city.provider("一", caregivers=2)
    answer = book(api, city, note="少盐")
    assert answer["scheduled_start"].endswith("+00:00")
    stored = api.as_(city.operator).get(f"/api/v1/orders/{answer['id']}")
    assert stored.status_code == 200 and stored.json == answer


def test_bookings_more_than_30_days_ahead_are_refused(api, city):
    far = clock.local_now() + timedelta(days=31)
    response = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": far.isoformat()})
    assert response.status_code == 422 and "scheduled_start" in response.json["errors"]


def test_a_retried_booking_with_the_same_idempotency_key_returns_the_first_answer(api, city):
    city.provider("一")
    body = {"elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat()}
    headers = {"Idempotency-Key": "7f1c2a9e-0000-4000-8000-000000000001"}
    client = api.as_(city.operator)
    first = client.post("/api/v1/orders", json=body, headers=headers)
    second = client.post("/api/v1/orders", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json == first.json and second.headers["Idempotent-Replay"] == "true"
    assert len(client.get("/api/v1/orders").json) == 1
    changed = client.post("/api/v1/orders", json=body | {"note": "不同"}, headers=headers)
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json["errors"]
    # Another caller's key is their own.
    other = api.as_(city.bureau).post("/api/v1/orders", json=body, headers=headers)
    assert other.status_code == 403  # the bureau cannot book; what matters: not the operator's stored answer
