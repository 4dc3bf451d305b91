"""The bureau's coverage map in a real browser: opened from the home page, the map and its table readable, big
enough to touch, no console error (nothing inline for the CSP to refuse), and axe-core finds no serious or
critical violation."""
import pytest
from playwright.sync_api import expect

from ..coverage.conftest import coverage_city  # noqa: F401  the small city with known geometry
from .conftest import axe_violations
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser


def test_the_bureau_opens_the_coverage_map(page, coverage_city, console_errors):  # noqa: F811
    log_in(page, coverage_city.bureau.username)
    page.goto("/")
    page.get_by_role("link", name="查看覆盖地图").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("15分钟养老服务圈")
    expect(page.get_by_role("img", name="15分钟养老服务圈地图")).to_be_visible()
    rows = page.locator("tr.community-row")
    expect(rows).to_have_count(4)
    expect(rows.first.get_by_role("rowheader")).to_have_text("远郊社区")
    expect(rows.first).to_contain_text("圈内无服务")
    assert page.locator("svg[role=img] circle.community-none").count() == 1
    assert_big_enough(page)
    page.get_by_label("显示区域").select_option(str(coverage_city.other_street.id))
    page.get_by_role("button", name="显示").click()
    expect(rows).to_have_count(1)
    assert console_errors == []


def test_the_coverage_map_passes_axe(page, coverage_city):  # noqa: F811
    log_in(page, coverage_city.bureau.username)
    for path in ("/bureau/coverage", "/bureau/coverage?lang=en"):
        page.goto(path)
        assert axe_violations(page) == [], path
    page.screenshot(path="/tmp/coverage_map.png", full_page=True)
