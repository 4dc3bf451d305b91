"""The bureau's coverage page and GET /api/v1/coverage/communities: the officer's area only, the map with a title
for every shape, the table with the communities with nothing in reach and most elders first."""
import json
import re

import pytest

from ..factories import UserFactory

PAGE, API = "/bureau/coverage", "/api/v1/coverage/communities"


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="community-row[^"]*" data-community="[0-9]+">\s*<th scope="row">([^<]+)</th>', html)


def test_the_page_draws_the_area_and_lists_it_gaps_first(pages, coverage_city):
    c = coverage_city
    pages.login(c.bureau.username)
    response = pages.client.get(PAGE)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert rows(html) == ["远郊社区", "边界社区", "食堂社区", "城西社区"]
    assert "15分钟养老服务圈" in html  # Chinese by default
    assert 'role="img"' in html and 'aria-labelledby="map-title map-desc"' in html
    # Every shape of the map has its title: four communities, two places and their two circles, the scale.
    svg = html[html.index("<svg viewBox"):html.index("</svg>", html.index("<svg viewBox"))]
    shapes = re.findall(r"<(circle|rect|polygon)\b[^>]*>(<title>)?", svg)
    assert len([s for s in shapes if s[1]]) == 4 + 2 + 2
    assert svg.count('class="community community-none"') == 1
    assert svg.count("class=\"place place-provider\"") == 1 and svg.count("class=\"place place-point\"") == 1
    assert "<script" not in html
    # The uncovered community says how many elders lack a place in reach.
    assert "远郊社区 · 城东街道: 3" in svg


def test_the_page_in_english_and_narrowed_to_a_street(pages, coverage_city):
    c = coverage_city
    pages.login(c.bureau.username)
    html = pages.client.get(PAGE, query_string={"region": c.other_street.id, "lang": "en"}).get_data(as_text=True)
    assert "The 15-minute service circle" in html
    assert rows(html) == ["城西社区"]
    assert pages.client.get(PAGE, query_string={"region": "١٢"}).status_code == 404


def test_a_street_officer_sees_only_the_street(pages, coverage_city):
    c = coverage_city
    pages.login(c.street_bureau.username)
    html = pages.client.get(PAGE).get_data(as_text=True)
    assert rows(html) == ["远郊社区", "边界社区", "食堂社区"]
    assert pages.client.get(PAGE, query_string={"region": c.other_street.id}).status_code == 404
    assert pages.client.get(PAGE, query_string={"region": c.district.id}).status_code == 404


@pytest.mark.parametrize("role", ["admin", "operator", "family", "provider_admin", "caregiver", "elder"])
def test_only_the_bureau_opens_the_page_or_the_endpoint(pages, api, coverage_city, role):
    other = UserFactory(role=role)
    pages.login(other.username)
    assert pages.client.get(PAGE).status_code == 403
    assert api.as_(other).get(API).status_code == 403
    assert api.get(API).status_code == 401


def test_an_officer_without_a_region_sees_nothing(pages, coverage_city):
    lost = UserFactory(role="bureau", scope_region_id=None)
    pages.login(lost.username)
    html = pages.client.get(PAGE).get_data(as_text=True)
    assert rows(html) == [] and "<svg viewBox" not in html


def test_the_endpoint_gives_the_same_figures(api, coverage_city):
    c = coverage_city
    officer = api.as_(c.bureau)
    response = officer.get(API)
    assert response.status_code == 200
    assert json.loads(response.headers["X-Pagination"])["total"] == 4
    first = response.json[0]
    assert (first["name"], first["status"], first["elders"], first["elders_covered"], first["elders_uncovered"]) == \
        ("远郊社区", "none", 3, 0, 3)
    edge = response.json[1]
    assert [(p["name"], p["kind"], p["elders_reached"]) for p in edge["providers"]] == \
        [("城东居家养老服务中心", "provider", 2)]
    side = response.json[2]
    assert [(p["id"], p["kind"]) for p in side["service_points"]] == [(c.canteen.id, "canteen")]
    assert set(edge["extent"]) == {"lat_min", "lat_max", "lng_min", "lng_max"}
    assert [x["name"] for x in officer.get(API, query_string={"status": "partial"}).json] == ["边界社区"]
    assert [x["name"] for x in officer.get(API, query_string={"page_size": 1, "page": 2}).json] == ["边界社区"]
    assert [x["name"] for x in officer.get(API, query_string={"region_id": c.other_street.id}).json] == ["城西社区"]
    street = api.as_(c.street_bureau)
    assert street.get(API, query_string={"region_id": c.other_street.id}).status_code == 404
    assert officer.get(API, query_string={"status": "some"}).status_code == 422
    assert officer.get(API, query_string={"region_id": "abc"}).status_code == 422


def test_the_bureau_home_links_the_map(pages, coverage_city):
    pages.login(coverage_city.bureau.username)
    assert PAGE in pages.client.get("/").get_data(as_text=True)
