"""In a real browser: the admin goes from the home page to the accounts, opens an operator's account for a street,
and lands on its page; axe-core finds no serious or critical violation on the way."""
import pytest
from playwright.sync_api import expect

from eldercare.extensions import db

from ..factories import UserFactory
from .conftest import axe_violations
from .test_smoke import log_in

pytestmark = pytest.mark.browser


def test_the_admin_opens_an_account_from_the_home_page(page, city, console_errors):
    admin = UserFactory(role="admin")
    log_in(page, admin.username)
    page.get_by_role("link", name="打开账号管理").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("账号")
    assert axe_violations(page) == []
    page.get_by_role("link", name="开设新账号").click()
    assert axe_violations(page) == []
    page.get_by_label("角色").select_option("operator")
    page.get_by_label("用户名").fill("op-browser")
    page.get_by_label("密码").fill("话务-安康-2026")
    page.get_by_label("所在区域（民政局工作人员和话务员）").select_option(str(city.street.id))
    page.get_by_role("button", name="开设账号").click()
    expect(page.get_by_role("alert")).to_contain_text("已开设")
    expect(page.get_by_role("heading", level=1)).to_have_text("账号 op-browser")
    assert axe_violations(page) == []
    assert console_errors == []


def test_the_admin_changes_a_guide_price_from_the_home_page(page, city, console_errors):
    admin = UserFactory(role="admin")
    log_in(page, admin.username)
    page.get_by_role("link", name="打开服务目录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("服务目录")
    assert axe_violations(page) == []
    page.get_by_role("link", name=city.lunch.name).click()
    assert axe_violations(page) == []
    page.get_by_label("指导价（元/次）").fill("abc")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#price-error")).to_contain_text("请按元填写价格")
    assert axe_violations(page) == []
    page.get_by_label("指导价（元/次）").fill("16.80")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("已保存")
    db.session.refresh(city.lunch)
    assert city.lunch.price_fen == 1680
    assert [e for e in console_errors if "status of 422" not in e] == []  # the refused form came back as 422
