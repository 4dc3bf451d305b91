"""A small district for settlement: two providers with a caregiver each, two elders with vouchers to spend,
two bureau officers of the district (one generates, the other approves) and one of another district; `town.visit`
writes a visit as the order lifecycle leaves it (confirmed, or disputed), with its voucher hold and capture posted
through the ledger as check-out does."""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import pytest
import time_machine

from eldercare import clock
from eldercare.extensions import db as _db
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Caregiver
from eldercare.vouchers import holds, ledger
from eldercare.vouchers.models import VoucherGrant

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

# Settling November in early December, Beijing time.
NOVEMBER = "2026-11"
EARLY_DECEMBER = clock.at_local(datetime(2026, 12, 3).date(), time(10, 0))


def at(day: int, hour: int = 10, month: int = 11, year: int = 2026) -> datetime:
    """A Beijing wall-clock moment, as the UTC time it is stored as."""
    return clock.at_local(datetime(year, month, day).date(), time(hour))


@dataclass
class Town:
    district: object
    community: object
    item: object
    elders: list
    providers: list
    officer: object  # generates
    second: object  # approves
    stranger: object  # an officer of another district
    orders: list = field(default_factory=list)

    def visit(self, provider, check_out_at: datetime, *, elder=None, status="confirmed", voucher_fen=1050,
              copay_fen=450, copay_paid_fen=0, capture=True, dispute_reason="没有来") -> WorkOrder:
        elder = elder or self.elders[self.providers.index(provider) % len(self.elders)]  # one slot each
        check_in_at = check_out_at - timedelta(minutes=30)
        order = WorkOrder(elder_id=elder.id, item_id=self.item.id, status=status, scheduled_start=check_in_at,
                          scheduled_end=check_out_at, price_fen=voucher_fen + copay_fen, voucher_fen=voucher_fen,
                          copay_fen=copay_fen, copay_paid_fen=copay_paid_fen,
                          pay_with="voucher" if voucher_fen else "self", provider_id=provider.id,
                          caregiver_id=provider.team[0].id, check_in_at=check_in_at, check_out_at=check_out_at,
                          check_in_distance_m=12, check_out_distance_m=15, actual_minutes=30,
                          confirmed_at=check_out_at + timedelta(hours=1),
                          dispute_reason=dispute_reason if status == "disputed" else None)
        _db.session.add(order)
        _db.session.flush()
        if voucher_fen:
            holds.hold(order, voucher_fen)
            if capture:
                holds.capture(order)
        _db.session.commit()
        self.orders.append(order)
        return order


@pytest.fixture
def town(db):
    district = DistrictFactory(name="海陵区")
    street = StreetFactory(parent_id=district.id, name="城东街道")
    community = CommunityFactory(parent_id=street.id)
    meal = CategoryFactory(code="meal", name="助餐")
    item = ItemFactory(code="meal.lunch", category=meal, name="午餐送餐", price_fen=1500, duration_minutes=30)
    elders = [ElderFactory(community_id=community.id, name=name) for name in ("王秀英", "李建国")]
    providers = []
    for name in ("甲居家养老服务中心", "乙居家养老服务中心"):
        provider = ProviderFactory(name=name, district_id=district.id)
        provider.admin = UserFactory(role="provider_admin", provider_id=provider.id)
        caregiver = Caregiver(provider_id=provider.id, name=f"{name[0]}护理员")
        _db.session.add(caregiver)
        _db.session.commit()
        provider.team = [caregiver]
        providers.append(provider)
    for elder in elders:  # plenty of vouchers to spend: a grant, and its money in the ledger
        budget, available = ledger.account("bureau_budget", district.id), ledger.account("elder_available", elder.id)
        _db.session.add(VoucherGrant(period=NOVEMBER, elder_id=elder.id, amount_fen=1_000_000))
        ledger.post("issue", f"test:issue:{elder.id}", [(budget, -1_000_000), (available, 1_000_000)],
                    elder_id=elder.id, period=NOVEMBER)
    _db.session.commit()
    return Town(district, community, item, elders, providers,
                officer=UserFactory(role="bureau", scope_region_id=district.id, username="officer_a"),
                second=UserFactory(role="bureau", scope_region_id=district.id, username="officer_b"),
                stranger=UserFactory(role="bureau"))


@pytest.fixture
def december():
    """The clock early in December, Beijing time (November is over, December has begun)."""
    with time_machine.travel(EARLY_DECEMBER, tick=False):
        yield
