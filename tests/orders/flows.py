"""A voucher-paid order accepted by a provider, with its caregiver's login and the elder's family: the
starting point of the lifecycle and notification tests."""
from datetime import date, timedelta

import pytest
import time_machine

from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.vouchers import ledger
from eldercare.vouchers.models import VoucherPolicy, VoucherTier

from ..factories import UserFactory
from ..vouchers.issuing import issue
from .conftest import next_monday


@pytest.fixture
def flow(api, city):
    """A voucher-paid order accepted by a provider, its caregiver with a login, and the elder's family."""
    policy = VoucherPolicy(region_id=city.district.id, name="券", valid_from=date(2026, 1, 1),
                           tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000,
                                              copay_percent=30)], categories=[city.meal])
    city.elder.care_level = "moderate"
    db.session.add(policy)
    db.session.commit()
    start = next_monday()
    issue(f"{start:%Y-%m}")  # in its month: only the current month can be issued
    provider = city.provider("一", caregivers=1)
    carer_user = UserFactory(role="caregiver", provider_id=provider.id)
    provider.team[0].user_id = carer_user.id
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=city.elder.id, user_id=family.id, relation="儿子"))
    db.session.commit()
    order = api.as_(family).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": start.isoformat(),
        "pay_with": "voucher"}).json
    accepted = api.as_(provider.admin).post(f"/api/v1/orders/{order['id']}/accept",
                                            json={"caregiver_id": provider.team[0].id})
    assert accepted.status_code == 200
    return dict(api=api, city=city, order=order, provider=provider, carer=carer_user, family=family, start=start)


def post(f, who, action, **body):
    return f["api"].as_(who).post(f"/api/v1/orders/{f['order']['id']}/{action}", json=body)


def leave_available(elder_id: int, fen: int) -> None:
    """Hold all of the elder's available vouchers but `fen`, as earlier bookings would have."""
    available, held = ledger.account("elder_available", elder_id), ledger.account("elder_held", elder_id)
    spend = available.balance_fen - fen
    ledger.post("hold", "test:spend", [(available, -spend), (held, spend)], elder_id=elder_id)
    db.session.commit()


def balances(f):
    elder = f["city"].elder.id
    return (ledger.account("elder_available", elder).balance_fen, ledger.account("elder_held", elder).balance_fen,
            ledger.account("provider_payable", f["provider"].id).balance_fen)


def visit(f, minutes=30):
    with time_machine.travel(f["start"] + timedelta(minutes=minutes + 5)):
        r = post(f, f["carer"], "check-in", lat=32.4901, lng=119.9301, at=f["start"].isoformat())
        assert r.status_code == 200, r.json
        r = post(f, f["carer"], "check-out", lat=32.4901, lng=119.9301, service_note="送餐并协助进食",
                 at=(f["start"] + timedelta(minutes=minutes)).isoformat())
        assert r.status_code == 200, r.json
        return r.json
