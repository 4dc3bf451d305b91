"""A lunchtime in Beijing (Wednesday 2 December 2026, 12:00) at a canteen approved by the bureau: its staff at
the counter, an elder with vouchers (a 15.00 yuan lunch at the guide price, 12.00 at the point: vouchers pay
70%), a supper and a bath on the menu."""
from dataclasses import dataclass
from datetime import date, datetime

import pytest
import time_machine

from eldercare.clock import LOCAL
from eldercare.extensions import db
from eldercare.servicepoints.models import PointItem, ServicePoint
from eldercare.vouchers.models import VoucherPolicy, VoucherTier

from ..factories import CategoryFactory, ElderFactory, ItemFactory, UserFactory
from ..orders.conftest import city  # noqa: F401  the city fixture
from ..vouchers.issuing import issue

LUNCHTIME = datetime(2026, 12, 2, 12, 0, tzinfo=LOCAL)  # a Wednesday
EVERY_DAY = [dict(weekday=d, start="10:30", end="19:00") for d in range(7)]


@pytest.fixture(autouse=True)
def lunchtime():
    with time_machine.travel(LUNCHTIME) as traveller:
        yield traveller


@dataclass
class Counter:
    city: object
    point: object
    staff: object
    elder: object
    lunch: object  # meal item, 12.00 yuan at the point
    supper: object
    bath: object
    policy: object
    elders: list  # five elders with vouchers, the first is `elder`


def make_point(town, provider, *, items, name="东风社区老年食堂", kind="canteen", capacity=200, status="approved",
               hours=None, second_meal="full_price"):
    point = ServicePoint(provider_id=provider.id, name=name, kind=kind, community_id=town.elder.community_id,
                         lat=32.491, lng=119.931, hours=hours or EVERY_DAY, daily_capacity=capacity, status=status,
                         second_meal=second_meal)
    point.items = [PointItem(item_id=item.id, price_fen=price) for item, price in items]
    db.session.add(point)
    db.session.commit()
    return point


@pytest.fixture
def counter(city):  # noqa: F811
    bathing = CategoryFactory(code="bathing", name="助浴")
    supper = ItemFactory(code="meal.supper", category=city.meal, price_fen=1500, duration_minutes=30)
    bath = ItemFactory(code="bathing.bath", category=bathing, price_fen=5000, duration_minutes=60)
    policy = VoucherPolicy(region_id=city.district.id, name="券", valid_from=date(2026, 1, 1),
                           tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000,
                                              copay_percent=30)], categories=[city.meal, bathing])
    city.elder.care_level = "moderate"
    db.session.add(policy)
    db.session.commit()
    provider = city.provider("东风", caregivers=0)
    point = make_point(city, provider, items=[(city.lunch, 1200), (supper, 1200), (bath, 4000)])
    staff = UserFactory(role="point_staff", provider_id=provider.id)
    elders = [city.elder] + [ElderFactory(community_id=city.elder.community_id, care_level="moderate",
                                          name=name) for name in ("王秀英", "李建国", "张桂兰", "刘德明")]
    issue("2026-12")
    db.session.commit()
    return Counter(city, point, staff, city.elder, city.lunch, supper, bath, policy, elders)
