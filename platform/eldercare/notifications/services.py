"""Who hears of what happens to a work order, and what they read.

An order offered goes to the provider's administrators; accepted, on the way, arrived and done go to the
elder and the linked family (and accepted also to the caregiver sent); an escalation goes to the officers
whose area holds the elder's community; a cancellation to the provider and caregiver who expected to go.
Notifications are written in the same transaction as the change, so none is sent for a change that rolled
back."""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, String, and_, func, insert, literal, or_, select, union_all, update
from sqlalchemy.orm import aliased

from .. import clock, sql
from ..accounts.models import User
from ..clock import local
from ..db import UTCDateTime
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
    "booked_at_point": _l("%(item)s for %(elder)s is booked at %(provider)s, %(when)s: show the elder card at the "
                          "counter."),
    "assigned": _l("A new visit for you: %(item)s for %(elder)s, %(when)s, at %(address)s."),
    "on_the_way": _l("%(caregiver)s is on the way to %(elder)s for %(item)s."),
    "checked_in": _l("%(caregiver)s has arrived at %(elder)s's home and started %(item)s."),
    "completed": _l("%(item)s for %(elder)s is done. Please confirm the visit and rate it."),
    "escalated": _l("No provider took order %(order)s (%(item)s for %(elder)s, %(when)s): it needs an operator."),
    "cancelled": _l("Order %(order)s (%(item)s, %(when)s) was cancelled. Nobody needs to go."),
    # The bureau's decision on a provider (provider_<decision>), to its administrators: no order.
    "provider_approve": _l("The bureau approved %(provider)s. Work orders can now be offered to you."),
    "provider_reject": _l("The bureau turned down the application of %(provider)s: %(note)s"),
    "provider_needs_info": _l("The bureau asks %(provider)s for more: %(note)s Send it from your organisation's "
                              "page."),
    "provider_suspend": _l("The bureau suspended %(provider)s: %(note)s No new work orders are offered to you."),
    "provider_reinstate": _l("The bureau reinstated %(provider)s: %(note)s Work orders are offered to you again."),
}
PROVIDER_KINDS = tuple(kind for kind in MESSAGES if kind.startswith("provider_"))
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
    """What a notification about a visit says, but the order's number: also for the order writer, which knows
    the number only once the order is in (orders/new_orders.py)."""
    facts = dict(item=item.name, elder=elder.name, when=start.isoformat(), address=elder.address or "")
    if provider is not None:
        facts["provider"] = provider
    if caregiver is not None:
        facts["caregiver"] = caregiver
    return facts


@dataclass(frozen=True)
class Step:
    """One change of an order as notifications read it: where the order went, and whom it involves then."""

    order_id: int
    elder_id: int
    community_id: int | None  # the elder's, for an escalation
    provider_id: int | None
    caregiver_id: int | None
    from_status: str | None
    to_status: str
    detail: dict
    facts: dict  # what the notification says (facts_of, or visit_facts and the order's number)


def step(order, *, from_status: str | None, to_status: str, detail: dict | None = None) -> Step:
    """A later change of a stored order, as `tell` reads it."""
    detail = dict(detail or {})
    if to_status == "dispatched" and not detail.get("accept_within_minutes"):
        from ..orders.dispatch import accept_minutes

        detail["accept_within_minutes"] = accept_minutes(order.item.category.code)
    community_id = order.elder.community_id if to_status == "escalated" else None
    return Step(order.id, order.elder_id, community_id, order.provider_id, order.caregiver_id, from_status,
                to_status, detail, facts_of(order))


def tell(steps: list[Step], *, at: datetime | None = None) -> None:
    """Write the notifications that these changes of orders send: the one definition of what is told and to
    whom, for one change or a batch of new orders at once, in one statement that finds the people concerned
    itself (held with the order writer's other rows by sql.together).

    An offer goes to the provider's active administrators; accepted goes to the elder's side (own login and
    linked family) and, as "assigned", to the caregiver sent; checked in and done to the elder's side; an
    escalation to the operators and officers over the elder's community and to the elder's side; a
    cancellation of an offered or accepted order to the provider's administrators and the caregiver."""
    asked, told = [], []  # (n, audience, key) and the n-th notification, for whoever those audiences hold
    at = at or clock.now()
    for s in steps:
        for kind, audiences_asked, extra in _told_of(s):
            facts = s.facts | extra
            if s.caregiver_id is None:  # a caregiver's name is news only once one is sent
                facts.pop("caregiver", None)
            n = len(told)
            told.append(dict(n=n, kind=kind, order_id=s.order_id, facts=facts, created_at=at))
            asked += [dict(n=n, audience=a, key=k) for a, k in audiences_asked if k is not None]
    if asked:
        sql.run(_tell_statement(sql.is_postgres()), dict(asked=sql.relation_rows(_ASKED, asked),
                                                         told=sql.relation_rows(_TOLD, told)))


def _told_of(s: Step) -> list[tuple[str, list[tuple[str, int | None]], dict]]:
    """What the change `s` tells: (kind, [(audience, key)], facts added)."""
    kind = ON_STATUS.get(s.to_status)
    if kind == "offered":
        return [(kind, [("admins", s.detail.get("provider_id") or s.provider_id)],
                 dict(minutes=s.detail.get("accept_within_minutes")))]
    if kind == "accepted" and s.detail.get("service_point_id"):  # a meal booked ahead: nobody comes
        return [("booked_at_point", [("elder", s.elder_id)], {})]
    if kind == "accepted":
        return [(kind, [("elder", s.elder_id)], {}), ("assigned", [("carer", s.caregiver_id)], {})]
    if kind in ("checked_in", "completed"):
        return [(kind, [("elder", s.elder_id)], {})]
    if kind == "escalated":
        return [(kind, [("officers", s.community_id), ("elder", s.elder_id)], {})]
    if kind == "cancelled" and s.from_status in ("dispatched", "accepted"):
        return [(kind, [("admins", s.provider_id), ("carer", s.caregiver_id)], {})]
    return []


def audiences(asked: set[tuple[str, int]]) -> dict[tuple[str, int], list[int]]:
    """The users of each asked audience: ("admins", provider), ("elder", elder: own login and family),
    ("carer", caregiver), ("officers", community: active operators and officers scoped to it or a region
    above it), in one query."""
    pairs = sorted(asked)
    if not pairs:
        return {}
    heard: dict[tuple[str, int], list[int]] = {}
    rows = sql.relation_rows(_ASKED, [dict(n=n, audience=a, key=k) for n, (a, k) in enumerate(pairs)])
    # Core execution on the session's connection: the ORM layer adds nothing for plain rows but time.
    for n, user_id in db.session.connection().execute(_heard_statement(sql.is_postgres()), dict(asked=rows)):
        heard.setdefault(pairs[n], []).append(user_id)
    return heard


_ASKED = dict(n=Integer(), audience=String(), key=Integer())
_TOLD = dict(n=Integer(), kind=String(), order_id=Integer(), facts=JSON(), created_at=UTCDateTime())


@lru_cache
def _heard_statement(_postgres: bool):
    """(n, user id): who is in each asked audience (the relation `asked` of (n, audience, key)). Built once per
    database; every audience is a probe by key from the few rows asked."""
    asked = select(sql.relation("asked", _ASKED)).cte("asked_rows")  # the document read once, for every branch

    def of(audience: str, key):
        return and_(asked.c.audience == audience, key == asked.c.key)

    selects = [
        select(asked.c.n, User.id.label("user_id")).join(User, of("admins", User.provider_id))
        .where(User.role == "provider_admin", User.active.is_(True)),
        select(asked.c.n, Elder.user_id).join(Elder, of("elder", Elder.id)).where(Elder.user_id.is_not(None)),
        select(asked.c.n, FamilyLink.user_id).join(FamilyLink, of("elder", FamilyLink.elder_id)),
        select(asked.c.n, Caregiver.user_id).join(Caregiver, of("carer", Caregiver.id))
        .where(Caregiver.user_id.is_not(None)),
    ]
    # Each community and the regions above it (at most six levels), then who is scoped to one of them.
    above = (select(asked.c.n, Region.id, Region.parent_id, literal(1).label("depth"))
             .join(Region, of("officers", Region.id)).cte("above", recursive=True))
    parent = aliased(Region)
    above = above.union_all(select(above.c.n, parent.id, parent.parent_id, above.c.depth + 1)
                            .where(parent.id == above.c.parent_id, above.c.depth < 6))
    selects.append(select(above.c.n, User.id).join(above, above.c.id == User.scope_region_id)
                   .where(or_(*(User.role == role for role in OFFICER_ROLES)), User.active.is_(True)))
    return union_all(*selects)


@lru_cache
def _tell_statement(_postgres: bool):
    """The notifications of `told` for whoever the audiences `asked` of each hold, each person once."""
    heard = _heard_statement(_postgres).subquery("heard")
    pairs = select(heard.c.n, heard.c.user_id).distinct().subquery("pairs")
    told = sql.relation("told", _TOLD)
    return insert(Notification.__table__).from_select(
        ["user_id", "kind", "order_id", "facts", "created_at"],
        select(pairs.c.user_id, told.c.kind, told.c.order_id, told.c.facts, told.c.created_at)
        .join(told, told.c.n == pairs.c.n).order_by(pairs.c.n, pairs.c.user_id))


def notify(user_ids, kind: str, order, **extra) -> int:
    """Write one notification of `kind` about `order` for each user; returns how many."""
    user_ids = [u for u in user_ids if u]
    if not user_ids:  # nobody to tell: spare reading the order's facts
        return 0
    return _write(user_ids, kind, order.id, facts_of(order) | extra)


def _write(user_ids, kind: str, order_id: int | None, facts: dict) -> int:
    """One notification of `kind` for each user (once each), saying `facts`; returns how many."""
    user_ids = sorted(set(user_ids))  # no empty ids: notify dropped them, audiences gives none
    if user_ids:
        now = clock.now()
        db.session.execute(insert(Notification), [dict(user_id=u, kind=kind, order_id=order_id, facts=facts,
                                                       created_at=now) for u in user_ids])
    return len(user_ids)


def tell_provider(provider, decision: str, note: str | None) -> int:
    """Tell the provider's active administrators the bureau's decision on it; returns how many were told."""
    kind = f"provider_{decision}"
    if kind not in MESSAGES:
        return 0
    users = audiences({("admins", provider.id)}).get(("admins", provider.id), [])
    return _write(users, kind, None, dict(provider=provider.name, note=note or ""))


def elder_side(order) -> list[int]:
    """The elder's own login and every linked family account."""
    return audiences({("elder", order.elder_id)}).get(("elder", order.elder_id), [])


def on_status(order, *, from_status: str | None, to_status: str, detail: dict | None = None) -> None:
    """Tell whoever hears of this later change of `order` (a new order's first changes are told by the order
    writer, through the same `tell`)."""
    if to_status not in ON_STATUS:  # nobody hears of it (settled): spare reading the order's facts, per order
        return
    tell([step(order, from_status=from_status, to_status=to_status, detail=detail)])


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
    return db.session.execute(stmt.values(read_at=clock.now()).execution_options(synchronize_session=False)).rowcount


def get_mine(user, notification_id: int) -> Notification:
    """One of the user's notifications; 404 for anyone else's, as if it did not exist."""
    found = db.session.scalar(select(Notification).where(Notification.id == notification_id,
                                                         Notification.user_id == user.id))
    if found is None:
        raise NotFound(_l("No such notification."))
    return found
