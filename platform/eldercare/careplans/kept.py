"""The orders of care plans kept by a provider, made in batches: a few statements per batch rather than twenty
per order, so that a city's day of plans is made in seconds.

What one order through the booking service gets, each of these gets too, from the same rules: the elder must
be bookable (elders/registry.py); the visit's time, price, voucher share and duplicate check come from
orders/booking.py; the order is offered to the provider that keeps the plan with the category's time to
answer (dispatch.accept_minutes), and taken at once by the kept caregiver when matching finds her free then
(matching.free_caregivers, the conditions rank applies). The orders are written by the one writer of new
orders (orders/new_orders.py), which refuses an order whose voucher hold the balance cannot cover."""
from collections import namedtuple
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from .. import sql
from ..catalog.models import Category, Item
from ..elders.models import Elder
from ..elders.registry import ensure_bookable
from ..errors import ServiceError
from ..extensions import db
from ..i18n import N_
from ..notifications.services import visit_facts
from ..orders import booking, matching, new_orders
from ..orders.dispatch import accept_minutes
from ..orders.models import WorkOrder
from ..providers.models import Caregiver, Provider
from ..regions.models import Region
from ..vouchers.eligibility import MIN_AGE, age_on, district_of, explain, period_start

KEPT = N_("The provider that keeps the care plan.")
SHORT = N_("Not enough voucher balance.")


def make_batch(chunk, day: date, now: datetime, report, eligibility: "Eligibility | None" = None) -> list:
    """Write the orders of `chunk` (plans kept by an approved provider offering the category), uncommitted.
    Returns the plans left for the one-by-one path (two plans of the elder for the same service and time:
    booking refuses the second with the first's order number)."""
    elders = {e.id: e for e in map(_ElderFacts._make, db.session.execute(
        select(*(getattr(Elder, f) for f in _ElderFacts._fields))
        .where(sql.any_of(Elder.id, sorted({d.elder_id for d in chunk})))))}
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_({d.item_id for d in chunk})))}
    minutes = {category_id: accept_minutes(code) for category_id, code in db.session.execute(
        select(Category.id, Category.code).where(Category.id.in_({i.category_id for i in items.values()})))}
    eligibility = eligibility or Eligibility(day)
    eligibility.know({e.community_id for e in elders.values()})
    rows, leftover, seen = [], [], set()
    for d in chunk:
        elder, item = elders[d.elder_id], items.get(d.item_id)
        try:
            ensure_bookable(elder)
            booking.check_visit(item, d.start, d.quantity, now=now)
            price = booking.price_of(item, d.quantity)
            voucher = booking.voucher_part(eligibility.of(elder), item, price) if d.pay_with == "voucher" else 0
        except ServiceError as refusal:
            report.refused.append((d.id, str(refusal.message)))
            continue
        key = (d.elder_id, d.item_id, d.start)
        if key in seen:
            leftover.append(d)
            continue
        seen.add(key)
        rows.append(_Row(d, elder, item, minutes[item.category_id], price, voucher))
    booked = booking.booked_already([(r.plan.elder_id, r.plan.item_id, r.plan.start) for r in rows])
    # The plan's own order, made a moment ago by a concurrent run, is "already made", not a refusal.
    own = dict(db.session.execute(select(WorkOrder.id, WorkOrder.care_plan_id).where(
        WorkOrder.id.in_(set(booked.values())), WorkOrder.plan_date == day)).all()) if booked else {}
    for r in rows:
        if (order_id := booked.get((r.plan.elder_id, r.plan.item_id, r.plan.start))) is not None:
            if own.get(order_id) == r.plan.id:
                report.already += 1
            else:
                report.refused.append((r.plan.id, str(booking.already_booked(order_id).message)))
    rows = [r for r in rows if (r.plan.elder_id, r.plan.item_id, r.plan.start) not in booked]
    free = matching.free_caregivers([matching.Kept(r.need, r.plan.provider_id, r.plan.caregiver_id) for r in rows])
    result = new_orders.write(_drafts(rows, free, day, now), short="skip")
    report.already += len(result.already)
    report.refused += [(d.values["care_plan_id"], SHORT) for d in result.short]
    report.made += len(result.written)
    report.batched += len(result.written)
    report.kept_caregiver += sum(1 for w in result.written if w.draft.offer.taken)
    return leftover


def _drafts(rows: list["_Row"], free: list[bool], day: date, now: datetime) -> list[new_orders.Draft]:
    """Each plan's order, offered to the provider that keeps the plan and taken by its caregiver when free."""
    providers = dict(db.session.execute(select(Provider.id, Provider.name)
                                        .where(Provider.id.in_({r.plan.provider_id for r in rows}))).all())
    kept = {r.plan.caregiver_id for r, yes in zip(rows, free, strict=True) if yes}
    carers = dict(db.session.execute(select(Caregiver.id, Caregiver.name).where(Caregiver.id.in_(kept))).all()) \
        if kept else {}
    drafts = []
    for r, yes in zip(rows, free, strict=True):
        p = r.plan
        caregiver_id = p.caregiver_id if yes else None
        values = dict(
            elder_id=p.elder_id, item_id=p.item_id, scheduled_start=p.start, scheduled_end=r.need.end,
            quantity=p.quantity, price_fen=r.price, voucher_fen=r.voucher, copay_fen=r.price - r.voucher,
            pay_with=p.pay_with, note=p.note, preferred_provider_id=p.provider_id, booked_by_id=p.created_by_id,
            care_plan_id=p.id, plan_date=day, auto_confirmed=False,
            ranking=[dict(provider_id=p.provider_id, name=providers.get(p.provider_id), preferred=True,
                          explanation=KEPT)])
        facts = visit_facts(r.item, r.elder, p.start, provider=providers.get(p.provider_id) or "",
                            caregiver=carers.get(caregiver_id))
        drafts.append(new_orders.booked(values, facts=facts, community_id=r.elder.community_id, now=now,
                                        offer=new_orders.Offer(p.provider_id, r.minutes), reason=KEPT,
                                        caregiver_id=caregiver_id))
    return drafts


_ELDER_FIELDS = "id status birth_date community_id care_level hardship name address user_id lat lng"


class _ElderFacts(namedtuple("_ElderFacts", _ELDER_FIELDS)):
    """What the batch needs of an elder, without loading the whole row; the registry's and the vouchers' rules
    (ensure_bookable, explain) read it as they read an Elder."""

    __slots__ = ()
    bookable = Elder.bookable


class _Row:
    __slots__ = ("plan", "elder", "item", "price", "voucher", "need", "minutes")

    def __init__(self, plan, elder, item, minutes, price, voucher):
        self.plan, self.elder, self.item = plan, elder, item
        self.price, self.voucher, self.minutes = price, voucher, minutes  # minutes: the provider's time to answer
        self.need = matching.Need.build(elder, item, plan.start, booking.end_of(item, plan.start, plan.quantity),
                                        plan.provider_id)


class Eligibility:
    """`explain` once per kind of elder: its answer depends only on the status, being 60 or more at the start of
    the month, the district, the care level and the hardship, so elders alike share one call. One per run of the
    job, shared by its batches."""

    def __init__(self, day: date):
        self.period = day.strftime("%Y-%m")
        self.start = period_start(self.period)
        self.districts: dict[int, int | None] = {}
        self.answers: dict[tuple, object] = {}

    def know(self, community_ids: set[int]) -> None:
        """The districts of these communities, in one query (community -> street -> district)."""
        community_ids = community_ids - set(self.districts)
        if not community_ids:
            return
        street, district = aliased(Region), aliased(Region)
        self.districts.update(db.session.execute(
            select(Region.id, district.id).join(street, street.id == Region.parent_id)
            .join(district, district.id == street.parent_id).where(Region.id.in_(community_ids))).all())

    def of(self, elder: Elder):
        if elder.community_id not in self.districts:
            self.districts[elder.community_id] = district_of(elder.community_id)
        key = (elder.status, age_on(elder.birth_date, self.start) >= MIN_AGE, self.districts[elder.community_id],
               elder.care_level, elder.hardship)
        if key not in self.answers:
            self.answers[key] = explain(elder, self.period)
        return self.answers[key]
