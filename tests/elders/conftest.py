"""A district with two streets, officers at each level, and a valid registration payload."""
from dataclasses import dataclass
from datetime import date

import pytest

from ..factories import CommunityFactory, DistrictFactory, StreetFactory, UserFactory, valid_id_number


@dataclass
class Place:
    district: object
    street_a: object
    street_b: object
    community_a: object
    community_b: object
    bureau: object
    operator_a: object
    operator_b: object
    admin: object
    family: object


@pytest.fixture
def place(db):
    district = DistrictFactory(name="海陵区")
    street_a = StreetFactory(parent_id=district.id, name="城东街道")
    street_b = StreetFactory(parent_id=district.id, name="城西街道")
    community_a = CommunityFactory(parent_id=street_a.id, name="幸福社区")
    community_b = CommunityFactory(parent_id=street_b.id, name="和平社区")
    return Place(
        district, street_a, street_b, community_a, community_b,
        bureau=UserFactory(role="bureau", scope_region_id=district.id),
        operator_a=UserFactory(role="operator", scope_region_id=street_a.id),
        operator_b=UserFactory(role="operator", scope_region_id=street_b.id),
        admin=UserFactory(role="admin"),
        family=UserFactory(role="family"),
    )


def payload(community_id: int, **overrides) -> dict:
    birth = date(1950, 6, 1)
    data = dict(name="王秀英", id_number=valid_id_number(birth, "F", 7), birth_date=birth.isoformat(), gender="F",
                phone="13912345678", address="泰州市海陵区城东街道幸福社区3幢101室", community_id=community_id,
                lat=32.49, lng=119.93, hardship="dibao", hardship_since="2024-01-01",
                hardship_source="低保名册", lives_alone=True,
                emergency_contacts=[{"name": "王强", "relation": "儿子", "phone": "13800001111"}])
    data.update(overrides)
    return data
