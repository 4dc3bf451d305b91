"""The plans make their orders: for a day (48 hours ahead by default), every active plan that happens then
gets its order through the same booking service as a one-off order, so price, voucher share, hold, matching
and dispatch are the same. At most one order per plan and day (a unique key on the orders): a rerun, or a
second scheduler at the same moment, makes nothing twice. The provider and caregiver who kept the plan
before keep it where they can: the order prefers that provider, and is taken for the same caregiver when
free (a standing arrangement); otherwise it goes the normal way."""
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..db import utcnow
from ..errors import ServiceError
from ..extensions import db
from ..orders import booking, dispatch
from ..orders.matching import LOCAL
from ..orders.models import WorkOrder
from .models import CarePlan
from .rules import happens_on, time_on


@dataclass
class MakeReport:
    day: date
    made: int = 0
    already: int = 0
    kept_caregiver: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)  # (plan id, why)


def make_planned_orders(day: date, *, now: datetime | None = None) -> MakeReport:
    """Make `day`'s orders for every active plan; each order commits on its own."""
    now = now or utcnow()
    report = MakeReport(day)
    plans = db.session.scalars(
        select(CarePlan).where(CarePlan.status == "active", CarePlan.start_date <= day,
                               (CarePlan.end_date.is_(None)) | (CarePlan.end_date >= day))
        .order_by(CarePlan.id)).all()
    made = set(db.session.scalars(select(WorkOrder.care_plan_id).where(WorkOrder.plan_date == day)))
    for plan in plans:
        if not happens_on(plan, day):
            continue
        if plan.id in made:
            report.already += 1
            continue
        _make_one(plan, day, now, report)
    return report


def _make_one(plan: CarePlan, day: date, now: datetime, report: MakeReport) -> None:
    start = datetime.combine(day, time_on(plan, day), LOCAL)
    try:
        with db.session.begin_nested():
            order = booking.book(None, elder_id=plan.elder_id, item_id=plan.item_id, scheduled_start=start,
                                 quantity=plan.quantity, note=plan.note, pay_with=plan.pay_with,
                                 preferred_provider_id=plan.provider_id, now=now, plan=plan)
            order.booked_by_id = plan.created_by_id
    except IntegrityError:  # made a moment ago by another run: the unique key on (plan, day)
        db.session.rollback()
        report.already += 1
        return
    except ServiceError as refusal:  # e.g. the balance is short, or the slot was booked by hand
        db.session.rollback()
        report.refused.append((plan.id, refusal.message if isinstance(refusal.message, str) else str(refusal.message)))
        return
    if _keep_caregiver(plan, order, now):
        report.kept_caregiver += 1
    db.session.commit()
    report.made += 1


def _keep_caregiver(plan: CarePlan, order: WorkOrder, now: datetime) -> bool:
    if not (plan.caregiver_id and order.status == "dispatched" and order.provider_id == plan.provider_id):
        return False
    try:
        with db.session.begin_nested():
            dispatch.take(order.id, plan.provider_id, plan.caregiver_id, now=now)
        return True
    except ServiceError:  # not free or no longer qualified: the provider answers the offer as usual
        return False
