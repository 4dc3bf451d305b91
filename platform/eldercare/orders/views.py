"""The officers' order pages: the queue of escalated orders nobody took, and one order's page with its
ranking at booking, the offers made and its full status history."""
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import ServiceError
from ..extensions import db
from ..providers.models import Provider
from ..web.forms import flash_outcome, local_moment, row_id, submit
from . import dispatch, lifecycle
from .elder_pages import CANCEL_REASONS
from .models import OPEN_STATUSES, WorkOrder
from .scope import visible_condition, visible_order

bp = Blueprint("order_pages", __name__, url_prefix="/orders")
QUEUE_ROLES = ("operator", "bureau", "admin")

# The Chinese names are 待派单, 已派单, 已接单, 服务中, 已完成, 已确认, 已结算, 待人工处理, 已取消, 有争议.
STATUS_LABELS = {
    "pending": _l("Waiting to be dispatched"),
    "dispatched": _l("Offered to a provider"),
    "accepted": _l("Accepted by a provider"),
    "in_service": _l("Visit in progress"),
    "completed": _l("Visit completed"),
    "confirmed": _l("Visit confirmed"),
    "settled": _l("Settled with the provider"),
    "escalated": _l("Needs an operator"),
    "cancelled": _l("Order cancelled"),
    "disputed": _l("Under dispute"),
}
# The same statuses as the elder and family read them: what is happening for them, not the order's workflow.
PLAIN_STATUS_WORDS = {
    "pending": _l("Finding a provider for you"),
    "dispatched": _l("Finding a provider for you"),
    "escalated": _l("The service centre is arranging it for you"),
    "accepted": _l("A caregiver is arranged"),
    "in_service": _l("The caregiver is with you now"),
    "completed": _l("Done: please confirm it and say how it went"),
    "confirmed": _l("Done, and confirmed"),
    "settled": _l("Done, and confirmed"),
    "cancelled": _l("Cancelled"),
    "disputed": _l("Your complaint is being looked into"),
}
ON_THE_WAY = _l("The caregiver is on the way")
OFFER_LABELS = {
    "open": _l("Waiting for an answer"),
    "accepted": _l("Took the order"),
    "rejected": _l("Declined"),
    "expired": _l("No answer in time"),
    "withdrawn": _l("Offer withdrawn"),
}


@bp.app_context_processor
def order_helpers():
    return dict(order_status_label=_label(STATUS_LABELS), order_status_words=status_words,
                plain_status_label=_label(PLAIN_STATUS_WORDS),
                offer_status_label=_label(OFFER_LABELS),
                yuan=lambda fen: f"{(fen or 0) / 100:.2f}", explain_candidate=explain_candidate,
                change_reason=change_reason)


def status_words(order) -> str:
    """The order's status in plain words for the elder's side; "on the way" once the caregiver set out."""
    if order.status == "accepted" and order.on_the_way_at is not None:
        return str(ON_THE_WAY)
    return str(PLAIN_STATUS_WORDS.get(order.status, order.status))


def explain_candidate(candidate: dict) -> str:
    """Why a provider ranked where it did, in the page's language (the stored explanation is English)."""
    if candidate.get("distance_km") is None or candidate.get("orders_today") is None:
        return candidate.get("explanation") or ""
    parts = [_("%(km)s km", km=f"{candidate['distance_km']:.1f}")]
    if candidate.get("on_time_rate") is not None:
        parts.append(_("%(rate)s%% on time", rate=f"{candidate['on_time_rate'] * 100:.0f}"))
    else:
        parts.append(_("no visits yet"))
    if candidate.get("rating") is not None:
        parts.append(_("%(stars)s stars", stars=f"{candidate['rating']:.1f}"))
    parts.append(ngettext("%(num)d order today", "%(num)d orders today", candidate["orders_today"]))
    if candidate.get("preferred"):
        parts.insert(0, _("the elder's preferred provider"))
    return _(", ").join(parts)


def change_reason(change, order) -> str:
    """A history entry's reason in the page's language: a dispatch names why that provider was chosen."""
    if change.to_status == "dispatched" and change.detail:
        # Only when the stored reason is that candidate's text: a later re-ranking may have seen other numbers.
        for candidate in order.ranking or []:
            if (candidate.get("provider_id") == change.detail.get("provider_id")
                    and candidate.get("explanation") == change.reason):
                return explain_candidate(candidate)
    return _(change.reason) if change.reason else ""


def _label(labels):
    return lambda code: labels.get(code, code) if code else ""


@bp.route("/queue")
@login_required
def queue():
    """Escalated orders in the officer's area that no provider took, the longest waiting first."""
    if current_user.role not in QUEUE_ROLES:
        abort(403)
    orders = db.session.scalars(
        select(WorkOrder)
        .where(WorkOrder.status == "escalated", visible_condition(current_user))
        .order_by(WorkOrder.escalated_at.is_(None), WorkOrder.escalated_at, WorkOrder.id)
    ).all()
    return render_template("orders/queue.html", orders=orders)


@bp.route("/<int:order_id>")
@login_required
def detail(order_id):
    """One order as the visitor may see it: details, ranking at booking, offers and status history."""
    try:
        order = visible_order(order_id, current_user)
    except ServiceError:
        abort(404)
    elder_side = current_user.role in ("elder", "family")
    return render_template("orders/detail.html", order=order, elder_side=elder_side,
                           may_cancel=elder_side and lifecycle.cancellable(order), cancel_reasons=CANCEL_REASONS,
                           **_officer_choices(order))


def _officer_choices(order) -> dict:
    """What an operator or officer can do with the order: for an escalated one, the providers who could serve
    it now (with their phone numbers, to call before assigning); moving or cancelling it before the visit."""
    if current_user.role not in QUEUE_ROLES or order.status not in OPEN_STATUSES:
        return dict(may_rearrange=False, candidates=[], phones={})
    candidates = dispatch.candidates_for(order) if order.status == "escalated" else []
    phones = dict(db.session.execute(select(Provider.id, Provider.phone).where(
        Provider.id.in_([c.provider_id for c in candidates]))).all()) if candidates else {}
    return dict(may_rearrange=True, candidates=candidates, phones=phones)


ACTIONS = ("assign", "reschedule", "cancel")
DONE = {"assign": _l("Offered to the provider. It answers as to any offer; you will see its answer here."),
        "reschedule": _l("The visit is moved. Providers are asked again for the new time."),
        "cancel": _l("The order is cancelled; held vouchers went back to the elder.")}


@bp.route("/<int:order_id>/<action>", methods=["POST"])
@login_required
def act(order_id, action):
    """An operator's or officer's action on an order before the visit: assign an escalated order to a provider,
    move the visit, or cancel it (with a reason, after a confirmation page)."""
    if action not in ACTIONS:
        abort(404)
    if current_user.role not in QUEUE_ROLES:
        abort(403)
    try:
        order = visible_order(order_id, current_user)
    except ServiceError:
        abort(404)
    form = request.form
    if action == "assign":
        _result, errors = submit(lambda: dispatch.assign(current_user, order.id, row_id(form.get("provider_id"))),
                                 general_field="provider_id")
    elif action == "reschedule":
        start, errors = local_moment(form.get("day"), form.get("time"))
        if start is not None:
            _result, errors = submit(lambda: lifecycle.reschedule(current_user, order, scheduled_start=start))
    elif form.get("confirmed") != "yes":  # cancelling cannot be undone: say what it does, then ask again
        return render_template("orders/confirm_cancel.html", order=order, reason=form.get("reason", "").strip(),
                               write_reason=True, fields={}, back=url_for("order_pages.detail", order_id=order.id),
                               action=url_for("order_pages.act", order_id=order.id, action="cancel"))
    else:
        _result, errors = submit(lambda: lifecycle.cancel(current_user, order, reason=form.get("reason", "")))
    flash_outcome(errors, DONE[action])
    return redirect(url_for(".detail", order_id=order.id))
