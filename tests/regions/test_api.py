import json

import pytest

from eldercare.regions.services import descendant_ids

from ..factories import CommunityFactory, DistrictFactory, StreetFactory, UserFactory


def test_tree_can_be_walked_by_level_and_parent(api):
    district = DistrictFactory(name="海陵区")
    street = StreetFactory(parent_id=district.id, name="城东街道")
    CommunityFactory.create_batch(3, parent_id=street.id)
    user = UserFactory(role="family")
    districts = api.as_(user).get("/api/v1/regions?level=district").json
    assert [d["name"] for d in districts] == ["海陵区"]
    streets = api.as_(user).get(f"/api/v1/regions?parent_id={district.id}").json
    assert [(s["name"], s["level"], s["parent_id"]) for s in streets] == [("城东街道", "street", district.id)]
    response = api.as_(user).get(f"/api/v1/regions?parent_id={street.id}")
    assert json.loads(response.headers["X-Pagination"])["total"] == 3
    assert set(response.json[0]) >= {"id", "code", "name", "level", "parent_id"}


def test_regions_need_a_login(api):
    assert api.get("/api/v1/regions").status_code == 401


def test_admin_builds_the_tree(api):
    admin = UserFactory(role="admin")
    client = api.as_(admin)
    d = client.post("/api/v1/regions", json={"name": "海陵区", "code": "321202", "level": "district"})
    assert d.status_code == 201
    s = client.post("/api/v1/regions", json={"name": "城东街道", "code": "321202001", "level": "street",
                                             "parent_id": d.json["id"]})
    assert s.status_code == 201 and s.json["parent_id"] == d.json["id"]
    c = client.post("/api/v1/regions", json={"name": "迎春社区", "code": "321202001001", "level": "community",
                                             "parent_id": s.json["id"]})
    assert c.status_code == 201


@pytest.mark.parametrize("level,parent", [("street", None), ("community", "district"), ("district", "district"),
                                          ("street", "missing")])
def test_hierarchy_is_enforced(api, level, parent):
    admin = UserFactory(role="admin")
    district = DistrictFactory()
    parent_id = {"district": district.id, "missing": 999999, None: None}[parent]
    response = api.as_(admin).post("/api/v1/regions", json={"name": "x", "code": "X01", "level": level,
                                                            "parent_id": parent_id})
    assert response.status_code == 422 and "parent_id" in response.json["errors"]


def test_duplicate_code_is_409(api):
    admin = UserFactory(role="admin")
    DistrictFactory(code="321202")
    response = api.as_(admin).post("/api/v1/regions", json={"name": "x", "code": "321202", "level": "district"})
    assert response.status_code == 409 and "code" in response.json["errors"]


def test_bad_level_names_the_field(api):
    admin = UserFactory(role="admin")
    response = api.as_(admin).post("/api/v1/regions", json={"name": "x", "code": "X1", "level": "province"})
    assert response.status_code == 422 and "level" in response.json["errors"]


@pytest.mark.parametrize("role", ["bureau", "operator", "family", "elder", "provider_admin"])
def test_only_admin_adds_regions(api, role):
    user = UserFactory(role=role)
    response = api.as_(user).post("/api/v1/regions", json={"name": "x", "code": "X1", "level": "district"})
    assert response.status_code == 403


def test_descendants_are_the_scope_of_an_officer():
    district = DistrictFactory()
    street = StreetFactory(parent_id=district.id)
    community = CommunityFactory(parent_id=street.id)
    other = CommunityFactory()
    assert descendant_ids(district.id) == {district.id, street.id, community.id}
    assert other.id not in descendant_ids(district.id)
