"""The demo city's logins, as the README prints them, work in a real browser and land on their home pages."""
import re

import pytest
from playwright.sync_api import expect

from eldercare.demo.seed import DEMO_PASSWORD, seed_demo

from .test_smoke import log_in

pytestmark = pytest.mark.browser

# Demo login, role shown in the header, and a next step only that role's home page offers.
DEMO_LOGINS = [
    ("admin", "系统管理员", "管理账号"),
    ("bureau", "民政局", "审核服务商"),
    ("operator", "话务员/社区工作人员", "登记老人"),
    ("provider", "服务商管理员", "审核状态"),
    ("caregiver", "护理员", "今天的上门服务"),
    ("family", "家属", "为家人预约"),
    ("elder", "老人", "查看我的工单"),
]


def test_each_demo_login_reaches_its_home_page(page):
    seed_demo(20)
    for username, role_text, next_step in DEMO_LOGINS:
        log_in(page, username, DEMO_PASSWORD)
        expect(page).to_have_url(re.compile(r"/$"))
        expect(page.locator("header .who-role")).to_have_text(role_text)
        expect(page.locator("main")).to_contain_text(next_step)
        page.get_by_role("button", name="退出登录").click()
        expect(page).to_have_url(re.compile(r"/login$"))
