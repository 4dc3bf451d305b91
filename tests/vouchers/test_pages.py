"""Voucher pages: the elder's account in plain words, the bureau's month of issuance."""
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import func, select

from eldercare.clock import LOCAL
from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.vouchers.models import VoucherGrant

from ..factories import UserFactory
from .issuing import issue

PERIOD = "2026-11"


@pytest.fixture(autouse=True)
def november():
    """A fixed moment in the month the pages show and issue."""
    with time_machine.travel(datetime(2026, 11, 28, 20, 30, tzinfo=LOCAL)):
        yield


def test_the_family_sees_the_balance_and_history_of_a_linked_elder(pages, town):
    elder = town.elder("severe", "dibao")
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    issue(PERIOD)
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
    token = pages.token(f"/bureau/vouchers?period={PERIOD}")
    asked = pages.client.post(f"/bureau/vouchers?period={PERIOD}", data={"csrf_token": token})
    assert asked.status_code == 200 and "是的，发放" in asked.get_data(as_text=True)  # money: asked once more
    assert db.session.scalar(select(func.count()).select_from(VoucherGrant)) == 0
    response = pages.client.post(f"/bureau/vouchers?period={PERIOD}", data={"csrf_token": token, "confirmed": "yes"})
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


@pytest.mark.parametrize("event, status", [("hospital_admission", "住院"), ("death", "已故")])
def test_a_suspended_elders_vouchers_are_shown_as_suspended_not_to_spend(api, pages, town, event, status):
    elder = town.elder("moderate")
    issue(PERIOD)
    operator = UserFactory(role="operator", scope_region_id=town.community.parent_id)
    pages.login(operator.username)
    html = pages.client.get(f"/elders/{elder.id}/vouchers").get_data(as_text=True)
    assert "可用余额" in html and "已暂停" not in html
    assert api.as_(operator).get(f"/api/v1/elders/{elder.id}/voucher-account").json["suspended"] is False
    recorded = api.as_(operator).post(f"/api/v1/elders/{elder.id}/events",
                                      json={"kind": event, "occurred_on": "2026-11-27"})
    assert recorded.status_code == 201, recorded.json
    html = pages.client.get(f"/elders/{elder.id}/vouchers").get_data(as_text=True)
    assert "可用余额" not in html  # nothing is to spend while vouchers are suspended
    assert "已暂停" in html and "300.00" in html and status in html
    english = pages.client.get(f"/elders/{elder.id}/vouchers?lang=en").get_data(as_text=True)
    assert "To spend now" not in english and "Suspended" in english
    account = api.as_(operator).get(f"/api/v1/elders/{elder.id}/voucher-account").json
    assert account["suspended"] is True and (account["balance_fen"], account["held_fen"]) == (30000, 0)


@pytest.mark.parametrize(("carry_over", "until"), [(0, "2026年11月30日"), (1, "2026年12月31日")])
def test_the_balance_reads_in_plain_words_on_the_vouchers_page_and_the_elders_home(pages, town, carry_over, until):
    town.policy.carry_over_months = carry_over
    elder = town.elder("moderate")
    user = UserFactory(role="elder")
    elder.user_id = user.id
    db.session.commit()
    issue(PERIOD)
    pages.login(user.username)
    html = pages.client.get(f"/elders/{elder.id}/vouchers").get_data(as_text=True)
    assert "已预约占用" in html and f"本月的服务券可以用到</dt><dd>{until}" in html and "本月发放" in html
    assert "冻结" not in html and "个月后过期" not in html and "月底过期" not in html
    home = pages.client.get("/").get_data(as_text=True)
    assert "服务券可用：300.00 元" in home and f"本月的服务券可以用到{until}" in home
    assert f'href="/elders/{elder.id}/vouchers"' in home


def test_a_suspended_elders_home_says_the_vouchers_are_suspended(api, pages, town):
    elder = town.elder("moderate")
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    issue(PERIOD)
    operator = UserFactory(role="operator", scope_region_id=town.community.parent_id)
    assert api.as_(operator).post(f"/api/v1/elders/{elder.id}/events",
                                  json={"kind": "hospital_admission", "occurred_on": "2026-11-27"}).status_code == 201
    pages.login(family.username)
    home = pages.client.get("/").get_data(as_text=True)
    assert "服务券：300.00 元，已暂停（现在不能使用）" in home and "服务券可用" not in home
