"""Every new page of the order's life opens in a real browser without errors and with targets big enough to
touch: my orders, notifications, the provider's queue, planned work and roster, the care plans with their
calendar; the bureau's voucher policies and issuance, hardship import and provider review. axe-core (vendored)
finds no serious or critical violation on any of them."""
import pytest
from playwright.sync_api import expect

from eldercare import clock

from .conftest import axe_violations
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser


def test_the_family_pages(page, flow, console_errors):
    f = flow
    log_in(page, f["family"].username)
    for path, heading in (("/my/orders", "我的工单"), ("/notifications", "通知"),
                          (f"/care-plans?elder_id={f['city'].elder.id}", f"{f['city'].elder.name}的护理计划")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_big_enough(page)
        assert axe_violations(page) == [], path
    page.get_by_role("link", name="通知").first.click()
    expect(page.locator(".notification").first).to_contain_text(f["provider"].name)
    assert console_errors == []


def test_the_provider_pages(page, flow, console_errors):
    f = flow
    made = f["api"].as_(f["city"].bureau).post("/api/v1/care-plans", json={
        "elder_id": f["city"].elder.id, "item_id": f["city"].lunch.id, "provider_id": f["provider"].id,
        "rule": {"freq": "daily", "time": "08:30"}, "start_date": clock.today().isoformat(), "pay_with": "self"})
    assert made.status_code == 201, made.json  # two weeks of planned work
    log_in(page, f["provider"].admin.username)
    for path, heading in (("/provider/orders", "工单"), ("/provider/planned", "未来两周计划中的服务"),
                          ("/provider/caregivers", "护理员名册"), ("/provider/application", f["provider"].name)):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_big_enough(page)
        assert axe_violations(page) == [], path
    page.goto("/provider/planned")
    expect(page.locator("main")).to_contain_text("08:30")
    assert console_errors == []


def test_the_bureau_pages(page, flow, console_errors):
    f = flow
    log_in(page, f["city"].bureau.username)
    for path, heading in (("/bureau/voucher-policies", "服务券政策"), ("/bureau/vouchers", "服务券发放"),
                          ("/bureau/hardship-import", "导入困难人员名册"), ("/bureau/providers", "审核服务商"),
                          (f"/bureau/providers/{f['provider'].id}", f["provider"].name)):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_big_enough(page)
        assert axe_violations(page) == [], path
    page.goto("/bureau/voucher-policies")
    expect(page.get_by_role("heading", level=2, name="券", exact=True)).to_be_visible()  # the flow's policy
    page.get_by_role("button", name="保存政策").click()  # nothing filled in: the form with its errors
    expect(page.locator("main [role=alert]")).to_be_visible()
    assert axe_violations(page) == []
    # The form with errors answers 422, which Chromium reports; nothing else may go wrong.
    assert [e for e in console_errors if "422 (UNPROCESSABLE ENTITY)" not in e] == []
