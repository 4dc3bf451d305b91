"""Dispatch: offer an order to the best provider, who must accept within the category's time; on rejection or
silence offer it to the next; with nobody left, escalate it to the operator's and bureau's queue.

Offers carry their deadline in the database, so a restarted scheduler picks up where the old one stopped.
Accepting is guarded twice: the order row is locked (PostgreSQL), and the final UPDATE only succeeds while
the order is still offered to that provider, so of two racing accepts exactly one wins."""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..audit.services import actor_id, event, record, record_many
from ..db import utcnow
from ..elders.scope import officer_covers
from ..errors import Conflict, Forbidden, NotFound, invalid
from ..extensions import db
from ..i18n import N_
from ..providers.models import Caregiver
from .matching import Need, rank
from .models import OrderOffer, OrderStatusChange, WorkOrder
from .signals import order_status_changed

BOOKED = N_("Booked.")
NOBODY = N_("No provider could take the order.")
ASSIGNING_ROLES = ("operator", "bureau", "admin")


def accept_minutes(category_code: str) -> int:
    minutes = current_app.config["DISPATCH_ACCEPT_MINUTES"]
    return minutes.get(category_code, minutes["default"])


def set_status(order: WorkOrder, to_status: str, *, actor=None, reason: str | None = None,
               from_status: str | None = None, **detail) -> None:
    """Move the order and keep the history row and the audit event that go with it. `from_status` is for a
    change already made by a guarded UPDATE. The one order of `set_statuses`."""
    set_statuses([order], to_status, actor=actor, reason=reason, from_status=from_status, **detail)


def set_statuses(orders: list[WorkOrder], to_status: str, *, actor=None, reason: str | None = None,
                 from_status: str | None = None, **detail) -> None:
    """Move every order (loaded, and locked by the caller where a race matters) from `from_status` to
    `to_status`: the status of each, their history rows, their audit events in one statement, and the signal for
    each. The one path of every later status change, for one order (`set_status`) or a settlement's thousands."""
    if not orders:
        return
    # Each order's own status before, unless the caller's guarded UPDATE changed it already and says from what.
    froms = [from_status or (order.status if order.status != to_status else None) for order in orders]
    for order in orders:
        order.status = to_status
    db.session.add_all([OrderStatusChange(order=order, from_status=before, to_status=to_status,
                                          actor_id=getattr(actor, "id", None), reason=reason, detail=detail)
                        for order, before in zip(orders, froms, strict=True)])
    who = actor_id(actor)
    record_many([event("order.status_changed", target_type=WorkOrder.__tablename__, target_id=order.id,
                       actor_id=who, before=before, after=to_status, reason=reason, **detail)
                 for order, before in zip(orders, froms, strict=True)])
    for order, before in zip(orders, froms, strict=True):
        order_status_changed.send(order, from_status=before, to_status=to_status, actor=actor, detail=detail)


def assign(actor, order_id: int, provider_id: int, *, now: datetime | None = None) -> WorkOrder:
    """An escalated order offered to the provider an operator or officer chose (after a phone call, say). The
    provider must be able to serve it then, as matching says (one that declined before may have agreed since);
    it answers the offer like any other."""
    now = now or utcnow()
    order = _locked_order(order_id)
    if actor.role not in ASSIGNING_ROLES or not officer_covers(actor, order.elder.community_id):
        raise Forbidden(_l("Only an operator or officer of the elder's region can assign an order."))
    if order.status != "escalated":
        message = _l("Only an order that needs an operator can be assigned; this one is %(status)s.",
                     status=order.status)
        raise Conflict(message, {"status": [message]})
    chosen = next((c for c in candidates_for(order) if c.provider_id == provider_id), None)
    if chosen is None:
        raise invalid("provider_id", _l("This provider cannot serve the order then: it does not offer the "
                                        "service there, or has no caregiver free."))
    record("order.assigned", order, actor=actor, provider_id=provider_id)
    _offer_next(order, Need.for_order(order), now=now, actor=actor, first=chosen)
    return order


def candidates_for(order: WorkOrder) -> list:
    """Every provider that could serve the stored order now, best first, those asked before included."""
    return rank(Need.for_order(order), exclude_order_id=order.id)


def offer_again(order: WorkOrder, *, now: datetime, actor=None) -> None:
    """Withdraw the order's open offers and offer it afresh to the best provider now (escalate if none): after
    its time changed. Providers asked before may be asked again: the visit is another one for them."""
    for offer in order.offers:
        if offer.status in ("open", "accepted"):
            offer.status, offer.answered_at, offer.reason = "withdrawn", now, "Order rescheduled."
    _offer_next(order, Need.for_order(order), now=now, actor=actor, asked=set())


def _offer_next(order: WorkOrder, need: Need, *, now: datetime, actor=None, first=None,
                asked: set[int] | None = None) -> None:
    """Offer the order to the best provider not yet asked, re-ranked now (load and free time change)."""
    if asked is None:
        asked = {o.provider_id for o in order.offers}
    if first is None:
        candidates = rank(need, exclude=asked, exclude_order_id=order.id)
        first = candidates[0] if candidates else None
    if first is None:
        order.provider_id = None
        order.escalated_at = now
        set_status(order, "escalated", actor=actor, reason=NOBODY,
                   providers_asked=len(asked))
        return
    with db.session.no_autoflush:  # the ranking and the status go to the database in one UPDATE
        minutes = accept_minutes(order.item.category.code)
    offer = OrderOffer(order=order, provider_id=first.provider_id, rank=len(order.offers), offered_at=now,
                       expires_at=now + timedelta(minutes=minutes))
    db.session.add(offer)
    order.provider_id = first.provider_id
    set_status(order, "dispatched", actor=actor, reason=first.explanation(), provider_id=first.provider_id,
               accept_within_minutes=minutes)
    db.session.flush()


def _locked_order(order_id: int) -> WorkOrder:
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.id == order_id).with_for_update())
    if order is None:
        raise NotFound(_l("No such order."))
    return order


def _open_offer(order: WorkOrder, provider_id: int, now: datetime) -> OrderOffer:
    offer = next((o for o in order.offers if o.status == "open" and o.provider_id == provider_id), None)
    if order.status != "dispatched" or offer is None or offer.expires_at <= now:
        raise Conflict(_l("The order is no longer offered to you."),
                       {"order": [_l("The order is no longer offered to you.")]})
    return offer


def accept(actor, order_id: int, caregiver_id: int, *, now: datetime | None = None) -> WorkOrder:
    """The offered provider takes the order and names the caregiver who will go."""
    now = now or utcnow()
    if actor.role != "provider_admin" or actor.provider_id is None:
        raise Forbidden(_l("Only a provider's administrator can accept orders."))
    return take(order_id, actor.provider_id, caregiver_id, now=now, actor=actor)


def take(order_id: int, provider_id: int, caregiver_id: int, *, now: datetime, actor=None) -> WorkOrder:
    """The offered provider takes the order with this caregiver: by its administrator's answer, or by a
    standing arrangement (a care plan kept by the same provider and caregiver)."""
    order = _locked_order(order_id)
    offer = _open_offer(order, provider_id, now)
    caregiver = db.session.get(Caregiver, caregiver_id)
    if caregiver is None or caregiver.provider_id != provider_id:
        raise invalid("caregiver_id", _l("No such caregiver in your team."))
    need = Need.for_order(order)
    free = rank(need, exclude_order_id=order.id, with_caregivers=True)
    mine = next((c for c in free if c.provider_id == provider_id), None)
    if mine is None or caregiver_id not in mine.free_caregivers:
        raise invalid("caregiver_id", _l("This caregiver cannot take the order: not free then, or not "
                                         "qualified for the service."))
    # The guard that decides a race: only one UPDATE finds the order still dispatched to this provider.
    won = db.session.execute(
        update(WorkOrder)
        .where(WorkOrder.id == order.id, WorkOrder.status == "dispatched", WorkOrder.provider_id == provider_id)
        .values(status="accepted", caregiver_id=caregiver_id, accepted_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise Conflict(_l("The order is no longer offered to you."),
                       {"order": [_l("The order is no longer offered to you.")]})
    db.session.refresh(order)
    set_status(order, "accepted", actor=actor, from_status="dispatched", caregiver_id=caregiver_id)
    offer.status, offer.answered_at = "accepted", now
    db.session.flush()
    return order


def reject(actor, order_id: int, reason: str, *, now: datetime | None = None) -> WorkOrder:
    """The offered provider declines; the order goes to the next provider at once."""
    now = now or utcnow()
    if actor.role != "provider_admin" or actor.provider_id is None:
        raise Forbidden(_l("Only a provider's administrator can reject orders."))
    if not reason or not reason.strip():
        raise invalid("reason", _l("Say why you cannot take the order."))
    order = _locked_order(order_id)
    offer = _open_offer(order, actor.provider_id, now)
    offer.status, offer.answered_at, offer.reason = "rejected", now, reason.strip()
    record("order.offer_rejected", order, actor=actor, provider_id=actor.provider_id, reason=offer.reason)
    _offer_next(order, Need.for_order(order), now=now, actor=actor)
    return order


def expire_offers(*, now: datetime | None = None, limit: int = 500) -> int:
    """Move on every order whose offer was not answered in time. Safe to run from two schedulers at once:
    on PostgreSQL each offer row is claimed with SKIP LOCKED, so no offer is expired twice."""
    now = now or utcnow()
    stmt = (select(OrderOffer).where(OrderOffer.status == "open", OrderOffer.expires_at <= now)
            .order_by(OrderOffer.expires_at).limit(limit).with_for_update(skip_locked=True))
    moved = 0
    for offer in db.session.scalars(stmt).all():
        offer.status, offer.answered_at, offer.reason = "expired", now, N_("No answer in time.")
        order = offer.order
        if order.status != "dispatched" or order.provider_id != offer.provider_id:
            continue
        record("order.offer_expired", order, provider_id=offer.provider_id)
        _offer_next(order, Need.for_order(order), now=now)
        moved += 1
    db.session.flush()  # the job commits (jobs.expire_offers)
    return moved
