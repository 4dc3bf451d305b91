"""Care-plan pages: the elder's plans with a month calendar of what is coming and whether the vouchers will
cover it, a form for a new plan and the changes a family makes (skip, pause, another time, end); and the
provider's planned work for the next two weeks, so it can staff it."""
import calendar
from datetime import date, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..catalog.models import Item
from ..clock import at_local
from ..clock import today as _today
from ..elders.models import Elder
from ..elders.scope import visible_condition as elder_visible
from ..elders.scope import visible_elder
from ..errors import ServiceError, invalid
from ..extensions import db
from ..i18n import WEEKDAY_NAMES
from ..orders.booking import end_of
from ..orders.matching import Kept, Need, free_caregivers
from ..orders.models import WorkOrder
from ..web.forms import flash_outcome, row_id, submit
from . import services
from .forecast import month_forecast
from .models import CarePlan
from .rules import dates, time_on

bp = Blueprint("care_plan_pages", __name__)


def rule_words(plan: CarePlan) -> str:
    at = plan.time_of_day.strftime("%H:%M")
    if plan.freq == "daily":
        return _("Every day at %(time)s", time=at)
    days = "、".join(str(WEEKDAY_NAMES[d]) for d in plan.weekdays or [])
    if plan.interval_weeks == 1:
        return _("Every week on %(days)s at %(time)s", days=days, time=at)
    return _("Every %(n)d weeks on %(days)s at %(time)s", n=plan.interval_weeks, days=days, time=at)


@bp.route("/care-plans")
@login_required
def plans():
    if current_user.role not in services.PLAN_ROLES:
        abort(403)
    elder_id = request.args.get("elder_id")
    if not elder_id:
        elders = db.session.scalars(select(Elder).where(elder_visible(current_user)).limit(2)).all()
        if len(elders) != 1:
            flash(_("Open the elder's record to see their care plans."), "error")
            return redirect(url_for("home.index"))
        elder_id = elders[0].id
    if row_id(elder_id) is None:
        abort(404)
    try:
        elder = visible_elder(row_id(elder_id), current_user)
    except ServiceError:
        abort(404)
    return _page(elder, form={}, errors={})


def _page(elder, *, form, errors, status=200):
    today = _today()
    month = services.calendar_month(request.args.get("month"), today)
    plans = db.session.scalars(select(CarePlan).where(CarePlan.elder_id == elder.id)
                               .order_by(CarePlan.status, CarePlan.id)).all()
    visits = {day: [f"{at.strftime('%H:%M')} {plan.item.name}" for at, plan in day_visits]
              for day, day_visits in services.planned_visits(plans, month, today).items()}
    weeks = calendar.Calendar().monthdatescalendar(month.year, month.month)
    items = db.session.scalars(select(Item).where(Item.active.is_(True)).order_by(Item.category_id, Item.id)).all()
    pay_default, pay_reasons = services.default_payment(elder, today)
    previous_month, next_month = services.calendar_neighbours(month, today)
    return render_template("careplans/plans.html", elder=elder, plans=plans, weeks=weeks, visits=visits,
                           today=today, month=month.first_day, forecast=month_forecast(elder, today), items=items,
                           previous_month=previous_month, next_month=next_month,
                           pay_default=pay_default, pay_reasons=pay_reasons,
                           rule_words=rule_words, weekday_names=WEEKDAY_NAMES, form=form, errors=errors,
                           chosen_weekdays=form.getlist("weekdays") if hasattr(form, "getlist") else []), status


@bp.route("/care-plans/new", methods=["POST"])
@login_required
def create():
    if current_user.role not in services.PLAN_ROLES:
        abort(403)
    form = request.form
    if row_id(form.get("elder_id")) is None:
        abort(404)
    try:
        elder = visible_elder(row_id(form.get("elder_id")), current_user)
    except ServiceError:
        abort(404)

    def make():
        start = _date_field(form, "start_date", _l("Choose the first day."))
        end = _date_field(form, "end_date", _l("Choose the last day, or leave it empty.")) if form.get("end_date") \
            else None
        rule = {"freq": form.get("freq", ""), "time": form.get("time", ""),
                "weekdays": [int(d) for d in form.getlist("weekdays") if d.isdigit()],
                "interval_weeks": _number(form.get("interval_weeks") or "1", "rule.interval_weeks")}
        provider_id = _number(form["provider_id"], "provider_id") if form.get("provider_id") else None
        return services.create_plan(current_user, elder_id=elder.id, item_id=_number(form.get("item_id"), "item_id"),
                                    rule=rule, start_date=start, end_date=end, pay_with=form.get("pay_with", "self"),
                                    provider_id=provider_id, note=form.get("note") or None, today=_today())

    plan, errors = submit(make)
    if plan is None:
        return _page(elder, form=form, errors=errors, status=422)
    flash(_("The plan is made. Each visit is booked two days ahead."), "success")
    return redirect(url_for(".plans", elder_id=elder.id))


def _date_field(form, name: str, message) -> date:
    try:
        return date.fromisoformat(form.get(name, ""))
    except ValueError:
        raise invalid(name, message) from None


def _number(value, name: str) -> int:
    if row_id(value) is None:
        raise invalid(name, _l("Choose one from the list."))
    return row_id(value)


CHANGES = {
    "skip": lambda plan, f, today: services.skip(current_user, plan, date.fromisoformat(f["date"]), today=today),
    "pause": lambda plan, f, today: services.pause(current_user, plan, date.fromisoformat(f["from"]),
                                                   date.fromisoformat(f["until"]), today=today),
    "resume": lambda plan, f, today: services.resume(current_user, plan, today=today),
    "time": lambda plan, f, today: services.change_time(current_user, plan, date.fromisoformat(f["from"]),
                                                        time.fromisoformat(f["time"]), today=today),
    "end": lambda plan, f, today: services.end(current_user, plan, reason=f.get("reason") or "Ended on request.",
                                               today=today),
}


@bp.route("/care-plans/<int:plan_id>/<change>", methods=["POST"])
@login_required
def change(plan_id, change):
    if change not in CHANGES or current_user.role not in services.PLAN_ROLES:
        abort(404)
    try:
        plan = services.visible_plan(plan_id, current_user)
    except ServiceError:
        abort(404)
    elder_id = plan.elder_id
    try:
        _result, errors = submit(lambda: CHANGES[change](plan, request.form, _today()))
    except (KeyError, ValueError):
        errors = {"form": [_("Fill in the dates and the time.")]}
    flash_outcome(errors, _("The plan is changed."))
    return redirect(url_for(".plans", elder_id=elder_id))


@bp.route("/provider/planned")
@login_required
def provider_planned():
    """The next two weeks of visits from the plans this provider keeps, day by day."""
    if current_user.role != "provider_admin" or current_user.provider_id is None:
        abort(403)
    today = _today()
    days = [today + timedelta(days=n) for n in range(14)]
    plans = db.session.scalars(select(CarePlan).where(CarePlan.provider_id == current_user.provider_id,
                                                      CarePlan.status == "active")).all()
    by_day = {d: [] for d in days}
    for plan in plans:
        for day in dates(plan, days[0], days[-1]):
            by_day[day].append((time_on(plan, day), plan))
    for visits in by_day.values():
        visits.sort(key=lambda v: (v[0], v[1].id))
    return render_template("careplans/provider_planned.html", days=days, by_day=by_day,
                           weekday_names=WEEKDAY_NAMES, plan_count=len(plans),
                           **_who_goes(plans, by_day, days[0], days[-1]))


def _who_goes(plans, by_day, first, last) -> dict:
    """Who will go to each planned visit: the order's caregiver where the order is made already; otherwise
    whether the plan's kept caregiver is free for it, as matching decides (working that day and hour, certified,
    under the daily limit, no other visit), so that a Monday-to-Friday caregiver is not shown on a Saturday."""
    made = {(o.care_plan_id, o.plan_date): o for o in db.session.scalars(select(WorkOrder).where(
        WorkOrder.care_plan_id.in_([p.id for p in plans]), WorkOrder.plan_date >= first,
        WorkOrder.plan_date <= last, WorkOrder.status != "cancelled"))} if plans else {}
    asked, keys = [], []
    for day, visits in by_day.items():
        for at, plan in visits:
            if (plan.id, day) not in made and plan.caregiver_id is not None:
                start = at_local(day, at)
                end = end_of(plan.item, start, plan.quantity)
                asked.append(Kept(Need.build(plan.elder, plan.item, start, end), plan.provider_id, plan.caregiver_id))
                keys.append((plan.id, day))
    free = dict(zip(keys, free_caregivers(asked), strict=True))
    return dict(made=made, kept_free=free)
