"""A district with two streets, a second district elsewhere, categories with items, and the people who apply
and review."""
from dataclasses import dataclass

import pytest

from ..factories import CategoryFactory, DistrictFactory, ItemFactory, StreetFactory, UserFactory

LICENSE = "91321202MA1XYZ1234"


@dataclass
class Place:
    district: object
    street_a: object
    street_b: object
    other_street: object
    meal: object
    bathing: object
    cleaning: object
    meal_item: object
    cleaning_item: object
    applicant: object
    bureau: object
    other_bureau: object
    admin: object
    operator: object


@pytest.fixture
def place(db):
    district = DistrictFactory(name="海陵区")
    street_a = StreetFactory(parent_id=district.id, name="城东街道", lat=32.49, lng=119.93)
    street_b = StreetFactory(parent_id=district.id, name="城西街道")
    elsewhere = DistrictFactory(name="高港区")
    other_street = StreetFactory(parent_id=elsewhere.id, name="口岸街道")
    meal, bathing, cleaning = (CategoryFactory(code="meal", name="助餐"), CategoryFactory(code="bathing", name="助浴"),
                               CategoryFactory(code="cleaning", name="助洁"))
    return Place(
        district, street_a, street_b, other_street, meal, bathing, cleaning,
        meal_item=ItemFactory(category=meal, price_fen=1500),
        cleaning_item=ItemFactory(category=cleaning, price_fen=5000),
        applicant=UserFactory(role="provider_admin", provider_id=None, username="boss"),
        bureau=UserFactory(role="bureau", scope_region_id=district.id),
        other_bureau=UserFactory(role="bureau", scope_region_id=elsewhere.id),
        admin=UserFactory(role="admin"),
        operator=UserFactory(role="operator", scope_region_id=district.id),
    )


def application(place, **overrides) -> dict:
    data = dict(name="安康居家养老服务中心", license_no=LICENSE, categories=["meal", "bathing"],
                service_areas=[place.street_a.id, place.street_b.id], base_lat=32.49, base_lng=119.93,
                service_radius_m=3000, phone="052386001234", address="海陵区城东街道1号",
                prices=[{"item_id": place.meal_item.id, "price_fen": 1200}])
    data.update(overrides)
    return data


@pytest.fixture
def applied(api, place):
    """The applicant's provider, pending review; returns its JSON."""
    response = api.as_(place.applicant).post("/api/v1/providers", json=application(place))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """Documents go to a temporary instance folder."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path
