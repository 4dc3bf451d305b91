"""The co-pay paid online: Stripe Checkout in CNY started once per order, and Stripe's webhooks verified against
the raw body and processed once per event id, in whatever order they come; a cancellation after payment
refunds through Stripe. Stripe's own library runs; only its HTTP client is a stub (stripe_stub.py)."""
import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.payments.models import Payment, StripeEvent

from .stripe_stub import (
    WEBHOOK_SECRET,
    charge_refunded,
    event,
    intent,
    session_completed,
    signature,
)

WEBHOOK = "/api/v1/payments/stripe/webhook"
MOMENT = datetime(2026, 12, 5, 19, 30, tzinfo=UTC)  # a Saturday, 03:30 in Beijing the next day


def start(f):
    return f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/payments/stripe")


def deliver(client, payload: str, *, at=None, secret=WEBHOOK_SECRET, header=None):
    headers = {"Stripe-Signature": header if header is not None else signature(payload, secret=secret, at=at),
               "Content-Type": "application/json"}
    return client.post(WEBHOOK, data=payload, headers=headers)


def order_of(f) -> WorkOrder:
    db.session.expire_all()
    return db.session.get(WorkOrder, f["order"]["id"])


def audits(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


@pytest.fixture
def checkout(flow, stripe_on):
    """The family started paying 4.50 yuan online; what Stripe's events will name."""
    answer = start(flow)
    assert answer.status_code == 201, answer.json
    payment = db.session.get(Payment, answer.json["id"])
    return dict(flow=flow, stub=stripe_on, answer=answer.json, session=payment.stripe_session_id,
                metadata={"order_id": str(flow["order"]["id"]), "payment_key": payment.stripe_key})


def test_the_co_pay_is_paid_through_one_checkout_in_cny_with_a_key_from_the_order(checkout):
    c, stub = checkout, checkout["stub"]
    order_id = c["flow"]["order"]["id"]
    assert c["answer"]["amount_fen"] == 450 and c["answer"]["currency"] == "cny"
    assert c["answer"]["status"] == "pending" and c["answer"]["checkout_url"].startswith("https://checkout.stripe")
    [call] = stub.calls_to("/v1/checkout/sessions")
    assert call.params["line_items[0][price_data][currency]"] == "cny"
    assert call.params["line_items[0][price_data][unit_amount]"] == "450"
    assert {call.params["payment_method_types[0]"], call.params["payment_method_types[1]"]} == {"alipay",
                                                                                                 "wechat_pay"}
    assert call.params["metadata[order_id]"] == str(order_id)
    assert call.params["payment_intent_data[metadata][order_id]"] == str(order_id)
    assert call.idempotency_key == f"yiyang-copay-{order_id}-1-450"
    again = start(c["flow"])
    assert again.status_code == 201 and again.json == c["answer"]  # the same payment, not a second checkout
    assert len(stub.calls_to("/v1/checkout/sessions")) == 1
    assert audits("payment.checkout_started") == 1
    assert c["flow"]["api"].as_(c["flow"]["family"]).get(f"/api/v1/orders/{order_id}").json["copay_status"] == "due"


def test_without_stripe_paying_online_is_refused_and_the_webhook_is_not_served(flow, client):
    answer = start(flow)
    assert answer.status_code == 409 and "door" in answer.json["message"]
    payload = event("evt_x", "payment_intent.succeeded", {"id": "pi_x"})
    assert deliver(client, payload).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 0


def test_only_the_elders_side_may_start_paying(flow, stripe_on):
    f = flow
    assert f["api"].as_(f["provider"].admin).post(
        f"/api/v1/orders/{f['order']['id']}/payments/stripe").status_code == 403
    assert f["api"].as_(f["city"].bureau).post(
        f"/api/v1/orders/{f['order']['id']}/payments/stripe").status_code == 403
    from ..factories import UserFactory
    stranger = UserFactory(role="family")
    assert f["api"].as_(stranger).post(f"/api/v1/orders/{f['order']['id']}/payments/stripe").status_code == 404
    assert stripe_on.calls == []


def test_a_valid_event_marks_the_co_pay_paid_and_its_replay_changes_nothing(checkout, client):
    c = checkout
    payload = event("evt_1", "checkout.session.completed",
                    session_completed(c["session"], "pi_1", 450, c["metadata"]))
    first = deliver(client, payload)
    assert first.status_code == 200 and first.json["outcome"] == "applied"
    order = order_of(c["flow"])
    assert (order.copay_paid_fen, order.copay_refunded_fen, order.copay_status) == (450, 0, "paid")
    payment = db.session.get(Payment, c["answer"]["id"])
    assert (payment.status, payment.paid_fen, payment.stripe_payment_intent_id) == ("succeeded", 450, "pi_1")
    replay = deliver(client, payload)  # Stripe redelivers: a new signature, the same event
    assert replay.status_code == 200 and replay.json["outcome"] == "duplicate"
    assert (order_of(c["flow"]).copay_paid_fen, audits("payment.stripe_event")) == (450, 1)
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 1
    # and the success told again by another event is no second payment
    again = deliver(client, event("evt_2", "payment_intent.succeeded", intent("pi_1", 450, c["metadata"])))
    assert again.json["outcome"] == "unchanged" and order_of(c["flow"]).copay_paid_fen == 450


@pytest.mark.parametrize("tamper", ["body", "secret", "header", "scheme"])
def test_a_bad_signature_answers_400_and_changes_nothing(checkout, client, tamper):
    c = checkout
    payload = event("evt_1", "checkout.session.completed",
                    session_completed(c["session"], "pi_1", 450, c["metadata"]))
    if tamper == "body":  # signed, then altered on the way: 4.50 becomes 0.01
        answer = deliver(client, payload.replace('"amount_total": 450', '"amount_total": 1'),
                         header=signature(payload))
    elif tamper == "secret":
        answer = deliver(client, payload, secret="whsec_someone_else")
    elif tamper == "header":
        answer = deliver(client, payload, header="")
    else:
        answer = deliver(client, payload, header=signature(payload).replace("v1=", "v0="))
    assert answer.status_code == 400 and answer.json["code"] == 400
    assert "Stripe-Signature" in answer.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert order_of(c["flow"]).copay_paid_fen == 0


def test_a_stale_timestamp_answers_400(checkout, client):
    c = checkout
    payload = event("evt_1", "checkout.session.completed",
                    session_completed(c["session"], "pi_1", 450, c["metadata"]))
    signed = signature(payload, at=int(MOMENT.timestamp()))
    with time_machine.travel(MOMENT + timedelta(minutes=6), tick=False):  # replayed six minutes later
        assert deliver(client, payload, header=signed).status_code == 400
    with time_machine.travel(MOMENT + timedelta(minutes=4), tick=False):  # within Stripe's five minutes
        assert deliver(client, payload, header=signed).status_code == 200
    assert order_of(c["flow"]).copay_status == "paid"


def test_junk_bodies_are_400_never_500(stripe_on, client):
    for payload in ("not json", "[]", json.dumps({"id": "evt_1", "type": "x"}), "\udcff"):
        body = payload.encode("utf-8", "surrogateescape") if "\udcff" in payload else payload
        header = signature(payload.encode("utf-8", "surrogateescape").decode("latin-1") if "\udcff" in payload
                           else payload)
        answer = client.post(WEBHOOK, data=body, headers={"Stripe-Signature": header,
                                                           "Content-Type": "application/json"})
        assert answer.status_code == 400, (payload, answer.json)


def final_state(c) -> tuple:
    payment = db.session.get(Payment, c["answer"]["id"])
    order = order_of(c["flow"])
    return payment.status, payment.paid_fen, payment.refunded_fen, order.copay_paid_fen, order.copay_refunded_fen, \
        order.copay_status


@pytest.mark.parametrize("order", ["as_sent", "refund_first", "reversed"])
def test_events_in_any_order_end_in_the_same_state(checkout, client, order):
    c = checkout
    events = [
        event("evt_a", "checkout.session.completed", session_completed(c["session"], "pi_1", 450, c["metadata"])),
        event("evt_b", "payment_intent.succeeded", intent("pi_1", 450, c["metadata"])),
        event("evt_c", "charge.refunded", charge_refunded("ch_1", "pi_1", 450, 200)),
    ]
    if order == "refund_first":  # the partial refund overtakes the success it refunds
        events = [events[2], events[1], events[0]]
        c["stub"].intents["pi_1"] = intent("pi_1", 450, c["metadata"])  # the refund's charge names only pi_1
    elif order == "reversed":
        events = events[::-1]
        c["stub"].intents["pi_1"] = intent("pi_1", 450, c["metadata"])
    for payload in events:
        assert deliver(client, payload).status_code == 200
    assert final_state(c) == ("succeeded", 450, 200, 450, 200, "due")


def test_a_failed_payment_leaves_the_co_pay_due_and_a_later_success_stands(checkout, client):
    c = checkout
    failed = intent("pi_1", 450, c["metadata"], status="requires_payment_method", error="支付宝付款未完成")
    assert deliver(client, event("evt_f1", "payment_intent.payment_failed", failed)).json["outcome"] == "applied"
    payment = db.session.get(Payment, c["answer"]["id"])
    assert (payment.status, payment.failure_message) == ("failed", "支付宝付款未完成")
    assert order_of(c["flow"]).copay_status == "due"
    assert start(c["flow"]).json["id"] == payment.id  # the same checkout can be tried again
    deliver(client, event("evt_s", "payment_intent.succeeded", intent("pi_1", 450, c["metadata"])))
    # a failure of an earlier attempt arriving late does not undo the success
    late = deliver(client, event("evt_f0", "payment_intent.payment_failed", failed))
    assert late.json["outcome"] == "unchanged"
    assert final_state(c) == ("succeeded", 450, 0, 450, 0, "paid")


def test_a_full_refund_makes_the_co_pay_refunded(checkout, client):
    c = checkout
    deliver(client, event("evt_a", "checkout.session.completed",
                          session_completed(c["session"], "pi_1", 450, c["metadata"])))
    deliver(client, event("evt_r", "charge.refunded", charge_refunded("ch_1", "pi_1", 450, 450)))
    assert final_state(c) == ("refunded", 450, 450, 450, 450, "refunded")
    assert audits("payment.stripe_event") == 2


def test_a_cancellation_after_payment_refunds_through_stripe_once(checkout, client):
    c, stub, f = checkout, checkout["stub"], checkout["flow"]
    deliver(client, event("evt_a", "checkout.session.completed",
                          session_completed(c["session"], "pi_1", 450, c["metadata"])))
    cancelled = f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel",
                                               json={"reason": "住院了"})
    assert cancelled.status_code == 200, cancelled.json
    [refund] = stub.calls_to("/v1/refunds")
    assert (refund.params["payment_intent"], refund.params["amount"]) == ("pi_1", "450")
    assert refund.idempotency_key == f"yiyang-refund-{c['answer']['id']}-0"
    assert final_state(c) == ("refunded", 450, 450, 450, 450, "refunded")
    assert cancelled.json["copay_status"] == "refunded"
    assert audits("payment.refund_requested") == 1
    # Stripe then tells of the refund: nothing more happens, nothing is refunded twice
    answer = deliver(client, event("evt_r", "charge.refunded", charge_refunded("ch_1", "pi_1", 450, 450)))
    assert answer.json["outcome"] == "unchanged" and len(stub.calls_to("/v1/refunds")) == 1


def test_a_refund_stripe_has_not_finished_waits_for_its_event(checkout, client):
    c, stub, f = checkout, checkout["stub"], checkout["flow"]
    stub.refund_status = "pending"  # Alipay and WeChat Pay refunds may take a while
    deliver(client, event("evt_a", "checkout.session.completed",
                          session_completed(c["session"], "pi_1", 450, c["metadata"])))
    f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel", json={"reason": "住院了"})
    assert final_state(c)[:3] == ("succeeded", 450, 0)
    # another event of the payment before the refund's: the refund asked already is not asked again
    deliver(client, event("evt_b", "payment_intent.succeeded", intent("pi_1", 450, c["metadata"])))
    assert len(stub.calls_to("/v1/refunds")) == 1
    deliver(client, event("evt_r", "charge.refunded", charge_refunded("ch_1", "pi_1", 450, 450)))
    assert final_state(c) == ("refunded", 450, 450, 450, 450, "refunded")


def test_a_cancellation_before_payment_closes_the_checkout_and_a_late_payment_is_refunded(checkout, client):
    c, stub, f = checkout, checkout["stub"], checkout["flow"]
    f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel", json={"reason": "不需要了"})
    assert [call.path for call in stub.calls_to("/v1/checkout/sessions/")] == [
        f"/v1/checkout/sessions/{c['session']}/expire"]
    assert db.session.get(Payment, c["answer"]["id"]).status == "expired"
    # the family had paid a moment before the checkout closed: the money goes back at once
    deliver(client, event("evt_a", "checkout.session.completed",
                          session_completed(c["session"], "pi_1", 450, c["metadata"])))
    [refund] = stub.calls_to("/v1/refunds")
    assert refund.params["amount"] == "450"
    assert final_state(c) == ("refunded", 450, 450, 450, 450, "refunded")


def test_an_event_for_a_payment_not_ours_is_acknowledged_and_ignored(stripe_on, flow, client):
    stripe_on.intents["pi_other"] = intent("pi_other", 999, {"shop": "elsewhere"})
    answer = deliver(client, event("evt_o", "payment_intent.succeeded", intent("pi_other", 999, {})))
    assert answer.status_code == 200 and answer.json["outcome"] == "ignored"
    assert deliver(client, event("evt_u", "customer.created", {"id": "cus_1"})).json["outcome"] == "ignored"


@pytest.mark.postgres
def test_the_same_event_delivered_twice_at_once_is_processed_once(app, checkout, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    c = checkout
    payload = event("evt_1", "checkout.session.completed",
                    session_completed(c["session"], "pi_1", 450, c["metadata"]))
    barrier = threading.Barrier(2)
    answers = []

    def deliver_one():
        client = app.test_client()
        barrier.wait()
        answers.append(deliver(client, payload))

    threads = [threading.Thread(target=deliver_one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(a.status_code for a in answers) == [200, 200]
    assert sorted(a.json["outcome"] for a in answers) == ["applied", "duplicate"]
    assert final_state(c) == ("succeeded", 450, 0, 450, 0, "paid")
    assert audits("payment.stripe_event") == 1


@pytest.mark.postgres
def test_two_different_events_of_one_payment_at_once_both_count(app, checkout, is_postgres):
    """The success and the refund racing: the order's row lock lets one at a time add up the order."""
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    c = checkout
    c["stub"].intents["pi_1"] = intent("pi_1", 450, c["metadata"])
    payloads = [event("evt_a", "checkout.session.completed",
                      session_completed(c["session"], "pi_1", 450, c["metadata"])),
                event("evt_r", "charge.refunded", charge_refunded("ch_1", "pi_1", 450, 450))]
    barrier = threading.Barrier(2)
    answers = []

    def deliver_one(payload):
        client = app.test_client()
        barrier.wait()
        answers.append(deliver(client, payload))

    threads = [threading.Thread(target=deliver_one, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [a.status_code for a in answers] == [200, 200]
    assert final_state(c) == ("refunded", 450, 450, 450, 450, "refunded")
