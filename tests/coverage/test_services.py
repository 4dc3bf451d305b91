"""The 15-minute circle's figures on a small city with known geometry, and on a random one against a count made
independently with geo.distance_km."""
import random

from eldercare.coverage import services
from eldercare.geo import distance_km

from .conftest import ORIGIN, east, north, south, toward, west


def test_the_test_points_are_where_they_say():
    for move, metres in ((north, 1499), (east, 1499), (north, 1501), (west, 1501), (south, 5000)):
        assert abs(distance_km(*ORIGIN, *move(ORIGIN, metres)) * 1000 - metres) < 0.01


def test_each_community_counts_its_elders_in_and_out_of_reach(coverage_city):
    c = coverage_city
    cov = services.coverage(c.district.id)
    by_name = {x.name: x for x in cov.communities}
    assert [x.name for x in cov.communities] == ["远郊社区", "边界社区", "食堂社区", "城西社区"]
    far, edge, canteen_side, quiet = (by_name[n] for n in ("远郊社区", "边界社区", "食堂社区", "城西社区"))
    # 1,499 m north and east of the provider: in reach; 1,501 m north and west: not.
    assert (edge.elders, edge.covered, edge.uncovered, edge.status) == (4, 2, 2, "partial")
    assert [(r.place.name, r.elders) for r in edge.reach] == [("城东居家养老服务中心", 2)]
    # The deceased and the institutionalized no longer live at home; the pending, rejected and suspended places
    # at their door do not count.
    assert (far.elders, far.covered, far.uncovered, far.status, far.reach) == (3, 0, 3, "none", [])
    assert (canteen_side.elders, canteen_side.uncovered, canteen_side.status) == (2, 0, "full")
    assert [(r.place.kind, r.place.name, r.elders) for r in canteen_side.points] == [("canteen", "城东老年食堂", 2)]
    assert canteen_side.providers == []
    assert [(r.place.name, r.elders) for r in quiet.providers] == [("城东居家养老服务中心", 1)]
    assert (cov.elders, cov.uncovered) == (10, 5)
    assert [x.name for x in cov.with_status("none")] == ["远郊社区"]
    # The centroid and extent are the elders'.
    assert far.lat_min < far.lat < far.lat_max and abs(far.lng - east(ORIGIN, 10_000)[1]) < 1e-9
    # Every approved place near the area is on the map, with the elders of the area it reaches.
    assert sorted((p.name, p.elders_reached) for p in cov.places) == [("城东居家养老服务中心", 3), ("城东老年食堂", 2)]


def test_the_area_is_the_officers_region_and_below(coverage_city):
    c = coverage_city
    assert [x.name for x in services.for_officer(c.street_bureau).communities] == ["远郊社区", "边界社区", "食堂社区"]
    assert [x.name for x in services.for_officer(c.bureau, c.other_street.id).communities] == ["城西社区"]
    other = services.for_officer(c.other_bureau)
    assert [(x.elders, x.covered) for x in other.communities] == [(1, 1)]  # the provider across the border reaches


def test_the_edge_of_the_circle_far_north(db):
    """At 53 degrees north the flat distance strays most in China; 1,497 m and 1,503 m away in eight directions are
    decided by it, 1,499 m and 1,501 m by haversine: each as geo.distance_km says."""
    from ..factories import CommunityFactory, DistrictFactory, ElderFactory, ProviderFactory, StreetFactory

    mohe = (53.0, 122.5)
    district = DistrictFactory()
    community = CommunityFactory(parent_id=StreetFactory(parent_id=district.id).id)
    ProviderFactory(base_lat=mohe[0], base_lng=mohe[1])
    for metres in (1497, 1499, 1501, 1503):
        for bearing in range(0, 360, 45):
            lat, lng = toward(mohe, metres, bearing)
            assert abs(distance_km(*mohe, lat, lng) * 1000 - metres) < 0.001
            ElderFactory(community_id=community.id, lat=lat, lng=lng)
    [row] = services.coverage(district.id).communities
    assert (row.elders, row.covered) == (32, 16)


def test_a_random_city_agrees_with_a_count_by_geo_distance(db):
    from eldercare.extensions import db as _db
    from eldercare.servicepoints.models import ServicePoint

    from ..factories import CommunityFactory, DistrictFactory, ElderFactory, ProviderFactory, StreetFactory

    rng = random.Random(17)
    district = DistrictFactory()
    streets = [StreetFactory(parent_id=district.id) for _ in range(2)]
    communities = [CommunityFactory(parent_id=rng.choice(streets).id) for _ in range(6)]

    def somewhere():  # a 10 km square: the places' boxes cross many grid cells
        return 32.40 + rng.random() * 0.09, 119.88 + rng.random() * 0.11

    places = []
    for _ in range(6):
        lat, lng = somewhere()
        places.append(ProviderFactory(base_lat=lat, base_lng=lng))
    for n in range(5):
        lat, lng = somewhere()
        sp = ServicePoint(provider_id=places[n].id, name=f"点{n}", kind="canteen", community_id=communities[0].id,
                          lat=lat, lng=lng, hours=[], daily_capacity=10, status="approved")
        _db.session.add(sp)
        places.append(sp)
    _db.session.commit()
    homes = []
    for _ in range(400):
        community = rng.choice(communities)
        lat, lng = somewhere()
        if rng.random() < 0.3:  # some right at a circle's edge
            base = rng.choice(places)
            blat, blng = (base.base_lat, base.base_lng) if hasattr(base, "base_lat") else (base.lat, base.lng)
            # Within the 1.5 m band where haversine decides, and just outside it where the flat distance does.
            lat, lng = rng.choice((north, south, east, west))((blat, blng), rng.choice((1499.5, 1500.5, 1497, 1503)))
        ElderFactory(community_id=community.id, lat=lat, lng=lng)
        homes.append((community.id, lat, lng))

    def where(p):
        return (p.base_lat, p.base_lng) if hasattr(p, "base_lat") else (p.lat, p.lng)

    expected = {}
    for community_id, lat, lng in homes:
        near = [p for p in places if distance_km(lat, lng, *where(p)) <= 1.5]
        counts = expected.setdefault(community_id, dict(elders=0, covered=0, reach={}))
        counts["elders"] += 1
        counts["covered"] += bool(near)
        for p in near:
            key = ("provider" if hasattr(p, "base_lat") else "canteen", p.id)
            counts["reach"][key] = counts["reach"].get(key, 0) + 1
    got = {c.id: dict(elders=c.elders, covered=c.covered, reach={(r.place.kind, r.place.id): r.elders
                                                                  for r in c.reach})
           for c in services.coverage(district.id).communities}
    assert got == expected
    assert sum(v["covered"] for v in got.values()) not in (0, 400)
