"""A small district for the audit tests: elders at home in one street, a provider with caregivers, a meal item
(30 minutes, needs a health certificate) and a cleaning item (60 minutes, needs none), and `visit()` to write a
visit as the order's check-in and check-out left it. The clock is set in every test (`frozen`): Saturday
2026-11-28, 03:00 in Beijing, which is still Friday on a UTC machine."""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from eldercare import clock
from eldercare.extensions import db as _db
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Caregiver, Certificate

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
NOW = clock.at_local(date(2026, 11, 28), time(3, 0))
DAY = date(2026, 11, 16)  # a Monday: the day most visits happen


def at(day: date, hh: int, mm: int = 0) -> datetime:
    """A Beijing wall-clock time as the aware UTC moment stored."""
    return clock.at_local(day, time(hh, mm))


def metres_east(m: float) -> tuple[float, float]:
    import math

    return HOME[0], HOME[1] + m / (111_195 * math.cos(math.radians(HOME[0])))


@dataclass
class World:
    district: object
    street: object
    other_street: object
    community: object
    other_community: object
    provider: object
    other_provider: object
    meal: object
    cleaning: object
    lunch: object  # 30 minutes, meal: needs a health certificate
    tidy: object  # 60 minutes, cleaning: needs none
    bureau: object  # the district's officer
    street_officer: object  # the street's officer
    other_street_officer: object
    elders: list = field(default_factory=list)

    def elder(self, n: int = 0, community=None):
        while len(self.elders) <= n:
            self.elders.append(ElderFactory(community_id=(community or self.community).id, lat=HOME[0], lng=HOME[1]))
        return self.elders[n]

    def caregiver(self, name="张丽", provider=None, phone=None, certificate_expires=date(2099, 1, 1)):
        carer = Caregiver(provider_id=(provider or self.provider).id, name=name, phone=phone)
        if certificate_expires is not None:
            carer.certificates = [Certificate(kind="health", level="A", expires_on=certificate_expires)]
        _db.session.add(carer)
        _db.session.commit()
        return carer

    def visit(self, caregiver=None, *, start: datetime, minutes: float = 30, elder=None, item=None,
              status="completed", in_m: int = 10, out_m: int = 10, in_at=None, out_at=None, voucher_fen=1000,
              confirmed_at=None, commit=True) -> WorkOrder:
        """A visit checked in at `start` for `minutes`, its points `in_m`/`out_m` metres east of the home."""
        item = item or self.lunch
        elder = elder or self.elder(0)
        caregiver = caregiver or self.default_caregiver
        end = start + timedelta(minutes=minutes)
        in_lat, in_lng = in_at or metres_east(in_m)
        out_lat, out_lng = out_at or metres_east(out_m)
        order = WorkOrder(elder_id=elder.id, item_id=item.id, status=status, scheduled_start=start,
                          scheduled_end=start + timedelta(minutes=item.duration_minutes), quantity=1,
                          price_fen=voucher_fen + 500, voucher_fen=voucher_fen, copay_fen=500, pay_with="voucher",
                          provider_id=caregiver.provider_id, caregiver_id=caregiver.id, check_in_at=start,
                          check_in_lat=in_lat, check_in_lng=in_lng, check_in_distance_m=in_m, check_out_at=end,
                          check_out_lat=out_lat, check_out_lng=out_lng, check_out_distance_m=out_m,
                          actual_minutes=round(minutes), confirmed_at=confirmed_at,
                          created_at=start - timedelta(days=1))
        _db.session.add(order)
        if commit:
            _db.session.commit()
        return order


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(db, frozen):
    district = DistrictFactory(name="海陵区")
    street = StreetFactory(parent_id=district.id, name="城东街道", lat=HOME[0], lng=HOME[1])
    other_street = StreetFactory(parent_id=district.id, name="城西街道", lat=HOME[0], lng=HOME[1])
    community = CommunityFactory(parent_id=street.id)
    other_community = CommunityFactory(parent_id=other_street.id)
    meal = CategoryFactory(code="meal", name="助餐")
    cleaning = CategoryFactory(code="cleaning", name="助洁")
    provider = ProviderFactory(name="海陵区颐家居家养老服务中心", district_id=district.id)
    other_provider = ProviderFactory(name="城西护理站", district_id=district.id)
    w = World(district=district, street=street, other_street=other_street, community=community,
              other_community=other_community, provider=provider, other_provider=other_provider, meal=meal,
              cleaning=cleaning,
              lunch=ItemFactory(code="meal.lunch", category=meal, price_fen=1500, duration_minutes=30),
              tidy=ItemFactory(code="cleaning.tidy", category=cleaning, price_fen=4000, duration_minutes=60),
              bureau=UserFactory(role="bureau", scope_region_id=district.id),
              street_officer=UserFactory(role="bureau", scope_region_id=street.id),
              other_street_officer=UserFactory(role="bureau", scope_region_id=other_street.id))
    w.default_caregiver = w.caregiver("张丽", phone="13900000001")
    return w
