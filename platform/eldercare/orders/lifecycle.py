"""The work order after it is accepted: the visit, completion, confirmation, cancellation and disputes.

Every change goes through `move()`, which knows API.md's state machine and answers 409 for anything else.
Voucher money follows the order: held at booking, captured for the provider at completion, released on a
cancellation before the visit, given back by a reversal when a dispute ends in cancellation."""
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from .. import clock
from ..audit.rules import DISTANCE_LIMIT_M
from ..audit.services import record
from ..db import utcnow
from ..elders.models import FamilyLink
from ..elders.scope import officer_covers
from ..errors import Conflict, Forbidden, invalid
from ..extensions import db
from ..geo import distance_km
from ..i18n import N_
from ..providers.models import Caregiver, Provider
from ..vouchers import holds
from . import booking, dispatch
from .dispatch import set_status
from .models import OPEN_STATUSES, WorkOrder
from .signals import caregiver_on_the_way

# API.md: pending → dispatched → accepted → in_service → completed → confirmed → settled; rejected or unanswered
# offers move on or escalate; anything before in_service may be cancelled; a complaint opens a dispute.
TRANSITIONS = {
    "pending": {"dispatched", "escalated", "cancelled"},
    "dispatched": {"dispatched", "accepted", "escalated", "cancelled"},
    "escalated": {"dispatched", "cancelled"},
    "accepted": {"in_service", "cancelled"},
    "in_service": {"completed"},
    "completed": {"confirmed", "disputed"},
    "confirmed": {"settled", "disputed"},
    "disputed": {"confirmed", "cancelled"},
    "settled": set(),
    "cancelled": set(),
}
CHECK_IN_EARLIEST = timedelta(hours=2)  # before scheduled_start
CHECK_IN_LATEST = timedelta(hours=12)  # after scheduled_start
ON_TIME = timedelta(minutes=15)
AUTO_CONFIRM_AFTER = timedelta(hours=48)


def move(order: WorkOrder, to_status: str, *, actor=None, reason: str | None = None, **detail) -> None:
    if to_status not in TRANSITIONS.get(order.status, set()):
        message = _l("An order that is %(status)s cannot become %(to)s.", status=order.status, to=to_status)
        raise Conflict(message, {"status": [message]})
    set_status(order, to_status, actor=actor, reason=reason, **detail)


def _locked(order: WorkOrder) -> WorkOrder:
    """The order's row locked for this transaction (PostgreSQL), fresh from the database."""
    db.session.execute(select(WorkOrder.id).where(WorkOrder.id == order.id).with_for_update())
    db.session.refresh(order)
    return order


def _my_caregiver(actor, order: WorkOrder) -> Caregiver:
    caregiver = db.session.scalar(select(Caregiver).where(Caregiver.user_id == actor.id))
    if caregiver is None or caregiver.id != order.caregiver_id:
        raise Forbidden(_l("Only the caregiver assigned to the order can record the visit."))
    return caregiver


def _when(at: datetime | None, now: datetime) -> datetime:
    at = at or now
    if at.tzinfo is None:
        raise invalid("at", _l("Give the time with its offset."))
    if at > now + timedelta(minutes=2):  # a phone clock a little ahead is forgiven, the future is not
        raise invalid("at", _l("The time is in the future."))
    return at


def _metres_from_home(order: WorkOrder, lat: float, lng: float) -> int:
    return round(distance_km(order.elder.lat, order.elder.lng, lat, lng) * 1000)


def far_from_home_m(order: WorkOrder, step: str) -> int | None:
    """How far from the elder's home the check-in or check-out ("check_in", "check_out") was recorded, when that
    is farther than the audit allows (its DISTANCE_LIMIT_M): the caregiver is told, the audit reviews it. None when
    it was near enough or not recorded."""
    metres = getattr(order, f"{step}_distance_m", None)
    return metres if metres is not None and metres > DISTANCE_LIMIT_M else None


def _note_if_far(order: WorkOrder, step: str, actor) -> None:
    """A visit recorded far from home is kept (the phone's position may be wrong), and logged as such."""
    metres = far_from_home_m(order, step)
    if metres is not None:
        record("order.far_from_home", order, actor=actor, step=step, distance_m=metres, limit_m=DISTANCE_LIMIT_M)


def set_out(actor, order: WorkOrder, *, now: datetime | None = None) -> WorkOrder:
    """The caregiver leaves for the visit: the elder and family hear that someone is on the way. Not a change
    of status; saying it twice changes nothing."""
    now = now or utcnow()
    _my_caregiver(actor, order)
    order = _locked(order)
    if order.status != "accepted":
        message = _l("Only an accepted order can be on its way; this one is %(status)s.", status=order.status)
        raise Conflict(message, {"status": [message]})
    if order.on_the_way_at is None:
        order.on_the_way_at = now
        record("order.on_the_way", order, actor=actor)
        caregiver_on_the_way.send(order, actor=actor)
    return order


def check_in(actor, order: WorkOrder, *, lat: float, lng: float, at: datetime | None = None,
             now: datetime | None = None) -> WorkOrder:
    """The caregiver arrives. A repeat from a phone that retried changes nothing."""
    now = now or utcnow()
    _my_caregiver(actor, order)
    order = _locked(order)
    if order.check_in_at is not None:
        return order  # a retry from the phone, perhaps after the visit ended
    at = _when(at, now)
    if order.accepted_at and at < order.accepted_at:
        raise invalid("at", _l("Before the order was accepted."))
    if not order.scheduled_start - CHECK_IN_EARLIEST <= at <= order.scheduled_start + CHECK_IN_LATEST:
        raise invalid("at", _l("Check in from 2 hours before to 12 hours after the booked time."))
    move(order, "in_service", actor=actor, reason=N_("Checked in."))
    order.check_in_at, order.check_in_lat, order.check_in_lng = at, lat, lng
    order.check_in_distance_m = _metres_from_home(order, lat, lng)
    _note_if_far(order, "check_in", actor)
    return order


def check_out(actor, order: WorkOrder, *, lat: float, lng: float, at: datetime | None = None,
              service_note: str | None = None, now: datetime | None = None) -> WorkOrder:
    """The caregiver leaves: the visit is complete, and the voucher share becomes the provider's."""
    now = now or utcnow()
    _my_caregiver(actor, order)
    order = _locked(order)
    if order.status in ("completed", "confirmed") and order.check_out_at is not None:
        return order  # the phone sent it twice
    at = _when(at, now)
    if order.status == "in_service" and at < order.check_in_at:
        raise invalid("at", _l("Before the check-in."))
    move(order, "completed", actor=actor, reason=N_("Checked out."))
    order.check_out_at, order.check_out_lat, order.check_out_lng = at, lat, lng
    order.check_out_distance_m = _metres_from_home(order, lat, lng)
    _note_if_far(order, "check_out", actor)
    order.service_note = service_note
    order.actual_minutes = round((at - order.check_in_at).total_seconds() / 60)
    on_time = order.check_in_at <= order.scheduled_start + ON_TIME
    db.session.execute(update(Provider).where(Provider.id == order.provider_id).values(
        completed_count=Provider.completed_count + 1,
        on_time_count=Provider.on_time_count + (1 if on_time else 0)))
    holds.capture(order, actor=actor)
    return order


def speaks_for_elder(actor, order: WorkOrder) -> bool:
    """The order's elder, or family linked to them: who speaks for the elder (confirms, disputes, pays)."""
    if actor.role == "elder":
        return order.elder.user_id == actor.id
    if actor.role == "family":
        return db.session.scalar(select(FamilyLink.id).where(FamilyLink.user_id == actor.id,
                                                             FamilyLink.elder_id == order.elder_id)) is not None
    return False


def confirm(actor, order: WorkOrder, *, rating: int, comment: str | None = None,
            now: datetime | None = None) -> WorkOrder:
    """The elder or family says the visit happened, and how it went."""
    if not speaks_for_elder(actor, order):
        raise Forbidden(_l("Only the elder or their family can confirm a visit."))
    if not 1 <= rating <= 5:
        raise invalid("rating", _l("Rate from 1 to 5."))
    order = _locked(order)
    if order.status != "completed":  # a disputed order is settled by an officer, not by a rating
        message = _l("Only a completed visit can be confirmed; this order is %(status)s.", status=order.status)
        raise Conflict(message, {"status": [message]})
    move(order, "confirmed", actor=actor, reason=N_("Confirmed by the elder's side."), rating=rating)
    order.confirmed_at, order.rating, order.rating_comment = now or utcnow(), rating, comment
    db.session.execute(update(Provider).where(Provider.id == order.provider_id).values(
        rating_count=Provider.rating_count + 1, rating_sum=Provider.rating_sum + rating))
    return order


def auto_confirm(*, now: datetime | None = None) -> int:
    """Confirm, and mark so, every visit left unconfirmed 48 hours after check-out (the scheduler's job)."""
    now = now or utcnow()
    due = db.session.scalars(select(WorkOrder).where(
        WorkOrder.status == "completed", WorkOrder.check_out_at <= now - AUTO_CONFIRM_AFTER)
        .with_for_update(skip_locked=True)).all()
    for order in due:
        move(order, "confirmed", reason=N_("Not confirmed within 48 hours: confirmed automatically."))
        order.confirmed_at, order.auto_confirmed = now, True
    db.session.flush()  # the job commits (jobs.auto_confirm_visits)
    return len(due)


def cancellable(order: WorkOrder) -> bool:
    """Whether the order can still be cancelled: not yet in service."""
    return order.status in OPEN_STATUSES


def cancel(actor, order: WorkOrder, *, reason: str) -> WorkOrder:
    """Before the visit: the booker, the elder's side, an officer in scope, or the assigned provider."""
    if not reason or not reason.strip():
        raise invalid("reason", _l("Say why the order is cancelled."))
    allowed = (actor.id == order.booked_by_id or speaks_for_elder(actor, order)
               or officer_covers(actor, order.elder.community_id)
               or (actor.role == "provider_admin" and actor.provider_id == order.provider_id
                   and order.status == "accepted"))
    if not allowed:
        raise Forbidden(_l("You cannot cancel this order."))
    order = _locked(order)
    if not cancellable(order):
        message = _l("Only an order not yet in service can be cancelled; this one is %(status)s.",
                     status=order.status)
        raise Conflict(message, {"status": [message]})
    now = utcnow()
    for offer in order.offers:
        if offer.status == "open":
            offer.status, offer.answered_at, offer.reason = "withdrawn", now, "Order cancelled."
    order.cancel_reason = reason.strip()
    move(order, "cancelled", actor=actor, reason=order.cancel_reason)
    holds.release(order, actor=actor)
    return order


def reschedule(actor, order: WorkOrder, *, scheduled_start: datetime, now: datetime | None = None) -> WorkOrder:
    """Before the visit, the booker, the elder's side or an officer in scope moves it to another time in the same
    month (the voucher hold is that month's); matching runs again, so the provider who had it may not keep it."""
    now = now or utcnow()
    if not (actor.id == order.booked_by_id or speaks_for_elder(actor, order)
            or officer_covers(actor, order.elder.community_id)):
        raise Forbidden(_l("You cannot reschedule this order."))
    order = _locked(order)
    if order.status not in OPEN_STATUSES:
        message = _l("Only an order not yet in service can be rescheduled; this one is %(status)s.",
                     status=order.status)
        raise Conflict(message, {"status": [message]})
    booking.check_visit(order.item, scheduled_start, order.quantity, now=now)
    start = scheduled_start.astimezone(UTC)
    if start == order.scheduled_start:
        raise invalid("scheduled_start", _l("That is the time already booked."))
    if clock.Month.of(start) != clock.Month.of(order.scheduled_start) and order.voucher_fen > 0:
        raise invalid("scheduled_start", _l("Vouchers are held for the month booked: choose a time in the same "
                                            "month, or cancel and book anew."))
    holder = booking.booked_already([(order.elder_id, order.item_id, start)])
    if holder:
        raise booking.already_booked(next(iter(holder.values())))
    before = order.scheduled_start
    order.scheduled_start, order.scheduled_end = start, booking.end_of(order.item, start, order.quantity)
    order.caregiver_id = order.accepted_at = None
    record("order.rescheduled", order, actor=actor, before=before.isoformat(), after=start.isoformat())
    dispatch.offer_again(order, now=now, actor=actor)
    return order


def dispute(actor, order: WorkOrder, *, reason: str) -> WorkOrder:
    """A complaint: the order is held out of settlement until an officer resolves it."""
    if not speaks_for_elder(actor, order) and not officer_covers(actor, order.elder.community_id):
        raise Forbidden(_l("Only the elder's side or an officer can open a dispute."))
    if not reason or not reason.strip():
        raise invalid("reason", _l("Say what went wrong."))
    order = _locked(order)
    move(order, "disputed", actor=actor, reason=reason.strip())
    order.dispute_reason = reason.strip()
    return order


def resolve(actor, order: WorkOrder, *, outcome: str, note: str) -> WorkOrder:
    """An officer ends a dispute: the visit stands (confirmed) or it is cancelled and the vouchers go back."""
    if not officer_covers(actor, order.elder.community_id):
        raise Forbidden(_l("Only an officer of the elder's region can resolve a dispute."))
    if outcome not in ("confirmed", "cancelled"):
        raise invalid("outcome", _l("Must be confirmed or cancelled."))
    if not note or not note.strip():
        raise invalid("note", _l("Say how the dispute was resolved."))
    order = _locked(order)
    move(order, outcome, actor=actor, reason=note.strip())
    if outcome == "cancelled" and order.voucher_fen > 0:
        order.cancel_reason = note.strip()
        holds.reverse(order, actor=actor)
    return order
