"""The service points' lists in a real browser: the provider's list of its points and a point's form, the point
staff's list of their counters; axe-core (vendored) finds no serious or critical violation on any of them."""
import re

import pytest
from playwright.sync_api import expect

from ..factories import UserFactory
from ..servicepoints.conftest import counter, lunchtime  # noqa: F401  the canteen at lunchtime
from .conftest import axe_violations
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser


def test_the_providers_points_and_the_staffs_counters(page, counter, console_errors):  # noqa: F811
    admin = UserFactory(role="provider_admin", provider_id=counter.point.provider_id)
    log_in(page, admin.username)
    page.goto("/provider/points")
    expect(page.get_by_role("heading", level=1)).to_have_text("您的服务点")
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("link", name=counter.point.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(counter.point.name)
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="退出登录").click()

    log_in(page, counter.staff.username)
    page.goto("/points")
    expect(page.get_by_role("heading", level=1)).to_have_text("您的服务点")
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("link", name="打开服务台").click()
    expect(page).to_have_url(re.compile(rf"/points/{counter.point.id}/counter$"))
    assert console_errors == []
