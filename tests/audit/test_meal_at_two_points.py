"""The meal_at_two_points rule: one elder's same meal (day and meal time, as the counter named it) recorded at two
service points is flagged on both check-ins; the same point twice, another day, another meal time or another
elder is not."""
from datetime import date, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from eldercare import clock
from eldercare.audit import rules
from eldercare.audit.findings import Finding
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.servicepoints.models import CheckIn, ServicePoint

from .conftest import DAY, HOME, at


def point(world, name):
    p = ServicePoint(provider_id=world.provider.id, name=name, kind="canteen", community_id=world.community.id,
                     lat=HOME[0], lng=HOME[1], hours=[], daily_capacity=100, status="approved")
    db.session.add(p)
    db.session.commit()
    return p


def meal(world, where, moment, slot, *, elder=None, item=None, status="completed"):
    """A meal recorded at `where`'s counter at `moment`, as the counter writes it: a completed order at the point
    and its check-in row."""
    elder, item = elder or world.elder(0), item or world.lunch
    order = WorkOrder(elder_id=elder.id, item_id=item.id, status=status, scheduled_start=moment,
                      scheduled_end=moment, quantity=1, price_fen=1200, voucher_fen=840, copay_fen=360,
                      pay_with="voucher", provider_id=where.provider_id, service_point_id=where.id,
                      check_in_at=moment, check_in_lat=where.lat, check_in_lng=where.lng, check_out_at=moment,
                      check_out_lat=where.lat, check_out_lng=where.lng, created_at=moment)
    db.session.add(order)
    db.session.flush()
    db.session.add(CheckIn(order_id=order.id, service_point_id=where.id, elder_id=elder.id, item_id=item.id,
                           served_on=clock.local_date(moment), slot=slot,
                           subsidised=True, at=moment))
    db.session.commit()
    return order


def flagged(first=DAY, last=DAY) -> set[int]:
    rules.scan(first, last)  # every rule, as the nightly job runs it
    db.session.commit()
    return set(db.session.scalars(select(Finding.order_id).where(Finding.rule == "meal_at_two_points")))


def test_one_lunch_at_two_canteens_flags_both(world, app):
    east, west = point(world, "东风食堂"), point(world, "西园食堂")
    here = meal(world, east, at(DAY, 11, 30), "lunch")
    there = meal(world, west, at(DAY, 12, 10), "lunch")
    other_elder = meal(world, west, at(DAY, 12, 15), "lunch", elder=world.elder(1))
    assert flagged() == {here.id, there.id}
    finding = db.session.scalar(select(Finding).where(Finding.order_id == here.id))
    assert finding.severity == "high"
    assert finding.facts == dict(day=DAY.isoformat(), slot="lunch", point="东风食堂", other_point="西园食堂",
                                 other_order_id=there.id)
    with app.test_request_context(), force_locale("zh"):
        assert finding.explanation == f"老人 2026-11-16 的午餐在东风食堂用过，又在西园食堂用了一次（工单 {there.id}）。"
    with app.test_request_context(), force_locale("en"):
        assert finding.explanation == (f"The elder was served lunch on 2026-11-16 at 东风食堂 and also at 西园食堂 "
                                       f"(order {there.id}).")
    assert other_elder.id not in flagged()


def test_near_misses_are_not_flagged(world):
    east, west = point(world, "东风食堂"), point(world, "西园食堂")
    # The same point twice in one lunch (a second dish): the counter's meals a day decide that, not the audit.
    meal(world, east, at(DAY, 11, 30), "lunch")
    meal(world, east, at(DAY, 11, 40), "lunch", item=world.tidy)
    # Breakfast at one point and lunch at another, 90 minutes apart: two meals.
    meal(world, east, at(DAY, 9, 30), "breakfast", elder=world.elder(1))
    meal(world, west, at(DAY, 11, 0), "lunch", elder=world.elder(1))
    # Lunch at one point today and at the other tomorrow.
    meal(world, east, at(DAY, 12), "lunch", elder=world.elder(2))
    meal(world, west, at(DAY + timedelta(days=1), 12), "lunch", elder=world.elder(2))
    # A bath and a day at day care are no meal.
    meal(world, east, at(DAY, 15), "day", elder=world.elder(3))
    meal(world, west, at(DAY, 16), "day", elder=world.elder(3))
    # One of the two lunches was cancelled.
    meal(world, east, at(DAY, 12), "lunch", elder=world.elder(4))
    meal(world, west, at(DAY, 12, 30), "lunch", elder=world.elder(4), status="cancelled")
    assert flagged(DAY, DAY + timedelta(days=1)) == set()


def test_a_rescan_of_the_next_day_adds_nothing(world):
    east, west = point(world, "东风食堂"), point(world, "西园食堂")
    meal(world, east, at(DAY, 17, 30), "supper")
    meal(world, west, at(DAY, 18, 0), "supper")
    assert len(flagged()) == 2
    assert flagged(DAY + timedelta(days=1), date(2026, 11, 20)) == flagged()
