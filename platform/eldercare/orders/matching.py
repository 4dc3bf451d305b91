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
from datetime import datetime, time
from functools import lru_cache

from sqlalchemy import bindparam, case, func, literal_column, or_, select, union

from ..catalog.models import Category, Item
from ..clock import LOCAL, day_bounds, local_date
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
    street = select(Region.parent_id).where(Region.id == bindparam("community_id")).scalar_subquery()
    serving_street = select(provider_areas.c.provider_id).where(provider_areas.c.region_id == street)
    # Each CTE below is small and MATERIALIZED, and each check a probe by key: the order of work is fixed, so
    # the generic plan of the prepared statement cannot wander into scanning a province's tables.
    # 1. Providers covering the street, or based in the box around the home (index on base_lat).
    near = union(select(provider_areas.c.provider_id.label("id")).where(provider_areas.c.region_id == street),
                 select(Provider.id).where(Provider.base_lat.between(bindparam("lat_lo"), bindparam("lat_hi")),
                                           Provider.base_lng.between(bindparam("lng_lo"), bindparam("lng_hi"))))
    near = near.cte("near").prefix_with("MATERIALIZED")
    not_this_order = WorkOrder.id != bindparam("order_id")
    orders_today = (select(func.count()).where(
        WorkOrder.provider_id == Provider.id, not_this_order, _one_of(WorkOrder.status, LOAD_STATUSES),
        WorkOrder.scheduled_start >= bindparam("day_start"), WorkOrder.scheduled_start < bindparam("day_end"))
        .scalar_subquery())
    offers_category = select(provider_categories.c.provider_id).where(
        provider_categories.c.provider_id == Provider.id,
        provider_categories.c.category_id == bindparam("category_id")).exists()
    # 2. Of those, the approved ones offering the category that cover the street or roughly reach the home (a flat
    # approximation, 5% generous; the exact distance is checked in Python), with their load. Dropping the
    # out-of-reach ones here spares the checks on each of their caregivers below.
    covers = Provider.id.in_(serving_street)
    dy = (Provider.base_lat - bindparam("lat")) * 111.0
    dx = (Provider.base_lng - bindparam("lng")) * bindparam("km_per_lng")
    reaches = dy * dy + dx * dx <= Provider.service_radius_m * Provider.service_radius_m * (1.05 * 1.05 / 1e6)
    reach = (select(Provider.id, Provider.name, Provider.base_lat, Provider.base_lng, Provider.service_radius_m,
                    Provider.completed_count, Provider.on_time_count, Provider.rating_count, Provider.rating_sum,
                    covers.label("covers_street"), orders_today.label("orders_today"))
             .join(near, near.c.id == Provider.id)
             .where(Provider.status == "approved", offers_category, or_(covers, reaches)))
    if excluding:
        reach = reach.where(Provider.id.not_in(bindparam("exclude", expanding=True)))
    reach = reach.cte("reach").prefix_with("MATERIALIZED")
    # 3. Their active caregivers serving the category (a hundred or so); the checks on each person follow.
    serves = select(caregiver_categories.c.caregiver_id).where(
        caregiver_categories.c.caregiver_id == Caregiver.id,
        caregiver_categories.c.category_id == bindparam("category_id")).exists()
    team = (select(Caregiver.id, Caregiver.provider_id, Caregiver.daily_limit)
            .join(reach, reach.c.id == Caregiver.provider_id)
            .where(Caregiver.active.is_(True), serves)
            .cte("team").prefix_with("MATERIALIZED"))
    mine = (WorkOrder.caregiver_id == team.c.id, not_this_order)
    today = select(func.count()).where(
        *mine, _one_of(WorkOrder.status, LOAD_STATUSES), WorkOrder.scheduled_start >= bindparam("day_start"),
        WorkOrder.scheduled_start < bindparam("day_end")).scalar_subquery()
    busy = select(WorkOrder.id).where(
        *mine, _one_of(WorkOrder.status, BUSY_STATUSES), WorkOrder.scheduled_start < bindparam("end"),
        WorkOrder.scheduled_end > bindparam("start")).exists()
    works = select(Availability.id).where(
        Availability.caregiver_id == team.c.id, Availability.weekday == bindparam("weekday"),
        Availability.start_time <= bindparam("t0"), Availability.end_time >= bindparam("t1")).exists()
    # The certificate the category needs (CATEGORY_CERTIFICATE), worked out in SQL so the statement never changes.
    kind = case(CATEGORY_CERTIFICATE, value=select(Category.code).where(
        Category.id == bindparam("category_id")).scalar_subquery(), else_=None)
    certified = or_(kind.is_(None), select(Certificate.id).where(
        Certificate.caregiver_id == team.c.id, Certificate.kind == kind,
        Certificate.expires_on >= bindparam("service_day")).exists())
    # As WHERE conditions these become index probes per team member; in the SELECT list PostgreSQL would hash
    # whole tables instead.
    facts = (reach.c.name, reach.c.base_lat, reach.c.base_lng, reach.c.service_radius_m, reach.c.completed_count,
             reach.c.on_time_count, reach.c.rating_count, reach.c.rating_sum, reach.c.covers_street,
             reach.c.orders_today)
    stmt = (select(team.c.provider_id, *facts).join(reach, reach.c.id == team.c.provider_id)
            .where(works, certified, ~busy, today < team.c.daily_limit))
    if per_caregiver:
        return stmt.add_columns(team.c.id).order_by(team.c.provider_id, team.c.id)
    return stmt.add_columns(func.count(team.c.id).label("free_count")).group_by(team.c.provider_id, *facts)


def _local_window(need: Need) -> tuple[int, time, time] | None:
    """(weekday, start, end) in Beijing time, or None when the visit runs past midnight."""
    start, end = need.start.astimezone(LOCAL), need.end.astimezone(LOCAL)
    if end.date() != start.date() and end.time() != time(0):
        return None
    end_time = end.time() if end.date() == start.date() else time(23, 59, 59)
    return start.weekday(), start.time(), end_time


def _local_day(moment: datetime) -> tuple[datetime, datetime]:
    """The Beijing calendar day containing `moment`, as UTC bounds."""
    return day_bounds(local_date(moment))
