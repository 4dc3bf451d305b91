"""Care plans: making, changing and ending them, and who may. The orders they make come from making.py."""
from datetime import date, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit.services import record
from ..catalog.models import Item
from ..clock import BadMonth, Month
from ..elders.models import Elder
from ..elders.scope import visible_condition as elder_visible
from ..elders.scope import visible_elder
from ..errors import Conflict, Forbidden, NotFound, invalid
from ..extensions import db
from ..providers.models import Provider
from ..vouchers.eligibility import explain
from .models import FREQUENCIES, CarePlan, CarePlanPause, CarePlanSkip, CarePlanTime
from .rules import dates, time_on

PLAN_ROLES = ("elder", "family", "operator", "bureau", "admin")
MAX_INTERVAL_WEEKS = 8


def _plan_role(actor) -> None:
    if actor.role not in PLAN_ROLES:
        raise Forbidden(_l("Your role cannot make care plans."))


def create_plan(actor, *, elder_id: int, item_id: int, rule: dict, start_date: date, end_date: date | None = None,
                pay_with: str = "self", provider_id: int | None = None, quantity: int = 1,
                note: str | None = None, today: date) -> CarePlan:
    """A recurring plan for an elder the actor may act for. A bureau officer's plan is a family care bed and
    names the provider that keeps it."""
    _plan_role(actor)
    elder = visible_elder(elder_id, actor)
    if elder.status != "active":
        raise invalid("elder_id", _l("Care can only be planned for an elder living at home."))
    item = db.session.get(Item, item_id)
    if item is None or not item.active:
        raise invalid("item_id", _l("No such service, or it can no longer be booked."))
    freq, weekdays, interval, at = _rule(rule)
    if start_date < today:
        raise invalid("start_date", _l("The start date has passed."))
    if end_date is not None and end_date < start_date:
        raise invalid("end_date", _l("The end date is before the start date."))
    if pay_with not in ("voucher", "self"):
        raise invalid("pay_with", _l("Choose vouchers or paying yourself."))
    if pay_with == "voucher":
        eligibility = explain(elder, start_date.strftime("%Y-%m"))
        if not eligibility.eligible:
            raise invalid("pay_with", " ".join(str(r) for r in eligibility.reasons))
        if not eligibility.pays_for(item.category_id):
            raise invalid("item_id", _l("Vouchers do not pay for this service; choose to pay yourself."))
    if actor.role == "bureau" and provider_id is None:
        raise invalid("provider_id", _l("A family care bed names the provider that keeps it."))
    if provider_id is not None:
        provider = db.session.get(Provider, provider_id)
        if provider is None or provider.status != "approved":
            raise invalid("provider_id", _l("No such approved provider."))
    if not 1 <= quantity <= 20:
        raise invalid("quantity", _l("Must be from 1 to 20."))
    plan = CarePlan(elder_id=elder.id, item_id=item.id, freq=freq, weekdays=weekdays, interval_weeks=interval,
                    time_of_day=at, quantity=quantity, start_date=start_date, end_date=end_date, pay_with=pay_with,
                    note=note, provider_id=provider_id, family_care_bed=actor.role == "bureau",
                    created_by_id=actor.id, status="active")
    db.session.add(plan)
    db.session.flush()
    record("care_plan.created", plan, actor=actor, elder_id=elder.id, item_id=item.id, freq=freq,
           weekdays=weekdays, interval_weeks=interval, time=at.strftime("%H:%M"), start_date=start_date.isoformat())
    return plan


def default_payment(elder, today: date) -> tuple[str, list[str]]:
    """How the form for a new plan pays unless the family chooses otherwise: with vouchers when the elder gets
    them this month; else paying themselves, with the reasons in plain words, said before the form is sent."""
    eligibility = explain(elder, str(Month.of(today)))
    return ("voucher", []) if eligibility.eligible else ("self", eligibility.reasons)


CALENDAR_MONTHS = 12  # the plan calendar pages this many months ahead of the current one


def calendar_month(text: str | None, today: date) -> Month:
    """The month the plan calendar shows: the one asked for (YYYY-MM) from this month up to CALENDAR_MONTHS
    ahead; this month for anything else."""
    current = Month.of(today)
    try:
        month = Month.parse(text or "")
    except BadMonth:
        return current
    ahead = (month.year - current.year) * 12 + month.month - current.month
    return month if 0 <= ahead <= CALENDAR_MONTHS else current


def calendar_neighbours(month: Month, today: date) -> tuple[Month | None, Month | None]:
    """The months before and after `month` that the plan calendar can show (None at either end)."""
    before, after = month.previous(), month.next()
    return (before if calendar_month(str(before), today) == before else None,
            after if calendar_month(str(after), today) == after else None)


def planned_visits(plans: list[CarePlan], month: Month, today: date) -> dict[date, list[tuple[time, CarePlan]]]:
    """The active plans' visits in `month` from today on, by day, in time order."""
    visits: dict[date, list[tuple[time, CarePlan]]] = {}
    first = max(month.first_day, today)
    for plan in plans:
        if plan.status != "active":
            continue
        for day in dates(plan, first, month.last_day):
            visits.setdefault(day, []).append((time_on(plan, day), plan))
    for day_visits in visits.values():
        day_visits.sort(key=lambda v: (v[0], v[1].id))
    return visits


def _rule(rule: dict) -> tuple[str, list[int], int, time]:
    freq = rule.get("freq")
    if freq not in FREQUENCIES:
        raise invalid("rule.freq", _l("Every day (daily) or on given weekdays (weekly)."))
    weekdays = sorted(set(rule.get("weekdays") or []))
    if freq == "weekly" and (not weekdays or any(not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays)):
        raise invalid("rule.weekdays", _l("Give the weekdays, 0 for Monday to 6 for Sunday."))
    interval = rule.get("interval_weeks") or 1
    if not isinstance(interval, int) or not 1 <= interval <= MAX_INTERVAL_WEEKS:
        raise invalid("rule.interval_weeks", _l("Every 1 to %(max)d weeks.", max=MAX_INTERVAL_WEEKS))
    try:
        at = time.fromisoformat(rule.get("time") or "")
    except ValueError:
        raise invalid("rule.time", _l("The time of day, as HH:MM.")) from None
    return freq, weekdays if freq == "weekly" else [], interval, at


def visible_plan(plan_id: int, actor) -> CarePlan:
    """The plan, if the actor may see its elder (a provider: the plans it keeps); else 404, as if none."""
    plan = db.session.get(CarePlan, plan_id)
    if plan is not None:
        if actor.role == "provider_admin" and plan.provider_id and plan.provider_id == actor.provider_id:
            return plan
        if actor.role in PLAN_ROLES and db.session.scalar(
                select(Elder.id).where(Elder.id == plan.elder_id, elder_visible(actor))) is not None:
            return plan
    raise NotFound(_l("No such care plan."))


def elder_visible_ids(actor):
    """The ids of the elders `actor` may see, as a subquery."""
    return select(Elder.id).where(elder_visible(actor)).scalar_subquery()


def _changeable(plan: CarePlan) -> None:
    if plan.status == "ended":
        message = _l("The plan has ended.")
        raise Conflict(message, {"status": [message]})


def skip(actor, plan: CarePlan, day: date, *, today: date) -> CarePlan:
    _changeable(plan)
    if day < today:
        raise invalid("date", _l("The date has passed."))
    if not any(s.day == day for s in plan.skips):
        plan.skips.append(CarePlanSkip(day=day))
        record("care_plan.skipped", plan, actor=actor, date=day.isoformat())
    return plan


def pause(actor, plan: CarePlan, start: date, until: date, *, today: date) -> CarePlan:
    _changeable(plan)
    if until < start:
        raise invalid("until", _l("The end of the pause is before its start."))
    if until < today:
        raise invalid("until", _l("The date has passed."))
    plan.pauses.append(CarePlanPause(from_date=start, until_date=until))
    record("care_plan.paused", plan, actor=actor, start=start.isoformat(), until=until.isoformat())
    return plan


def resume(actor, plan: CarePlan, *, today: date) -> CarePlan:
    """End every pause from today on, and a pause for a hospital stay (if the elder is home again)."""
    _changeable(plan)
    for p in list(plan.pauses):
        if p.from_date >= today:
            plan.pauses.remove(p)
        elif p.until_date >= today:
            p.until_date = today - timedelta(days=1)
    if plan.status == "paused" and plan.elder.status == "active":
        plan.status, plan.paused_by_registry = "active", False
    record("care_plan.resumed", plan, actor=actor)
    return plan


def change_time(actor, plan: CarePlan, start: date, at: time, *, today: date) -> CarePlan:
    """From `start` on, the visit is at `at`; orders already made keep their time."""
    _changeable(plan)
    if start < today:
        raise invalid("from", _l("The date has passed."))
    existing = next((t for t in plan.times if t.from_date == start), None)
    if existing:
        existing.time_of_day = at
    else:
        plan.times.append(CarePlanTime(from_date=start, time_of_day=at))
    record("care_plan.time_changed", plan, actor=actor, start=start.isoformat(), time=at.strftime("%H:%M"))
    return plan


def end(actor, plan: CarePlan, *, reason: str, today: date) -> CarePlan:
    """No more orders from today; orders already made stand (cancel them like any order)."""
    _changeable(plan)
    plan.status, plan.end_reason = "ended", reason
    if plan.end_date is None or plan.end_date >= today:
        plan.end_date = max(plan.start_date, today)
    record("care_plan.ended", plan, actor=actor, reason=reason)
    return plan
