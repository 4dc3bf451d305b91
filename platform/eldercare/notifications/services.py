"""Who hears of what happens to a work order, and what they read.

An order offered goes to the provider's administrators; accepted, on the way, arrived and done go to the
elder and the linked family (and accepted also to the caregiver sent); an escalation goes to the officers
whose area holds the elder's community; a cancellation to the provider and caregiver who expected to go.
Notifications are written in the same transaction as the change, so none is sent for a change that rolled
back."""
from datetime import datetime
from functools import cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, insert, literal, or_, select, union, update
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..clock import local
from ..db import utcnow
from ..elders.models import Elder, FamilyLink
from ..elders.scope import OFFICER_ROLES
from ..errors import NotFound
from ..extensions import db
from ..providers.models import Caregiver
from ..regions.models import Region
from .models import Notification

MESSAGES = {
    "offered": _l("New order %(order)s for you: %(item)s, %(when)s. Please answer within %(minutes)s minutes."),
    "accepted": _l("%(provider)s accepted %(item)s for %(elder)s, %(when)s. %(caregiver)s will come."),
    "assigned": _l("A new visit for you: %(item)s for %(elder)s, %(when)s, at %(address)s."),
    "on_the_way": _l("%(caregiver)s is on the way to %(elder)s for %(item)s."),
    "checked_in": _l("%(caregiver)s has arrived at %(elder)s's home and started %(item)s."),
    "completed": _l("%(item)s for %(elder)s is done. Please confirm the visit and rate it."),
    "escalated": _l("No provider took order %(order)s (%(item)s for %(elder)s, %(when)s): it needs an operator."),
    "cancelled": _l("Order %(order)s (%(item)s, %(when)s) was cancelled. Nobody needs to go."),
}
# The status an order reaches -> the notification it sends (dispatched: each new offer).
ON_STATUS = {"dispatched": "offered", "accepted": "accepted", "in_service": "checked_in",
             "completed": "completed", "escalated": "escalated", "cancelled": "cancelled"}


def text(notification: Notification) -> str:
    """The notification in the reader's language."""
    facts = dict(notification.facts or {})
    if facts.get("when"):
        facts["when"] = local(datetime.fromisoformat(facts["when"])).strftime("%m-%d %H:%M")
    facts.setdefault("caregiver", _("A caregiver"))
    try:
        return str(MESSAGES[notification.kind]) % facts
    except (KeyError, TypeError, ValueError):
        return notification.kind


def facts_of(order) -> dict:
    caregiver = db.session.get(Caregiver, order.caregiver_id) if order.caregiver_id else None
    provider = (order.provider.name if order.provider else "") if order.provider_id else None
    return dict(order=order.id) | visit_facts(order.item, order.elder, order.scheduled_start, provider=provider,
                                              caregiver=caregiver.name if caregiver is not None else None)


def visit_facts(item, elder, start, *, provider: str | None = None, caregiver: str | None = None) -> dict:
    """What a notification about a visit says, but the order's number: also for the writers that know the
    number only once the order is in (orders/writing.py, careplans/batch.py)."""
    facts = dict(item=item.name, elder=elder.name, when=start.isoformat(), address=elder.address or "")
    if provider is not None:
        facts["provider"] = provider
    if caregiver is not None:
        facts["caregiver"] = caregiver
    return facts


def told_of_escalation(order, community_id: int) -> list[int]:
    """Nobody took the order: the operators and officers over the elder's community, and the elder's side
    (their own login and linked family), in one query."""
    return sorted(db.session.scalars(_escalation_audience(), {"community_id": community_id,
                                                               "elder_id": order.elder_id}))


def notify(user_ids, kind: str, order, **extra) -> int:
    """Write one notification of `kind` about `order` for each user; returns how many."""
    user_ids = sorted(set(u for u in user_ids if u))
    if not user_ids:
        return 0
    facts = facts_of(order) | extra
    now = utcnow()
    db.session.execute(insert(Notification), [dict(user_id=u, kind=kind, order_id=order.id, facts=facts,
                                                   created_at=now) for u in user_ids])
    return len(user_ids)


def elder_side(order) -> list[int]:
    """The elder's own login and every linked family account."""
    return list(db.session.scalars(_elder_side(), {"elder_id": order.elder_id}))


def provider_admins(provider_id: int | None) -> list[int]:
    if provider_id is None:
        return []
    return list(db.session.scalars(select(User.id).where(User.role == "provider_admin",
                                                         User.provider_id == provider_id, User.active.is_(True))))


def caregiver_user(caregiver_id: int | None) -> list[int]:
    if caregiver_id is None:
        return []
    return [db.session.scalar(select(Caregiver.user_id).where(Caregiver.id == caregiver_id))]


@cache
def _escalation_audience():
    """Built once (a booking nobody can take runs it): the active operators and bureau officers scoped to the
    community or a region above it (at most six levels), the elder's own login and the linked family."""
    above = select(Region.id, Region.parent_id, literal(1).label("depth")).where(
        Region.id == bindparam("community_id")).cte("above", recursive=True)
    parent = aliased(Region)
    above = above.union_all(select(parent.id, parent.parent_id, above.c.depth + 1).where(
        parent.id == above.c.parent_id, above.c.depth < 6))
    officers = select(User.id).where(or_(*(User.role == role for role in OFFICER_ROLES)),
                                     User.scope_region_id.in_(select(above.c.id)), User.active.is_(True))
    return union(officers, *_elder_side().selects)


@cache
def _elder_side():
    """The elder's own login (if any) and the linked family accounts, by `elder_id`."""
    own = select(Elder.user_id).where(Elder.id == bindparam("elder_id"), Elder.user_id.is_not(None))
    family = select(FamilyLink.user_id).where(FamilyLink.elder_id == bindparam("elder_id"))
    return union(own, family)


def on_status(order, *, from_status: str | None, to_status: str, detail: dict | None = None) -> None:
    kind = ON_STATUS.get(to_status)
    detail = detail or {}
    if kind == "offered":
        from ..orders.dispatch import accept_minutes

        notify(provider_admins(detail.get("provider_id") or order.provider_id), kind, order,
               minutes=detail.get("accept_within_minutes") or accept_minutes(order.item.category.code))
    elif kind == "accepted":
        notify(elder_side(order), kind, order)
        notify(caregiver_user(order.caregiver_id), "assigned", order)
    elif kind in ("checked_in", "completed"):
        notify(elder_side(order), kind, order)
    elif kind == "escalated":
        notify(told_of_escalation(order, order.elder.community_id), kind, order)
    elif kind == "cancelled" and from_status in ("dispatched", "accepted"):
        notify(provider_admins(order.provider_id) + caregiver_user(order.caregiver_id), kind, order)


def unread_count(user) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id,
                                                                       Notification.read_at.is_(None)))


def mine(user, *, unread_only: bool = False):
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return stmt.order_by(Notification.id.desc())


def mark_read(user, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    return db.session.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount


def get_mine(user, notification_id: int) -> Notification:
    """One of the user's notifications; 404 for anyone else's, as if it did not exist."""
    found = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                         Notification.user_id == user.id))
    if found is None:
        raise NotFound(_l("No such notification."))
    return found
