"""The provider's and caregiver's pages for work orders: the provider's queue of offers (accept with a
caregiver who can go, or decline with a reason) and orders in hand; the caregiver's visits today with
"on my way", check-in and check-out, which take the phone's position (static/js/visit.js)."""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from .. import clock
from ..errors import ServiceError
from ..extensions import db
from ..providers.models import Caregiver
from ..web.forms import flash_outcome, row_id, submit
from . import dispatch, lifecycle
from .matching import Need, rank
from .models import OrderOffer, WorkOrder
from .scope import visible_order

bp = Blueprint("work_pages", __name__)
DONE = ("completed", "confirmed", "disputed", "settled")
COMING_DAYS = 7  # the caregiver's list shows this many days after today


def _provider_admin():
    if current_user.role != "provider_admin" or current_user.provider_id is None:
        abort(403)


@bp.route("/provider/orders")
@login_required
def provider_queue():
    """Offers waiting for an answer, soonest deadline first, each with the caregivers free to go; then the
    orders the provider has taken and not yet finished."""
    _provider_admin()
    now = clock.local_now()
    offers = db.session.scalars(
        select(OrderOffer).join(WorkOrder, WorkOrder.id == OrderOffer.order_id)
        .where(OrderOffer.provider_id == current_user.provider_id, OrderOffer.status == "open",
               WorkOrder.status == "dispatched")
        .order_by(OrderOffer.expires_at)).all()
    free = {}
    for offer in offers:
        ranked = rank(Need.for_order(offer.order), exclude_order_id=offer.order_id, with_caregivers=True)
        mine = next((c for c in ranked if c.provider_id == current_user.provider_id), None)
        ids = mine.free_caregivers if mine else []
        free[offer.id] = db.session.scalars(select(Caregiver).where(Caregiver.id.in_(ids))
                                            .order_by(Caregiver.name)).all() if ids else []
    in_hand = db.session.scalars(
        select(WorkOrder).where(WorkOrder.provider_id == current_user.provider_id,
                                WorkOrder.status.in_(("accepted", "in_service")))
        .order_by(WorkOrder.scheduled_start).limit(200)).all()
    # Finished visits stay in sight: waiting for the elder's confirmation, confirmed, disputed, settled.
    done = db.session.scalars(
        select(WorkOrder).where(WorkOrder.provider_id == current_user.provider_id, WorkOrder.status.in_(DONE))
        .order_by(WorkOrder.check_out_at.desc(), WorkOrder.id.desc()).limit(100)).all()
    return render_template("orders/provider_queue.html", offers=offers, free=free, in_hand=in_hand, done=done,
                           now=now)


def _visible_or_404(order_id: int) -> None:
    """An order the provider is not offered and does not serve is none of its business: 404, as the API answers,
    rather than "no longer offered to you" for an order that exists and "no such order" for one that does not."""
    try:
        visible_order(order_id, current_user)
    except ServiceError:
        abort(404)


@bp.route("/provider/orders/<int:order_id>/accept", methods=["POST"])
@login_required
def accept(order_id):
    _provider_admin()
    _visible_or_404(order_id)
    caregiver_id = row_id(request.form.get("caregiver_id"))
    if caregiver_id is None:
        flash(_("Choose the caregiver who will go."), "error")
        return redirect(url_for(".provider_queue"))
    _result, errors = submit(lambda: dispatch.accept(current_user, order_id, caregiver_id))
    flash_outcome(errors, _("Order %(id)d is yours. The elder has been told who is coming.", id=order_id))
    return redirect(url_for(".provider_queue"))


@bp.route("/provider/orders/<int:order_id>/reject", methods=["POST"])
@login_required
def reject(order_id):
    _provider_admin()
    _visible_or_404(order_id)
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("Please say why you cannot take it."), "error")
        return redirect(url_for(".provider_queue"))
    _result, errors = submit(lambda: dispatch.reject(current_user, order_id, reason))
    flash_outcome(errors, _("Declined. The order goes to the next provider."))
    return redirect(url_for(".provider_queue"))


def _me() -> Caregiver:
    if current_user.role != "caregiver":
        abort(403)
    me = db.session.scalar(select(Caregiver).where(Caregiver.user_id == current_user.id))
    if me is None:
        abort(403)
    return me


@bp.route("/caregiver/today")
@login_required
def today():
    """Today's visits (Beijing time), in order, and any visit still in progress."""
    me = _me()
    day = clock.today()
    start, end = clock.day_bounds(day)
    visits = db.session.scalars(
        select(WorkOrder).where(WorkOrder.caregiver_id == me.id, or_(
            WorkOrder.status == "in_service",
            (WorkOrder.scheduled_start >= start) & (WorkOrder.scheduled_start < end)
            & WorkOrder.status.in_(("accepted", "completed", "confirmed"))))
        .order_by(WorkOrder.scheduled_start)).all()
    # The week ahead, to plan the days: only to read (checking in is for today).
    coming = db.session.scalars(
        select(WorkOrder).where(WorkOrder.caregiver_id == me.id, WorkOrder.status == "accepted",
                                WorkOrder.scheduled_start >= end,
                                WorkOrder.scheduled_start < clock.day_bounds(day + timedelta(days=COMING_DAYS))[0])
        .order_by(WorkOrder.scheduled_start).limit(100)).all()
    return render_template("orders/today.html", visits=visits, coming=coming, day=day, coming_days=COMING_DAYS)


def _position(form) -> tuple[float, float] | None:
    try:
        lat, lng = float(form.get("lat", "")), float(form.get("lng", ""))
    except ValueError:
        return None
    return lat, lng


VISIT_STEPS = {
    "on-the-way": (lambda order, form, at: lifecycle.set_out(current_user, order), False),
    "check-in": (lambda order, form, at: lifecycle.check_in(current_user, order, lat=at[0], lng=at[1]), True),
    "check-out": (lambda order, form, at: lifecycle.check_out(
        current_user, order, lat=at[0], lng=at[1], service_note=form.get("service_note", "").strip() or None), True),
}
VISIT_DONE = {"on-the-way": _l("The elder's family has been told you are on the way."),
              "check-in": _l("Checked in. The visit has started."),
              "check-out": _l("Checked out. The visit is complete; the elder will be asked to confirm it.")}


@bp.route("/caregiver/orders/<int:order_id>/<step>", methods=["POST"])
@login_required
def visit_step(order_id, step):
    _me()
    if step not in VISIT_STEPS:
        abort(404)
    try:
        order = visible_order(order_id, current_user)
    except ServiceError:
        abort(404)
    action, needs_position = VISIT_STEPS[step]
    at = _position(request.form)
    if needs_position and at is None:
        flash(_("Your position is needed to record the visit. Allow this page to use your location, then "
                "press the button again."), "error")
        return redirect(url_for(".today"))
    done, errors = submit(lambda: action(order, request.form, at))
    flash_outcome(errors, VISIT_DONE[step])
    metres = lifecycle.far_from_home_m(done, step.replace("-", "_")) if done is not None and needs_position else None
    if metres is not None:  # recorded all the same (the phone may be wrong), and logged for the audit
        flash(_("This was recorded %(km)s km from the elder's home. If you are not there, tell your provider: "
                "the bureau reviews visits far from home.", km=f"{metres / 1000:.1f}"), "warning")
    return redirect(url_for(".today"))
