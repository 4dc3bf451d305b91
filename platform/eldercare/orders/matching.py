"""Matching: which providers could serve this order, best first, and why.

A provider qualifies when it is approved, offers the item's category, covers the elder's street or reaches
the home within its radius, and has a caregiver who is free at that time: serving the category, holding an
unexpired certificate where the category needs one, working in that window, with no overlapping visit and
under the daily limit. Qualified providers are ranked by the elder's preference, then the 15-minute circle,
then a score of distance, on-time rate, rating and today's load, so that work spreads over equal providers
and no one is starved.

One query whatever the size of the city; everything else is arithmetic on a few hundred rows."""
import math
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Date, Integer, Time, and_, bindparam, case, func, literal_column, or_, select, union

from .. import sql
from ..catalog.models import Category, Item
from ..clock import LOCAL, day_bounds, local_date
from ..db import UTCDateTime
from ..extensions import db
from ..geo import distance_km
from ..providers.models import (
    CATEGORY_CERTIFICATE,
    Availability,
    Caregiver,
    Certificate,
    Provider,
    caregiver_categories,
    provider_areas,
    provider_categories,
)
from ..regions.models import Region
from .models import WorkOrder

CIRCLE_KM = 1.5  # the 15-minute service circle (15分钟为老服务圈), on foot or by e-bike
MAX_RADIUS_KM = 20.0  # no provider reaches further; bounds the search box
BUSY_STATUSES = ("accepted", "in_service")  # a caregiver with one of these overlapping is not free
LOAD_STATUSES = ("dispatched", "accepted", "in_service", "completed", "confirmed", "settled")
# Priors for providers with no track record yet: neither punished nor favoured.
PRIOR_ON_TIME = 0.9
PRIOR_RATING = 4.5


@dataclass
class Candidate:
    provider_id: int
    name: str
    distance_km: float
    in_circle: bool
    preferred: bool
    on_time_rate: float | None
    rating: float | None
    orders_today: int
    free_count: int = 0
    free_caregivers: list[int] = field(default_factory=list)  # filled when asked for (accepting needs them)
    score: float = 0.0

    def explanation(self) -> str:
        """'2.1 km, 96% on time, 4.8 stars, 3 orders today' (English; pages translate the parts)."""
        parts = [f"{self.distance_km:.1f} km"]
        parts.append(f"{self.on_time_rate:.0%} on time" if self.on_time_rate is not None else "no visits yet")
        if self.rating is not None:
            parts.append(f"{self.rating:.1f} stars")
        parts.append(f"{self.orders_today} orders today")
        if self.preferred:
            parts.insert(0, "the elder's preferred provider")
        return ", ".join(parts)

    def as_dict(self) -> dict:
        """What the order keeps of the ranking (dataclasses.asdict gives the same, at several times the cost)."""
        facts = {name: getattr(self, name) for name in _CANDIDATE_FIELDS}
        facts["free_caregivers"] = list(self.free_caregivers)
        facts["explanation"] = self.explanation()
        return facts


_CANDIDATE_FIELDS = tuple(f.name for f in fields(Candidate))
_UNSEEN = object()


def _one_of(column, values: tuple[str, ...]):
    """`column IN ('a', 'b')` with the values written into the SQL: an IN of bound values is re-rendered on
    every execution, which costs more than the query here."""
    return column.in_([literal_column(f"'{v}'") for v in values])


@dataclass(frozen=True)
class Need:
    """What an order needs, independent of where it is stored: matching also runs before an order exists."""

    category_id: int
    lat: float
    lng: float
    community_id: int
    start: datetime  # aware, UTC
    end: datetime
    preferred_provider_id: int | None = None

    @classmethod
    def for_order(cls, order: WorkOrder) -> "Need":
        return cls.build(order.elder, order.item, order.scheduled_start, order.scheduled_end,
                         order.preferred_provider_id)

    @classmethod
    def build(cls, elder, item: Item, start: datetime, end: datetime, preferred_provider_id=None) -> "Need":
        return cls(item.category_id, elder.lat, elder.lng, elder.community_id, start, end, preferred_provider_id)


def rank(need: Need, exclude: set[int] | frozenset = frozenset(), exclude_order_id: int | None = None,
         with_caregivers: bool = False) -> list[Candidate]:
    """Every provider that could serve `need` now, best first. `exclude` skips providers already asked;
    `exclude_order_id` leaves an order out of the caregivers' and providers' load (the one being matched);
    `with_caregivers` lists each provider's free caregivers rather than only counting them."""
    window = _local_window(need)
    if window is None:
        return []
    weekday, t0, t1 = window
    day_start, day_end = _local_day(need.start)
    dlat = MAX_RADIUS_KM / 111.0
    dlng = MAX_RADIUS_KM / (111.0 * max(math.cos(math.radians(need.lat)), 0.1))
    params = dict(community_id=need.community_id, category_id=need.category_id, lat_lo=need.lat - dlat,
                  lat_hi=need.lat + dlat, lng_lo=need.lng - dlng, lng_hi=need.lng + dlng, day_start=day_start,
                  day_end=day_end, weekday=weekday, t0=t0, t1=t1, start=need.start, end=need.end,
                  service_day=need.start.astimezone(LOCAL).date(), order_id=exclude_order_id or 0, lat=need.lat,
                  lng=need.lng, km_per_lng=111.0 * math.cos(math.radians(need.lat)))
    if exclude:
        params["exclude"] = sorted(exclude)
    providers: dict[int, Candidate | None] = {}  # None: in the box but out of reach
    # Core execution on the session's connection: the ORM layer adds nothing for plain rows but time.
    for row in db.session.connection().execute(_statement(bool(exclude), with_caregivers), params):
        candidate = providers.get(row.provider_id, _UNSEEN)
        if candidate is None:
            continue
        if candidate is _UNSEEN:
            km = distance_km(need.lat, need.lng, row.base_lat, row.base_lng)
            if not reaches(row.covers_street, km, row.service_radius_m):
                providers[row.provider_id] = None
                continue
            candidate = providers[row.provider_id] = Candidate(
                provider_id=row.provider_id, name=row.name, distance_km=round(km, 2), in_circle=km <= CIRCLE_KM,
                preferred=row.provider_id == need.preferred_provider_id,
                on_time_rate=row.on_time_count / row.completed_count if row.completed_count else None,
                rating=round(row.rating_sum / row.rating_count, 2) if row.rating_count else None,
                orders_today=row.orders_today)
        if with_caregivers:
            candidate.free_count += 1
            candidate.free_caregivers.append(row.id)
        else:
            candidate.free_count = row.free_count
    candidates = [c for c in providers.values() if c is not None]
    for c in candidates:
        c.score = round(_score(c), 4)
    candidates.sort(key=lambda c: (not c.preferred, not c.in_circle, c.score, c.provider_id))
    return candidates


def reaches(covers_street: bool, km: float, service_radius_m: int) -> bool:
    """A provider serves a home in a street it covers, or within its radius."""
    return covers_street or km * 1000 <= service_radius_m


def _score(c: Candidate) -> float:
    """Lower is better. A kilometre costs as much as 5 points of on-time rate or a fifth of a star; each order
    already taken today per free caregiver costs about as much as half a kilometre, so equal providers take
    turns."""
    on_time = c.on_time_rate if c.on_time_rate is not None else PRIOR_ON_TIME
    rating = c.rating if c.rating is not None else PRIOR_RATING
    load = c.orders_today / max(c.free_count, 1)
    return c.distance_km + (1.0 - on_time) * 20 + (5.0 - rating) * 5 + load * 0.5


# Built once per shape, with bound parameters: building and hashing a SELECT costs more than running it, and
# SQL that never changes lets PostgreSQL reuse its plan (psycopg prepares a statement run five times).
@lru_cache
def _statement(excluding: bool, per_caregiver: bool):
    """Reachable providers with their facts and their free caregivers in the category (certified where it
    needs it, working then, no overlapping visit, under the daily limit): counted, or one row each."""
    # 1. Providers covering the street, or based in the box around the home (index on base_lat).
    near = union(select(provider_areas.c.provider_id.label("id")).where(
                     provider_areas.c.region_id == _street_of(bindparam("community_id"))),
                 select(Provider.id).where(Provider.base_lat.between(bindparam("lat_lo"), bindparam("lat_hi")),
                                           Provider.base_lng.between(bindparam("lng_lo"), bindparam("lng_hi"))))
    # Each CTE below is small and MATERIALIZED, and each check a probe by key: the order of work is fixed, so
    # the generic plan of the prepared statement cannot wander into scanning a province's tables.
    near = near.cte("near").prefix_with("MATERIALIZED")
    not_this_order = WorkOrder.id != bindparam("order_id")
    orders_today = (select(func.count()).where(
        WorkOrder.provider_id == Provider.id, not_this_order, _one_of(WorkOrder.status, LOAD_STATUSES),
        WorkOrder.scheduled_start >= bindparam("day_start"), WorkOrder.scheduled_start < bindparam("day_end"))
        .scalar_subquery())
    # 2. Of those, the approved ones offering the category that cover the street or roughly reach the home (a flat
    # approximation, 5% generous; the exact distance is checked in Python), with their load. Dropping the
    # out-of-reach ones here spares the checks on each of their caregivers below.
    covers = _covers(Provider.id, bindparam("community_id"))
    dy = (Provider.base_lat - bindparam("lat")) * 111.0
    dx = (Provider.base_lng - bindparam("lng")) * bindparam("km_per_lng")
    roughly = dy * dy + dx * dx <= Provider.service_radius_m * Provider.service_radius_m * (1.05 * 1.05 / 1e6)
    reach = (select(Provider.id, Provider.name, Provider.base_lat, Provider.base_lng, Provider.service_radius_m,
                    Provider.completed_count, Provider.on_time_count, Provider.rating_count, Provider.rating_sum,
                    covers.label("covers_street"), orders_today.label("orders_today"))
             .join(near, near.c.id == Provider.id)
             .where(*_provider_serves(Provider, bindparam("category_id")), or_(covers, roughly)))
    if excluding:
        reach = reach.where(Provider.id.not_in(bindparam("exclude", expanding=True)))
    reach = reach.cte("reach").prefix_with("MATERIALIZED")
    # 3. Their active caregivers serving the category (a hundred or so); the checks on each person follow.
    team = (select(Caregiver.id, Caregiver.provider_id, Caregiver.daily_limit)
            .join(reach, reach.c.id == Caregiver.provider_id)
            .where(*_caregiver_serves(Caregiver, bindparam("category_id")))
            .cte("team").prefix_with("MATERIALIZED"))
    visit = _Visit(*(bindparam(name) for name in _Visit._fields))
    facts = (reach.c.name, reach.c.base_lat, reach.c.base_lng, reach.c.service_radius_m, reach.c.completed_count,
             reach.c.on_time_count, reach.c.rating_count, reach.c.rating_sum, reach.c.covers_street,
             reach.c.orders_today)
    stmt = (select(team.c.provider_id, *facts).join(reach, reach.c.id == team.c.provider_id)
            .where(*_caregiver_free(team.c.id, team.c.daily_limit, visit)))
    if per_caregiver:
        return stmt.add_columns(team.c.id).order_by(team.c.provider_id, team.c.id)
    return stmt.add_columns(func.count(team.c.id).label("free_count")).group_by(team.c.provider_id, *facts)


# The rules, as SQL conditions that rank (for one visit, on bound parameters) and the set-based questions below
# (for a batch of visits, on a relation of them) both apply, so that no rule is written twice.

class _Visit(NamedTuple):
    """A visit's facts as SQL expressions: bound parameters for rank, a relation's columns for a batch."""

    category_id: object
    weekday: object
    t0: object  # Beijing wall-clock start and end (_local_window)
    t1: object
    start: object  # UTC moments
    end: object
    day_start: object  # the Beijing day of the visit, as UTC bounds
    day_end: object
    service_day: object  # its Beijing date
    order_id: object  # the order being matched, left out of the load (0: none)


def _street_of(community_id):
    # Correlated to whatever gives `community_id` (a relation of visits, two levels up), never joined to it.
    return select(Region.parent_id).where(Region.id == community_id).correlate_except(Region).scalar_subquery()


def _covers(provider_id, community_id):
    """The provider covers the street the community belongs to."""
    return provider_id.in_(select(provider_areas.c.provider_id).where(
        provider_areas.c.region_id == _street_of(community_id)).correlate_except(provider_areas))


def _provider_serves(provider, category_id) -> tuple:
    """An approved provider offering the category (reach is checked apart: `reaches`)."""
    return (provider.status == "approved", select(provider_categories.c.provider_id).where(
        provider_categories.c.provider_id == provider.id,
        provider_categories.c.category_id == category_id).exists())


def _caregiver_serves(caregiver, category_id) -> tuple:
    """An active caregiver serving the category."""
    return (caregiver.active.is_(True), select(caregiver_categories.c.caregiver_id).where(
        caregiver_categories.c.caregiver_id == caregiver.id,
        caregiver_categories.c.category_id == category_id).exists())


def _caregiver_free(caregiver_id, daily_limit, visit: _Visit, busy_given=None, given_today=None) -> tuple:
    """A caregiver free for the visit: certified where the category needs it, working then, with no
    overlapping visit and under the daily limit. `busy_given` (a condition: one of them overlaps the visit,
    `_overlapping_given`) and `given_today` (their number on the visit's day): visits given out earlier in the
    same batch, not yet written, which count as accepted orders. As WHERE conditions these become index probes
    per caregiver; in the SELECT list PostgreSQL would hash whole tables instead."""
    mine = (WorkOrder.caregiver_id == caregiver_id, WorkOrder.id != visit.order_id)
    today = select(func.count()).where(
        *mine, _one_of(WorkOrder.status, LOAD_STATUSES), WorkOrder.scheduled_start >= visit.day_start,
        WorkOrder.scheduled_start < visit.day_end).scalar_subquery()
    busy = select(WorkOrder.id).where(
        *mine, _one_of(WorkOrder.status, BUSY_STATUSES), WorkOrder.scheduled_start < visit.end,
        WorkOrder.scheduled_end > visit.start).exists()
    works = select(Availability.id).where(
        Availability.caregiver_id == caregiver_id, Availability.weekday == visit.weekday,
        Availability.start_time <= visit.t0, Availability.end_time >= visit.t1).exists()
    # The certificate the category needs (CATEGORY_CERTIFICATE), worked out in SQL so the statement never changes.
    kind = case(CATEGORY_CERTIFICATE, value=select(Category.code).where(
        Category.id == visit.category_id).correlate_except(Category).scalar_subquery(), else_=None)
    certified = or_(kind.is_(None), select(Certificate.id).where(
        Certificate.caregiver_id == caregiver_id, Certificate.kind == kind,
        Certificate.expires_on >= visit.service_day).exists())
    if busy_given is None:
        return works, certified, ~busy, today < daily_limit
    return works, certified, ~busy, ~busy_given, today + given_today < daily_limit


# Set-based questions for a batch of visits (a day of care plans kept by a provider and a caregiver).

@dataclass(frozen=True)
class Kept:
    """A visit that a provider, and perhaps one of its caregivers, keep (a care plan's standing arrangement)."""

    need: Need
    provider_id: int
    caregiver_id: int | None = None


class Serving(NamedTuple):
    """A visit as `still_serve` asks about it: the provider that keeps it, the category, and where the home is."""

    provider_id: int
    category_id: int
    community_id: int
    lat: float
    lng: float


def still_serve(visits: list[Serving]) -> list[bool]:
    """For each visit, whether its provider would still be matched for it: approved, offering the category,
    covering the elder's street or reaching the home (`reaches`, as rank decides it). One query, asked once per
    (provider, category, community): a day's plans share a few thousand of those; the distance is each home's."""
    if not visits:
        return []
    keys = list({(v.provider_id, v.category_id, v.community_id): None for v in visits})
    columns = dict(n=Integer(), provider_id=Integer(), category_id=Integer(), community_id=Integer())
    rows = sql.relation_rows(columns, (dict(n=n, provider_id=p, category_id=c, community_id=m)
                                       for n, (p, c, m) in enumerate(keys)))
    found = {keys[n]: (bool(covers), lat, lng, radius) for n, covers, lat, lng, radius
             in db.session.execute(_serving_statement(sql.is_postgres()), dict(visits=rows))}
    serving = []
    for v in visits:
        provider = found.get((v.provider_id, v.category_id, v.community_id))
        serving.append(provider is not None and reaches(provider[0], distance_km(v.lat, v.lng, *provider[1:3]),
                                                        provider[3]))
    return serving


@lru_cache
def _serving_statement(_postgres: bool):
    visits = sql.relation("visits", dict(n=Integer(), provider_id=Integer(), category_id=Integer(),
                                         community_id=Integer()))
    covers = _covers(Provider.id, visits.c.community_id)
    return (select(visits.c.n, covers, Provider.base_lat, Provider.base_lng, Provider.service_radius_m)
            .join(Provider, Provider.id == visits.c.provider_id)
            .where(*_provider_serves(Provider, visits.c.category_id)))


_VISIT_COLUMNS = dict(n=Integer(), caregiver_id=Integer(), provider_id=Integer(), category_id=Integer(),
                      weekday=Integer(), t0=Time(), t1=Time(), start=UTCDateTime(), end=UTCDateTime(),
                      day_start=UTCDateTime(), day_end=UTCDateTime(), service_day=Date(), given_today=Integer())
_GIVEN_COLUMNS = dict(caregiver_id=Integer(), start=UTCDateTime(), end=UTCDateTime())


def free_caregivers(visits: list[Kept]) -> list[bool]:
    """For each visit, in order, whether its caregiver is free for it as rank decides it (an active caregiver of
    the provider, serving the category, certified, working then, no overlapping visit, under the daily limit),
    counting the visits given out earlier in the list: of two overlapping visits of one caregiver the first
    takes her. Asked in rounds of one query: a visit not free in a round never becomes free (the visits given
    only take time away), so it is decided; of those free, each caregiver is given her first, and the rest are
    asked again with it counted. A caregiver's visits take as many rounds as she is given, and one more."""
    waiting: dict[int, list[int]] = {}  # caregiver -> the indexes of her visits still to decide, in order
    asked = {}  # n -> the visit as the statement reads it
    for n, v in enumerate(visits):
        if v.caregiver_id is None or (window := _local_window(v.need)) is None:
            continue
        waiting.setdefault(v.caregiver_id, []).append(n)
        weekday, t0, t1 = window
        day = v.need.start.astimezone(LOCAL).date()
        day_start, day_end = _day_bounds(day)
        asked[n] = dict(n=n, caregiver_id=v.caregiver_id, provider_id=v.provider_id, category_id=v.need.category_id,
                        weekday=weekday, t0=t0, t1=t1, start=v.need.start, end=v.need.end,
                        day_start=day_start, day_end=day_end, service_day=day)
    free = [False] * len(visits)
    given: list[dict] = []
    given_on: dict[tuple[int, date], int] = {}  # (caregiver, Beijing day) -> how many visits she was given then
    while waiting:
        rows = [asked[n] | dict(given_today=given_on.get((cid, asked[n]["service_day"]), 0))
                for cid, ns in waiting.items() for n in ns]
        mine = [g for g in given if g["caregiver_id"] in waiting]  # only the caregivers asked about matter
        params = dict(visits=sql.relation_rows(_VISIT_COLUMNS, rows))
        if mine:
            params["given"] = sql.relation_rows(_GIVEN_COLUMNS, mine)
        yes = set(db.session.scalars(_free_statement(sql.is_postgres(), bool(mine)), params))
        for cid in list(waiting):
            still = [n for n in waiting[cid] if n in yes]
            if still:
                first = still.pop(0)
                free[first] = True
                given.append(dict(caregiver_id=cid, start=visits[first].need.start, end=visits[first].need.end))
                day = asked[first]["service_day"]
                given_on[cid, day] = given_on.get((cid, day), 0) + 1
            if still:
                waiting[cid] = still
            else:
                del waiting[cid]
    return free


@lru_cache
def _free_statement(_postgres: bool, counting_given: bool):
    """The visits (of `visits`) whose caregiver is free, counting the batch's `given` visits when there are any
    (how many fall on the visit's day comes with the visit, `given_today`: a join of the two relations to count
    them was planned as a loop over both, the most costly part of the statement). Built once per database and
    shape: the relations read their rows from the parameters."""
    visits = sql.relation("visits", _VISIT_COLUMNS)
    visit = _Visit(visits.c.category_id, visits.c.weekday, visits.c.t0, visits.c.t1, visits.c.start, visits.c.end,
                   visits.c.day_start, visits.c.day_end, visits.c.service_day, literal_column("0"))
    return (select(visits.c.n).join(Caregiver, Caregiver.id == visits.c.caregiver_id)
            .where(Caregiver.provider_id == visits.c.provider_id,
                   *_caregiver_serves(Caregiver, visits.c.category_id),
                   *_caregiver_free(Caregiver.id, Caregiver.daily_limit, visit,
                                    busy_given=visits.c.n.in_(_overlapping_given()) if counting_given else None,
                                    given_today=visits.c.given_today)))


def _overlapping_given():
    """The visits (of `visits`, by n) that overlap one given to the same caregiver earlier in the batch (of
    `given`): one join for them all, which PostgreSQL hashes; asked per visit, it compared each visit with every
    visit given."""
    visits = sql.relation("visits", _VISIT_COLUMNS)
    given = sql.relation("given", _GIVEN_COLUMNS)
    return select(visits.c.n).join(given, and_(given.c.caregiver_id == visits.c.caregiver_id,
                                               given.c.start < visits.c.end, given.c.end > visits.c.start))


def _local_window(need: Need) -> tuple[int, time, time] | None:
    """(weekday, start, end) in Beijing time, or None when the visit runs past midnight."""
    start, end = need.start.astimezone(LOCAL), need.end.astimezone(LOCAL)
    if end.date() != start.date() and end.time() != time(0):
        return None
    end_time = end.time() if end.date() == start.date() else time(23, 59, 59)
    return start.weekday(), start.time(), end_time


def _local_day(moment: datetime) -> tuple[datetime, datetime]:
    """The Beijing calendar day containing `moment`, as UTC bounds."""
    return _day_bounds(local_date(moment))


_day_bounds = lru_cache(maxsize=64)(day_bounds)  # a batch's thousands of visits fall on a day or two
