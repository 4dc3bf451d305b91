"""A small city with known geometry for the coverage map: distances measured by geo.distance_km."""
import math
from dataclasses import dataclass

import pytest

from eldercare.geo import EARTH_RADIUS_KM
from eldercare.servicepoints.models import ServicePoint

from ..factories import CommunityFactory, DistrictFactory, ElderFactory, ProviderFactory, StreetFactory, UserFactory

ORIGIN = (32.45, 119.92)  # the provider's base in 城东街道


def north(point, metres):
    """The point `metres` due north of `point`: along a meridian the haversine gives back exactly that."""
    return point[0] + math.degrees(metres / 1000 / EARTH_RADIUS_KM), point[1]


def east(point, metres):
    """The point at the same latitude whose haversine distance from `point` is `metres`, to the east."""
    lat = math.radians(point[0])
    dlng = 2 * math.asin(math.sin(metres / 1000 / (2 * EARTH_RADIUS_KM)) / math.cos(lat))
    return point[0], point[1] + math.degrees(dlng)


def west(point, metres):
    lat, lng = east(point, metres)
    return lat, 2 * point[1] - lng


def toward(point, metres, bearing):
    """The point `metres` from `point` along the great circle leaving it at `bearing` degrees (0 north, 90 east)."""
    lat1, lng1, theta = math.radians(point[0]), math.radians(point[1]), math.radians(bearing)
    d = metres / 1000 / EARTH_RADIUS_KM
    lat2 = math.asin(math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(theta))
    lng2 = lng1 + math.atan2(math.sin(theta) * math.sin(d) * math.cos(lat1),
                             math.cos(d) - math.sin(lat1) * math.sin(lat2))
    return math.degrees(lat2), math.degrees(lng2)


def south(point, metres):
    lat, lng = north(point, metres)
    return 2 * point[0] - lat, lng


@dataclass
class City:
    district: object
    street: object
    other_street: object
    edge: object  # 1,499 m and 1,501 m from the provider
    far: object  # nothing in reach
    canteen_side: object  # every elder near the canteen
    quiet: object  # in the other street, near the provider
    provider: object
    canteen: object
    bureau: object
    street_bureau: object
    other_bureau: object


def point(provider, community, where, status="approved", kind="canteen", name="城东老年食堂"):
    made = ServicePoint(provider_id=provider.id, name=name, kind=kind, community_id=community.id, lat=where[0],
                        lng=where[1], hours=[], daily_capacity=100, status=status)
    from eldercare.extensions import db

    db.session.add(made)
    db.session.commit()
    return made


@pytest.fixture
def coverage_city(db):
    district = DistrictFactory(name="海陵区")
    street = StreetFactory(parent_id=district.id, name="城东街道", code="S-EAST")
    other_street = StreetFactory(parent_id=district.id, name="城西街道", code="S-WEST")
    edge = CommunityFactory(parent_id=street.id, name="边界社区")
    far = CommunityFactory(parent_id=street.id, name="远郊社区")
    canteen_side = CommunityFactory(parent_id=street.id, name="食堂社区")
    quiet = CommunityFactory(parent_id=other_street.id, name="城西社区")
    elsewhere = CommunityFactory(parent_id=StreetFactory(parent_id=DistrictFactory(name="高港区").id).id)

    provider = ProviderFactory(name="城东居家养老服务中心", base_lat=ORIGIN[0], base_lng=ORIGIN[1])
    # A provider based 20 km away whose canteen is 5 km south of the origin.
    remote = ProviderFactory(name="远方服务中心", base_lat=north(ORIGIN, 20_000)[0], base_lng=ORIGIN[1])
    canteen_at = south(ORIGIN, 5_000)
    canteen = point(remote, canteen_side, canteen_at)
    far_at = east(ORIGIN, 10_000)
    # Places that must not count: a provider not yet approved, a rejected point, a point of a suspended provider.
    ProviderFactory(name="待审服务商", status="pending", base_lat=far_at[0], base_lng=far_at[1])
    point(provider, far, far_at, status="rejected", name="未批准食堂")
    point(ProviderFactory(name="暂停服务商", status="suspended", base_lat=40.0, base_lng=100.0), far, far_at,
          name="暂停服务商食堂")

    def elders(community, *places, **kw):
        for where in places:
            ElderFactory(community_id=community.id, lat=where[0], lng=where[1], **kw)

    elders(edge, north(ORIGIN, 1499), east(ORIGIN, 1499), north(ORIGIN, 1501), west(ORIGIN, 1501))
    elders(far, far_at, north(far_at, 300), south(far_at, 300))
    elders(far, far_at, status="deceased")
    elders(far, far_at, status="institutionalized")
    elders(canteen_side, canteen_at, east(canteen_at, 1000))
    elders(quiet, south(ORIGIN, 200))
    elders(elsewhere, ORIGIN)  # another district's: near the provider, never in this district's figures
    return City(district=district, street=street, other_street=other_street, edge=edge, far=far,
                canteen_side=canteen_side, quiet=quiet, provider=provider, canteen=canteen,
                bureau=UserFactory(role="bureau", scope_region_id=district.id),
                street_bureau=UserFactory(role="bureau", scope_region_id=street.id),
                other_bureau=UserFactory(role="bureau", scope_region_id=elsewhere.parent_id))
