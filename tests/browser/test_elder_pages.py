"""An operator registers an elder through the pages, fixes a mistyped ID number, records a hospital stay (after a
confirmation page) and opens the elder's vouchers; axe-core (vendored) finds no serious or critical violation."""
import os
import re

import pytest
from playwright.sync_api import expect

from eldercare import clock

from ..elders.conftest import payload
from ..factories import CommunityFactory, DistrictFactory, StreetFactory, UserFactory
from .conftest import axe_violations
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser
SCREENSHOTS = os.environ.get("YIYANG_SCREENSHOTS")  # a folder to keep screenshots in, for a human look


def test_operator_registers_an_elder_and_records_a_hospital_stay(page, console_errors):
    district = DistrictFactory(name="海陵区")
    street = StreetFactory(parent_id=district.id, name="城东街道")
    community = CommunityFactory(parent_id=street.id, name="幸福社区", lat=32.49, lng=119.93)
    UserFactory(username="op1", role="operator", scope_region_id=street.id)
    data = payload(community.id)

    log_in(page, "op1")
    page.get_by_role("link", name="登记老人").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登记老人")
    assert_big_enough(page)
    assert axe_violations(page) == []

    page.get_by_label("姓名").first.fill(data["name"])
    page.get_by_label("居民身份证号码").fill(data["id_number"][:17] + ("0" if data["id_number"][17] != "0" else "1"))
    page.get_by_label("出生日期").fill(data["birth_date"])
    page.get_by_label("性别").select_option("F")
    page.get_by_label("社区").select_option(label="幸福社区")
    page.get_by_label("住址").fill(data["address"])
    page.get_by_label("独居").check()
    page.get_by_role("button", name="登记", exact=True).click()

    id_field = page.get_by_label("居民身份证号码")
    expect(id_field).to_have_attribute("aria-invalid", "true")
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/elder-form-errors.png", full_page=True)
    expect(page.locator("#id_number-error")).to_contain_text("校验位错误")
    assert axe_violations(page) == []  # the form with its errors
    expect(page.get_by_label("住址")).to_have_value(data["address"])  # nothing typed is lost
    id_field.fill(data["id_number"])
    page.get_by_role("button", name="登记", exact=True).click()

    expect(page.get_by_role("alert")).to_have_text(f"{data['name']}已登记。")
    expect(page.get_by_role("heading", level=1)).to_have_text(data["name"])
    expect(page.locator("main")).to_contain_text("3212**********" + data["id_number"][-4:])
    assert_big_enough(page)
    assert axe_violations(page) == []

    page.get_by_label("事件").select_option(label="住院")
    page.get_by_label("发生日期").fill(clock.today().isoformat())
    page.get_by_role("button", name="登记", exact=True).click()
    # It takes effect at once, so the page says what it will do and asks again.
    expect(page.get_by_role("heading", level=1)).to_have_text("确认登记事件")
    expect(page.locator("main")).to_contain_text("不能再为这位老人预约服务")
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="确认登记").click()
    expect(page.get_by_role("status")).to_contain_text("状态：住院中。")
    expect(page.locator("main")).to_contain_text("在册 → 住院中")
    assert axe_violations(page) == []
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/elder-profile.png", full_page=True)

    page.goto("/elders?q=" + data["id_number"][-4:])
    expect(page.get_by_role("link", name=data["name"])).to_be_visible()
    expect(page.locator("table.data")).to_contain_text("住院中")
    assert_big_enough(page)
    assert axe_violations(page) == []

    page.get_by_role("link", name=data["name"]).click()
    page.get_by_role("link", name="养老服务券", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(data["name"])
    assert_big_enough(page)
    assert axe_violations(page) == []
    # The form with errors answers 422, which Chromium reports; nothing else may go wrong.
    assert [e for e in console_errors if "422 (UNPROCESSABLE ENTITY)" not in e] == []
    expect(page).to_have_url(re.compile(r"/elders/\d+/vouchers$"))
