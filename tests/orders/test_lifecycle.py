"""The work order from acceptance to the end: the visit, confirmation, cancellation at each stage, the 48-hour
auto-confirmation, disputes; every other transition is a 409; the voucher ledger balances on every path."""
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from eldercare.extensions import db
from eldercare.providers.models import Provider
from eldercare.vouchers import ledger

from ..factories import UserFactory
from .flows import balances, post, visit


def test_the_happy_path_records_the_visit_and_pays_the_provider_on_completion(flow):
    f = flow
    assert f["order"]["voucher_fen"] == 1050 and balances(f) == (30000 - 1050, 1050, 0)
    done = visit(f)
    assert done["status"] == "completed" and done["actual_minutes"] == 30
    assert done["check_in_distance_m"] < 20 and done["service_note"] == "送餐并协助进食"
    assert balances(f) == (30000 - 1050, 0, 1050)
    confirmed = post(f, f["family"], "confirm", rating=5, comment="很好")
    assert confirmed.status_code == 200 and confirmed.json["status"] == "confirmed"
    provider = db.session.get(Provider, f["provider"].id)
    db.session.refresh(provider)
    record = (provider.completed_count, provider.on_time_count, provider.rating_count, provider.rating_sum)
    assert record == (1, 1, 1, 5)
    history = [h["to_status"] for h in confirmed.json["history"]]
    assert history == ["pending", "dispatched", "accepted", "in_service", "completed", "confirmed"]
    assert ledger.check().ok


def test_a_repeated_check_out_from_a_flaky_phone_changes_nothing(flow):
    f = flow
    first = visit(f)
    with time_machine.travel(f["start"] + timedelta(hours=1)):
        again = post(f, f["carer"], "check-out", lat=32.5, lng=119.9, service_note="again")
    assert again.status_code == 200 and again.json["check_out_at"] == first["check_out_at"]
    assert again.json["service_note"] == "送餐并协助进食" and balances(f)[2] == 1050


def test_check_in_times_are_bounded_and_never_in_the_future(flow):
    f = flow
    with time_machine.travel(f["start"] - timedelta(hours=3)):
        early = post(f, f["carer"], "check-in", lat=32.49, lng=119.93)
        assert early.status_code == 422 and "at" in early.json["errors"]
        future = post(f, f["carer"], "check-in", lat=32.49, lng=119.93, at=(f["start"]).isoformat())
        assert future.status_code == 422 and "future" in future.json["errors"]["at"][0]
    stranger = UserFactory(role="caregiver", provider_id=f["provider"].id)
    with time_machine.travel(f["start"]):
        assert post(f, stranger, "check-in", lat=32.49, lng=119.93).status_code == 404


def test_unconfirmed_visits_are_confirmed_after_48_hours_and_marked(flow, app):
    f = flow
    done = visit(f)
    checked_out = datetime.fromisoformat(done["check_out_at"])
    runner = app.test_cli_runner()
    with time_machine.travel(checked_out + timedelta(hours=47)):
        assert "auto-confirm: 0" in runner.invoke(args=["scheduler", "--once"]).output
    with time_machine.travel(checked_out + timedelta(hours=48, minutes=1)):
        assert "auto-confirm: 1" in runner.invoke(args=["scheduler", "--once"]).output
    order = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}").json
    assert order["status"] == "confirmed" and order["auto_confirmed"] is True


def test_vouchers_pay_only_for_the_categories_of_the_policy(api, city, flow):
    """The policy pays for meals; cleaning booked with vouchers is refused naming the item, and nothing is held."""
    f = flow
    before = balances(f)
    response = api.as_(f["family"]).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.tidy.id, "pay_with": "voucher",
        "scheduled_start": (f["start"] + timedelta(hours=3)).isoformat()})
    assert response.status_code == 422
    assert "Vouchers do not pay for this service" in response.json["errors"]["item_id"][0]
    assert balances(f) == before and ledger.check().ok
    self_paid = api.as_(f["family"]).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.tidy.id, "pay_with": "self",
        "scheduled_start": (f["start"] + timedelta(hours=3)).isoformat()})
    assert self_paid.status_code == 201 and self_paid.json["voucher_fen"] == 0


@pytest.mark.parametrize("stage", ["dispatched", "accepted"])
def test_cancelling_before_the_visit_releases_the_vouchers(api, city, flow, stage):
    f = flow
    if stage == "dispatched":  # a second order not yet accepted
        f["order"] = api.as_(f["family"]).post("/api/v1/orders", json={
            "elder_id": city.elder.id, "item_id": city.lunch.id, "pay_with": "voucher",
            "scheduled_start": (f["start"] + timedelta(hours=2)).isoformat()}).json
        assert f["order"]["status"] == "dispatched"
    response = post(f, f["family"], "cancel", reason="老人临时外出")
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    assert balances(f)[1] == (0 if stage == "accepted" else 1050)  # the other order still holds its share
    assert ledger.check().ok


def test_nothing_can_be_cancelled_once_in_service_or_done(flow):
    f = flow
    with time_machine.travel(f["start"] + timedelta(minutes=1)):
        post(f, f["carer"], "check-in", lat=32.49, lng=119.93)
    assert post(f, f["family"], "cancel", reason="太晚了").status_code == 409
    with time_machine.travel(f["start"] + timedelta(minutes=40)):
        post(f, f["carer"], "check-out", lat=32.49, lng=119.93)
    assert post(f, f["family"], "cancel", reason="太晚了").status_code == 409
    retry = post(f, f["carer"], "check-in", lat=32.49, lng=119.93)
    assert retry.status_code == 200, retry.json  # a retry: no change


def test_illegal_transitions_answer_409(flow):
    f = flow
    assert post(f, f["family"], "confirm", rating=4).status_code == 409  # not yet visited
    assert post(f, f["family"], "dispute", reason="没来").status_code == 409  # nothing to dispute yet
    assert post(f, f["city"].operator, "resolve", outcome="confirmed", note="x").status_code == 409
    with time_machine.travel(f["start"] + timedelta(minutes=40)):
        assert post(f, f["carer"], "check-out", lat=32.49, lng=119.93).status_code == 409  # never checked in


def test_a_dispute_holds_the_order_and_cancelling_it_returns_the_vouchers(flow):
    f = flow
    visit(f)
    disputed = post(f, f["family"], "dispute", reason="服务时间不足")
    assert disputed.status_code == 200 and disputed.json["status"] == "disputed"
    assert post(f, f["family"], "confirm", rating=1).status_code == 409
    resolved = post(f, f["city"].operator, "resolve", outcome="cancelled", note="回访核实未按时服务")
    assert resolved.status_code == 200 and resolved.json["status"] == "cancelled"
    assert balances(f) == (30000, 0, 0)
    assert ledger.check().ok


def test_a_dispute_may_also_end_with_the_visit_standing(flow):
    f = flow
    visit(f)
    post(f, f["family"], "confirm", rating=2)
    assert post(f, f["family"], "dispute", reason="态度不好").json["status"] == "disputed"
    assert post(f, f["city"].operator, "resolve", outcome="confirmed", note="已调解").json["status"] == "confirmed"
    assert balances(f)[2] == 1050 and ledger.check().ok


def test_a_failed_step_changes_nothing(flow):
    f = flow
    before = balances(f)
    bad = post(f, f["family"], "confirm", rating=9)
    assert bad.status_code == 422
    assert db.session.scalar(select(db.func.count()).select_from(Provider).where(Provider.rating_count > 0)) == 0
    assert balances(f) == before


def test_a_visit_far_from_home_is_kept_and_logged_one_near_home_is_not(flow):
    from eldercare.audit.models import AuditEvent
    from eldercare.audit.rules import DISTANCE_LIMIT_M
    from eldercare.orders import lifecycle
    from eldercare.orders.models import WorkOrder

    f = flow
    with time_machine.travel(f["start"] + timedelta(minutes=40)):
        far = post(f, f["carer"], "check-in", lat=32.5430, lng=119.9300, at=f["start"].isoformat())  # ~5.9 km north
        assert far.status_code == 200 and far.json["status"] == "in_service"
        near = post(f, f["carer"], "check-out", lat=32.4901, lng=119.9301,
                    at=(f["start"] + timedelta(minutes=30)).isoformat())
        assert near.status_code == 200
    order = db.session.get(WorkOrder, f["order"]["id"])
    db.session.refresh(order)
    assert 5800 < lifecycle.far_from_home_m(order, "check_in") < 6000
    assert order.check_out_distance_m < DISTANCE_LIMIT_M and lifecycle.far_from_home_m(order, "check_out") is None
    logged = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "order.far_from_home")).all()
    assert [(e.target_id, e.detail["step"], e.detail["limit_m"]) for e in logged] == [
        (order.id, "check_in", DISTANCE_LIMIT_M)]


def test_only_an_order_not_yet_in_service_is_cancellable(flow):
    from eldercare.orders import lifecycle
    from eldercare.orders.models import WorkOrder

    f = flow
    order = db.session.get(WorkOrder, f["order"]["id"])
    assert lifecycle.cancellable(order)
    visit(f)
    db.session.refresh(order)
    assert order.status == "completed" and not lifecycle.cancellable(order)
