"""The co-pay recorded offline (the caregiver at the door, the provider, an operator): who, when, how much;
never more than is due; a mistake reversed by a new record, never edited, and only once; a retried POST with
the same Idempotency-Key records once. The order carries copay_paid_fen and copay_status."""
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from eldercare import clock
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.payments.models import Payment

from ..factories import UserFactory
from ..orders.flows import visit

CASH = {"amount_fen": 450, "method": "cash", "note": "现金"}


def pay(f, who, body=None, headers=None):
    return f["api"].as_(who).post(f"/api/v1/orders/{f['order']['id']}/payments/offline", json=body or CASH,
                                  headers=headers)


def order_of(f) -> WorkOrder:
    db.session.expire_all()
    return db.session.get(WorkOrder, f["order"]["id"])


def count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


@pytest.fixture
def done(flow):
    """The visit happened (the caregiver checked in and out); the clock is just after it."""
    visit(flow)
    with time_machine.travel(flow["start"] + timedelta(minutes=40), tick=False):
        yield flow


def test_the_caregiver_at_the_door_records_the_co_pay(done):
    f = done
    answer = pay(f, f["carer"])
    assert answer.status_code == 201, answer.json
    body = answer.json
    assert (body["kind"], body["method"], body["amount_fen"], body["paid_fen"]) == ("offline", "cash", 450, 450)
    assert body["recorded_by_id"] == f["carer"].id and body["note"] == "现金"
    assert datetime.fromisoformat(body["received_at"]) == f["start"] + timedelta(minutes=40)
    order = order_of(f)
    assert (order.copay_fen, order.copay_paid_fen, order.copay_status) == (450, 450, "paid")
    seen = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}").json
    assert (seen["copay_paid_fen"], seen["copay_status"]) == (450, "paid")
    listed = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}/payments")
    assert listed.status_code == 200 and [p["id"] for p in listed.json] == [body["id"]]
    assert count(AuditEvent, action="payment.recorded") == 1


def test_a_mistake_is_reversed_by_a_new_record_once(done):
    f = done
    first = pay(f, f["carer"]).json
    reversal = f["api"].as_(f["provider"].admin).post(f"/api/v1/payments/{first['id']}/reverse",
                                                      json={"reason": "记错了，家属未付"})
    assert reversal.status_code == 201, reversal.json
    assert (reversal.json["kind"], reversal.json["amount_fen"], reversal.json["reverses_id"]) == \
        ("reversal", -450, first["id"])
    original = db.session.get(Payment, first["id"])
    assert (original.amount_fen, original.paid_fen, original.status) == (450, 450, "recorded")  # never edited
    order = order_of(f)
    assert (order.copay_paid_fen, order.copay_status) == (0, "due")
    again = f["api"].as_(f["city"].operator).post(f"/api/v1/payments/{first['id']}/reverse", json={"reason": "再撤"})
    assert again.status_code == 409
    of_reversal = f["api"].as_(f["city"].operator).post(f"/api/v1/payments/{reversal.json['id']}/reverse",
                                                        json={"reason": "撤销撤销"})
    assert of_reversal.status_code == 409
    listed = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}/payments").json
    assert [(p["amount_fen"], p["reversed_by_id"]) for p in listed] == [(450, reversal.json["id"]), (-450, None)]
    assert count(AuditEvent, action="payment.reversed") == 1
    # paid again, properly this time
    assert pay(f, f["city"].operator, {"amount_fen": 450, "method": "wechat"}).status_code == 201
    assert order_of(f).copay_status == "paid"


def test_the_caregiver_cannot_reverse_and_a_reason_is_needed(done):
    f = done
    first = pay(f, f["carer"]).json
    assert f["api"].as_(f["carer"]).post(f"/api/v1/payments/{first['id']}/reverse",
                                         json={"reason": "x"}).status_code == 403
    assert f["api"].as_(f["provider"].admin).post(f"/api/v1/payments/{first['id']}/reverse",
                                                  json={"reason": ""}).status_code == 422
    assert order_of(f).copay_paid_fen == 450


def test_more_than_is_due_is_refused_naming_the_amount(done):
    f = done
    over = pay(f, f["carer"], {"amount_fen": 451, "method": "cash"})
    assert over.status_code == 422 and "amount_fen" in over.json["errors"]
    assert pay(f, f["carer"], {"amount_fen": 200, "method": "alipay"}).status_code == 201
    over = pay(f, f["provider"].admin, {"amount_fen": 251, "method": "cash"})
    assert over.status_code == 422 and "amount_fen" in over.json["errors"]
    assert pay(f, f["provider"].admin, {"amount_fen": 250, "method": "cash"}).status_code == 201
    assert pay(f, f["carer"], {"amount_fen": 1, "method": "cash"}).status_code == 422  # nothing left
    assert order_of(f).copay_paid_fen == 450 and count(Payment) == 2


@pytest.mark.parametrize("body,field", [
    ({"amount_fen": 0, "method": "cash"}, "amount_fen"),
    ({"amount_fen": -5, "method": "cash"}, "amount_fen"),
    ({"amount_fen": "450", "method": "cash"}, "amount_fen"),
    ({"amount_fen": 4.5, "method": "cash"}, "amount_fen"),
    ({"amount_fen": 450, "method": "card"}, "method"),
    ({"amount_fen": 450}, "method"),
    ({"amount_fen": 450, "method": "cash", "received_at": "2026-12-01T10:00:00"}, "received_at"),
])
def test_bad_input_is_a_422_naming_the_field(done, body, field):
    answer = pay(done, done["carer"], body)
    assert answer.status_code == 422 and field in answer.json["errors"], answer.json
    assert count(Payment) == 0


def test_received_at_may_be_earlier_today_but_not_in_the_future(done):
    f = done
    now = f["start"] + timedelta(minutes=40)
    future = pay(f, f["carer"], CASH | {"received_at": (now + timedelta(minutes=5)).isoformat()})
    assert future.status_code == 422 and "received_at" in future.json["errors"]
    earlier = pay(f, f["carer"], CASH | {"received_at": (now - timedelta(minutes=30)).isoformat()})
    assert earlier.status_code == 201
    assert datetime.fromisoformat(earlier.json["received_at"]) == now - timedelta(minutes=30)


def test_a_caregiver_of_another_order_and_other_roles_are_refused(done, city):
    f = done
    other_provider = city.provider("二", km=1.5, caregivers=1)
    other_carer = UserFactory(role="caregiver", provider_id=other_provider.id)
    other_provider.team[0].user_id = other_carer.id
    same_team = UserFactory(role="caregiver", provider_id=f["provider"].id)  # same provider, not this visit
    db.session.commit()
    assert pay(f, other_carer).status_code == 404
    assert pay(f, same_team).status_code == 404
    assert pay(f, other_provider.admin).status_code == 404
    assert pay(f, f["family"]).status_code == 403
    assert pay(f, city.bureau).status_code == 403
    far_operator = UserFactory(role="operator", scope_region_id=city.far_street.id)
    assert pay(f, far_operator).status_code == 404
    assert count(Payment) == 0
    stranger = UserFactory(role="family")
    assert f["api"].as_(stranger).get(f"/api/v1/orders/{f['order']['id']}/payments").status_code == 404


def test_the_same_post_with_the_same_idempotency_key_records_once(done):
    f = done
    key = {"Idempotency-Key": "3f0a8f5e-5b7c-4d4c-9b1e-0c7c1f3e2a11"}
    first = pay(f, f["carer"], {"amount_fen": 200, "method": "cash"}, headers=key)
    again = pay(f, f["carer"], {"amount_fen": 200, "method": "cash"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers.get("Idempotent-Replay") == "true"
    assert count(Payment) == 1 and order_of(f).copay_paid_fen == 200


def test_a_cancelled_order_takes_no_payment(flow):
    f = flow
    f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel", json={"reason": "住院"})
    answer = pay(f, f["city"].operator)
    assert answer.status_code == 409 and count(Payment) == 0


@pytest.mark.postgres
def test_two_recordings_at_once_never_pay_more_than_is_due(app, done, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    import threading

    from ..factories import make_token
    f = done
    tokens = [make_token(f["carer"]), make_token(f["provider"].admin)]
    barrier = threading.Barrier(2)
    codes = []

    def one(token):
        client = app.test_client()
        barrier.wait()
        codes.append(client.post(f"/api/v1/orders/{f['order']['id']}/payments/offline", json=CASH,
                                 headers={"Authorization": f"Bearer {token}"}).status_code)

    threads = [threading.Thread(target=one, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [201, 422]
    assert order_of(f).copay_paid_fen == 450 and count(Payment) == 1




def test_a_settled_order_takes_no_payment_naming_its_state(done):
    f = done
    order = order_of(f)
    order.status = "settled"  # as approving its statement leaves it
    db.session.commit()
    answer = pay(f, f["carer"], {"amount_fen": 450, "method": "cash"})
    assert answer.status_code == 409 and "status" in answer.json["errors"]
    assert "settled" in answer.json["message"]
    assert count(Payment) == 0 and order_of(f).copay_paid_fen == 0


def test_a_cancelled_order_is_refused_naming_its_state(flow):
    f = flow
    f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel", json={"reason": "住院"})
    answer = pay(f, f["city"].operator, headers={"Accept-Language": "en"})
    assert answer.status_code == 409 and "status" in answer.json["errors"] and "cancelled" in answer.json["message"]


def test_an_open_online_checkout_for_the_rest_leaves_nothing_to_record_offline(flow, stripe_on):
    f = flow
    assert pay(f, f["city"].operator, {"amount_fen": 200, "method": "cash"}).status_code == 201
    checkout = f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/payments/stripe")
    assert checkout.status_code == 201 and checkout.json["amount_fen"] == 250  # the rest, asked online
    for amount in (250, 1):
        over = pay(f, f["city"].operator, {"amount_fen": amount, "method": "cash"})
        assert over.status_code == 422 and "amount_fen" in over.json["errors"], over.json
    assert order_of(f).copay_paid_fen == 200 and count(Payment, kind="offline") == 1


def test_cancelling_an_order_paid_in_cash_records_a_refund_due_once(flow):
    f = flow
    assert pay(f, f["city"].operator, {"amount_fen": 300, "method": "cash"}).status_code == 201
    assert pay(f, f["city"].operator, {"amount_fen": 150, "method": "wechat"}).status_code == 201
    cancelled = f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel", json={"reason": "住院"})
    assert cancelled.status_code == 200, cancelled.json
    order = order_of(f)
    assert (order.status, order.copay_paid_fen, order.copay_status) == ("cancelled", 450, "refund_due")
    seen = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}").json
    assert seen["copay_status"] == "refund_due"
    listed = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}/payments").json
    due = [p for p in listed if p["kind"] == "refund_due"]
    assert [(p["amount_fen"], p["status"], p["paid_fen"], p["method"]) for p in due] == [(450, "due", 0, "wechat")]
    assert [p["amount_fen"] for p in listed if p["kind"] == "offline"] == [300, 150]  # the records stay as they were
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "payment.refund_due"))
    assert event.detail["order_id"] == f["order"]["id"] and event.detail["amount_fen"] == 450
    assert event.actor_id == f["family"].id
    from eldercare.payments import services

    assert services.refund_due_offline(order) is None  # a retry owes nothing twice
    db.session.commit()
    assert count(Payment, kind="refund_due") == 1


def test_a_cash_payment_reversed_before_cancelling_leaves_nothing_due(flow):
    f = flow
    paid = pay(f, f["city"].operator, {"amount_fen": 450, "method": "cash"}).json
    reversed_ = f["api"].as_(f["city"].operator).post(f"/api/v1/payments/{paid['id']}/reverse",
                                                      json={"reason": "录错了"})
    assert reversed_.status_code == 201, reversed_.json
    f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel", json={"reason": "住院"})
    assert count(Payment, kind="refund_due") == 0 and order_of(f).copay_status != "refund_due"


def refund(f, who, body, headers=None):
    return f["api"].as_(who).post(f"/api/v1/orders/{f['order']['id']}/payments/refund", json=body, headers=headers)


@pytest.fixture
def owed_back(flow):
    """4.50 yuan paid at the door (3.00 cash, 1.50 WeChat), then the order cancelled: a refund due of 450 fen."""
    f = flow
    assert pay(f, f["city"].operator, {"amount_fen": 300, "method": "cash"}).status_code == 201
    assert pay(f, f["city"].operator, {"amount_fen": 150, "method": "wechat"}).status_code == 201
    assert f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel",
                                          json={"reason": "住院"}).status_code == 200
    assert order_of(f).copay_status == "refund_due"
    return f


def test_money_given_back_is_recorded_and_the_co_pay_becomes_refunded(owed_back):
    f = owed_back
    first = refund(f, f["carer"], {"amount_fen": 200, "method": "cash", "note": "先退现金"})
    assert first.status_code == 201, first.json
    body = first.json
    assert (body["kind"], body["method"], body["status"], body["amount_fen"], body["paid_fen"],
            body["refunded_fen"], body["recorded_by_id"], body["note"]) == \
        ("refund", "cash", "refunded", 200, 0, 200, f["carer"].id, "先退现金")
    assert body["received_at"] is not None  # when it was given back: now, as no time was given
    order = order_of(f)
    assert (order.copay_paid_fen, order.copay_refunded_fen, order.copay_status) == (450, 200, "refund_due")
    over = refund(f, f["provider"].admin, {"amount_fen": 251, "method": "wechat"})
    assert over.status_code == 422 and "amount_fen" in over.json["errors"], over.json
    rest = refund(f, f["provider"].admin, {"amount_fen": 250, "method": "wechat"})
    assert rest.status_code == 201, rest.json
    order = order_of(f)
    assert (order.copay_paid_fen, order.copay_refunded_fen, order.copay_status) == (450, 450, "refunded")
    seen = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}").json
    assert seen["copay_status"] == "refunded"
    again = refund(f, f["city"].operator, {"amount_fen": 1, "method": "cash"})
    assert again.status_code == 409 and "order" in again.json["errors"]
    listed = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}/payments").json
    assert [(p["kind"], p["amount_fen"], p["status"]) for p in listed] == [
        ("offline", 300, "recorded"), ("offline", 150, "recorded"), ("refund_due", 450, "due"),
        ("refund", 200, "refunded"), ("refund", 250, "refunded")]  # the records before stay as they were
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.refunded")
                                .order_by(AuditEvent.id)).all()
    assert [(e.actor_id, e.detail["order_id"], e.detail["amount_fen"], e.detail["method"], e.detail["still_owed_fen"])
            for e in events] == [(f["carer"].id, f["order"]["id"], 200, "cash", 250),
                                 (f["provider"].admin.id, f["order"]["id"], 250, "wechat", 0)]


def test_a_refund_recorded_by_mistake_is_reversed_by_a_new_record_once(owed_back):
    f = owed_back
    given = refund(f, f["city"].operator, {"amount_fen": 450, "method": "cash"}).json
    assert order_of(f).copay_status == "refunded"
    by_carer = f["api"].as_(f["carer"]).post(f"/api/v1/payments/{given['id']}/reverse", json={"reason": "记错了"})
    assert by_carer.status_code == 403
    reversal = f["api"].as_(f["provider"].admin).post(f"/api/v1/payments/{given['id']}/reverse",
                                                      json={"reason": "家属还没收到"})
    assert reversal.status_code == 201, reversal.json
    assert (reversal.json["kind"], reversal.json["amount_fen"], reversal.json["paid_fen"],
            reversal.json["refunded_fen"], reversal.json["reverses_id"]) == ("reversal", -450, 0, -450, given["id"])
    original = db.session.get(Payment, given["id"])
    assert (original.amount_fen, original.refunded_fen, original.status) == (450, 450, "refunded")  # never edited
    order = order_of(f)
    assert (order.copay_paid_fen, order.copay_refunded_fen, order.copay_status) == (450, 0, "refund_due")
    twice = f["api"].as_(f["city"].operator).post(f"/api/v1/payments/{given['id']}/reverse", json={"reason": "再撤"})
    assert twice.status_code == 409
    listed = f["api"].as_(f["family"]).get(f"/api/v1/orders/{f['order']['id']}/payments").json
    assert [p["reversed_by_id"] for p in listed if p["kind"] == "refund"] == [reversal.json["id"]]
    assert refund(f, f["city"].operator, {"amount_fen": 450, "method": "bank"}).status_code == 201
    assert order_of(f).copay_status == "refunded"
    assert count(AuditEvent, action="payment.reversed") == 1 and count(AuditEvent, action="payment.refunded") == 2


def test_nothing_owed_back_is_a_409_and_bad_input_a_422_naming_the_field(flow):
    f = flow
    assert refund(f, f["city"].operator, {"amount_fen": 100, "method": "cash"}).status_code == 409  # not cancelled
    assert pay(f, f["city"].operator, {"amount_fen": 450, "method": "cash"}).status_code == 201
    assert refund(f, f["city"].operator, {"amount_fen": 100, "method": "cash"}).status_code == 409  # nor owed back
    f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel", json={"reason": "住院"})
    later = (clock.now() + timedelta(hours=1)).isoformat()
    for body, field in [({"amount_fen": 0, "method": "cash"}, "amount_fen"),
                        ({"amount_fen": 100, "method": "stripe"}, "method"),
                        ({"amount_fen": 100, "method": "cash", "refunded_at": later}, "refunded_at"),
                        ({"amount_fen": 100, "method": "cash", "refunded_at": "2026-11-01T10:00:00"}, "refunded_at")]:
        answer = refund(f, f["city"].operator, body)
        assert answer.status_code == 422 and field in answer.json["errors"], (body, answer.json)
    assert refund(f, f["family"], {"amount_fen": 100, "method": "cash"}).status_code == 403
    assert count(Payment, kind="refund") == 0 and order_of(f).copay_status == "refund_due"
