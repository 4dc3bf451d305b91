"""The plans make their orders: for a day (48 hours ahead by default), every active plan that happens then
gets its order, priced, voucher-shared and checked for duplicates by the same rules as a one-off order
(orders/booking.py). At most one order per plan and day (a unique key on the orders, written with ON CONFLICT
DO NOTHING or inside a savepoint): a rerun, or a second scheduler at the same moment, makes nothing twice.

Continuity: a plan kept by a provider (named by the bureau for a family care bed, or learnt from the first
accepted order) offers each order straight to that provider, and the caregiver who came last takes it when
free then (a standing arrangement); otherwise the provider answers the offer as usual, and a rejection or
silence sends the order on through normal matching. Those plans are made in batches, set-based (kept.py),
which is what lets a city's 50,000 plans be made in seconds. A plan with no provider yet, or whose provider
can no longer serve it, goes through the booking service one order at a time, with normal matching."""
import gc
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError

from .. import sql
from ..catalog.models import Item
from ..clock import LOCAL
from ..db import utcnow
from ..elders.models import Elder
from ..errors import ServiceError
from ..extensions import db
from ..orders import booking, dispatch, matching
from ..orders.models import WorkOrder
from .models import CarePlan, CarePlanPause, CarePlanSkip, CarePlanTime
from .rules import happens_on, time_on

log = logging.getLogger(__name__)
BATCH = 5_000


@dataclass
class MakeReport:
    day: date
    made: int = 0
    already: int = 0
    kept_caregiver: int = 0
    batched: int = 0  # of `made`, how many by the batch path
    refused: list[tuple[int, str]] = field(default_factory=list)  # (plan id, why)


@dataclass
class Due:
    """A plan's visit on the day, with what the order needs from the plan."""

    id: int
    elder_id: int
    item_id: int
    quantity: int
    pay_with: str
    note: str | None
    provider_id: int | None
    caregiver_id: int | None
    created_by_id: int | None
    start: datetime  # aware, Beijing time


def make_planned_orders(day: date, *, now: datetime | None = None, batch: int = BATCH) -> MakeReport:
    """Make `day`'s orders for every active plan that happens then; each batch (or single order) commits on its
    own, so a crash loses nothing made and a rerun makes only what is missing."""
    now = now or utcnow()
    report = MakeReport(day)
    from .kept import Eligibility, make_batch  # plans kept by a provider, made in batches

    with _cycles_collected_after():
        due = due_on(day)
        made = set(db.session.scalars(select(WorkOrder.care_plan_id).where(WorkOrder.plan_date == day)))
        report.already += sum(1 for d in due if d.id in made)
        due = [d for d in due if d.id not in made]
        kept, one_by_one = _split(due)
        eligibility = Eligibility(day)
        for begin in range(0, len(kept), batch):
            chunk = kept[begin:begin + batch]
            try:
                leftover = make_batch(chunk, day, now, report, eligibility)
                db.session.commit()
            except (IntegrityError, DBAPIError):  # e.g. a deadlock or a balance raced to below zero: go slowly
                db.session.rollback()
                log.warning("care plans: a batch of %d for %s failed; making them one by one", len(chunk), day,
                            exc_info=True)
                leftover = chunk
            one_by_one.extend(leftover)
    for plan in sorted(one_by_one, key=lambda d: d.id):
        _make_one(plan, day, now, report)
    return report


@contextmanager
def _cycles_collected_after():
    """Python's collector of reference cycles held off while the batches run, and back on after them. A day's
    batches allocate millions of short-lived objects (rows, drafts, JSON documents) that reference counting
    frees as it goes; meanwhile the collector walked every live object again and again, a quarter of the job's
    time in Python (bench_planned_orders)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def due_on(day: date) -> list[Due]:
    """The active plans that happen on `day`, with the time in force then: a handful of queries whatever the
    number of plans, the rule itself (rules.py) applied to each in Python."""
    plans = CarePlan.__table__.c
    rows = db.session.execute(select(
        plans.id, plans.elder_id, plans.item_id, plans.quantity, plans.pay_with, plans.note, plans.provider_id,
        plans.caregiver_id, plans.created_by_id, plans.freq, plans.weekdays, plans.interval_weeks,
        plans.time_of_day, plans.start_date, plans.end_date)
        .where(plans.status == "active", plans.start_date <= day,
               (plans.end_date.is_(None)) | (plans.end_date >= day))
        .order_by(plans.id)).all()
    active = select(CarePlan.id).where(CarePlan.status == "active")
    skipped = set(db.session.scalars(select(CarePlanSkip.plan_id).where(CarePlanSkip.day == day,
                                                                        CarePlanSkip.plan_id.in_(active))))
    paused = set(db.session.scalars(select(CarePlanPause.plan_id).where(
        CarePlanPause.from_date <= day, CarePlanPause.until_date >= day, CarePlanPause.plan_id.in_(active))))
    times: dict[int, list] = {}
    for plan_id, from_date, at in db.session.execute(
            select(CarePlanTime.plan_id, CarePlanTime.from_date, CarePlanTime.time_of_day)
            .where(CarePlanTime.from_date <= day, CarePlanTime.plan_id.in_(active))
            .order_by(CarePlanTime.plan_id, CarePlanTime.from_date)):
        times.setdefault(plan_id, []).append(SimpleNamespace(from_date=from_date, time_of_day=at))
    out = []
    for r in rows:
        # The plan as rules.py reads it, with only the skips, pauses and time changes that matter on `day`.
        shape = SimpleNamespace(
            freq=r.freq, weekdays=r.weekdays, interval_weeks=r.interval_weeks, time_of_day=r.time_of_day,
            start_date=r.start_date, end_date=r.end_date, times=times.get(r.id, []),
            skips=[SimpleNamespace(day=day)] if r.id in skipped else [],
            pauses=[SimpleNamespace(from_date=day, until_date=day)] if r.id in paused else [])
        if happens_on(shape, day):
            out.append(Due(r.id, r.elder_id, r.item_id, r.quantity, r.pay_with, r.note, r.provider_id,
                           r.caregiver_id, r.created_by_id, datetime.combine(day, time_on(shape, day), LOCAL)))
    return out


def _split(due: list[Due]) -> tuple[list[Due], list[Due]]:
    """Plans whose provider would still be matched for them (matching.still_serve: approved, offering the
    item's category, reaching the home) go in batches; the rest through normal matching one by one."""
    kept = [d for d in due if d.provider_id]
    if not kept:
        return [], list(due)
    category = dict(db.session.execute(select(Item.id, Item.category_id)
                                       .where(Item.id.in_({d.item_id for d in kept}))).all())
    homes = {}  # elder -> (community, lat, lng)
    for ids in sql.chunks(sorted({d.elder_id for d in kept})):
        homes.update((e, (community, lat, lng)) for e, community, lat, lng in db.session.execute(
            select(Elder.id, Elder.community_id, Elder.lat, Elder.lng).where(sql.any_of(Elder.id, ids))))
    asked = [d for d in kept if d.item_id in category and d.elder_id in homes]
    # Only where the visit is matters here, not when: no Need (its end needs the item's duration) per plan.
    serving = matching.still_serve([matching.Serving(d.provider_id, category[d.item_id], *homes[d.elder_id])
                                    for d in asked])
    batched = {d.id for d, yes in zip(asked, serving, strict=True) if yes}
    return [d for d in due if d.id in batched], [d for d in due if d.id not in batched]


def _make_one(plan: Due, day: date, now: datetime, report: MakeReport) -> None:
    """One order through the booking service (normal matching, the kept provider preferred), in its own
    transaction."""
    try:
        with db.session.begin_nested():
            order = booking.book(None, elder_id=plan.elder_id, item_id=plan.item_id, scheduled_start=plan.start,
                                 quantity=plan.quantity, note=plan.note, pay_with=plan.pay_with,
                                 preferred_provider_id=plan.provider_id, now=now, plan=plan)
    except IntegrityError:  # made a moment ago by another run: the unique key on (plan, day)
        db.session.rollback()
        report.already += 1
        return
    except ServiceError as refusal:  # e.g. the balance is short, or the slot was booked by hand
        db.session.rollback()
        if db.session.scalar(select(WorkOrder.id).where(WorkOrder.care_plan_id == plan.id,
                                                        WorkOrder.plan_date == day)) is not None:
            report.already += 1  # by a concurrent run, whose order the duplicate check saw first
        else:
            report.refused.append((plan.id, str(refusal.message)))
        return
    if _keep_caregiver(plan, order, now):
        report.kept_caregiver += 1
    db.session.commit()
    report.made += 1


def _keep_caregiver(plan: Due, order: WorkOrder, now: datetime) -> bool:
    if not (plan.caregiver_id and order.status == "dispatched" and order.provider_id == plan.provider_id):
        return False
    try:
        with db.session.begin_nested():
            dispatch.take(order.id, plan.provider_id, plan.caregiver_id, now=now)
        return True
    except ServiceError:  # not free or no longer qualified: the provider answers the offer as usual
        return False
