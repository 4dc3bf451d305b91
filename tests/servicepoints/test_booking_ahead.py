"""A meal booked ahead at a point (issue 20, "Booking ahead"): the elder's family books it for a day and a meal
time, every refusal names its field, the counter completes the waiting order (one order, the held share captured
once), and a cancellation before the day gives the vouchers back. The clock: Wednesday 2 December 2026, 12:00
Beijing (conftest.py), moved where a test says."""
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from eldercare.audit import chain
from eldercare.audit.models import AuditEvent
from eldercare.clock import LOCAL
from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.notifications.models import Notification
from eldercare.orders.models import OrderOffer, WorkOrder
from eldercare.payments.models import Payment
from eldercare.servicepoints.models import CheckIn
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerTransaction

from ..factories import UserFactory
from .conftest import LUNCHTIME, make_point
from .test_check_in import balances, card_of, check_in

TODAY, TOMORROW = date(2026, 12, 2), date(2026, 12, 3)


@pytest.fixture
def family(counter):
    user = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=counter.elder.id, user_id=user.id, relation="女儿"))
    db.session.commit()
    return user


def book(api, counter, user, point=None, **body):
    body = {"elder_id": counter.elder.id, "item_id": counter.lunch.id, "day": TOMORROW.isoformat(), "slot": "lunch",
            "pay_with": "voucher"} | body
    return api.as_(user).post(f"/api/v1/service-points/{(point or counter.point).id}/bookings", json=body)


def ledger_kinds(order_id):
    return db.session.scalars(select(LedgerTransaction.kind).where(LedgerTransaction.order_id == order_id)
                              .order_by(LedgerTransaction.id)).all()


def orders_of(elder):
    return db.session.scalar(select(func.count()).select_from(WorkOrder).where(WorkOrder.elder_id == elder.id))


def test_the_family_books_a_meal_ahead_at_the_points_price_with_the_voucher_share_held(api, counter, family):
    r = book(api, counter, family)
    assert r.status_code == 201, r.json
    order = r.json
    assert order["status"] == "accepted"
    assert (order["service_point_id"], order["provider_id"]) == (counter.point.id, counter.point.provider_id)
    assert order["caregiver_id"] is None  # nobody is matched, nobody goes
    assert db.session.scalar(select(func.count()).select_from(OrderOffer)) == 0
    assert (order["price_fen"], order["voucher_fen"], order["copay_fen"]) == (1200, 840, 360)  # the point's price
    assert datetime.fromisoformat(order["scheduled_start"]) == datetime(2026, 12, 3, 10, 30, tzinfo=LOCAL)
    assert [h["to_status"] for h in order["history"]] == ["pending", "accepted"]
    assert balances(counter, counter.elder) == (30000 - 840, 840, 0)  # held, not captured
    assert ledger_kinds(order["id"]) == ["hold"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "service_point.booked", AuditEvent.target_id == counter.point.id)) == 1
    assert db.session.scalars(select(Notification.kind).where(Notification.user_id == family.id)).all() == [
        "booked_at_point"]
    assert ledger.check().ok and chain.verify().ok


def test_a_supper_is_booked_for_the_points_hours_of_the_meal_time(api, counter, family):
    r = book(api, counter, family, slot="supper", item_id=counter.supper.id)
    assert r.status_code == 201, r.json
    assert datetime.fromisoformat(r.json["scheduled_start"]) == datetime(2026, 12, 3, 15, 0, tzinfo=LOCAL)
    assert datetime.fromisoformat(r.json["scheduled_end"]) == datetime(2026, 12, 3, 19, 0, tzinfo=LOCAL)


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"day": "2026-12-01"}, 422, "day"),  # yesterday
    ({"day": "2027-01-15"}, 422, "day"),  # over 30 days ahead
    ({"day": TODAY.isoformat(), "slot": "breakfast"}, 422, "slot"),  # not served then (10:30 to 19:00)
    ({"slot": "tea"}, 422, "slot"),
    ({"item_id": "bath"}, 422, "item_id"),  # a bath is not a meal
])
def test_a_day_or_meal_time_the_point_cannot_serve_is_refused_naming_the_field(api, counter, family, body, status,
                                                                              field):
    if body.get("item_id") == "bath":
        body = body | {"item_id": counter.bath.id}
    r = book(api, counter, family, **body)
    assert r.status_code == status and field in r.json["errors"], r.json
    assert orders_of(counter.elder) == 0


def test_a_day_the_point_is_closed_and_a_meal_time_over_today_are_refused(api, counter, family, lunchtime):
    counter.point.hours = [h for h in counter.point.hours if h["weekday"] != 3]  # closed on Thursdays
    db.session.commit()
    r = book(api, counter, family)  # Thursday 3 December
    assert r.status_code == 422 and "day" in r.json["errors"], r.json
    lunchtime.move_to(datetime(2026, 12, 2, 15, 30, tzinfo=LOCAL))
    r = book(api, counter, family, day=TODAY.isoformat())  # lunch ended at 15:00
    assert r.status_code == 422 and "slot" in r.json["errors"], r.json
    assert book(api, counter, family, day=TODAY.isoformat(), slot="supper").status_code == 201


def test_a_point_not_approved_is_refused(api, counter, family):
    pending = make_point(counter.city, counter.point.provider, name="待审食堂", status="pending",
                         items=[(counter.lunch, 1200)])
    r = book(api, counter, family, point=pending)
    assert r.status_code == 404 and "service_point_id" in r.json["errors"], r.json
    admin = UserFactory(role="admin")  # who sees every point is told why
    r = book(api, counter, admin, point=pending)
    assert r.status_code == 409 and "service_point_id" in r.json["errors"], r.json
    assert orders_of(counter.elder) == 0


def test_the_points_day_holds_its_check_ins_and_bookings_up_to_its_capacity(api, counter):
    counter.point.daily_capacity = 2
    db.session.commit()
    operator = counter.city.operator
    first, second, third, fourth = counter.elders[1:5]
    assert check_in(api, counter, name=first.name, id_last6=first.id_number[-6:]).status_code == 201
    assert book(api, counter, operator, elder_id=second.id, day=TODAY.isoformat(), slot="supper",
                item_id=counter.supper.id).status_code == 201
    r = book(api, counter, operator, elder_id=third.id, day=TODAY.isoformat(), slot="supper",
             item_id=counter.supper.id)
    assert r.status_code == 409 and "service_point_id" in r.json["errors"], r.json
    r = check_in(api, counter, name=fourth.name, id_last6=fourth.id_number[-6:])  # the booked place is kept
    assert r.status_code == 409 and "service_point" in r.json["errors"], r.json
    assert book(api, counter, operator, elder_id=third.id).status_code == 201  # tomorrow has room


def test_the_vouchers_meals_a_day_are_the_counters_rule(api, counter, family):
    counter.policy.meals_a_day = 1
    db.session.commit()
    assert check_in(api, counter, card=card_of(api, counter, counter.elder)).status_code == 201  # today's lunch
    r = book(api, counter, family, day=TODAY.isoformat(), slot="supper", item_id=counter.supper.id)
    assert r.status_code == 409 and "pay_with" in r.json["errors"], r.json
    assert book(api, counter, family, day=TODAY.isoformat(), slot="supper", item_id=counter.supper.id,
                pay_with="self").status_code == 201
    assert book(api, counter, family).status_code == 201  # tomorrow's lunch
    r = book(api, counter, family, slot="supper", item_id=counter.supper.id)  # and tomorrow's supper
    assert r.status_code == 409 and "pay_with" in r.json["errors"], r.json


def test_one_meal_a_meal_time(api, counter, family):
    assert book(api, counter, family).status_code == 201
    r = book(api, counter, family, item_id=counter.supper.id)  # another meal at lunchtime
    assert r.status_code == 409 and "slot" in r.json["errors"], r.json
    r = book(api, counter, family)  # the same again
    assert r.status_code == 409 and "slot" in r.json["errors"], r.json
    assert orders_of(counter.elder) == 1


@pytest.mark.parametrize("status", ["suspended", "deceased", "hospitalized"])
def test_an_elder_who_cannot_be_served_is_refused_with_the_reason(api, counter, family, status):
    counter.elder.status = status
    db.session.commit()
    r = book(api, counter, family)
    assert r.status_code == 409 and "elder_id" in r.json["errors"], r.json
    assert orders_of(counter.elder) == 0


def test_only_the_elders_side_books_and_only_for_their_elder(api, counter, family):
    stranger = UserFactory(role="family")
    assert book(api, counter, stranger).status_code == 404
    assert book(api, counter, counter.staff).status_code == 403


def test_the_counter_completes_the_waiting_order_and_captures_the_held_share_once(api, counter, family, lunchtime):
    lunchtime.move_to(datetime(2026, 12, 1, 18, 0, tzinfo=LOCAL))  # the evening before
    booked = book(api, counter, family, day=TODAY.isoformat())
    assert booked.status_code == 201, booked.json
    lunchtime.move_to(LUNCHTIME)
    card = card_of(api, counter, counter.elder)
    r = check_in(api, counter, card=card, pay_with="self")  # the booking's terms stand
    assert r.status_code == 201, r.json
    order = r.json
    assert order["id"] == booked.json["id"] and order["status"] == "completed"
    assert (order["voucher_fen"], order["copay_fen"], order["copay_paid_fen"]) == (840, 360, 360)
    assert order["served_by_id"] == counter.staff.id and order["check_in_at"] and order["check_out_at"]
    assert [h["to_status"] for h in order["history"]] == ["pending", "accepted", "completed"]
    assert orders_of(counter.elder) == 1
    assert balances(counter, counter.elder) == (30000 - 840, 0, 840)  # the hold went into the capture
    assert ledger_kinds(order["id"]) == ["hold", "capture"]
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order["id"]))
    assert (payment.amount_fen, payment.method, payment.recorded_by_id) == (360, "cash", counter.staff.id)
    again = check_in(api, counter, card=card)  # sent twice
    assert again.status_code == 409, again.json
    assert ledger_kinds(order["id"]) == ["hold", "capture"] and orders_of(counter.elder) == 1
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert ledger.check().ok and chain.verify().ok


def test_the_counter_page_lists_the_waiting_meals_and_one_tap_serves_once(api, pages, counter, family, lunchtime):
    lunchtime.move_to(datetime(2026, 12, 1, 18, 0, tzinfo=LOCAL))
    order_id = book(api, counter, family, day=TODAY.isoformat()).json["id"]
    lunchtime.move_to(LUNCHTIME)
    pages.login(counter.staff.username)
    path = f"/points/{counter.point.id}/counter"
    page = pages.client.get(path).get_data(as_text=True)
    assert counter.elder.name in page and counter.lunch.name in page and f'id="serve-{order_id}"' in page
    token = pages.token(path)
    tap = pages.client.post(f"{path}/bookings/{order_id}", data={"csrf_token": token})
    assert tap.status_code == 302
    twice = pages.client.post(f"{path}/bookings/{order_id}", data={"csrf_token": token})
    assert twice.status_code == 422
    assert db.session.get(WorkOrder, order_id).status == "completed"
    assert ledger_kinds(order_id) == ["hold", "capture"]
    assert balances(counter, counter.elder) == (30000 - 840, 0, 840)
    assert f'id="serve-{order_id}"' not in pages.client.get(path).get_data(as_text=True)
    assert ledger.check().ok


def test_a_booking_for_another_day_is_not_served_today(api, pages, counter, family):
    order_id = book(api, counter, family).json["id"]  # tomorrow's
    pages.login(counter.staff.username)
    path = f"/points/{counter.point.id}/counter"
    assert f'id="serve-{order_id}"' not in pages.client.get(path).get_data(as_text=True)
    r = pages.client.post(f"{path}/bookings/{order_id}", data={"csrf_token": pages.token(path)})
    assert r.status_code == 422
    assert db.session.get(WorkOrder, order_id).status == "accepted"


def test_a_booking_cancelled_before_the_day_releases_the_hold(api, counter, family):
    order_id = book(api, counter, family).json["id"]
    r = api.as_(family).post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "家里有事"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "cancelled"
    assert balances(counter, counter.elder) == (30000, 0, 0)
    assert ledger_kinds(order_id) == ["hold", "release"]
    assert book(api, counter, family).status_code == 201  # the meal time is free again
    assert ledger.check().ok


def test_the_family_books_and_cancels_on_the_meals_page(api, pages, counter, family):
    pages.login(family.username)
    page = pages.client.get("/meals").get_data(as_text=True)
    choice = f"{counter.point.id}:{counter.lunch.id}"
    assert counter.point.name in page and f'value="{choice}"' in page
    assert f'value="{counter.point.id}:{counter.bath.id}"' not in page  # meals only
    token = pages.token("/meals")
    form = {"csrf_token": token, "elder_id": str(counter.elder.id), "choice": choice, "day": "2026-12-01",
            "slot": "lunch", "pay_with": "voucher"}
    refused = pages.client.post("/meals", data=form)
    assert refused.status_code == 422 and "field-invalid" in refused.get_data(as_text=True)
    assert pages.client.post("/meals", data=form | {"day": TOMORROW.isoformat()}).status_code == 302
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.elder_id == counter.elder.id))
    assert (order.status, order.service_point_id, order.voucher_fen) == ("accepted", counter.point.id, 840)
    listed = pages.client.get("/meals").get_data(as_text=True)
    assert f'id="cancel-{order.id}"' in listed
    r = pages.client.post(f"/my/orders/{order.id}/cancel",
                          data={"csrf_token": token, "confirmed": "yes", "reason": "Plans changed"})
    assert r.status_code == 302
    db.session.refresh(order)
    assert order.status == "cancelled" and balances(counter, counter.elder) == (30000, 0, 0)
