"""A small city for matching: one elder in 城东街道, providers placed around her, caregivers who work
08:00-18:00 every day, and a Monday-morning visit to book."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest

from eldercare import clock
from eldercare.clock import LOCAL
from eldercare.extensions import db as _db
from eldercare.orders.matching import Need
from eldercare.providers.models import Availability, Caregiver, Certificate

from ..factories import (
    CategoryFactory,
    CommunityFactory,
    DistrictFactory,
    ElderFactory,
    ItemFactory,
    ProviderFactory,
    StreetFactory,
    UserFactory,
)

HOME = (32.4900, 119.9300)


def km_east(km: float) -> tuple[float, float]:
    """A point `km` east of the elder's home."""
    return HOME[0], HOME[1] + km / (111.0 * 0.8434)  # cos(32.49°)


def next_monday(hour: int = 10) -> datetime:
    today = clock.today()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    return datetime.combine(monday, time(hour), LOCAL)


@dataclass
class City:
    district: object
    street: object
    far_street: object
    elder: object
    meal: object  # category needing a health certificate
    cleaning: object  # category needing none
    lunch: object  # item in meal, 30 minutes
    tidy: object  # item in cleaning, 60 minutes
    operator: object
    bureau: object

    def provider(self, name="A", km=1.0, categories=None, areas=None, radius_m=3000, status="approved",
                 caregivers=1, completed=0, on_time=0, ratings=0, rating_sum=0, daily_limit=8,
                 certificate_expires=date(2099, 1, 1)):
        lat, lng = km_east(km)
        provider = ProviderFactory(name=name, base_lat=lat, base_lng=lng, service_radius_m=radius_m, status=status,
                                   district_id=self.district.id, completed_count=completed, on_time_count=on_time,
                                   rating_count=ratings, rating_sum=rating_sum)
        provider.categories = categories if categories is not None else [self.meal, self.cleaning]
        provider.service_areas = areas if areas is not None else [self.street]
        admin = UserFactory(role="provider_admin", provider_id=provider.id)
        team = []
        for i in range(caregivers):
            caregiver = Caregiver(provider_id=provider.id, name=f"{name}护理员{i}", daily_limit=daily_limit)
            caregiver.categories = list(provider.categories)
            caregiver.availability = [Availability(weekday=d, start_time=time(8), end_time=time(18)) for d in range(7)]
            caregiver.certificates = [Certificate(kind="health", level="A", expires_on=certificate_expires),
                                      Certificate(kind="elderly_care", level="3", expires_on=certificate_expires)]
            _db.session.add(caregiver)
            team.append(caregiver)
        _db.session.commit()
        provider.admin, provider.team = admin, team
        return provider

    def need(self, item=None, start=None, preferred=None):
        item = item or self.lunch
        start = start or next_monday()
        return Need.build(self.elder, item, start, start + timedelta(minutes=item.duration_minutes), preferred)


@pytest.fixture
def city(db):
    district = DistrictFactory(name="海陵区")
    street = StreetFactory(parent_id=district.id, name="城东街道", lat=HOME[0], lng=HOME[1])
    far_street = StreetFactory(parent_id=district.id, name="九龙镇", lat=32.60, lng=119.80)
    community = CommunityFactory(parent_id=street.id, lat=HOME[0], lng=HOME[1])
    elder = ElderFactory(community_id=community.id, lat=HOME[0], lng=HOME[1])
    meal = CategoryFactory(code="meal", name="助餐")
    cleaning = CategoryFactory(code="cleaning", name="助洁")
    lunch = ItemFactory(code="meal.lunch", category=meal, price_fen=1500, duration_minutes=30)
    tidy = ItemFactory(code="cleaning.tidy", category=cleaning, price_fen=4000, duration_minutes=60)
    return City(district, street, far_street, elder, meal, cleaning, lunch, tidy,
                operator=UserFactory(role="operator", scope_region_id=street.id),
                bureau=UserFactory(role="bureau", scope_region_id=district.id))


from .flows import flow  # noqa: E402,F401  the voucher-paid accepted order, for every test here
