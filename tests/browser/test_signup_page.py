"""In a real browser: a family member finds the sign-up from the login page, opens an account and lands on the
family's home page; axe-core finds no serious or critical violation on the way."""
import re

import pytest
from playwright.sync_api import expect

from .conftest import axe_violations

pytestmark = pytest.mark.browser


def test_a_family_member_signs_up_from_the_login_page(page, console_errors):
    page.goto("/login")
    page.get_by_role("link", name=re.compile("还没有账号")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("注册账号")
    assert axe_violations(page) == []
    page.get_by_label("老人的家属").check()
    page.get_by_label(re.compile("^用户名")).fill("zhangmin")
    page.get_by_label(re.compile("^密码")).fill("short")
    page.get_by_label(re.compile("^手机号码")).fill("13912345678")
    page.get_by_role("button", name="注册").click()
    expect(page.locator("#password-error")).to_contain_text("至少需要8个字符")
    assert axe_violations(page) == []
    page.get_by_label(re.compile("^密码")).fill("张敏-安康-2026")
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_role("alert")).to_contain_text("账号已开通")
    expect(page.locator("header .who-role")).to_have_text("家属")
    # The refused form came back as 422, which Chromium logs as a failed resource: nothing else may be there.
    assert [e for e in console_errors if "status of 422" not in e] == []
