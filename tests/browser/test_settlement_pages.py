"""In a real browser: a bureau officer settles November, a second officer opens the statement, is asked to
confirm and approves it, and the provider finds the statement approved and paid, with its visits."""
import pytest
import time_machine
from playwright.sync_api import expect

from ..settlement.conftest import EARLY_DECEMBER, at, town  # noqa: F401  the settlement tests' small district
from .conftest import axe_violations
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser


def log_out(page):
    page.get_by_role("button", name="退出登录").click()


def test_one_officer_generates_another_approves_and_the_provider_sees_it_paid(page, town, console_errors):  # noqa: F811
    a, _ = town.providers
    with time_machine.travel(EARLY_DECEMBER, tick=True):
        town.visit(a, at(3), copay_paid_fen=450)
        town.visit(a, at(5), status="disputed", dispute_reason="护理员没有来")

        log_in(page, town.officer.username)
        page.get_by_role("link", name="打开结算").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("2026-11 结算")
        assert_big_enough(page)
        assert axe_violations(page) == []
        page.get_by_role("button", name="结算 2026-11").click()
        expect(page.get_by_role("alert")).to_contain_text("已生成 1 份结算单")
        page.get_by_role("link", name="结算单 1").click()
        expect(page.get_by_text("您生成了这份结算单，须由另一位工作人员审批。")).to_be_visible()
        expect(page.get_by_role("link", name="审批这份结算单")).to_have_count(0)
        expect(page.locator("body")).to_contain_text("护理员没有来")
        assert_big_enough(page)
        assert axe_violations(page) == []
        log_out(page)

        log_in(page, town.second.username)
        page.goto("/bureau/settlements?period=2026-11")
        page.get_by_role("link", name="结算单 1").click()
        expect(page.locator("body")).to_contain_text("与服务券账本一致")
        page.get_by_role("link", name="审批这份结算单").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("审批结算单 1？")
        assert_big_enough(page)
        assert axe_violations(page) == []
        page.get_by_role("button", name="确认审批并支付 10.50 元").click()
        expect(page.get_by_role("alert")).to_contain_text("已审批")
        expect(page.locator("dl.facts")).to_contain_text("已审批：已支付")
        log_out(page)

        log_in(page, a.admin.username)
        page.get_by_role("link", name="查看我的结算").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("我的结算")
        expect(page.locator("table.data")).to_contain_text("已审批：已支付")
        assert_big_enough(page)
        assert axe_violations(page) == []
        page.get_by_role("link", name="结算单 1").click()
        expect(page.locator("table.data").last).to_contain_text("王*英")
        page.get_by_role("link", name="返回我的结算").click()
        page.get_by_role("link", name="查看已完成的服务").click()
        expect(page.locator("#completed")).to_have_text("已完成")
    assert console_errors == []
