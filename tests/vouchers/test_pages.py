"""Voucher pages: the elder's account in plain words, the bureau's month of issuance."""
import pytest

from eldercare import clock
from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.vouchers import issuance

from ..factories import UserFactory


@pytest.fixture
def period() -> str:
    """This month in Beijing when the test runs (read once at import, it was last month after a month's turn)."""
    return str(clock.this_month())


def test_the_family_sees_the_balance_and_history_of_a_linked_elder(pages, town, period):
    elder = town.elder("severe", "dibao")
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    issuance.issue_period(period)
    pages.login(family.username)
    html = pages.client.get(f"/elders/{elder.id}/vouchers").get_data(as_text=True)
    assert "500.00" in html and "每月服务券" in html and "+500.00" in html
    other = town.elder()
    assert pages.client.get(f"/elders/{other.id}/vouchers").status_code == 404


def test_the_bureau_sees_the_month_and_issues_it_from_the_page(pages, town, period):
    town.elder("moderate")
    town.elder("severe", "dibao")
    town.elder(None)
    pages.login(town.bureau.username)
    before = pages.client.get(f"/bureau/vouchers?period={period}").get_data(as_text=True)
    assert "尚未发放" in before
    response = pages.client.post(f"/bureau/vouchers?period={period}",
                                 data={"csrf_token": pages.token(f"/bureau/vouchers?period={period}")})
    assert response.status_code == 302
    after = pages.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "800.00" in after  # 300.00 + 500.00
    assert "中度失能" in after and "重度失能" in after


def test_only_the_bureau_opens_the_issuance_page(pages, town):
    pages.login(UserFactory(role="operator").username)
    assert pages.client.get("/bureau/vouchers").status_code == 403


def test_the_bureau_saves_a_policy_from_the_page_and_overlaps_are_explained(pages, town):
    from eldercare.vouchers.models import VoucherPolicy

    town.policy.valid_to = town.policy.valid_from.replace(month=12)
    db.session.commit()
    pages.login(town.bureau.username)
    page = "/bureau/voucher-policies"
    form = {"csrf_token": pages.token(page), "region_id": str(town.district.id), "name": "2027年服务券",
            "valid_from": "2027-01", "valid_to": "", "carry_over_months": "1", "monthly_budget_yuan": "100000",
            "fen_moderate_any": "300", "copay_moderate_any": "30", "fen_severe_dibao": "500",
            "copay_severe_dibao": "10", "categories": ["meal"]}
    assert pages.client.post(page, data=form).status_code == 302
    saved = db.session.scalar(db.select(VoucherPolicy).where(VoucherPolicy.name == "2027年服务券"))
    assert saved.monthly_budget_fen == 10_000_000 and saved.carry_over_months == 1
    assert sorted((t.care_level, t.hardship, t.monthly_fen, t.copay_percent) for t in saved.tiers) == [
        ("moderate", "any", 30000, 30), ("severe", "dibao", 50000, 10)]
    html = pages.client.get(page).get_data(as_text=True)
    assert "2027年服务券" in html and "500.00" in html
    again = pages.client.post(page, data=form | {"csrf_token": pages.token(page), "name": "重复"})
    assert again.status_code == 422 and "2027年服务券" in again.get_data(as_text=True)
