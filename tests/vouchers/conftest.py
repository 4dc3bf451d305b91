"""A district with a voucher policy and elders of every kind."""
from dataclasses import dataclass
from datetime import date

import pytest

from eldercare.extensions import db as _db
from eldercare.vouchers.models import VoucherPolicy, VoucherTier

from ..factories import CategoryFactory, CommunityFactory, DistrictFactory, ElderFactory, StreetFactory, UserFactory


@dataclass
class Town:
    district: object
    community: object
    meal: object
    policy: object
    bureau: object

    def elder(self, care_level="moderate", hardship="none", **kw):
        return ElderFactory(community_id=self.community.id, care_level=care_level, hardship=hardship,
                            hardship_since=date(2024, 1, 1) if hardship != "none" else None, **kw)


def make_policy(district, categories, *, carry_over_months=0, budget=None, name="海陵区养老服务券"):
    policy = VoucherPolicy(region_id=district.id, name=name, valid_from=date(2026, 1, 1), valid_to=None,
                           carry_over_months=carry_over_months, monthly_budget_fen=budget)
    policy.tiers = [VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000, copay_percent=30),
                    VoucherTier(care_level="severe", hardship="any", monthly_fen=40000, copay_percent=20),
                    VoucherTier(care_level="severe", hardship="dibao", monthly_fen=50000, copay_percent=10)]
    policy.categories = list(categories)
    _db.session.add(policy)
    _db.session.commit()
    return policy


@pytest.fixture
def town(db):
    district = DistrictFactory(name="海陵区")
    community = CommunityFactory(parent_id=StreetFactory(parent_id=district.id).id)
    meal = CategoryFactory(code="meal", name="助餐")
    return Town(district, community, meal, make_policy(district, [meal]),
                UserFactory(role="bureau", scope_region_id=district.id))
