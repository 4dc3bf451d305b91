"""Voucher pages: the elder's account in plain words, the bureau's month of issuance."""
from datetime import datetime
from zoneinfo import ZoneInfo

from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.vouchers import issuance

from ..factories import UserFactory

PERIOD = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")


def test_the_family_sees_the_balance_and_history_of_a_linked_elder(pages, town):
    elder = town.elder("severe", "dibao")
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    issuance.issue_period(PERIOD)
    pages.login(family.username)
    html = pages.client.get(f"/elders/{elder.id}/vouchers").get_data(as_text=True)
    assert "500.00" in html and "每月服务券" in html and "+500.00" in html
    other = town.elder()
    assert pages.client.get(f"/elders/{other.id}/vouchers").status_code == 404


def test_the_bureau_sees_the_month_and_issues_it_from_the_page(pages, town):
    town.elder("moderate")
    town.elder("severe", "dibao")
    town.elder(None)
    pages.login(town.bureau.username)
    before = pages.client.get(f"/bureau/vouchers?period={PERIOD}").get_data(as_text=True)
    assert "尚未发放" in before
    response = pages.client.post(f"/bureau/vouchers?period={PERIOD}",
                                 data={"csrf_token": pages.token(f"/bureau/vouchers?period={PERIOD}")})
    assert response.status_code == 302
    after = pages.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "800.00" in after  # 300.00 + 500.00
    assert "中度失能" in after and "重度失能" in after


def test_only_the_bureau_opens_the_issuance_page(pages, town):
    pages.login(UserFactory(role="operator").username)
    assert pages.client.get("/bureau/vouchers").status_code == 403
