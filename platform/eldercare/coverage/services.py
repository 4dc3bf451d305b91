"""The coverage of the 15-minute circle, community by community, for an officer's area.

A place (an approved provider's base, or an approved service point of an approved provider) reaches an elder
when the great-circle distance from the place to the elder's home is at most `CIRCLE_KM`, the circle matching
ranks by: the haversine of `geo.distance_km`, on the same sphere, decided by the database.

Three statements whatever the number of elders: the places; the elders per community with their centroid and
extent; and every (elder, place) pair in reach, counted by community and place and by community. The pairs are
found without reading the elders once per place: each place's box (the circle's extent, a little generous) is
cut into grid cells of 1/100 of a degree, given to the statement as a small relation, and the elders are met by
the cell of their home (`models.elders_by_cell`, an index on that expression: SQLite looks the cells up in it,
PostgreSQL hashes the cells and reads the elders once). The distance is then decided on the few candidates per
pair in reach, by the flat distance far from the circle's edge and by haversine near it (`_in_reach`). Elders
who died or moved into a care institution no longer live at home and are not counted."""
import math
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Integer, and_, distinct, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from .. import sql
from ..elders.models import Elder
from ..errors import NotFound
from ..extensions import db
from ..geo import EARTH_RADIUS_KM
from ..orders.matching import CIRCLE_KM
from ..providers.models import Provider
from ..regions.models import Region
from ..regions.services import below, descendant_ids
from ..servicepoints.models import ServicePoint
from .models import CELLS_PER_DEGREE, grid_cell

GONE = ("deceased", "institutionalized")  # no longer living at home
KM_PER_DEGREE = EARTH_RADIUS_KM * math.pi / 180
RAD = math.pi / 180
# An elder is in reach when haversine's h (sin²(Δφ/2) + cos φ1 cos φ2 sin²(Δλ/2)) is at most this: the same as
# 2R·asin(√h) <= CIRCLE_KM, without asin and sqrt in SQL.
MAX_H = math.sin(CIRCLE_KM / (2 * EARTH_RADIUS_KM)) ** 2
BOX_KM = CIRCLE_KM * 1.01  # the cells cover a little more than the circle: the exact test decides
SURELY_IN = (CIRCLE_KM * 0.999) ** 2  # squared flat distances (km²) that decide without haversine
MAYBE_IN = (CIRCLE_KM * 1.001) ** 2


@dataclass
class Place:
    """A provider's base or a service point, as the map draws it."""

    key: int  # its number in this answer (providers and points have ids of their own)
    kind: str  # "provider", or the point's kind: "canteen", "bathing", "day_care"
    id: int
    name: str
    lat: float
    lng: float
    provider_name: str | None = None  # a point's provider
    elders_reached: int = 0  # elders of the area with this place in reach

    @property
    def is_point(self) -> bool:
        return self.kind != "provider"


@dataclass
class Reach:
    """A place in reach of some of a community's elders."""

    place: Place
    elders: int  # the community's elders with this place in reach


@dataclass
class Community:
    """A community with elders living at home, and how the circle covers them."""

    id: int
    name: str
    street_id: int | None
    street_name: str | None
    elders: int
    covered: int  # elders with at least one place in reach
    lat: float  # the elders' centroid
    lng: float
    lat_min: float
    lat_max: float
    lng_min: float
    lng_max: float
    reach: list[Reach] = field(default_factory=list)  # most elders reached first

    @property
    def uncovered(self) -> int:
        return self.elders - self.covered

    @property
    def status(self) -> str:
        """"none": no elder has a place in reach; "partial": some have none; "full": every elder has one."""
        if self.covered == 0:
            return "none"
        return "partial" if self.uncovered else "full"

    @property
    def providers(self) -> list[Reach]:
        return [r for r in self.reach if not r.place.is_point]

    @property
    def points(self) -> list[Reach]:
        return [r for r in self.reach if r.place.is_point]


STATUS_ORDER = {"none": 0, "partial": 1, "full": 2}


@dataclass
class Coverage:
    """An area's communities, those with nothing in reach and most elders first, and the places around them."""

    radius_m: int
    communities: list[Community]
    places: list[Place]  # approved places within the area's extent (plus the circle), whether they reach or not

    @property
    def elders(self) -> int:
        return sum(c.elders for c in self.communities)

    @property
    def uncovered(self) -> int:
        return sum(c.uncovered for c in self.communities)

    def with_status(self, status: str) -> list[Community]:
        return [c for c in self.communities if c.status == status]


def area_of(user, region_id: int | None = None) -> int | None:
    """The region a bureau officer's map covers: their own, or `region_id` when it lies within it (NotFound
    otherwise, as for a region that does not exist). None for an officer with no region: they see nothing."""
    if user.scope_region_id is None:
        return None
    if region_id is None or region_id == user.scope_region_id:
        return user.scope_region_id
    if region_id not in descendant_ids(user.scope_region_id):
        raise NotFound(_l("No such region in your area."))
    return region_id


def areas_in(region_id: int) -> list[Region]:
    """The region itself and the districts and streets below it, to narrow the map to one of them."""
    return list(db.session.scalars(select(Region).where(Region.id.in_(below(region_id)), Region.level != "community")
                                   .order_by(Region.level != "district", Region.code, Region.id)))


def for_officer(user, region_id: int | None = None) -> Coverage:
    """The map of an officer's area (or of a region within it); nothing for an officer with no region."""
    area = area_of(user, region_id)
    if area is None:
        return Coverage(radius_m=round(CIRCLE_KM * 1000), communities=[], places=[])
    return coverage(area)


def coverage(region_id: int | None) -> Coverage:
    """The 15-minute circle in the region and below (None: the whole city): per community its elders living at
    home, how many have no provider or service point within 1.5 km, and which ones the others have."""
    places = approved_places()
    at_home = Elder.status.not_in(GONE)
    in_area = at_home if region_id is None else and_(at_home, Elder.community_id.in_(below(region_id)))
    communities = _communities(in_area)
    if region_id is not None:
        # The area's communities as a list: PostgreSQL then keeps the officer's elders at the scan, where, given
        # the region's subquery, it paired every elder of the city first and kept the area's pairs afterwards.
        in_area = and_(at_home, sql.any_of(Elder.community_id, sorted(communities)))
    for community_id, key, count in _reached(in_area, places) if communities and places else ():
        community = communities[community_id]
        if key == 0:
            community.covered = count
        else:
            community.reach.append(Reach(places[key - 1], count))
            places[key - 1].elders_reached += count
    for c in communities.values():
        c.reach.sort(key=lambda r: (-r.elders, r.place.is_point, r.place.name, r.place.id))
    ordered = sorted(communities.values(), key=lambda c: (STATUS_ORDER[c.status], -c.uncovered, -c.elders, c.name,
                                                          c.id))
    return Coverage(radius_m=round(CIRCLE_KM * 1000), communities=ordered,
                    places=_near(places, ordered) if ordered else [])


def approved_places() -> list[Place]:
    """Every approved provider's base and every approved point of an approved provider, numbered from 1."""
    owner = aliased(Provider)
    rows = db.session.execute(union_all(
        select(literal("provider").label("kind"), Provider.id, Provider.name, Provider.base_lat.label("lat"),
               Provider.base_lng.label("lng"), literal(None).label("owner"))
        .where(Provider.status == "approved"),
        select(ServicePoint.kind, ServicePoint.id, ServicePoint.name, ServicePoint.lat, ServicePoint.lng,
               owner.name).join(owner, owner.id == ServicePoint.provider_id)
        .where(ServicePoint.status == "approved", owner.status == "approved"))).all()
    rows.sort(key=lambda r: (r.kind != "provider", r.kind, r.id))
    return [Place(key=n, kind=r.kind, id=r.id, name=r.name, lat=r.lat, lng=r.lng, provider_name=r.owner)
            for n, r in enumerate(rows, start=1)]


def _communities(in_area) -> dict[int, Community]:
    """The communities with elders at home in the area: how many, their centroid and extent, and their street."""
    facts = (select(Elder.community_id, func.count().label("n"), func.avg(Elder.lat).label("lat"),
                    func.avg(Elder.lng).label("lng"), func.min(Elder.lat).label("lat_min"),
                    func.max(Elder.lat).label("lat_max"), func.min(Elder.lng).label("lng_min"),
                    func.max(Elder.lng).label("lng_max"))
             .where(in_area).group_by(Elder.community_id).subquery("facts"))
    street = aliased(Region)
    rows = db.session.execute(
        select(facts, Region.name, street.id.label("street_id"), street.name.label("street_name"))
        .join(Region, Region.id == facts.c.community_id).outerjoin(street, street.id == Region.parent_id)).all()
    return {r.community_id: Community(id=r.community_id, name=r.name, street_id=r.street_id,
                                      street_name=r.street_name, elders=r.n, covered=0, lat=r.lat, lng=r.lng,
                                      lat_min=r.lat_min, lat_max=r.lat_max, lng_min=r.lng_min, lng_max=r.lng_max)
            for r in rows}


_CELL_COLUMNS = dict(cy=Integer(), cx=Integer(), place=Integer(), lat=Float(), lng=Float(), cos_lat=Float(),
                     km_per_lng=Float())


def _cells(places: list[Place]) -> list[dict]:
    """Each place's grid cells: those its circle's box touches."""
    rows = []
    for p in places:
        dlat = BOX_KM / KM_PER_DEGREE
        # The box is widest in degrees of longitude on its side away from the equator.
        dlng = BOX_KM / (KM_PER_DEGREE * max(math.cos(min(abs(p.lat) + dlat, 89.0) * RAD), 0.01))
        cos_lat = math.cos(p.lat * RAD)
        for cy in range(_cell(p.lat - dlat), _cell(p.lat + dlat) + 1):
            for cx in range(_cell(p.lng - dlng), _cell(p.lng + dlng) + 1):
                rows.append(dict(cy=cy, cx=cx, place=p.key, lat=p.lat, lng=p.lng, cos_lat=cos_lat,
                                 km_per_lng=KM_PER_DEGREE * cos_lat))
    return rows


def _cell(degrees: float) -> int:
    """A coordinate's grid cell, as grid_cell computes it in SQL."""
    return math.floor(degrees * CELLS_PER_DEGREE)


def _in_reach(cells):
    """Whether the elder's home is within the circle of the cell's place. The flat distance (on the place's own
    scale of longitude) is within 0.04% of the great-circle one at this size anywhere in China (its error is
    about tan(latitude) x the difference of latitude: under 3.2e-4 at 53.6 degrees north), so it decides every
    home more than 0.1% (1.5 m) inside or outside the circle's edge, with arithmetic only; haversine decides the
    homes in that band, as geo.distance_km would: a home 1,499 m away is in reach, one 1,501 m away is not."""
    dy = (Elder.lat - cells.c.lat) * KM_PER_DEGREE
    dx = (Elder.lng - cells.c.lng) * cells.c.km_per_lng
    flat = dy * dy + dx * dx
    half_dlat = func.sin((Elder.lat - cells.c.lat) * (RAD / 2))
    half_dlng = func.sin((Elder.lng - cells.c.lng) * (RAD / 2))
    h = half_dlat * half_dlat + func.cos(Elder.lat * RAD) * cells.c.cos_lat * half_dlng * half_dlng
    return or_(flat <= SURELY_IN, and_(flat <= MAYBE_IN, h <= MAX_H))


def _reached(in_area, places: list[Place]):
    """(community id, place key, elders reached) for each community and place in reach, and (community id, 0,
    elders with any place in reach) for each community with one."""
    # Materialized once: SQLite would otherwise read the cells' document again for every elder.
    given = sql.relation("given", _CELL_COLUMNS)
    cells = select(given).cte("cells").prefix_with("MATERIALIZED")
    in_cell = and_(cells.c.cy == grid_cell(Elder.lat), cells.c.cx == grid_cell(Elder.lng))
    # Every (elder, place) pair in reach, found once (the cells drive, the elders come from their cell's index
    # entries), then counted by community and place, and by community for the elders with any place in reach.
    pairs = (select(Elder.id.label("elder_id"), Elder.community_id, cells.c.place).join(cells, in_cell)
             .where(in_area, _in_reach(cells)).cte("pairs"))
    stmt = union_all(
        select(pairs.c.community_id, pairs.c.place, func.count()).group_by(pairs.c.community_id, pairs.c.place),
        select(pairs.c.community_id, literal(0), func.count(distinct(pairs.c.elder_id)))
        .group_by(pairs.c.community_id))
    return db.session.execute(stmt, dict(given=sql.relation_rows(_CELL_COLUMNS, _cells(places)))).all()


def _near(places: list[Place], communities: list[Community]) -> list[Place]:
    """The places within the area's elders' extent widened by the circle: those the map has room for."""
    lat_lo, lat_hi, lng_lo, lng_hi = extent(communities)
    return [p for p in places if p.elders_reached or (lat_lo <= p.lat <= lat_hi and lng_lo <= p.lng <= lng_hi)]


def extent(communities: list[Community]) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lng_min, lng_max) of the communities' elders, widened by the circle on every side."""
    lat_lo, lat_hi = min(c.lat_min for c in communities), max(c.lat_max for c in communities)
    lng_lo, lng_hi = min(c.lng_min for c in communities), max(c.lng_max for c in communities)
    dlat = CIRCLE_KM / KM_PER_DEGREE
    dlng = CIRCLE_KM / (KM_PER_DEGREE * max(math.cos(max(abs(lat_lo), abs(lat_hi)) * RAD), 0.01))
    return lat_lo - dlat, lat_hi + dlat, lng_lo - dlng, lng_hi + dlng
