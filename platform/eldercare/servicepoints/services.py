"""Service points: a provider registers its canteens, bathing points and day-care centres, the bureau of its
district approves them; the elder card (signed, revocable); and the check-in at the counter, which writes the
visit as a work order born completed through the one order writer (orders/new_orders.py), the voucher share
held and captured in the same ledger call, and the co-pay recorded as paid at the counter (payments/); or, for a
meal booked ahead (bookings.py), completes the order waiting for the elder, capturing the share held then."""
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Signer
from sqlalchemy import and_, bindparam, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock, sealed, sql
from ..audit.services import event, record, record_many
from ..catalog.models import Category, Item
from ..db import utcnow
from ..elders.models import Elder
from ..elders.registry import ensure_bookable
from ..elders.scope import no_such_elder
from ..errors import Conflict, Forbidden, NotFound, invalid
from ..extensions import db
from ..geo import CHINA_LAT, CHINA_LNG, distance_km
from ..notifications.services import visit_facts
from ..orders import new_orders
from ..orders.booking import as_answered, voucher_part
from ..orders.dispatch import set_status
from ..orders.models import WorkOrder
from ..payments import services as payments
from ..providers.models import Provider
from ..regions.models import Region
from ..vouchers import holds
from ..vouchers.eligibility import age_on, explain
from .models import CheckIn, ElderCard, PointItem, ServicePoint, point_staff
from .scope import no_such_point, reviews, staff_condition

HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])\Z")
ID_LAST6 = re.compile(r"[0-9]{5}[0-9X]\Z")  # ASCII digits; the ID number's check character may be X
CARD = re.compile(r"([0-9]{1,10})\.([0-9]{1,10})\.[A-Za-z0-9_-]{10,100}\Z")
MEAL_CATEGORY = "meal"
# A meal's slot by the Beijing hour it is served: before 10:00 breakfast, before 15:00 lunch, then supper.
LUNCH_FROM, SUPPER_FROM = time(10), time(15)
# A meal booked ahead (bookings.py) is an order the point has accepted, waiting for the elder at the counter.
WAITING = "accepted"
REVIEW = {"approve": "approved", "reject": "rejected"}
# Changing these sends an approved point back to the bureau; hours, items, capacity and the second-meal rule not.
REVIEWED_FIELDS = ("name", "kind", "community_id", "lat", "lng", "address")


# --- registering and reviewing points ---------------------------------------------------------------------------

def register(actor, fields: dict) -> ServicePoint:
    """A provider's administrator registers one of its points; it waits for the bureau's review."""
    if actor.role != "provider_admin" or actor.provider_id is None:
        raise Forbidden(_l("Only a provider's administrator registers its service points."))
    provider_id = fields.get("provider_id") or actor.provider_id
    if provider_id != actor.provider_id:
        raise Forbidden(_l("You can register points only for your own organisation."))
    point = ServicePoint(provider_id=provider_id, status="pending", created_by_id=actor.id)
    _apply(point, fields, new=True)
    db.session.add(point)
    db.session.flush()
    record("service_point.registered", point, actor=actor, name=point.name, kind=point.kind,
           provider_id=provider_id)
    return point


def update(actor, point: ServicePoint, changes: dict) -> ServicePoint:
    """The provider edits its point: a change of what the bureau approved (name, kind, place) sends it back to
    review; hours, items, capacity and the second-meal rule apply at once."""
    if actor.role != "provider_admin" or actor.provider_id != point.provider_id:
        raise Forbidden(_l("Only the point's provider edits it."))
    changes = {k: v for k, v in changes.items() if k != "provider_id"}
    if not changes:
        raise invalid("_schema", _l("Send at least one field to change."))
    before, reviewed = point.status, {k: getattr(point, k) for k in REVIEWED_FIELDS}
    _apply(point, changes, new=False)
    # A form sends every field again: only a value that changed sends the point back.
    if point.status in ("approved", "rejected") and any(getattr(point, k) != v for k, v in reviewed.items()):
        point.status = "pending"
    db.session.flush()
    record("service_point.updated", point, actor=actor, fields=sorted(changes), before=before, after=point.status)
    return point


def _apply(point: ServicePoint, fields: dict, *, new: bool) -> None:
    """Check and set the fields given (all of them for a new point), each refusal naming its field."""
    required = ("name", "kind", "community_id", "lat", "lng", "hours", "items", "daily_capacity")
    for name in required if new else ():
        if fields.get(name) is None:
            raise invalid(name, _l("Missing data for required field."))
    if "name" in fields:
        name = (fields["name"] or "").strip()
        if not name:
            raise invalid("name", _l("Give the point's name."))
        point.name = name
    if "kind" in fields:
        point.kind = fields["kind"]
    if "community_id" in fields:
        community = db.session.get(Region, fields["community_id"])
        if community is None or community.level != "community":
            raise invalid("community_id", _l("Choose the community the point is in."))
        point.community_id = community.id
    if "lat" in fields:
        if not CHINA_LAT[0] <= fields["lat"] <= CHINA_LAT[1]:
            raise invalid("lat", _l("The point is not in China: latitude must be from 3.8 to 53.6."))
        point.lat = fields["lat"]
    if "lng" in fields:
        if not CHINA_LNG[0] <= fields["lng"] <= CHINA_LNG[1]:
            raise invalid("lng", _l("The point is not in China: longitude must be from 73.5 to 135.1."))
        point.lng = fields["lng"]
    if "address" in fields:
        point.address = (fields["address"] or "").strip() or None
    if "daily_capacity" in fields:
        point.daily_capacity = fields["daily_capacity"]
    if "second_meal" in fields:
        point.second_meal = fields["second_meal"]
    if "hours" in fields:
        point.hours = _checked_hours(fields["hours"])
    if "items" in fields:
        _set_items(point, fields["items"])


def _checked_hours(hours: list[dict]) -> list[dict]:
    rows = []
    for n, row in enumerate(hours):
        start, end = HHMM.match(row["start"] or ""), HHMM.match(row["end"] or "")
        if start is None or end is None or row["start"] >= row["end"]:
            raise invalid(f"hours.{n}", _l("Opening hours are HH:MM to a later HH:MM on the same day."))
        rows.append(dict(weekday=row["weekday"], start=row["start"], end=row["end"]))
    return sorted(rows, key=lambda r: (r["weekday"], r["start"]))


def _set_items(point: ServicePoint, items: list[dict]) -> None:
    ids = [row["item_id"] for row in items]
    found = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}
    seen = set()
    for n, row in enumerate(items):
        item = found.get(row["item_id"])
        if item is None or not item.active:
            raise invalid(f"items.{n}.item_id", _l("No such service item."))
        if item.id in seen:
            raise invalid(f"items.{n}.item_id", _l("This item is priced twice."))
        if not 0 <= row["price_fen"] <= item.price_fen:
            raise invalid(f"items.{n}.price_fen", _l("The price must be from 0 to the guide price, %(yuan)s yuan.",
                                                      yuan=f"{item.price_fen / 100:.2f}"))
        seen.add(item.id)
    point.items = [PointItem(item_id=row["item_id"], price_fen=row["price_fen"]) for row in items]


def review(actor, point: ServicePoint, decision: str, note: str | None = None) -> ServicePoint:
    """The bureau of the provider's district approves or rejects a point waiting for review."""
    if actor.role not in ("bureau", "admin") or not reviews(actor, point):
        raise Forbidden(_l("Only the bureau of the provider's district reviews its service points."))
    if decision not in REVIEW:
        raise invalid("decision", _l("Unknown decision."))
    note = (note or "").strip() or None
    if decision == "reject" and not note:
        raise invalid("note", _l("Say why, so the provider knows what to do."))
    if point.status != "pending":
        message = _l("Only a point waiting for review can be approved or rejected.")
        raise Conflict(message, {"decision": [message]})
    before, point.status = point.status, REVIEW[decision]
    point.review_note, point.reviewed_at, point.reviewed_by_id = note, utcnow(), actor.id
    db.session.flush()
    record("service_point.reviewed", point, actor=actor, decision=decision, before=before, after=point.status,
           note=note)
    return point


def nearby(points: list[ServicePoint], lat: float | None, lng: float | None) -> list[ServicePoint]:
    """The points with `distance_m` from (lat, lng), nearest first; as given when no place is given."""
    for p in points:
        p.distance_m = None if lat is None or lng is None else round(distance_km(lat, lng, p.lat, p.lng) * 1000)
    if lat is None or lng is None:
        return points
    return sorted(points, key=lambda p: (p.distance_m, p.id))


def open_today(point: ServicePoint, day: date | None = None) -> list[dict]:
    """The point's opening hours on `day` (Beijing; default today)."""
    weekday = (day or clock.today()).weekday()
    return [h for h in point.hours or [] if h["weekday"] == weekday]


def assign_staff(user, point_ids: list[int], *, actor=None) -> None:
    """A point_staff account serves at these points of its provider (422 naming the field otherwise)."""
    ids = sorted(set(point_ids))
    found = set(db.session.scalars(select(ServicePoint.id).where(ServicePoint.id.in_(ids),
                                                                 ServicePoint.provider_id == user.provider_id)))
    if found != set(ids):
        raise invalid("service_point_ids", _l("Choose service points of the account's own provider."))
    db.session.execute(insert(point_staff), [dict(user_id=user.id, service_point_id=i) for i in ids])
    record("service_point.staff_assigned", user, actor=actor, service_point_ids=ids)


# --- the elder card ---------------------------------------------------------------------------------------------

def _signer() -> Signer:
    return Signer(current_app.secret_key, salt="elder-card", digest_method=hashlib.sha256)


def card_version(elder_id: int) -> int:
    return db.session.scalar(select(ElderCard.version).where(ElderCard.elder_id == elder_id)) or 0


def card_payload(elder: Elder) -> str:
    """What the card's QR code holds: the elder's id and the card's version, signed with the app's secret."""
    return _signer().sign(f"{elder.id}.{card_version(elder.id)}").decode()


def revoke_card(actor, elder: Elder) -> str:
    """A lost card: the version moves on, so the old card is refused at every counter. Returns the new card."""
    card = db.session.get(ElderCard, elder.id, with_for_update=sql.is_postgres())
    if card is None:
        card = ElderCard(elder_id=elder.id, version=0)
        db.session.add(card)
    card.version += 1
    card.revoked_at = clock.now()
    db.session.flush()
    record("elder.card_revoked", elder, actor=actor, version=card.version)
    return card_payload(elder)


def _card_signed(payload: str) -> tuple[int, int]:
    """The elder and the card version a card names (422 if it is not a card we signed); whether that version is
    still the elder's is asked with the elder (`_ensure_current`)."""
    payload = (payload or "").strip()
    if CARD.match(payload) is None:
        raise invalid("card", _l("This is not an elder card. Scan it again or find the elder by name."))
    try:
        elder_id, version = (int(part) for part in _signer().unsign(payload).decode().split("."))
    except BadSignature:
        raise invalid("card", _l("This is not an elder card. Scan it again or find the elder by name.")) from None
    return elder_id, version


def _ensure_current(version: int | None, current: int) -> None:
    """409 for a card whose version has moved on (lost, replaced); `version` None: no card shown."""
    if version is not None and version != current:
        message = _l("This card has been replaced by a new one and can no longer be used.")
        raise Conflict(message, {"card": [message]})


def _elder_by_name(name: str, id_last6: str) -> int:
    """The one elder with this name and these last six ID digits: 404 for none, 409 for more than one, and
    nothing else said."""
    name, id_last6 = (name or "").strip(), (id_last6 or "").strip().upper()
    if not name:
        raise invalid("name", _l("Give the elder's name."))
    if ID_LAST6.match(id_last6) is None:
        raise invalid("id_last6", _l("Give the last six characters of the ID number (digits, or X last)."))
    # The number is sealed (sealed.py): its last six are matched by their keyed hash.
    last6_hash = sealed.lookup(sealed.ID_LAST6, id_last6)
    ids = db.session.scalars(select(Elder.id).where(Elder.name == name, Elder.id_last6_hash == last6_hash)
                             .limit(2)).all()
    if not ids:
        raise NotFound(_l("No elder matches this name and ID number."), {"id_last6": [_l("No elder matches.")]})
    if len(ids) > 1:
        message = _l("More than one elder matches: use the elder card.")
        raise Conflict(message, {"id_last6": [message]})
    return ids[0]


# --- the counter ------------------------------------------------------------------------------------------------

@dataclass
class Quote:
    """What the counter shows before the tap: who the elder is, and what the meal costs them today."""

    point: ServicePoint
    elder: Elder
    item: Item
    price_fen: int
    voucher_fen: int
    copay_fen: int
    subsidised: bool
    slot: str
    served_on: date
    note: str | None  # why the vouchers pay nothing, when they do not
    booking_id: int | None = None  # the meal booked ahead for this elder, item and slot, waiting here

    @property
    def age(self) -> int:
        return age_on(self.elder.birth_date, self.served_on)

    @property
    def street(self) -> str:
        community = self.elder.community
        parent = db.session.get(Region, community.parent_id) if community and community.parent_id else None
        return parent.name if parent is not None else (community.name if community else "")


def slot_of(item: Item, moment: datetime) -> str:
    """The meal slot (breakfast, lunch, supper) of a meal served at `moment`; "day" for anything else."""
    if item.category is None or item.category.code != MEAL_CATEGORY:
        return "day"
    return meal_slot(moment)


def meal_slot(moment: datetime) -> str:
    """The meal time (breakfast, lunch, supper) of `moment`, by Beijing's clock."""
    at = clock.local(moment).time()
    return "breakfast" if at < LUNCH_FROM else "lunch" if at < SUPPER_FROM else "supper"


def subsidies_spent(meals: list[tuple[str, bool]], slot: str, limit: int) -> bool:
    """The rule of the vouchers' meals a day: at most `limit` subsidised meals a day, one a meal time. `meals`:
    the elder's meals of the day, served or booked, as (slot, subsidised); whether a subsidised `slot` is past
    the rule. The one definition, for the counter and for booking ahead."""
    subsidised = [s for s, paid in meals if paid and s != "day"]
    return len(subsidised) >= limit or slot in subsidised


def counter_point(actor, point_id: int, *, lock: bool = False) -> ServicePoint:
    """The approved point `actor` serves at (404 otherwise), its row locked for the check-in when asked."""
    if actor.role != "point_staff":
        raise Forbidden(_l("Only the point's staff serve at its counter."))
    stmt = select(ServicePoint).where(ServicePoint.id == point_id, staff_condition(actor))
    point = db.session.scalar(sql.locked(stmt) if lock else stmt)
    if point is None:
        raise no_such_point()
    if point.status != "approved":
        message = _l("The point is not approved by the bureau yet: it cannot serve with vouchers.")
        raise Conflict(message, {"service_point": [message]})
    return point


@cache
def _elder_statement():
    """The elder with their card's current version (0 without a row): built once."""
    return (select(Elder, func.coalesce(ElderCard.version, 0))
            .outerjoin(ElderCard, ElderCard.elder_id == Elder.id).where(Elder.id == bindparam("elder_id")))


@cache
def _priced_statement():
    """The point's price of an item, with the item and its category, in one query: built once."""
    return (select(PointItem.price_fen, Item).join(Item, Item.id == PointItem.item_id)
            .options(contains_eager(Item.category)).join(Category, Category.id == Item.category_id)
            .where(PointItem.service_point_id == bindparam("point_id"), PointItem.item_id == bindparam("item_id")))


@cache
def _taken_statement():
    """The elder's check-ins today, how many the point has served today, how many meals booked for today still
    wait there and how many of the elder's (at any point), in one query (one row with the counts and nulls when
    the elder has none): built once."""
    served = (select(func.count()).select_from(CheckIn)
              .where(CheckIn.service_point_id == bindparam("point_id"), CheckIn.served_on == bindparam("day"))
              .scalar_subquery())
    today = (WorkOrder.status == WAITING, WorkOrder.scheduled_start >= bindparam("start"),
             WorkOrder.scheduled_start < bindparam("end"))
    waiting = (select(func.count()).select_from(WorkOrder)  # by the provider's index on (provider, start)
               .where(WorkOrder.provider_id == bindparam("provider_id"),
                      WorkOrder.service_point_id == bindparam("point_id"), *today).scalar_subquery())
    booked = (select(func.count()).select_from(WorkOrder)
              .where(WorkOrder.elder_id == bindparam("elder_id"), WorkOrder.service_point_id.is_not(None), *today)
              .scalar_subquery())
    one = select(literal(1).label("one")).subquery()
    return (select(served.label("served"), waiting.label("waiting"), booked.label("booked"), CheckIn.order_id,
                   CheckIn.item_id, CheckIn.slot, CheckIn.subsidised, CheckIn.service_point_id)
            .select_from(one.outerjoin(CheckIn, and_(CheckIn.elder_id == bindparam("elder_id"),
                                                     CheckIn.served_on == bindparam("day")))))


def quote(actor, point: ServicePoint, *, item_id: int, pay_with: str, card: str | None = None,
          name: str | None = None, id_last6: str | None = None, lock: bool = False,
          now: datetime | None = None) -> Quote:
    """Find the elder (by card, or by name and the last six ID characters) and apply every rule of the counter:
    a bookable elder, the point open and not full, the item served here, the same meal not recorded twice, and
    the vouchers' share within the policy's meals a day (a meal past them at full price or refused, as the
    point chooses). Each refusal is a 4xx naming its reason. The reads are few (a lunchtime queue is many
    check-ins a second): the elder with the card's version, the item with its price here, the elder's meals and
    the point's count today, the policy."""
    now = now or clock.now()
    version = None
    if card:
        elder_id, version = _card_signed(card)
    elif name or id_last6:
        elder_id = _elder_by_name(name, id_last6)
    else:
        raise invalid("card", _l("Scan the elder card, or give the name and the last six ID characters."))
    stmt = sql.locked(_elder_statement(), of=Elder) if lock else _elder_statement()  # one counter at a time
    row = db.session.execute(stmt, dict(elder_id=elder_id)).first()
    if row is None:
        raise no_such_elder()
    elder, current = row
    _ensure_current(version, current)
    ensure_bookable(elder)
    served_on = clock.local_date(now)
    _check_open(point, now)
    priced = db.session.execute(_priced_statement(), dict(point_id=point.id, item_id=item_id)).first()
    if priced is None:
        raise invalid("item_id", _l("This point does not serve that item."))
    price, item = priced
    slot = slot_of(item, now)
    start, end = clock.day_bounds(served_on)
    rows = db.session.execute(_taken_statement(), dict(point_id=point.id, provider_id=point.provider_id,
                                                       elder_id=elder.id, day=served_on, start=start, end=end)).all()
    served, taken = rows[0].served + rows[0].waiting, [t for t in rows if t.order_id is not None]
    same = [t for t in taken if (t.item_id, t.slot, t.service_point_id) == (item.id, slot, point.id)]
    if same:
        message = _l("Already recorded for this elder here today (order %(id)d).", id=same[0].order_id)
        raise Conflict(message, {"item_id": [message]})
    waiting = waiting_meals(elder.id, served_on) if rows[0].booked else []  # read only for an elder who has some
    booked = next((w for w in waiting if (w.service_point_id, w.item_id, w.slot) == (point.id, item.id, slot)), None)
    if booked is not None:  # booked ahead: its place and its price were decided then, its voucher share held
        return Quote(point, elder, item, booked.price_fen, booked.voucher_fen, booked.copay_fen,
                     booked.voucher_fen > 0, slot, served_on, None, booked.order_id)
    if served >= point.daily_capacity:  # its check-ins and the meals booked for today still waiting
        message = _l("The point has served its %(n)d for today.", n=point.daily_capacity)
        raise Conflict(message, {"service_point": [message]})
    voucher, subsidised, note = 0, False, None
    if pay_with == "voucher":
        eligibility = explain(elder, str(clock.Month.of(now)))
        share = voucher_part(eligibility, item, price)  # 422 naming pay_with or item_id when it cannot pay
        if slot == "day":
            voucher, subsidised = share, True
        else:
            limit = eligibility.policy.meals_a_day
            meals = [(t.slot, t.subsidised) for t in taken] + [(w.slot, w.voucher_fen > 0) for w in waiting]
            if subsidies_spent(meals, slot, limit):
                note = str(_l("Vouchers have paid for this meal today already (at most %(n)d meals a day, one a "
                              "meal time).", n=limit))
                if point.second_meal == "refuse":
                    raise Conflict(note, {"pay_with": [note]})
            else:
                voucher, subsidised = share, True
    return Quote(point, elder, item, price, voucher, price - voucher, subsidised, slot, served_on, note)


def _check_open(point: ServicePoint, now: datetime) -> None:
    local = clock.local(now)
    at = local.strftime("%H:%M")
    if not any(h["weekday"] == local.weekday() and h["start"] <= at < h["end"] for h in point.hours or []):
        message = _l("The point is closed now (%(at)s Beijing time).", at=at)
        raise Conflict(message, {"service_point": [message]})


def check_in(actor, point_id: int, *, item_id: int, pay_with: str = "voucher", card: str | None = None,
             name: str | None = None, id_last6: str | None = None, method: str = "cash") -> WorkOrder:
    """Record a meal or bath at the counter: the order written completed through the one order writer (the
    point as the place, the staff member who served, the check-in and -out now), its voucher share held and
    captured with it, the co-pay recorded as paid here. The point's row and the elder's are locked first
    (PostgreSQL), so capacity and the meals a day are counted once per check-in; the check-in's unique key
    decides a double tap. Answers the order as written (nothing read back)."""
    now = clock.now()
    point = counter_point(actor, point_id, lock=True)
    q = quote(actor, point, item_id=item_id, pay_with=pay_with, card=card, name=name, id_last6=id_last6, lock=True,
              now=now)
    if q.booking_id is not None:  # booked ahead: the order waiting is completed, no second one written
        return _serve_booked(actor, point, q.booking_id, method=method, now=now)
    elder, item = q.elder, q.item
    values = dict(elder_id=elder.id, item_id=item.id, scheduled_start=now, scheduled_end=now, quantity=1,
                  price_fen=q.price_fen, voucher_fen=q.voucher_fen, copay_fen=q.copay_fen,
                  copay_paid_fen=q.copay_fen,  # paid at the counter: its payment is recorded below
                  copay_refunded_fen=0, pay_with=pay_with if q.voucher_fen else "self", note=q.note,
                  preferred_provider_id=None, booked_by_id=actor.id, care_plan_id=None, plan_date=None, ranking=[],
                  auto_confirmed=False, caregiver_id=None, service_point_id=point.id, served_by_id=actor.id,
                  check_in_at=now, check_in_lat=point.lat, check_in_lng=point.lng, check_out_at=now,
                  check_out_lat=point.lat, check_out_lng=point.lng)
    draft = new_orders.served(values, facts=visit_facts(item, elder, now, provider=point.name),
                              community_id=elder.community_id, now=now, provider_id=point.provider_id)
    try:
        written = new_orders.write([draft], actor=actor)  # 409 when the voucher balance is short
        order_id = written.written[0].id
        db.session.execute(insert(CheckIn.__table__).values(
            order_id=order_id, service_point_id=point.id, elder_id=elder.id, item_id=item.id, served_on=q.served_on,
            slot=q.slot, subsidised=q.subsidised, served_by_id=actor.id, at=now))
    except IntegrityError:  # the same meal recorded by a request that committed a moment ago
        message = _l("Already recorded for this elder here today.")
        raise Conflict(message, {"item_id": [message]}) from None
    checked_in = event("service_point.checked_in", target_type=ServicePoint.__tablename__, target_id=point.id,
                       actor_id=actor.id, order_id=order_id, elder_id=elder.id, item_id=item.id, slot=q.slot,
                       subsidised=q.subsidised, voucher_fen=q.voucher_fen, copay_fen=q.copay_fen)
    if q.copay_fen > 0:
        payments.paid_with_new_order(actor, order_id, amount_fen=q.copay_fen, method=method, received_at=now,
                                     note=str(_l("Paid at the counter")), also=[checked_in])
    else:
        record_many([checked_in])
    order = as_answered(written.written[0], written.at, actor)
    set_committed_value(order, "elder", elder)
    return order


def served_today(point: ServicePoint, day: date | None = None) -> int:
    return db.session.scalar(select(func.count()).select_from(CheckIn).where(
        CheckIn.service_point_id == point.id, CheckIn.served_on == (day or clock.today())))


def provider_of(point: ServicePoint) -> Provider:
    return db.session.get(Provider, point.provider_id)


# --- meals booked ahead, waiting at the counter (booked by bookings.py) ------------------------------------------

@dataclass(frozen=True)
class Waiting:
    """A meal booked ahead and not served yet: its order, where, what, at which meal time, and its money."""

    order_id: int
    service_point_id: int
    item_id: int
    slot: str
    price_fen: int
    voucher_fen: int
    copay_fen: int


def _waiting_condition(day: date):
    start, end = clock.day_bounds(day)
    return and_(WorkOrder.service_point_id.is_not(None), WorkOrder.status == WAITING,
                WorkOrder.scheduled_start >= start, WorkOrder.scheduled_start < end)


def waiting_meals(elder_id: int, day: date) -> list[Waiting]:
    """The elder's meals booked ahead for `day` (Beijing), at any point, still waiting to be served."""
    rows = db.session.execute(select(WorkOrder.id, WorkOrder.service_point_id, WorkOrder.item_id,
                                     WorkOrder.scheduled_start, WorkOrder.price_fen, WorkOrder.voucher_fen,
                                     WorkOrder.copay_fen)
                              .where(WorkOrder.elder_id == elder_id, _waiting_condition(day))).all()
    return [Waiting(r.id, r.service_point_id, r.item_id, meal_slot(r.scheduled_start), r.price_fen, r.voucher_fen,
                    r.copay_fen) for r in rows]


def waiting_at(point: ServicePoint, day: date) -> int:
    """How many meals booked ahead at the point for `day` are still waiting: with its check-ins, its day's count."""
    return db.session.scalar(select(func.count()).select_from(WorkOrder).where(
        WorkOrder.provider_id == point.provider_id, WorkOrder.service_point_id == point.id, _waiting_condition(day)))


def booked_today(point: ServicePoint, day: date | None = None) -> list[WorkOrder]:
    """The meals booked ahead at the point for today, waiting for their elders: earliest meal time first."""
    return db.session.scalars(select(WorkOrder).where(WorkOrder.provider_id == point.provider_id,
                                                      WorkOrder.service_point_id == point.id,
                                                      _waiting_condition(day or clock.today()))
                              .order_by(WorkOrder.scheduled_start, WorkOrder.id)).all()


def booked_here(point: ServicePoint, order_id: int) -> int:
    """The elder of the order `order_id` booked at this point; 404 for an order of another place."""
    elder_id = db.session.scalar(select(WorkOrder.elder_id).where(WorkOrder.id == order_id,
                                                                  WorkOrder.service_point_id == point.id))
    if elder_id is None:
        raise NotFound(_l("No such booking at this point."))
    return elder_id


def serve_booked(actor, point_id: int, order_id: int, *, method: str = "cash") -> WorkOrder:
    """The counter's one tap for an elder whose meal was booked ahead for today: the waiting order completed."""
    now = clock.now()
    point = counter_point(actor, point_id, lock=True)
    elder = db.session.scalar(sql.locked(select(Elder).where(Elder.id == booked_here(point, order_id))))  # as a
    # check-in locks the elder's row, after the point's
    ensure_bookable(elder)
    return _serve_booked(actor, point, order_id, method=method, now=now)


def _serve_booked(actor, point: ServicePoint, order_id: int, *, method: str, now: datetime) -> WorkOrder:
    """Complete the meal booked ahead, waiting at this point for today: the check-in recorded (its unique key
    decides a double tap), the order completed, its held voucher share captured for the provider (a capture is
    posted once per order), and what is still due of the co-pay recorded as paid here."""
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.id == order_id, WorkOrder.service_point_id == point.id)
                              .with_for_update().execution_options(populate_existing=True))
    served_on = clock.local_date(now)
    if order is None or order.status != WAITING or clock.local_date(order.scheduled_start) != served_on:
        message = _l("This booking is not waiting at the counter today.")
        raise Conflict(message, {"order_id": [message]})
    slot = meal_slot(order.scheduled_start)
    try:
        db.session.execute(insert(CheckIn.__table__).values(
            order_id=order.id, service_point_id=point.id, elder_id=order.elder_id, item_id=order.item_id,
            served_on=served_on, slot=slot, subsidised=order.voucher_fen > 0, served_by_id=actor.id, at=now))
    except IntegrityError:  # the same meal recorded by a request that committed a moment ago
        message = _l("Already recorded for this elder here today.")
        raise Conflict(message, {"item_id": [message]}) from None
    order.served_by_id = actor.id
    order.check_in_at = order.check_out_at = now
    order.check_in_lat = order.check_out_lat = point.lat
    order.check_in_lng = order.check_out_lng = point.lng
    set_status(order, "completed", actor=actor, reason=new_orders.SERVED, service_point_id=point.id)
    holds.capture(order, actor=actor)
    checked_in = event("service_point.checked_in", target_type=ServicePoint.__tablename__, target_id=point.id,
                       actor_id=actor.id, order_id=order.id, elder_id=order.elder_id, item_id=order.item_id,
                       slot=slot, subsidised=order.voucher_fen > 0, voucher_fen=order.voucher_fen,
                       copay_fen=order.copay_fen, booked=True)
    due = payments.due_fen(order)
    if due > 0:
        payments.record_offline(actor, order, amount_fen=due, method=method, received_at=now,
                                note=str(_l("Paid at the counter")))
    record_many([checked_in])
    db.session.flush()
    return order
