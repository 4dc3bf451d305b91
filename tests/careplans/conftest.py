"""The order tests' small city, with vouchers issued, a provider with two caregivers, and the elder's family."""
from datetime import date, timedelta

import pytest

from eldercare.elders.models import FamilyLink
from eldercare.extensions import db as _db
from eldercare.vouchers.models import VoucherPolicy, VoucherTier

from ..factories import UserFactory
from ..orders.conftest import city, next_monday  # noqa: F401  the city fixture
from ..vouchers.issuing import issue


@pytest.fixture
def setting(api, city):  # noqa: F811
    policy = VoucherPolicy(region_id=city.district.id, name="券", valid_from=date(2026, 1, 1),
                           tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000,
                                              copay_percent=30)], categories=[city.meal])
    city.elder.care_level = "moderate"
    _db.session.add(policy)
    _db.session.commit()
    monday = next_monday().date()
    for month in {monday.strftime("%Y-%m"), (monday + timedelta(days=21)).strftime("%Y-%m")}:
        issue(month)  # in its month: only the current month can be issued
    provider = city.provider("一", caregivers=2)
    family = UserFactory(role="family")
    _db.session.add(FamilyLink(elder_id=city.elder.id, user_id=family.id, relation="女儿"))
    _db.session.commit()
    return dict(api=api, city=city, provider=provider, family=family, monday=monday)
