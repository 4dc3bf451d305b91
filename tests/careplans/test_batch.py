"""The batch path: plans kept by a provider are made set-based, and each order comes out as one booked through
the booking service would (price, voucher share and hold, offer, kept caregiver where free, history, audit,
notifications). The clock is controlled: every run is given its `now`, two days before the visit."""
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from eldercare.audit.models import AuditEvent
from eldercare.careplans.making import make_planned_orders
from eldercare.careplans.models import CarePlan
from eldercare.extensions import db
from eldercare.notifications.models import Notification
from eldercare.orders import booking, matching
from eldercare.orders.models import OrderOffer, WorkOrder
from eldercare.orders.signals import orders_written
from eldercare.providers.models import Availability
from eldercare.vouchers import ledger

from ..orders.conftest import LOCAL
from ..orders.flows import leave_available
from .test_plans import new_plan, orders_of


def day_of(s, n):
    return s["monday"] + timedelta(days=n)


def make_on(s, n):
    """Make day n's orders with the clock at 09:00 two days before, as the scheduler would."""
    day = day_of(s, n)
    return make_planned_orders(day, now=datetime.combine(day - timedelta(days=2), time(9), LOCAL))


def kept_plan(s, caregiver=None, **fields):
    """A plan kept by the provider (the bureau's family care bed) and, if given, by this caregiver (what the
    plan learns when the caregiver takes one of its orders)."""
    r = new_plan(s, who=s["city"].bureau, provider_id=s["provider"].id, **fields)
    assert r.status_code == 201, r.json
    if caregiver is not None:
        plan = db.session.get(CarePlan, r.json["id"])
        plan.caregiver_id = caregiver.id
        db.session.commit()
    return r.json


def test_a_kept_plan_is_made_in_a_batch_priced_held_and_offered_as_a_booking_would_be(setting):
    s = setting
    plan = kept_plan(s, note="少盐")
    report = make_on(s, 0)
    assert (report.made, report.batched, report.kept_caregiver, report.refused) == (1, 1, 0, [])
    order = orders_of(plan["id"])[0]
    start = datetime.combine(day_of(s, 0), time(11, 30), LOCAL)
    price = booking.price_of(s["city"].lunch, 1)
    share = booking.voucher_share(s["city"].elder, s["city"].lunch, start, price)
    assert (order.scheduled_start, order.price_fen, order.voucher_fen, order.copay_fen) == (start, 1500, share,
                                                                                             1500 - share)
    assert share == 1050  # 30% co-payment
    assert order.scheduled_end == start + timedelta(minutes=30) and order.note == "少盐"
    assert (order.status, order.provider_id, order.preferred_provider_id) == ("dispatched", s["provider"].id,
                                                                              s["provider"].id)
    assert order.booked_by_id == s["city"].bureau.id and order.plan_date == day_of(s, 0)
    [offer] = order.offers
    assert (offer.provider_id, offer.status) == (s["provider"].id, "open")
    assert offer.expires_at > offer.offered_at
    assert [(h.from_status, h.to_status) for h in order.history] == [(None, "pending"), ("pending", "dispatched")]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.target_type == "work_orders",
                                                         AuditEvent.target_id == order.id)).all()
    assert [(e.action, e.detail["after"]) for e in events] == [("order.status_changed", "pending"),
                                                               ("order.status_changed", "dispatched")]
    offered = db.session.scalars(select(Notification).where(Notification.order_id == order.id)).all()
    assert [(n.user_id, n.kind) for n in offered] == [(s["provider"].admin.id, "offered")]
    assert ledger.account("elder_held", s["city"].elder.id).balance_fen == 1050
    check = ledger.check()
    assert check.ok, check
    # The order page and the API read it like any other.
    r = s["api"].as_(s["family"]).get(f"/api/v1/orders/{order.id}")
    assert r.status_code == 200 and r.json["care_plan_id"] == plan["id"]
    page = s["api"].as_(s["city"].operator).get(f"/api/v1/orders/{order.id}")
    assert page.status_code == 200


def test_the_kept_caregiver_takes_the_order_when_free(setting):
    s = setting
    carer = s["provider"].team[1]
    plan = kept_plan(s, caregiver=carer)
    report = make_on(s, 0)
    assert (report.made, report.batched, report.kept_caregiver) == (1, 1, 1)
    order = orders_of(plan["id"])[0]
    assert (order.status, order.caregiver_id) == ("accepted", carer.id)
    assert order.offers[0].status == "accepted"
    assert [h.to_status for h in order.history] == ["pending", "dispatched", "accepted"]
    kinds = sorted(db.session.scalars(select(Notification.kind).where(Notification.order_id == order.id)))
    assert kinds == ["accepted", "offered"]  # the family hears; the test caregiver has no login
    # The caregiver's day now holds the visit: the provider cannot give the same time to them twice.
    assert carer.id not in _free(s, day_of(s, 0), time(11, 30))


def _free(s, day, at, item=None):
    item = item or s["city"].lunch
    start = datetime.combine(day, at, LOCAL)
    need = matching.Need.build(s["city"].elder, item, start, start + timedelta(minutes=item.duration_minutes))
    mine = [c for c in matching.rank(need, with_caregivers=True) if c.provider_id == s["provider"].id]
    return mine[0].free_caregivers if mine else []


def _busy(s, carer):
    """An accepted cleaning for the elder at 11:00-12:00 on day 0 with `carer`."""
    start = datetime.combine(day_of(s, 0), time(11), LOCAL)
    r = s["api"].as_(s["family"]).post("/api/v1/orders", json={
        "elder_id": s["city"].elder.id, "item_id": s["city"].tidy.id, "scheduled_start": start.isoformat(),
        "preferred_provider_id": s["provider"].id})
    assert r.status_code == 201, r.json
    a = s["api"].as_(s["provider"].admin).post(f"/api/v1/orders/{r.json['id']}/accept",
                                               json={"caregiver_id": carer.id})
    assert a.status_code == 200, a.json


def _off_duty(s, carer):
    db.session.query(Availability).filter_by(caregiver_id=carer.id).update({"start_time": time(13)})


def _over_limit(s, carer):
    carer.daily_limit = 1
    db.session.commit()
    start = datetime.combine(day_of(s, 0), time(15), LOCAL)
    r = s["api"].as_(s["family"]).post("/api/v1/orders", json={
        "elder_id": s["city"].elder.id, "item_id": s["city"].tidy.id, "scheduled_start": start.isoformat(),
        "preferred_provider_id": s["provider"].id})
    assert s["api"].as_(s["provider"].admin).post(f"/api/v1/orders/{r.json['id']}/accept",
                                                  json={"caregiver_id": carer.id}).status_code == 200


def _certificate_lapsed(s, carer):
    for c in carer.certificates:
        c.expires_on = day_of(s, 0) - timedelta(days=1)


def _left(s, carer):
    carer.active = False


@pytest.mark.parametrize("situation, free", [(None, True), (_busy, False), (_off_duty, False),
                                             (_over_limit, False), (_certificate_lapsed, False), (_left, False)])
def test_the_batch_keeps_the_caregiver_exactly_when_matching_finds_them_free(setting, situation, free):
    s = setting
    carer = s["provider"].team[0]
    plan = kept_plan(s, caregiver=carer)
    if situation is not None:
        situation(s, carer)
        db.session.commit()
    assert (carer.id in _free(s, day_of(s, 0), time(11, 30))) is free  # what matching says
    report = make_on(s, 0)
    order = orders_of(plan["id"])[0]
    assert report.batched == 1
    if free:
        assert (order.status, order.caregiver_id) == ("accepted", carer.id)
    else:  # the provider answers the offer as usual
        assert (order.status, order.caregiver_id, order.provider_id) == ("dispatched", None, s["provider"].id)


def test_two_plans_of_one_caregiver_at_the_same_time_do_not_both_get_her(setting):
    s = setting
    carer = s["provider"].team[0]
    lunch = kept_plan(s, caregiver=carer)
    tidy = kept_plan(s, caregiver=carer, item_id=s["city"].tidy.id, pay_with="self",
                     rule={"freq": "daily", "time": "11:00"})
    report = make_on(s, 0)
    assert (report.made, report.kept_caregiver) == (2, 1)
    statuses = sorted(o.status for o in orders_of(lunch["id"]) + orders_of(tidy["id"]))
    assert statuses == ["accepted", "dispatched"]


def test_the_batch_gives_a_caregiver_no_more_visits_than_her_daily_limit(setting):
    """Three plans of one caregiver at different times, her limit two: matching counts the visits the batch
    gives her, in plan order."""
    s = setting
    carer = s["provider"].team[0]
    carer.daily_limit = 2
    db.session.commit()
    plans = [kept_plan(s, caregiver=carer, item_id=s["city"].tidy.id, pay_with="self",
                       rule={"freq": "daily", "time": f"{9 + 2 * i:02d}:00"}) for i in range(3)]
    report = make_on(s, 0)
    assert (report.made, report.batched, report.kept_caregiver) == (3, 3, 2)
    assert [orders_of(p["id"])[0].status for p in plans] == ["accepted", "accepted", "dispatched"]


def test_a_batch_is_told_once_with_every_order_it_wrote(setting):
    s = setting
    heard = []

    def hear(_sender, *, written, **_):
        heard.append(sorted(w.draft.values["care_plan_id"] for w in written))

    plans = [kept_plan(s, rule={"freq": "daily", "time": f"{9 + i:02d}:00"}) for i in range(3)]
    orders_written.connect(hear)
    try:
        make_on(s, 0)
        make_on(s, 0)  # nothing new: nothing told
    finally:
        orders_written.disconnect(hear)
    assert heard == [sorted(p["id"] for p in plans)]


def test_a_short_balance_refuses_the_batch_order_and_holds_nothing(setting):
    s = setting
    plan = kept_plan(s)
    leave_available(s["city"].elder.id, 1_000)  # so the 1,050 fen share no longer fits
    report = make_on(s, 0)
    assert report.made == 0 and [p for p, _ in report.refused] == [plan["id"]]
    assert "voucher balance" in report.refused[0][1]
    assert orders_of(plan["id"]) == []
    assert ledger.account("elder_available", s["city"].elder.id).balance_fen == 1000
    assert ledger.check().ok


def test_a_visit_booked_by_hand_at_that_time_is_not_booked_again(setting):
    s = setting
    plan = kept_plan(s)
    start = datetime.combine(day_of(s, 0), time(11, 30), LOCAL)
    r = s["api"].as_(s["family"]).post("/api/v1/orders", json={
        "elder_id": s["city"].elder.id, "item_id": s["city"].lunch.id, "scheduled_start": start.isoformat()})
    assert r.status_code == 201
    report = make_on(s, 0)
    assert report.made == 0 and report.refused == [(plan["id"], report.refused[0][1])]
    assert f"order {r.json['id']}" in report.refused[0][1]
    # Plans of the same service at the same time, in one batch: the first makes the order, the others are
    # refused naming it.
    twin_a, twin_b = kept_plan(s), kept_plan(s)
    report = make_on(s, 1)
    [made] = orders_of(plan["id"])
    assert report.made == 1 and orders_of(twin_a["id"]) == orders_of(twin_b["id"]) == []
    assert [p for p, _ in report.refused] == [twin_a["id"], twin_b["id"]]
    assert all(f"order {made.id}" in why for _, why in report.refused)


def test_a_provider_no_longer_approved_leaves_the_plan_to_normal_matching(setting):
    s = setting
    plan = kept_plan(s)
    other = s["city"].provider("二")
    s["provider"].status = "suspended"
    db.session.commit()
    report = make_on(s, 0)
    assert (report.made, report.batched) == (1, 0)
    order = orders_of(plan["id"])[0]
    assert (order.status, order.provider_id) == ("dispatched", other.id)
    assert len(order.ranking) >= 1 and order.ranking[0]["provider_id"] == other.id


def test_a_provider_that_no_longer_reaches_the_home_leaves_the_plan_to_normal_matching(setting):
    s = setting
    plan = kept_plan(s)
    other = s["city"].provider("二")
    s["provider"].service_areas = []  # it gave up the street, and the home lies beyond its radius
    s["provider"].service_radius_m = 100
    db.session.commit()
    report = make_on(s, 0)
    assert (report.made, report.batched) == (1, 0)
    order = orders_of(plan["id"])[0]
    assert (order.status, order.provider_id) == ("dispatched", other.id)
    assert s["provider"].id not in [c["provider_id"] for c in order.ranking]


def test_the_batch_run_again_makes_nothing_twice(setting):
    s = setting
    plans = [kept_plan(s, rule={"freq": "daily", "time": f"{9 + i:02d}:00"}) for i in range(3)]
    first, again = make_on(s, 0), make_on(s, 0)
    assert (first.made, first.batched, again.made, again.already) == (3, 3, 0, 3)
    assert all(len(orders_of(p["id"])) == 1 for p in plans)
    holds = db.session.scalar(select(func.count()).select_from(OrderOffer))
    assert holds == 3 and ledger.check().ok


@pytest.mark.postgres
def test_two_schedulers_at_once_make_each_batch_order_once(app, setting, is_postgres):
    """Two job runs on their own connections at the same moment, over plans kept by the provider (the batch
    path, voucher holds included) and plans with no provider yet (one by one): each order is made once."""
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    from ..vouchers.test_concurrency import run_at_once

    s = setting
    carer = s["provider"].team[0]
    kept = [kept_plan(s, caregiver=carer if i == 0 else None, rule={"freq": "daily", "time": f"{9 + i:02d}:00"})
            for i in range(6)]
    loose = [new_plan(s, rule={"freq": "daily", "time": f"{9 + i:02d}:15"}).json for i in range(3)]
    day = day_of(s, 0)
    now = datetime.combine(day - timedelta(days=2), time(9), LOCAL)
    reports = run_at_once(app, 3, lambda i: make_planned_orders(day, now=now, batch=2))
    assert len(reports) == 3, "a run failed"
    assert sum(r.made for r in reports) == 9 and sum(r.already for r in reports) == 18, reports
    assert sum(len(r.refused) for r in reports) == 0, reports
    ids = [p["id"] for p in kept + loose]
    counts = dict(db.session.execute(select(WorkOrder.care_plan_id, func.count(WorkOrder.id))
                                     .where(WorkOrder.care_plan_id.in_(ids)).group_by(WorkOrder.care_plan_id)).all())
    assert counts == {i: 1 for i in ids}
    held = ledger.account("elder_held", s["city"].elder.id).balance_fen
    assert held == 9 * 1050  # one hold per order, never two
    assert db.session.scalar(select(func.count()).select_from(OrderOffer)
                             .where(OrderOffer.order_id.in_(select(WorkOrder.id)))) >= 9
    assert ledger.check().ok
