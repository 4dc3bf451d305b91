"""Booking a work order: the checks that come before anyone is asked to go (who may book, a bookable elder,
an active item, a time from now to 30 days ahead, no double booking), the price and the voucher share, then
the order written with its voucher hold and offered to the best provider at once (or escalated).

The rules are split into functions that the care plans kept by a provider (careplans/kept.py) use too, so the
two cannot drift apart; both write through the one writer of new orders (new_orders.py)."""
from datetime import UTC, datetime, timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, defer
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock, sql
from ..catalog.models import Item
from ..elders.models import Elder
from ..elders.registry import ensure_bookable
from ..elders.scope import no_such_elder, sees_every_elder, visible_condition
from ..errors import Conflict, Forbidden, invalid
from ..extensions import db
from ..notifications.services import visit_facts
from ..vouchers.eligibility import explain
from . import new_orders
from .dispatch import accept_minutes
from .matching import Need, rank
from .models import OrderOffer, OrderStatusChange, WorkOrder

BOOKING_ROLES = ("elder", "family", "operator", "admin")
MAX_DAYS_AHEAD = 30
LIVE = WorkOrder.status != "cancelled"  # an order that holds its slot (the unique index's condition too)


def book(actor, *, elder_id: int, item_id: int, scheduled_start: datetime, quantity: int = 1,
         note: str | None = None, preferred_provider_id: int | None = None, pay_with: str = "self",
         now: datetime | None = None, plan=None) -> WorkOrder:
    """Create the order and dispatch it to the best provider at once. `plan`: a care plan's order for the
    plan's date, made by the scheduler (whoever made the plan was checked then); at most one per plan and day."""
    now = now or clock.now()
    if plan is None and (actor is None or actor.role not in BOOKING_ROLES):
        raise Forbidden(_l("Your role cannot book services."))
    elder, item, duplicate, order_id = _booking_facts(None if plan is not None else actor, elder_id, item_id,
                                                      scheduled_start)
    ensure_bookable(elder)
    check_visit(item, scheduled_start, quantity, now=now)
    scheduled_start = scheduled_start.astimezone(UTC)  # as stored, and as every answer gives it
    if duplicate is not None:
        raise already_booked(duplicate)
    price = price_of(item, quantity)
    voucher = voucher_share(elder, item, scheduled_start, price) if pay_with == "voucher" else 0
    end = end_of(item, scheduled_start, quantity)
    candidates = rank(Need.build(elder, item, scheduled_start, end, preferred_provider_id))
    first = candidates[0] if candidates else None
    values = dict(id=order_id, elder_id=elder.id, item_id=item.id, scheduled_start=scheduled_start, scheduled_end=end,
                  quantity=quantity, price_fen=price, voucher_fen=voucher, copay_fen=price - voucher,
                  copay_paid_fen=0, copay_refunded_fen=0,  # nothing paid yet (and the answer says so)
                  pay_with=pay_with, note=note, preferred_provider_id=preferred_provider_id,
                  booked_by_id=getattr(actor, "id", None) if plan is None else plan.created_by_id,
                  care_plan_id=getattr(plan, "id", None),
                  plan_date=clock.local_date(scheduled_start) if plan is not None else None,
                  ranking=[c.as_dict() for c in candidates], auto_confirmed=False)
    draft = new_orders.booked(
        values, facts=visit_facts(item, elder, scheduled_start, provider=first.name if first else None),
        community_id=elder.community_id, now=now,
        offer=new_orders.Offer(first.provider_id, accept_minutes(item.category.code)) if first else None,
        reason=first.explanation() if first else None)
    try:
        written = new_orders.write([draft], actor=actor)  # 409 when the voucher balance is short
    except IntegrityError as error:  # the same slot booked by a request that committed a moment ago
        if _double_booking(error):
            raise already_booked(None) from error
        raise
    if not written.written:  # the plan's order for the day, made a moment ago by another run
        raise already_booked(None)
    return as_answered(written.written[0], written.at, actor)


def as_answered(order: new_orders.Written, at: datetime, actor) -> WorkOrder:
    """The order as written, for the answer (a booking's, a meal's at a point's counter): outside the session
    (it is in the database already, and nothing of it needs reading back), with its offer and history, all set
    as if loaded, without the ORM's change events, which cost more than the rest of a booking's Python."""
    answer = _as_loaded(WorkOrder, order.values)
    offer, created = order.draft.offer, order.values["created_at"]
    set_committed_value(answer, "offers", [] if offer is None else [_as_loaded(OrderOffer, dict(
        provider_id=offer.provider_id, rank=0, status="accepted" if offer.taken else "open", offered_at=created,
        expires_at=created + timedelta(minutes=offer.minutes), answered_at=created if offer.taken else None))])
    actor_id = getattr(actor, "id", None)
    set_committed_value(answer, "history", [_as_loaded(OrderStatusChange, dict(
        from_status=c.from_status, to_status=c.to_status, actor_id=actor_id, reason=c.reason, detail=c.detail,
        at=at)) for c in order.changes])
    return answer


def _as_loaded(model, values: dict):
    """An object of `model` holding `values` as a row loaded from the database would (the mapper's own way of
    making one), transient: a column not given reads None."""
    obj = model.__mapper__.class_manager.new_instance()
    obj.__dict__.update(values)
    return obj


def _booking_facts(viewer, elder_id: int, item_id: int, start: datetime):
    """The elder (404 unless `viewer` may see them; None: the scheduler, for a care plan), the item with its
    category (None if there is none), the live order already holding the slot and the new order's id (None on
    SQLite: sql.next_id), in one query: a booking's reads cost more in round trips than in work."""
    stmt = _facts_statement(sql.is_postgres())
    if viewer is not None and not sees_every_elder(viewer):  # a new statement costs its cache key again
        stmt = stmt.where(visible_condition(viewer))
    start = start if start.tzinfo is not None else None  # a time without its offset is refused just after
    row = db.session.execute(stmt, dict(elder_id=elder_id, item_id=item_id, start=start)).first()
    if row is None:
        raise no_such_elder()
    return row


# What a booking never reads of the elder, and would pay to unseal (sealed.py) on every booking.
_UNREAD = (defer(Elder.id_number), defer(Elder.phone), defer(Elder.emergency_contacts))


@cache
def _facts_statement(_postgres: bool):
    """Built once per database; the item comes with its category, which dispatch reads."""
    holder = (select(WorkOrder.id).where(WorkOrder.elder_id == Elder.id, WorkOrder.item_id == bindparam("item_id"),
                                         WorkOrder.scheduled_start == bindparam("start"), LIVE)
              .limit(1).scalar_subquery())
    return (select(Elder, Item, holder, sql.next_id(WorkOrder.__table__)).select_from(Elder)
            .outerjoin(Item, Item.id == bindparam("item_id")).outerjoin(Item.category)
            .options(contains_eager(Item.category), *_UNREAD)
            .where(Elder.id == bindparam("elder_id")))


def voucher_share(elder, item, scheduled_start: datetime, price_fen: int) -> int:
    """The part of the price vouchers pay: price × (100 − co-pay %) / 100, rounded down to the fen, under the
    policy of the elder's district for the month of the visit. 422 when vouchers cannot pay for this."""
    return voucher_part(explain(elder, str(clock.Month.of(scheduled_start))), item, price_fen)


def voucher_part(eligibility, item, price_fen: int) -> int:
    """The voucher share given the elder's eligibility for the month (from `explain`): the one rule, shared by
    a single booking and the care plans' batch. 422 when vouchers cannot pay for this."""
    if not eligibility.eligible:
        raise invalid("pay_with", " ".join(eligibility.reasons))
    if not eligibility.pays_for(item.category_id):
        raise invalid("item_id", _l("Vouchers do not pay for this service; choose to pay yourself."))
    return price_fen * (100 - eligibility.tier.copay_percent) // 100


# The rules of a booking, in pieces that a single booking and the kept care plans (careplans/kept.py)
# both use, so that the two cannot drift apart.

def check_visit(item, scheduled_start: datetime, quantity: int, *, now: datetime) -> None:
    """The item can be booked, for this time (not passed, at most MAX_DAYS_AHEAD ahead) and quantity."""
    if item is None or not item.active:
        raise invalid("item_id", _l("No such service, or it can no longer be booked."))
    if scheduled_start.tzinfo is None:
        raise invalid("scheduled_start", _l("Give the time with its offset, e.g. 2026-12-01T09:00:00+08:00."))
    if scheduled_start < now:
        raise invalid("scheduled_start", _l("The time has passed."))
    if scheduled_start > now + timedelta(days=MAX_DAYS_AHEAD):
        raise invalid("scheduled_start", _l("Book at most %(days)d days ahead.", days=MAX_DAYS_AHEAD))
    if not 1 <= quantity <= 20:
        raise invalid("quantity", _l("Must be from 1 to 20."))


def price_of(item, quantity: int) -> int:
    """The price in fen: the catalogue's guide price times the quantity."""
    return item.price_fen * quantity


def end_of(item, scheduled_start: datetime, quantity: int) -> datetime:
    return scheduled_start + timedelta(minutes=item.duration_minutes * quantity)


def booked_already(visits: list[tuple[int, int, datetime]]) -> dict[tuple[int, int, datetime], int]:
    """Of these (elder, item, start) visits, those already booked and not cancelled, with the order's id: the
    same service for the same elder at the same time is booked once."""
    if not visits:
        return {}
    wanted = {(e, i, start.astimezone(UTC)) for e, i, start in visits}
    first = min(start for _, _, start in wanted)
    last = max(start for _, _, start in wanted)
    found = {}
    elder_ids = sorted({e for e, _, _ in wanted})
    for begin in range(0, len(elder_ids), 5_000):
        rows = db.session.execute(select(WorkOrder.id, WorkOrder.elder_id, WorkOrder.item_id,
                                         WorkOrder.scheduled_start).where(
            WorkOrder.elder_id.in_(elder_ids[begin:begin + 5_000]), WorkOrder.scheduled_start.between(first, last),
            LIVE))
        for order_id, elder_id, item_id, start in rows:
            if (elder_id, item_id, start) in wanted:
                found[(elder_id, item_id, start)] = order_id
    return {(e, i, start): found[(e, i, start.astimezone(UTC))] for e, i, start in visits
            if (e, i, start.astimezone(UTC)) in found}


def _double_booking(error: IntegrityError) -> bool:
    """The unique index on a live order's (elder, item, start): PostgreSQL names it, SQLite its columns."""
    text = str(error.orig)
    return "uq_work_orders_elder_item_start" in text or \
        "work_orders.elder_id, work_orders.item_id, work_orders.scheduled_start" in text


def already_booked(order_id: int | None) -> Conflict:
    """409 naming the order that holds the slot (None: one that committed while this booking was being made)."""
    if order_id is None:
        message = _l("This service is already booked for the elder at that time.")
    else:
        message = _l("This service is already booked for the elder at that time (order %(id)d).", id=order_id)
    return Conflict(message, {"scheduled_start": [message]})
