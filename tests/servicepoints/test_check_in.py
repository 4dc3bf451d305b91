"""Check-in at the counter: by card and by name + ID digits, and every rule that refuses or prices a meal."""
from datetime import datetime

from sqlalchemy import event, func, select

from eldercare.audit import chain
from eldercare.audit.models import AuditEvent
from eldercare.clock import LOCAL
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.payments.models import Payment
from eldercare.servicepoints.models import CheckIn
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerTransaction

from ..factories import ElderFactory, UserFactory


def card_of(api, counter, elder):
    family = UserFactory(role="operator", scope_region_id=counter.city.district.id)
    r = api.as_(family).get(f"/api/v1/elders/{elder.id}/card")
    assert r.status_code == 200, r.json
    return r.json["payload"]


def check_in(api, counter, headers=None, **body):
    body.setdefault("item_id", counter.lunch.id)
    body.setdefault("pay_with", "voucher")
    return api.as_(counter.staff).post(f"/api/v1/service-points/{counter.point.id}/check-ins", json=body,
                                       headers=headers)


def balances(counter, elder):
    return (ledger.account("elder_available", elder.id).balance_fen,
            ledger.account("elder_held", elder.id).balance_fen,
            ledger.account("provider_payable", counter.point.provider_id).balance_fen)


def test_check_in_by_card_writes_a_completed_order_captures_vouchers_and_records_the_co_pay(api, counter):
    card = card_of(api, counter, counter.elder)
    r = check_in(api, counter, card=card)
    assert r.status_code == 201, r.json
    order = r.json
    assert order["status"] == "completed"
    assert (order["price_fen"], order["voucher_fen"], order["copay_fen"]) == (1200, 840, 360)
    assert order["copay_paid_fen"] == 360 and order["copay_status"] == "paid"
    assert order["service_point_id"] == counter.point.id and order["served_by_id"] == counter.staff.id
    assert order["provider_id"] == counter.point.provider_id
    assert order["check_in_at"] and order["check_out_at"]
    assert [h["to_status"] for h in order["history"]] == ["pending", "completed"]
    assert balances(counter, counter.elder) == (30000 - 840, 0, 840)  # held and captured at once
    kinds = db.session.scalars(select(LedgerTransaction.kind).where(LedgerTransaction.order_id == order["id"])
                               .order_by(LedgerTransaction.id)).all()
    assert kinds == ["hold", "capture"]
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order["id"]))
    assert (payment.kind, payment.amount_fen, payment.recorded_by_id) == ("offline", 360, counter.staff.id)
    assert ledger.check().ok


def test_check_in_by_name_and_last_six_id_characters(api, counter):
    elder = counter.elders[1]
    r = check_in(api, counter, name=elder.name, id_last6=elder.id_number[-6:])
    assert r.status_code == 201, r.json
    assert r.json["elder_id"] == elder.id


def test_a_name_and_digits_that_match_no_one_or_two_say_nothing_more(api, counter):
    elder = counter.elders[1]
    wrong = "000000" if elder.id_number[-6:] != "000000" else "111111"
    r = check_in(api, counter, name=elder.name, id_last6=wrong)
    assert r.status_code == 404
    assert elder.name not in str(r.json) and elder.id_number not in str(r.json)
    twin = ElderFactory(community_id=elder.community_id, name=elder.name, id_number=_same_tail(elder))
    r = check_in(api, counter, name=elder.name, id_last6=elder.id_number[-6:])
    assert r.status_code == 409, r.json
    assert str(twin.id) not in r.json["message"] and twin.id_number not in str(r.json)
    r = check_in(api, counter, name=elder.name, id_last6="１２３４５６")  # full-width digits
    assert r.status_code == 422 and "id_last6" in r.json["errors"]


def _same_tail(elder):
    """An ID number of another area with the same last six characters (a valid-looking duplicate tail)."""
    return "110101" + elder.id_number[6:]


def test_a_revoked_card_is_refused_and_the_new_one_works(api, counter):
    old = card_of(api, counter, counter.elder)
    operator = UserFactory(role="operator", scope_region_id=counter.city.district.id)
    r = api.as_(operator).post(f"/api/v1/elders/{counter.elder.id}/card/revoke")
    assert r.status_code == 201
    new = r.json["payload"]
    assert new != old
    refused = check_in(api, counter, card=old)
    assert refused.status_code == 409 and "card" in refused.json["errors"]
    assert check_in(api, counter, card=new).status_code == 201


def test_a_forged_card_is_refused(api, counter):
    card = card_of(api, counter, counter.elder)
    elder_id, version, signature = card.split(".")
    forged = f"{counter.elders[1].id}.{version}.{signature}"
    r = check_in(api, counter, card=forged)
    assert r.status_code == 422 and "card" in r.json["errors"]


def test_a_second_lunch_is_at_full_price_then_a_supper_is_subsidised(api, counter, lunchtime):
    card = card_of(api, counter, counter.elder)
    assert check_in(api, counter, card=card).json["voucher_fen"] == 840
    again = check_in(api, counter, card=card)  # the same lunch at the same point: a double tap
    assert again.status_code == 409
    other = _second_canteen(counter)
    second = api.as_(counter.staff).post(f"/api/v1/service-points/{other.id}/check-ins",
                                         json={"card": card, "item_id": counter.lunch.id, "pay_with": "voucher"})
    assert second.status_code == 201, second.json
    assert (second.json["voucher_fen"], second.json["copay_fen"]) == (0, 1300)
    lunchtime.move_to(datetime(2026, 12, 2, 17, 30, tzinfo=LOCAL))
    supper = check_in(api, counter, card=card, item_id=counter.supper.id)
    assert supper.status_code == 201 and supper.json["voucher_fen"] == 840


def test_the_daily_limit_is_the_policys_and_a_point_may_refuse_a_meal_past_it(api, counter, lunchtime):
    counter.policy.meals_a_day = 1
    counter.point.second_meal = "refuse"
    db.session.commit()
    card = card_of(api, counter, counter.elder)
    assert check_in(api, counter, card=card).status_code == 201
    lunchtime.move_to(datetime(2026, 12, 2, 17, 30, tzinfo=LOCAL))
    r = check_in(api, counter, card=card, item_id=counter.supper.id)
    assert r.status_code == 409 and "pay_with" in r.json["errors"]
    assert check_in(api, counter, card=card, item_id=counter.supper.id, pay_with="self").status_code == 201
    assert _meals(counter.elder) == 2


def test_a_suspended_deceased_or_hospitalised_elder_is_refused_with_the_reason(api, counter):
    for elder, status in zip(counter.elders[1:4], ("suspended", "deceased", "hospitalized"), strict=True):
        elder.status = status
        db.session.commit()
        r = check_in(api, counter, name=elder.name, id_last6=elder.id_number[-6:])
        assert r.status_code == 409, r.json
        assert "elder_id" in r.json["errors"]
    assert db.session.scalar(select(func.count()).select_from(WorkOrder)) == 0


def test_no_one_outside_the_points_hours(api, counter, lunchtime):
    card = card_of(api, counter, counter.elder)
    lunchtime.move_to(datetime(2026, 12, 2, 9, 0, tzinfo=LOCAL))
    r = check_in(api, counter, card=card)
    assert r.status_code == 409 and "service_point" in r.json["errors"] and "09:00" in r.json["message"]
    counter.point.hours = [h for h in counter.point.hours if h["weekday"] != 2]  # closed on Wednesdays
    db.session.commit()
    lunchtime.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=LOCAL))
    assert check_in(api, counter, card=card).status_code == 409


def test_no_one_over_the_points_daily_capacity(api, counter):
    counter.point.daily_capacity = 2
    db.session.commit()
    for elder in counter.elders[:2]:
        assert check_in(api, counter, name=elder.name, id_last6=elder.id_number[-6:]).status_code == 201
    third = counter.elders[2]
    r = check_in(api, counter, name=third.name, id_last6=third.id_number[-6:])
    assert r.status_code == 409 and "service_point" in r.json["errors"]


def test_the_same_idempotency_key_twice_records_one_meal_and_captures_once(api, counter):
    card = card_of(api, counter, counter.elder)
    headers = {"Idempotency-Key": "0b9f3c1e-4a43-4c2e-9d55-0c6f1f1f0a01"}
    first = check_in(api, counter, headers=headers, card=card)
    second = check_in(api, counter, headers=headers, card=card)
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    assert _meals(counter.elder) == 1
    assert _captures(counter.elder) == 1
    assert balances(counter, counter.elder) == (30000 - 840, 0, 840)


def test_a_double_tap_without_a_key_records_one_meal(api, counter):
    card = card_of(api, counter, counter.elder)
    assert check_in(api, counter, card=card).status_code == 201
    r = check_in(api, counter, card=card)
    assert r.status_code == 409 and "item_id" in r.json["errors"]
    assert _meals(counter.elder) == 1 and _captures(counter.elder) == 1


def test_only_the_points_staff_serve_at_its_counter(api, counter):
    card = card_of(api, counter, counter.elder)
    outsider = UserFactory(role="point_staff", provider_id=counter.city.provider("别家", caregivers=0).id)
    r = api.as_(outsider).post(f"/api/v1/service-points/{counter.point.id}/check-ins",
                               json={"card": card, "item_id": counter.lunch.id})
    assert r.status_code == 404
    admin = counter.city.operator
    r = api.as_(admin).post(f"/api/v1/service-points/{counter.point.id}/check-ins",
                            json={"card": card, "item_id": counter.lunch.id})
    assert r.status_code == 403
    assert _meals(counter.elder) == 0


def test_an_item_the_point_does_not_serve_is_refused(api, counter):
    card = card_of(api, counter, counter.elder)
    r = check_in(api, counter, card=card, item_id=counter.city.tidy.id)
    assert r.status_code == 422 and "item_id" in r.json["errors"]


def _second_canteen(counter):
    from .conftest import make_point

    provider = db.session.get(type(counter.point.provider), counter.point.provider_id)
    return make_point(counter.city, provider, name="第二食堂", items=[(counter.lunch, 1300)])


def _meals(elder):
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.elder_id == elder.id))


def _captures(elder):
    return db.session.scalar(select(func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.elder_id == elder.id, LedgerTransaction.kind == "capture"))



def test_a_meal_at_the_counter_is_not_an_audit_finding(api, counter):
    """Recorded in one moment at the counter, with no distance from home: no 'too short', no 'far from home'."""
    from eldercare import clock
    from eldercare.audit.rules import scan

    r = check_in(api, counter, card=card_of(api, counter, counter.elder))
    assert r.status_code == 201, r.json
    report = scan(clock.today(), clock.today())
    assert report.findings == 0, report


def test_the_points_staff_read_the_orders_of_their_counter_and_no_other(api, counter):
    served = check_in(api, counter, name=counter.elders[2].name, id_last6=counter.elders[2].id_number[-6:])
    assert served.status_code == 201, served.json
    seen = api.as_(counter.staff).get(f"/api/v1/orders/{served.json['id']}")
    assert seen.status_code == 200 and seen.json["id"] == served.json["id"]
    assert [o["id"] for o in api.as_(counter.staff).get("/api/v1/orders").json] == [served.json["id"]]
    other_provider = counter.city.provider("别家", caregivers=0)
    stranger = UserFactory(role="point_staff", provider_id=other_provider.id)
    assert api.as_(stranger).get(f"/api/v1/orders/{served.json['id']}").status_code == 404
    assert api.as_(stranger).get("/api/v1/orders").json == []


def test_the_answer_is_the_order_as_stored_with_its_payment_and_log(api, counter):
    """The check-in answers the order as written, without reading it back: a later GET says the same."""
    r = check_in(api, counter, card=card_of(api, counter, counter.elder))
    assert r.status_code == 201, r.json
    officer = UserFactory(role="operator", scope_region_id=counter.city.district.id)
    stored = api.as_(officer).get(f"/api/v1/orders/{r.json['id']}")
    assert stored.status_code == 200, stored.json
    for name in ("status", "price_fen", "voucher_fen", "copay_fen", "copay_paid_fen", "copay_status", "pay_with",
                 "provider_id", "check_in_at", "check_out_at", "scheduled_start", "created_at", "accepted_at"):
        assert r.json[name] == stored.json[name], name
    assert [h["to_status"] for h in r.json["history"]] == [h["to_status"] for h in stored.json["history"]]
    order = db.session.get(WorkOrder, r.json["id"])
    assert (order.copay_paid_fen, order.copay_refunded_fen) == (360, 0)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == counter.staff.id,
                                                                 AuditEvent.action != "auth.login")).all()
    assert sorted(actions) == ["order.status_changed", "order.status_changed", "payment.recorded",
                               "service_point.checked_in"]
    assert chain.verify().ok


def test_a_meal_the_vouchers_pay_in_full_records_no_payment(api, counter):
    counter.policy.tiers[0].copay_percent = 0
    db.session.commit()
    r = check_in(api, counter, card=card_of(api, counter, counter.elder))
    assert r.status_code == 201, r.json
    assert (r.json["voucher_fen"], r.json["copay_fen"], r.json["copay_status"]) == (1200, 0, "none")
    assert db.session.scalar(select(func.count()).select_from(Payment)
                             .where(Payment.order_id == r.json["id"])) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "service_point.checked_in")) == 1


def test_a_check_in_costs_few_statements(api, counter, is_postgres):
    """A lunchtime queue is many check-ins a second: the elder, the item and the day's meals are read in few
    queries, the writes batched (PostgreSQL: one statement for the ledger, history, log and notifications)."""
    check_in(api, counter, card=card_of(api, counter, counter.elders[1]))  # the provider's account opened
    ledger.open_elder_accounts([counter.elder.id])  # as registration does (the factory's elders have none)
    db.session.commit()
    path = f"/api/v1/service-points/{counter.point.id}/check-ins"
    body = dict(card=card_of(api, counter, counter.elder), item_id=counter.lunch.id, pay_with="voucher")
    staff = api.as_(counter.staff)
    db.session.expire_all()  # nothing of the test's own reads is cached for the request
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        r = staff.post(path, json=body)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert r.status_code == 201, r.json
    # PostgreSQL: the user, the point, the elder, the item, the day's meals, the policy (2), the accounts, the
    # order, the ledger's transactions, who hears, the rest in one, the check-in, the payment, the log.
    assert len(statements) <= (15 if is_postgres else 18), "\n".join(statements)
