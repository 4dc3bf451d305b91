"""The anomaly rules and the scan that runs them over a span of Beijing days.

Each rule is one set-based query (SQLAlchemy Core, window functions that SQLite and PostgreSQL both have) over
the visits checked in within the span, returning the orders that break it with the facts of why; Python only
turns the (few) rows found into findings. A finding is unique per rule and order, so scanning a span again, or
an overlapping one, adds none twice.

Dates against moments: a registry event, a certificate's expiry and the months are Beijing dates, the visits
UTC moments. Rather than do time-zone arithmetic in SQL (which the two databases spell differently), the scan
passes the span's days with their UTC bounds (clock.day_bounds) as a small relation, and a date is turned into
its day's start or end by joining it; a date before or after the span needs no exact bound."""
import logging
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Date, Float, Index, and_, case, cast, extract, func, literal, or_, select

from .. import clock, sql
from ..catalog.models import Category, Item
from ..db import UTCDateTime
from ..elders.models import Elder, ElderEvent
from ..errors import invalid
from ..extensions import db
from ..orders.models import WorkOrder
from ..providers.models import CATEGORY_CERTIFICATE, Caregiver, Certificate, Provider
from ..servicepoints.models import CheckIn, ServicePoint
from .findings import Finding, open_cases
from .services import event, record_many

log = logging.getLogger(__name__)

# The rules, in the order they are listed, with their severity.
RULES = {
    "overlap": "high",  # one caregiver (one person, across providers) in two visits at once
    "far_from_home": "medium",  # check-in or check-out more than DISTANCE_LIMIT_M from the home
    "too_short": "medium",  # shorter than SHORT_FRACTION of the booked duration
    "too_long": "medium",  # longer than LONG_HOURS
    "after_death": "high",  # on or after the day of the elder's death
    "in_hospital": "high",  # on a day strictly between a hospital admission and the discharge
    "impossible_travel": "high",  # between consecutive visits faster than CAR_KMH in a straight line
    "future_time": "high",  # a check-in, check-out or confirmation later than the scan
    "spend_spike": "medium",  # a provider's month far above its previous months
    "frequent_booking": "medium",  # one elder and item far more often than usual
    "certificate_expired": "medium",  # the category's certificate expired (or missing) on the visit's day
    "meal_at_two_points": "high",  # one elder served the same meal (day and meal time) at two service points
}

DISTANCE_LIMIT_M = 300
SHORT_FRACTION = 0.5
LONG_HOURS = 16
# A car in a city, straight line from the last check-out to the next check-in. 80 km/h in a straight line is
# more than any car manages on city roads; below TRAVEL_MIN_KM the two places are one (GPS wanders).
CAR_KMH = 80
TRAVEL_MIN_KM = 1.0
FUTURE_GRACE = timedelta(minutes=2)  # a phone's clock a little ahead, as the check-in forgives
SPIKE_FACTOR, SPIKE_MONTHS = 3, 3  # above 3x the mean of the previous 3 months ...
SPIKE_FLOOR_FEN = 100_000  # ... and above ¥1,000: a small provider doubling ¥200 is not an audit matter
FREQUENT_FACTOR, FREQUENT_MONTHS = 3, 3  # above 3x the usual count in a month ...
FREQUENT_MIN = 10  # ... and above 10 visits of the item that month
SPENT = ("completed", "confirmed", "settled")  # voucher money captured for the provider
MARGIN = timedelta(days=1)  # neighbours of a visit looked at beyond the span (overlaps, travel)
MEAL_SLOTS = ("breakfast", "lunch", "supper")  # the counter's meal times (servicepoints.services.slot_of)
MAX_SPAN_DAYS = 366
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)  # the days a scan can cover
KM_PER_DEGREE = 6371.0 * math.pi / 180  # along a meridian

W = WorkOrder.__table__  # work orders, as every rule reads them
# A day's scan finds the day's visits by their check-in without reading every order ever made.
Index("ix_work_orders_check_in_at", W.c.check_in_at)

DAYS = {"day": Date(), "starts": UTCDateTime(), "ends": UTCDateTime()}
FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(9000, 1, 1, tzinfo=UTC)


@dataclass
class Span:
    """The Beijing days first..last scanned, as UTC bounds, and the moment of the scan."""

    first: date
    last: date
    now: datetime

    @property
    def lo(self) -> datetime:
        return clock.day_bounds(self.first)[0]

    @property
    def hi(self) -> datetime:
        return clock.day_bounds(self.last)[1]

    def days_document(self) -> str:
        """The span's days (one either side) with their UTC bounds, for the `audit_days` relation."""
        rows, day = [], self.first - timedelta(days=1)
        while day <= self.last + timedelta(days=1):
            starts, ends = clock.day_bounds(day)
            rows.append(dict(day=day, starts=starts, ends=ends))
            day += timedelta(days=1)
        return sql.relation_rows(DAYS, rows)

    def months(self) -> list[clock.Month]:
        month, last, months = clock.Month.of(self.first), clock.Month.of(self.last), []
        while month <= last:
            months.append(month)
            month = month.next()
        return months


def _days(name: str = "audit_days"):
    """The span's days as a relation; a second alias over the same parameter for a second join."""
    days = sql.relation("audit_days", DAYS)
    return days if name == "audit_days" else days.element.subquery(name)


def _start_of(day_column, days, span: Span):
    """The UTC moment a Beijing date begins, exactly inside the span, roughly outside it."""
    return case((day_column < span.first, literal(FAR_PAST, UTCDateTime)),
                (day_column > span.last, literal(FAR_FUTURE, UTCDateTime)), else_=days.c.starts)


def _end_of(day_column, days, span: Span):
    return case((day_column < span.first, literal(FAR_PAST, UTCDateTime)),
                (day_column > span.last, literal(FAR_FUTURE, UTCDateTime)), else_=days.c.ends)


def _visit(lo, hi):
    """A visit checked in within [lo, hi)."""
    return and_(W.c.status != "cancelled", W.c.check_in_at >= lo, W.c.check_in_at < hi)


def _seconds(later, earlier):
    """Seconds between two moments (EXTRACT(epoch): SQLAlchemy spells it for each database)."""
    return cast(extract("epoch", later), Float) - cast(extract("epoch", earlier), Float)


def _people():
    """Caregivers as people: registrations with two providers under one phone number are one person (the
    roster keeps a phone, not an ID number, for each caregiver). The phone is sealed (sealed.py): its keyed hash,
    equal for equal numbers and empty for none, groups them."""
    c = Caregiver.__table__
    person = case((c.c.phone_hash.is_(None), c.c.id),
                  else_=func.min(c.c.id).over(partition_by=c.c.phone_hash))
    return select(c.c.id, c.c.name, person.label("person")).subquery("people")


def _iso(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) == 10:  # a date from a relation on SQLite
        return value
    return value


# The rules: each returns [(order id, facts)]


def overlap(span: Span):
    """One person in two visits at once: a visit that starts before an earlier one of theirs has ended, or ends
    after a later one has started (running maximum and next start, per person), paired with the visit it
    overlaps for the explanation."""
    people = _people()
    v = (select(W.c.id, W.c.provider_id, W.c.check_in_at.label("t_in"), W.c.check_out_at.label("t_out"),
                people.c.person, people.c.name)
         .join_from(W, people, people.c.id == W.c.caregiver_id)
         .where(_visit(span.lo - MARGIN, span.hi + MARGIN), W.c.check_out_at.is_not(None)).subquery("v"))
    order = (v.c.t_in, v.c.id)
    w = select(v, func.max(v.c.t_out).over(partition_by=v.c.person, order_by=order, rows=(None, -1)).label("prev_out"),
               func.lead(v.c.t_in).over(partition_by=v.c.person, order_by=order).label("next_in")).subquery("w")
    candidates = select(w).where(or_(w.c.t_in < w.c.prev_out, w.c.t_out > w.c.next_in)).cte("candidates")
    a, b = candidates.alias("a"), candidates.alias("b")
    start = case((a.c.t_in > b.c.t_in, a.c.t_in), else_=b.c.t_in)
    end = case((a.c.t_out < b.c.t_out, a.c.t_out), else_=b.c.t_out)
    pairs = (select(a.c.id, a.c.name, b.c.id.label("other"), start.label("start"), end.label("end"),
                    func.row_number().over(partition_by=a.c.id, order_by=(b.c.t_in, b.c.id)).label("n"))
             .join_from(a, b, and_(a.c.person == b.c.person, a.c.id != b.c.id, a.c.t_in < b.c.t_out,
                                   b.c.t_in < a.c.t_out))
             .where(a.c.t_in >= span.lo, a.c.t_in < span.hi).subquery("pairs"))
    rows = db.session.execute(select(pairs).where(pairs.c.n == 1))
    return [(r.id, dict(caregiver=r.name, other_order_id=r.other, start=_iso(r.start), end=_iso(r.end)))
            for r in rows]


def far_from_home(span: Span):
    """Check-in or check-out more than DISTANCE_LIMIT_M from the elder's home (as the visit measured it)."""
    rows = db.session.execute(select(W.c.id, W.c.check_in_distance_m, W.c.check_out_distance_m).where(
        _visit(span.lo, span.hi), or_(W.c.check_in_distance_m > DISTANCE_LIMIT_M,
                                      W.c.check_out_distance_m > DISTANCE_LIMIT_M)))
    return [(r.id, dict(check_in_m=r.check_in_distance_m, check_out_m=r.check_out_distance_m,
                        limit_m=DISTANCE_LIMIT_M)) for r in rows]


def _durations(span: Span):
    i = Item.__table__
    seconds = _seconds(W.c.check_out_at, W.c.check_in_at)
    booked = i.c.duration_minutes * W.c.quantity
    return seconds, booked, (select(W.c.id, seconds.label("seconds"), booked.label("booked"))
                             .join_from(W, i, i.c.id == W.c.item_id)
                             .where(_visit(span.lo, span.hi), W.c.check_out_at.is_not(None)))


def too_short(span: Span):
    """A visit shorter than half the item's duration times the quantity booked (15 minutes of a 30-minute item
    is half, not less). A meal or bath at a service point is recorded at the counter in one moment: its length
    says nothing."""
    seconds, booked, stmt = _durations(span)
    rows = db.session.execute(stmt.where(seconds < booked * (60 * SHORT_FRACTION), W.c.service_point_id.is_(None)))
    return [(r.id, dict(minutes=round(r.seconds / 60, 1), booked_minutes=r.booked)) for r in rows]


def too_long(span: Span):
    """A visit longer than LONG_HOURS."""
    seconds, _booked, stmt = _durations(span)
    rows = db.session.execute(stmt.where(seconds > LONG_HOURS * 3600))
    return [(r.id, dict(hours=round(r.seconds / 3600, 1), limit_hours=LONG_HOURS)) for r in rows]


def after_death(span: Span):
    """A visit on or after the day of the elder's death (the registry's death event)."""
    ev, days = ElderEvent.__table__, _days()
    death = (select(ev.c.elder_id, func.min(ev.c.occurred_on).label("died_on"))
             .where(ev.c.kind == "death").group_by(ev.c.elder_id).subquery("death"))
    rows = db.session.execute(
        select(W.c.id, W.c.check_in_at, death.c.died_on)
        .join_from(W, death, death.c.elder_id == W.c.elder_id)
        .outerjoin(days, days.c.day == death.c.died_on)
        .where(_visit(span.lo, span.hi), W.c.check_in_at >= _start_of(death.c.died_on, days, span)),
        {"audit_days": span.days_document()})
    return [(r.id, dict(check_in=_iso(r.check_in_at), death_on=_iso(r.died_on))) for r in rows]


def in_hospital(span: Span):
    """A visit on a day after a hospital admission and before the discharge (or the next admission, or with no
    discharge yet). The admission and discharge days themselves are not flagged: a registry event has a date,
    not a time, and a morning visit before an afternoon admission is real."""
    ev = ElderEvent.__table__
    kinds = ("hospital_admission", "hospital_discharge")
    ordered = (ev.c.occurred_on, ev.c.id)
    e = select(ev.c.elder_id, ev.c.kind, ev.c.occurred_on,
               func.lead(ev.c.occurred_on).over(partition_by=ev.c.elder_id, order_by=ordered).label("until")
               ).where(ev.c.kind.in_(kinds)).subquery("e")
    stays = select(e.c.elder_id, e.c.occurred_on.label("admitted_on"), e.c.until).where(
        e.c.kind == "hospital_admission").subquery("stays")
    d1, d2 = _days(), _days("audit_days_2")
    after = _end_of(stays.c.admitted_on, d1, span)
    before = case((stays.c.until.is_(None), literal(FAR_FUTURE, UTCDateTime)), else_=_start_of(stays.c.until, d2, span))
    rows = db.session.execute(
        select(W.c.id, W.c.check_in_at, stays.c.admitted_on, stays.c.until)
        .join_from(W, stays, stays.c.elder_id == W.c.elder_id)
        .outerjoin(d1, d1.c.day == stays.c.admitted_on).outerjoin(d2, d2.c.day == stays.c.until)
        .where(_visit(span.lo, span.hi), W.c.check_in_at >= after, W.c.check_in_at < before),
        {"audit_days": span.days_document()})
    return [(r.id, dict(check_in=_iso(r.check_in_at), admitted_on=_iso(r.admitted_on), until=_iso(r.until)))
            for r in rows]


def _cos(degrees):
    """cos() of a latitude by its Taylor series to x^8 (error below 2e-5 up to 60°): arithmetic both databases
    have, where SQLite may lack the trigonometric functions."""
    x2 = (degrees * (math.pi / 180)) * (degrees * (math.pi / 180))
    return 1 - x2 / 2 + x2 * x2 / 24 - x2 * x2 * x2 / 720 + x2 * x2 * x2 * x2 / 40320


def impossible_travel(span: Span):
    """From one visit's check-out to the same person's next check-in faster than CAR_KMH in a straight line
    (equirectangular distance, within metres of the great circle at city scale), compared squared so that no
    square root or division by a zero gap is needed."""
    people, e = _people(), Elder.__table__
    v = (select(W.c.id, people.c.person, people.c.name, W.c.check_in_at.label("t_in"),
                W.c.check_out_at.label("t_out"),
                func.coalesce(W.c.check_in_lat, e.c.lat).label("in_lat"),
                func.coalesce(W.c.check_in_lng, e.c.lng).label("in_lng"),
                func.coalesce(W.c.check_out_lat, e.c.lat).label("out_lat"),
                func.coalesce(W.c.check_out_lng, e.c.lng).label("out_lng"))
         .join_from(W, people, people.c.id == W.c.caregiver_id).join(e, e.c.id == W.c.elder_id)
         .where(_visit(span.lo - MARGIN, span.hi + MARGIN), W.c.check_out_at.is_not(None)).subquery("v"))
    window = dict(partition_by=v.c.person, order_by=(v.c.t_in, v.c.id))
    w = select(v.c.id, v.c.name, v.c.t_in, v.c.in_lat, v.c.in_lng,
               func.lag(v.c.id).over(**window).label("prev_id"),
               func.lag(v.c.t_out).over(**window).label("prev_out"),
               func.lag(v.c.out_lat).over(**window).label("prev_lat"),
               func.lag(v.c.out_lng).over(**window).label("prev_lng")).subquery("w")
    north = (w.c.in_lat - w.c.prev_lat) * KM_PER_DEGREE
    east = (w.c.in_lng - w.c.prev_lng) * KM_PER_DEGREE * _cos((w.c.in_lat + w.c.prev_lat) / 2)
    km2 = north * north + east * east
    seconds = _seconds(w.c.t_in, w.c.prev_out)
    rows = db.session.execute(
        select(w.c.id, w.c.name, w.c.prev_id, w.c.prev_out, w.c.t_in, km2.label("km2"), seconds.label("seconds"))
        .where(w.c.prev_out.is_not(None), w.c.t_in >= w.c.prev_out, w.c.t_in >= span.lo, w.c.t_in < span.hi,
               km2 > TRAVEL_MIN_KM * TRAVEL_MIN_KM,
               km2 * (3600.0 * 3600.0) > (seconds * CAR_KMH) * (seconds * CAR_KMH)))
    found = []
    for r in rows:
        km = math.sqrt(r.km2)
        speed = "∞" if r.seconds <= 0 else round(km / (r.seconds / 3600))
        found.append((r.id, dict(caregiver=r.name, other_order_id=r.prev_id, left=_iso(r.prev_out),
                                 arrived=_iso(r.t_in), km=round(km, 1), speed_kmh=speed, limit_kmh=CAR_KMH)))
    return found


def future_time(span: Span):
    """A check-in, check-out or confirmation later than the moment of the scan (FUTURE_GRACE forgiven). Looks
    at the span's visits and at any visit checked in after now, wherever the span is."""
    limit = span.now + FUTURE_GRACE
    rows = db.session.execute(select(W.c.id, W.c.check_in_at, W.c.check_out_at, W.c.confirmed_at).where(
        W.c.status != "cancelled",
        or_(_visit(span.lo, span.hi), W.c.check_in_at > limit),
        or_(W.c.check_in_at > limit, W.c.check_out_at > limit, W.c.confirmed_at > limit)))
    found = []
    for r in rows:
        field_name, at = next((f, t) for f, t in (("check_in", r.check_in_at), ("check_out", r.check_out_at),
                                                  ("confirmed", r.confirmed_at)) if t is not None and t > limit)
        found.append((r.id, dict(field=field_name, at=_iso(at), scanned_at=_iso(span.now))))
    return found


def spend_spike(span: Span):
    """The order with which a provider's voucher spend in a month (captured, by check-in) went above
    SPIKE_FACTOR times its monthly mean over the previous SPIKE_MONTHS months and above SPIKE_FLOOR_FEN: one
    finding a provider and month, on the order that crossed the line (a running sum per provider). A provider
    with nothing in the previous months has no mean to be far above."""
    p = Provider.__table__
    found = []
    for month in span.months():
        m_lo, m_hi = month.bounds()
        first = month
        for _ in range(SPIKE_MONTHS):
            first = first.previous()
        h_lo = first.bounds()[0]
        spent = W.c.status.in_(SPENT)
        history = (select(W.c.provider_id, func.sum(W.c.voucher_fen).label("before"))
                   .where(spent, W.c.check_in_at >= h_lo, W.c.check_in_at < m_lo)
                   .group_by(W.c.provider_id).subquery("history"))
        run = (select(W.c.id, W.c.provider_id, W.c.check_in_at, W.c.voucher_fen,
                      func.sum(W.c.voucher_fen).over(partition_by=W.c.provider_id, order_by=(W.c.check_in_at, W.c.id),
                                                     rows=(None, 0)).label("running"))
               .where(spent, W.c.check_in_at >= m_lo, W.c.check_in_at < m_hi).subquery("run"))

        def above(total, before=history.c.before):
            return and_(total * SPIKE_MONTHS > before * SPIKE_FACTOR, total > SPIKE_FLOOR_FEN)

        rows = db.session.execute(
            select(run.c.id, run.c.running, history.c.before, p.c.name)
            .join_from(run, history, history.c.provider_id == run.c.provider_id)
            .join(p, p.c.id == run.c.provider_id)
            .where(history.c.before > 0, above(run.c.running), ~above(run.c.running - run.c.voucher_fen),
                   run.c.check_in_at >= span.lo, run.c.check_in_at < span.hi))
        found += [(r.id, dict(provider=r.name, month=str(month), spent_fen=int(r.running),
                              mean_fen=int(r.before) // SPIKE_MONTHS, factor=SPIKE_FACTOR, months=SPIKE_MONTHS))
                  for r in rows]
    return found


def frequent_booking(span: Span):
    """Visits of one item to one elder in a month beyond FREQUENT_FACTOR times the usual and beyond
    FREQUENT_MIN: each visit past that count is a finding. Usual is the larger of the elder's own monthly mean
    for the item over the previous FREQUENT_MONTHS months and the month's mean per elder among the other elders
    who had the item (so a daily meal is usual for whoever has it daily)."""
    i = Item.__table__
    found = []
    for month in span.months():
        m_lo, m_hi = month.bounds()
        first = month
        for _ in range(FREQUENT_MONTHS):
            first = first.previous()
        h_lo = first.bounds()[0]
        pair = (W.c.elder_id, W.c.item_id)
        now_ = (select(W.c.elder_id, W.c.item_id, func.count().label("n"))
                .where(_visit(m_lo, m_hi)).group_by(*pair).subquery("now_"))
        own = (select(W.c.elder_id, W.c.item_id, func.count().label("before"))
               .where(_visit(h_lo, m_lo)).group_by(*pair).subquery("own"))
        stats = select(now_.c.elder_id, now_.c.item_id, now_.c.n,
                       (func.sum(now_.c.n).over(partition_by=now_.c.item_id) - now_.c.n).label("others"),
                       (func.count().over(partition_by=now_.c.item_id) - 1).label("others_n")).subquery("stats")
        own_mean = cast(func.coalesce(own.c.before, 0), Float) / FREQUENT_MONTHS
        others_mean = case((stats.c.others_n > 0, cast(stats.c.others, Float) / stats.c.others_n), else_=0.0)
        usual = case((own_mean > others_mean, own_mean), else_=others_mean)
        limit = case((usual * FREQUENT_FACTOR > FREQUENT_MIN, usual * FREQUENT_FACTOR), else_=float(FREQUENT_MIN))
        ranked = (select(W.c.id, W.c.elder_id, W.c.item_id, W.c.check_in_at,
                         func.row_number().over(partition_by=pair, order_by=(W.c.check_in_at, W.c.id)).label("rank"))
                  .where(_visit(m_lo, m_hi)).subquery("ranked"))
        rows = db.session.execute(
            select(ranked.c.id, ranked.c.rank, stats.c.n, usual.label("usual"), i.c.name)
            .join_from(ranked, stats, and_(stats.c.elder_id == ranked.c.elder_id, stats.c.item_id == ranked.c.item_id))
            .outerjoin(own, and_(own.c.elder_id == ranked.c.elder_id, own.c.item_id == ranked.c.item_id))
            .join(i, i.c.id == ranked.c.item_id)
            .where(ranked.c.rank > limit, ranked.c.check_in_at >= span.lo, ranked.c.check_in_at < span.hi))
        found += [(r.id, dict(n=r.rank, of=r.n, usual=round(r.usual, 1), item=r.name, month=str(month)))
                  for r in rows]
    return found


def certificate_expired(span: Span):
    """A visit in a category that needs a certificate (providers.models.CATEGORY_CERTIFICATE) by a caregiver
    whose latest certificate of that kind ran out before the visit's day, or who has none. A certificate is
    good to the end of its expiry day in Beijing."""
    c, cert, i, cat = Caregiver.__table__, Certificate.__table__, Item.__table__, Category.__table__
    days = _days()
    needed = case(CATEGORY_CERTIFICATE, value=cat.c.code, else_=None)
    v = (select(W.c.id, W.c.caregiver_id, W.c.check_in_at, c.c.name, needed.label("kind"))
         .join_from(W, i, i.c.id == W.c.item_id).join(cat, cat.c.id == i.c.category_id)
         .join(c, c.c.id == W.c.caregiver_id)
         .where(_visit(span.lo, span.hi)).subquery("v"))
    latest = (select(cert.c.caregiver_id, cert.c.kind, func.max(cert.c.expires_on).label("expires_on"))
              .group_by(cert.c.caregiver_id, cert.c.kind).subquery("latest"))
    valid_until = case((latest.c.expires_on.is_(None), literal(FAR_PAST, UTCDateTime)),
                       else_=_end_of(latest.c.expires_on, days, span))
    rows = db.session.execute(
        select(v.c.id, v.c.name, v.c.kind, v.c.check_in_at, latest.c.expires_on)
        .outerjoin(latest, and_(latest.c.caregiver_id == v.c.caregiver_id, latest.c.kind == v.c.kind))
        .outerjoin(days, days.c.day == latest.c.expires_on)
        .where(v.c.kind.is_not(None), v.c.check_in_at >= valid_until),
        {"audit_days": span.days_document()})
    return [(r.id, dict(caregiver=r.name, kind=r.kind, check_in=_iso(r.check_in_at), expires_on=_iso(r.expires_on)))
            for r in rows]


def meal_at_two_points(span: Span):
    """One elder served the same meal at two service points: two counters' check-ins of one elder on one Beijing
    day in one meal slot (breakfast, lunch or supper, as the counter named it) at different points. Each
    check-in of the pair is a finding: which one the elder really ate is what the officer asks. The meal slot,
    not a span of hours, is what makes it one meal: breakfast at 09:30 and lunch at 11:00 are two meals. Two
    meals at one point are the counter's own business (the meals a day it subsidises)."""
    c = CheckIn.__table__
    meals = (select(c.c.order_id, c.c.elder_id, c.c.served_on, c.c.slot, c.c.service_point_id, W.c.check_in_at)
             .join_from(c, W, W.c.id == c.c.order_id)
             .where(_visit(span.lo - MARGIN, span.hi + MARGIN), c.c.slot.in_(MEAL_SLOTS)).cte("meals"))
    a, b, p = meals.alias("a"), meals.alias("b"), ServicePoint.__table__
    pairs = (select(a.c.order_id, a.c.served_on, a.c.slot, a.c.service_point_id, b.c.order_id.label("other"),
                    b.c.service_point_id.label("other_point_id"),
                    func.row_number().over(partition_by=a.c.order_id, order_by=(b.c.check_in_at, b.c.order_id))
                    .label("n"))
             .join_from(a, b, and_(a.c.elder_id == b.c.elder_id, a.c.served_on == b.c.served_on,
                                   a.c.slot == b.c.slot, a.c.service_point_id != b.c.service_point_id))
             .where(a.c.check_in_at >= span.lo, a.c.check_in_at < span.hi).subquery("pairs"))
    here, there = p.alias("here"), p.alias("there")
    rows = db.session.execute(
        select(pairs.c.order_id, pairs.c.served_on, pairs.c.slot, pairs.c.other, here.c.name,
               there.c.name.label("other_name"))
        .join_from(pairs, here, here.c.id == pairs.c.service_point_id)
        .join(there, there.c.id == pairs.c.other_point_id)
        .where(pairs.c.n == 1))
    return [(r.order_id, dict(day=_iso(r.served_on), slot=r.slot, point=r.name, other_point=r.other_name,
                              other_order_id=r.other)) for r in rows]


RULE_QUERIES = {"overlap": overlap, "far_from_home": far_from_home, "too_short": too_short, "too_long": too_long,
                "after_death": after_death, "in_hospital": in_hospital, "impossible_travel": impossible_travel,
                "future_time": future_time, "spend_spike": spend_spike, "frequent_booking": frequent_booking,
                "certificate_expired": certificate_expired, "meal_at_two_points": meal_at_two_points}


# The scan


@dataclass
class ScanReport:
    first: date
    last: date
    found: Counter = field(default_factory=Counter)  # rule: rows the rules returned (new or not)
    new: Counter = field(default_factory=Counter)  # rule: findings written now
    new_ids: list[int] = field(default_factory=list)
    cases: int = 0  # cases opened or reopened

    @property
    def findings(self) -> int:
        return sum(self.new.values())


def check_span(first: date, last: date) -> None:
    if not FIRST_DAY <= first <= LAST_DAY:
        raise invalid("from", "A day from 2000-01-01 to 2999-12-31.")
    if not FIRST_DAY <= last <= LAST_DAY:
        raise invalid("to", "A day from 2000-01-01 to 2999-12-31.")
    if last < first:
        raise invalid("to", "The end of the span is before its start.")
    if (last - first).days >= MAX_SPAN_DAYS:
        raise invalid("to", f"Scan at most {MAX_SPAN_DAYS} days at a time.")


def _visible(actor, order_ids: set[int]) -> set[int]:
    """Of `order_ids`, those `actor` may see (all of them for the scheduler's scan, without an actor)."""
    if actor is None or not order_ids:
        return order_ids
    from ..orders.scope import visible_condition

    seen = set()
    for part in sql.chunks(sorted(order_ids)):
        seen |= set(db.session.scalars(select(WorkOrder.id).where(sql.any_of(WorkOrder.id, part),
                                                                   visible_condition(actor))))
    return seen


def scan(first: date, last: date, *, actor=None, rules=None, now: datetime | None = None) -> ScanReport:
    """Run every rule (or `rules`) over the visits checked in on the Beijing days first..last; write the findings
    not written before and open their cases. An officer's scan (`actor`) keeps only the findings on orders they
    may see: the rules read the whole city (one caregiver in two districts' homes at once), but an officer opens
    no case on, and learns nothing of, another region's orders; the nightly job (no actor) keeps all. Flushes;
    the request or job commits."""
    check_span(first, last)
    span = Span(first, last, now or clock.now())
    report = ScanReport(first, last)
    found: dict[tuple[str, int], dict] = {}
    for rule in rules or RULES:
        for order_id, facts in RULE_QUERIES[rule](span):
            found.setdefault((rule, order_id), facts)
    seen = _visible(actor, {order_id for _rule, order_id in found})
    rows = {key: facts for key, facts in found.items() if key[1] in seen}
    for rule, _order_id in rows:
        report.found[rule] += 1
    actor_id = getattr(actor, "id", None)
    written = sql.insert_rows(Finding.__table__, [
        dict(rule=rule, order_id=order_id, severity=RULES[rule], facts=facts, found_at=span.now)
        for (rule, order_id), facts in rows.items()], returning=("id", "rule", "order_id"),
        conflict=["rule", "order_id"])
    for finding_id, rule, _order_id in written:
        report.new[rule] += 1
        report.new_ids.append(finding_id)
    note = f"Scan of {first.isoformat()} to {last.isoformat()}"
    report.cases = open_cases([order_id for _id, _rule, order_id in written], actor_id=actor_id, note=note,
                              now=span.now)
    record_many([event("audit.scan", actor_id=actor_id, at=span.now, first=first.isoformat(), last=last.isoformat(),
                       new=dict(report.new), found=dict(report.found), cases=report.cases)])
    log.info("audit scan %s..%s: %d new findings, %d cases", first, last, report.findings, report.cases)
    return report
