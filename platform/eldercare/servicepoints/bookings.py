"""Booking a meal ahead at a service point: the elder or family books a meal at an approved canteen for a day
and a meal time, and the counter finds it waiting (services.py completes it when the elder comes).

The booking is a work order written through the one order writer (orders/new_orders.py): at the point (its place
and its price), accepted by the point at once (no caregiver is matched), its voucher share held. Every refusal
names its field: the day (past, too far, the point closed), the meal time (not served then, over), the point
(not approved, full that day: its check-ins and the meals booked for the day), the elder (not bookable, the
meal time taken already) and the vouchers' meals a day (the counter's rule, services.subsidies_spent). Cancelled
like any order before its visit (orders/lifecycle.cancel), which releases the hold."""
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock, sql
from ..audit.services import record
from ..elders.models import Elder
from ..elders.registry import ensure_bookable
from ..elders.scope import visible_condition as elder_visible
from ..elders.scope import visible_elder
from ..errors import Conflict, Forbidden, NotFound, invalid
from ..extensions import db
from ..notifications.services import visit_facts
from ..orders import new_orders
from ..orders.booking import BOOKING_ROLES, MAX_DAYS_AHEAD, _double_booking, as_answered, voucher_part
from ..orders.models import WorkOrder
from ..vouchers.eligibility import explain
from .models import MEAL_SLOTS, CheckIn, ServicePoint
from .scope import visible_condition
from .services import (
    MEAL_CATEGORY,
    WAITING,
    _priced_statement,
    subsidies_spent,
    waiting_at,
    waiting_meals,
)

# Each meal time's part of the day (Beijing), as the counter tells them apart (services.meal_slot).
SLOT_HOURS = {"breakfast": ("00:00", "10:00"), "lunch": ("10:00", "15:00"), "supper": ("15:00", "24:00")}


def serving_hours(point: ServicePoint, day: date, slot: str) -> tuple[str, str] | None:
    """When the point serves `slot` on `day` (Beijing "HH:MM" to "HH:MM"): its first opening hours within the
    meal time; None when it does not serve then."""
    start, end = SLOT_HOURS[slot]
    for h in sorted(point.hours or [], key=lambda h: h["start"]):
        if h["weekday"] == day.weekday() and max(h["start"], start) < min(h["end"], end):
            return max(h["start"], start), min(h["end"], end)
    return None


def book(actor, point_id: int, *, elder_id: int, item_id: int, day: date, slot: str, pay_with: str = "voucher",
         note: str | None = None) -> WorkOrder:
    """Book a meal at the point for `day` and meal time `slot`; answers the order as written (accepted by the
    point, waiting for the elder). The point's row and the elder's are locked first, as the counter locks them, so
    the day's capacity and the vouchers' meals are counted once per booking or check-in."""
    now = clock.now()
    if actor.role not in BOOKING_ROLES:
        raise Forbidden(_l("Your role cannot book services."))
    point = db.session.scalar(sql.locked(select(ServicePoint).where(ServicePoint.id == point_id,
                                                                    visible_condition(actor))))
    if point is None:
        message = _l("No such service point.")
        raise NotFound(message, {"service_point_id": [message]})
    if point.status != "approved":
        message = _l("The point is not approved by the bureau yet: it cannot serve with vouchers.")
        raise Conflict(message, {"service_point_id": [message]})
    visible_elder(elder_id, actor)  # 404 for an elder not theirs; then the row locked, as the counter locks it
    elder = db.session.scalar(sql.locked(select(Elder).where(Elder.id == elder_id))
                              .execution_options(populate_existing=True))
    ensure_bookable(elder)
    priced = db.session.execute(_priced_statement(), dict(point_id=point.id, item_id=item_id)).first()
    if priced is None:
        raise invalid("item_id", _l("This point does not serve that item."))
    price, item = priced
    if not item.active or item.category.code != MEAL_CATEGORY:
        raise invalid("item_id", _l("Only a meal can be booked ahead at a point."))
    start, end = _when(point, day, slot, now)
    _ensure_room(point, day)
    waiting = waiting_meals(elder.id, day)
    served = db.session.execute(select(CheckIn.order_id, CheckIn.slot, CheckIn.subsidised)
                                .where(CheckIn.elder_id == elder.id, CheckIn.served_on == day)).all()
    taken = [(w.order_id, w.slot) for w in waiting] + [(c.order_id, c.slot) for c in served]
    same = next((order_id for order_id, s in taken if s == slot), None)
    if same is not None:
        message = _l("The elder has a meal at that meal time already (order %(id)d).", id=same)
        raise Conflict(message, {"slot": [message]})
    voucher = 0
    if pay_with == "voucher":
        eligibility = explain(elder, str(clock.Month.of(start)))
        voucher = voucher_part(eligibility, item, price)  # 422 naming pay_with or item_id when it cannot pay
        limit = eligibility.policy.meals_a_day
        meals = [(w.slot, w.voucher_fen > 0) for w in waiting] + [(c.slot, c.subsidised) for c in served]
        if subsidies_spent(meals, slot, limit):
            message = _l("Vouchers pay for at most %(n)d meals a day, one a meal time: that day's are booked or "
                         "served already. Choose to pay yourself.", n=limit)
            raise Conflict(message, {"pay_with": [message]})
    values = dict(elder_id=elder.id, item_id=item.id, scheduled_start=start, scheduled_end=end, quantity=1,
                  price_fen=price, voucher_fen=voucher, copay_fen=price - voucher, copay_paid_fen=0,
                  copay_refunded_fen=0, pay_with=pay_with if voucher else "self", note=(note or "").strip() or None,
                  preferred_provider_id=None, booked_by_id=actor.id, care_plan_id=None, plan_date=None, ranking=[],
                  auto_confirmed=False, caregiver_id=None, service_point_id=point.id, served_by_id=None)
    draft = new_orders.at_point(values, facts=visit_facts(item, elder, start, provider=point.name),
                                community_id=elder.community_id, now=now, provider_id=point.provider_id)
    try:
        written = new_orders.write([draft], actor=actor)  # 409 when the voucher balance is short
    except IntegrityError as error:  # the same meal booked by a request that committed a moment ago
        if _double_booking(error):
            message = _l("The elder has a meal at that meal time already.")
            raise Conflict(message, {"slot": [message]}) from None
        raise
    order = written.written[0]
    record("service_point.booked", point, actor=actor, order_id=order.id, elder_id=elder.id, item_id=item.id,
           day=day.isoformat(), slot=slot, voucher_fen=voucher)
    answer = as_answered(order, written.at, actor)
    set_committed_value(answer, "elder", elder)
    set_committed_value(answer, "item", item)
    return answer


def _when(point: ServicePoint, day: date, slot: str, now: datetime) -> tuple[datetime, datetime]:
    """The booked meal's start and end (UTC): the point's serving hours of that meal time on that day."""
    today = clock.local_date(now)
    if day < today:
        raise invalid("day", _l("The day has passed."))
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise invalid("day", _l("Book at most %(days)d days ahead.", days=MAX_DAYS_AHEAD))
    if slot not in MEAL_SLOTS:
        raise invalid("slot", _l("Choose breakfast, lunch or supper."))
    if not any(h["weekday"] == day.weekday() for h in point.hours or []):
        raise invalid("day", _l("The point is closed on that day."))
    hours = serving_hours(point, day, slot)
    if hours is None:
        raise invalid("slot", _l("The point does not serve that meal on that day."))
    start, end = (clock.at_local(day, time.fromisoformat(t)) for t in hours)
    if end <= now:
        raise invalid("slot", _l("That meal time is over for today."))
    return start, end


def _ensure_room(point: ServicePoint, day: date) -> None:
    """409 when the point's day is full: its check-ins and the meals booked for the day reach its capacity."""
    served = db.session.scalar(select(func.count()).select_from(CheckIn).where(
        CheckIn.service_point_id == point.id, CheckIn.served_on == day))
    if served + waiting_at(point, day) >= point.daily_capacity:
        message = _l("The point is fully booked on that day (%(n)d a day).", n=point.daily_capacity)
        raise Conflict(message, {"service_point_id": [message]})


def mine(user, *, limit: int = 100) -> list[WorkOrder]:
    """The meals booked ahead for the elders `user` speaks for, still waiting: soonest first."""
    return db.session.scalars(select(WorkOrder).join(Elder, Elder.id == WorkOrder.elder_id).where(
        WorkOrder.service_point_id.is_not(None), WorkOrder.status == WAITING, elder_visible(user))
        .order_by(WorkOrder.scheduled_start, WorkOrder.id).limit(limit)).all()
