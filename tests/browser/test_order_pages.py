"""In a real browser: the family books a meal in three steps and finds it in "my orders"; the caregiver sets
out and checks in, the page taking the position the browser gives; an operator finds an order nobody took in the
queue and offers it to a provider from its page. axe-core (vendored) finds no serious or critical violation."""
import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from eldercare.extensions import db
from eldercare.orders.models import WorkOrder

from ..orders.test_pages import escalate_after_rejections
from .conftest import axe_violations
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser


def test_the_family_books_in_three_steps_and_sees_the_order(page, flow, console_errors):
    f = flow
    log_in(page, f["family"].username)
    page.get_by_role("link", name="预约服务").first.click()
    expect(page.locator("[aria-current=step]")).to_contain_text("第 1 步")
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("link", name=re.compile(f["city"].lunch.name)).click()
    expect(page.locator("[aria-current=step]")).to_contain_text("第 2 步")
    start = f["start"]
    page.get_by_label(re.compile(f"{start.month}月{start.day}日")).check()
    page.get_by_label("11:00").check()
    page.get_by_label("给护理员的留言（可不填）").fill("少放盐")
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="下一步：核对并确认").click()
    expect(page.locator("[aria-current=step]")).to_contain_text("第 3 步")
    voucher = page.get_by_label(re.compile("服务券支付 10.50 元"))
    expect(voucher).to_be_checked()
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="确认预约").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("我的工单")
    expect(page.get_by_role("alert")).to_contain_text("已预约")
    expect(page.locator(".order-card").first).to_contain_text(f["city"].lunch.name)
    assert console_errors == []


def test_the_caregiver_checks_in_with_the_browsers_position(page, flow, live_server, console_errors):
    f = flow
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation({"latitude": 32.4901, "longitude": 119.9301})
    # The live server runs in this process, so the clock moved here is the one its pages read: five minutes
    # before the visit, on its day whatever the real hour (near midnight "today" would otherwise turn).
    with time_machine.travel(f["start"] - timedelta(minutes=5), tick=True):
        log_in(page, f["carer"].username)
        page.get_by_role("link", name="打开今天的上门服务").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("今天的上门服务")
        assert_big_enough(page)
        assert axe_violations(page) == []  # before setting out; after checking in: test_door_payment.py
        page.get_by_role("button", name="我已出发").click()
        expect(page.get_by_role("alert")).to_contain_text("正在路上")
        # A new page: its visit.js must have run, or the click sends the form without a position (under load
        # it did, and the server answered that the position was missing).
        page.wait_for_load_state("load")
        page.get_by_role("button", name="签到：我已到达").click()
        expect(page.get_by_role("alert")).to_contain_text("已签到")
        expect(page.get_by_role("button", name="签退：服务已完成")).to_be_visible()
        order = db.session.get(WorkOrder, f["order"]["id"])
        db.session.refresh(order)
        assert order.status == "in_service" and order.check_in_distance_m < 50
    assert console_errors == []


def test_without_a_position_the_page_says_what_to_do(page, flow, console_errors):
    f = flow
    page.context.clear_permissions()
    with time_machine.travel(f["start"], tick=True):  # the visit's time, on its day (see above)
        log_in(page, f["carer"].username)
        page.goto("/caregiver/today")
        page.get_by_role("button", name="签到：我已到达").click()
        expect(page.locator("[data-position-status]")).to_contain_text("无法获取您的位置")
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "accepted"


def test_the_operator_offers_an_escalated_order_to_a_provider_from_its_page(page, api, city, console_errors):
    order = escalate_after_rejections(api, city)
    log_in(page, city.operator.username)
    page.goto("/orders/queue")
    expect(page.locator("tr.order-row")).to_have_count(1)
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.locator(f'a[href="/orders/{order.id}"]').click()
    # Escalated: the providers to call and offer it to, and the forms to move or cancel the visit.
    expect(page.get_by_role("button", name="派给近护")).to_be_visible()
    expect(page.get_by_role("button", name="改约服务时间")).to_be_visible()
    expect(page.get_by_role("button", name="取消工单")).to_be_visible()
    assert_big_enough(page)
    assert axe_violations(page) == []
    page.get_by_role("button", name="派给近护").click()
    expect(page.get_by_role("alert")).to_contain_text("已派给该服务商")
    assert axe_violations(page) == []
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "dispatched"
    assert console_errors == []
