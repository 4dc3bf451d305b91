"""The bureau's audit pages in a real browser: the findings queue and a case with its map open without errors,
big enough to read and touch, and pass axe-core's checks (no serious or critical violation); so do a follow-up
sample drawn through its form and the street operator's call list."""
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from eldercare.audit import rules, samples
from eldercare.audit.findings import AuditCase
from eldercare.extensions import db

from ..audit.conftest import DAY, NOW, at, world  # noqa: F401  the audit tests' district
from ..factories import UserFactory
from .conftest import axe_violations
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def frozen():
    """The audit tests' moment, with the clock running (the browser and the live server wait on it)."""
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture
def flagged_case(world):  # noqa: F811
    order = world.visit(start=at(DAY, 8), minutes=5, in_m=450, out_m=120)
    world.visit(start=at(DAY, 8, 2), minutes=30, elder=world.elder(1))
    rules.scan(DAY, DAY)
    db.session.commit()
    return db.session.scalar(select(AuditCase).where(AuditCase.order_id == order.id))


def open_pages(page, world, case):  # noqa: F811
    log_in(page, world.bureau.username)
    page.goto("/")
    page.get_by_role("link", name="查看稽核发现").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("稽核发现")
    expect(page.locator("tr.finding")).to_have_count(4)  # two overlapping, one too short, one too far
    assert_big_enough(page)
    page.get_by_label("规则").select_option("far_from_home")
    page.get_by_role("button", name="显示").click()
    expect(page.locator("tr.finding")).to_have_count(1)
    page.get_by_role("link", name=f"案件 {case.id}").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"案件 {case.id}")
    expect(page.get_by_role("img", name="老人住址及签到、签退位置示意图")).to_be_visible()
    assert_big_enough(page)


def test_the_findings_queue_and_a_case(page, world, flagged_case, console_errors):  # noqa: F811
    open_pages(page, world, flagged_case)
    page.get_by_label("排除：服务正常").check()
    page.get_by_label("说明（核查情况）").fill("家属确认服务提前结束")
    page.get_by_role("button", name="记录决定").click()
    expect(page.get_by_role("status")).to_contain_text("已排除")
    assert console_errors == []


def test_the_audit_pages_pass_axe(page, world, flagged_case):  # noqa: F811
    log_in(page, world.bureau.username)
    for path in ("/audit/findings", f"/audit/cases/{flagged_case.id}", "/audit/samples"):
        page.goto(path)
        assert axe_violations(page) == [], path


def test_a_sample_and_its_call_list_pass_axe(page, world, console_errors):  # noqa: F811
    carer = world.caregiver("刘")
    for n in range(12):  # confirmed visits of November: the frame the sample is drawn from
        world.visit(carer, start=at(DAY, 6) + timedelta(minutes=15 * n), minutes=10, status="confirmed",
                    elder=world.elder(n % 3), commit=False)
    db.session.commit()
    log_in(page, world.bureau.username)
    page.goto("/audit/samples")
    assert axe_violations(page) == []
    page.locator("#provider_id").select_option(str(world.provider.id))
    page.locator("#period").fill("2026-11")
    page.locator("#seed").fill("42")
    page.get_by_role("button", name="抽取样本").click()
    sample = db.session.scalar(select(samples.FollowUpSample))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"抽样 {sample.id}")
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="退出登录").click()

    operator = UserFactory(role="operator", scope_region_id=world.street.id)
    log_in(page, operator.username)
    page.goto("/audit/calls")
    expect(page.get_by_role("heading", level=1)).to_have_text("回访")
    assert axe_violations(page) == []
    page.locator(f'a[href="/audit/samples/{sample.id}/calls"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"抽样 {sample.id} 的回访名单")
    assert_big_enough(page)
    assert axe_violations(page) == []
    assert console_errors == []
