"""Every new page of the order's life opens in a real browser without errors and with targets big enough to
touch: my orders, notifications, the provider's queue and planned work, the care plans with their calendar."""
import pytest
from playwright.sync_api import expect

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
    page.get_by_role("link", name="通知").first.click()
    expect(page.locator(".notification").first).to_contain_text(f["provider"].name)
    assert console_errors == []


def test_the_provider_pages(page, flow, console_errors):
    f = flow
    log_in(page, f["provider"].admin.username)
    for path, heading in (("/provider/orders", "工单"), ("/provider/planned", "未来两周计划中的服务")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_big_enough(page)
    assert console_errors == []
