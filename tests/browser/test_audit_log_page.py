"""The bureau's audit log page in a real browser: reached from the bureau's home, Chinese by default, big enough
to read and touch, and its button checks the chain and says so."""
import re

import pytest
from playwright.sync_api import expect

from eldercare.audit.services import record
from eldercare.extensions import db

from ..factories import UserFactory
from .conftest import axe_violations
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser


def test_the_bureau_opens_the_audit_log_from_home_and_checks_the_chain(page, console_errors):
    bureau = UserFactory(role="bureau")
    record("user.updated", bureau, actor=bureau, before={"phone": None}, after={"phone": "13912345678"})
    db.session.commit()
    log_in(page, bureau.username)
    page.get_by_role("link", name="打开审计日志").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("审计日志")
    expect(page.locator("table.data")).to_contain_text("user.updated")
    expect(page.locator("table.data")).to_contain_text("auth.login")  # this very login
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="立即核验日志").click()
    expect(page.get_by_role("status")).to_contain_text("日志完好")
    page.get_by_role("link", name="返回首页").click()
    expect(page).to_have_url(re.compile(r"/$"))
    assert console_errors == []
