"""In a real browser, one order from the door to the bureau's payment: on a November Monday the caregiver checks
in, records the 4.50 yuan co-pay the elder's son hands her (after a confirmation step) and checks out; the son
sees it paid and confirms the visit; early in December one bureau officer settles November, another approves
the statement, whose line shows the co-pay collected; the provider finds the statement approved and paid and
the visit among its completed work. Nothing on any page fails in the console."""
import re
from datetime import date, time, timedelta

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from eldercare import clock
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.payments.models import Payment
from eldercare.settlement.models import Statement

from ..factories import UserFactory
from ..settlement.conftest import EARLY_DECEMBER
from .conftest import axe_violations
from .test_settlement_pages import log_out
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser

# The order is booked on Sunday 15 November 2026 for the next morning (tests/orders/flows.py books "next Monday",
# 10:00 Beijing); November is settled on 3 December (EARLY_DECEMBER).
BOOKED = clock.at_local(date(2026, 11, 15), time(10, 0))


@pytest.fixture
def booked_in_november():
    with time_machine.travel(BOOKED, tick=True):
        yield


@pytest.fixture
def door(booked_in_november, flow):
    """The accepted voucher order of tests/orders/flows.py (15.00 yuan: 10.50 in vouchers, 4.50 co-pay), booked
    in November, and a second officer of the district to approve what the first generates."""
    assert flow["start"].month == 11 and flow["order"]["copay_fen"] == 450
    flow["second"] = UserFactory(role="bureau", scope_region_id=flow["city"].district.id, username="officer_b")
    return flow


def order_of(f) -> WorkOrder:
    db.session.expire_all()
    return db.session.get(WorkOrder, f["order"]["id"])


def test_a_co_pay_paid_at_the_door_reaches_an_approved_statement(page, door, live_server, console_errors):
    f = door
    order_id = f["order"]["id"]
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation({"latitude": 32.4901, "longitude": 119.9301})  # at the elder's door

    # The caregiver, Monday morning: she arrives and checks in (the live server reads this process's clock).
    with time_machine.travel(f["start"] - timedelta(minutes=5), tick=True):
        log_in(page, f["carer"].username)
        page.get_by_role("link", name="打开今天的上门服务").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("今天的上门服务")
        page.wait_for_load_state("load")  # visit.js must have run, or the form goes without a position
        page.get_by_role("button", name="签到：我已到达").click()
        expect(page.get_by_role("alert")).to_contain_text("已签到")
        card = page.locator(".order-card")
        expect(card).to_contain_text("个人自付：4.50 元，待支付")
        assert_big_enough(page)
        assert axe_violations(page) == []

        # The son hands her 4.50 yuan in cash: she writes it down, is shown what will be recorded, confirms.
        expect(page.get_by_label("收到金额（元）")).to_have_value("4.50")  # prefilled with what is due
        page.get_by_label("付款方式").select_option(label="现金")
        page.get_by_role("button", name="记录收到的自付款").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("确认收到的自付款")
        facts = page.locator("dl.facts")
        expect(facts).to_contain_text(f"工单 {order_id}")
        expect(facts).to_contain_text("4.50 元")
        expect(facts).to_contain_text("现金")
        assert_big_enough(page)
        assert axe_violations(page) == []
        assert db.session.scalars(select(Payment)).all() == []  # nothing written before the confirmation
        page.get_by_label("备注（可不填）").fill("老人儿子当面付的现金")
        page.get_by_role("button", name="确认，登记 4.50 元").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("今天的上门服务")
        expect(page.get_by_role("alert")).to_contain_text("已登记：收到 4.50 元（现金）。")
        expect(card).to_contain_text("个人自付：4.50 元，已支付")
        expect(page.get_by_role("button", name="记录收到的自付款")).to_have_count(0)  # nothing more is due

    # Half an hour later the meal is served and she checks out.
    with time_machine.travel(f["start"] + timedelta(minutes=35), tick=True):
        page.reload()
        page.wait_for_load_state("load")
        page.get_by_label("服务内容").fill("送餐并协助进食")
        page.get_by_role("button", name="签退：服务已完成").click()
        expect(page.get_by_role("alert")).to_contain_text("已签退")
        assert_big_enough(page)
        assert axe_violations(page) == []
        log_out(page)
    assert console_errors == []
    order = order_of(f)
    assert (order.status, order.copay_status, order.copay_paid_fen) == ("completed", "paid", 450)
    payment = db.session.scalars(select(Payment)).one()
    assert (payment.kind, payment.method, payment.amount_fen, payment.recorded_by_id) == (
        "offline", "cash", 450, f["carer"].id)

    # That evening the son sees the co-pay paid on the order's page and confirms the visit.
    with time_machine.travel(f["start"] + timedelta(hours=8), tick=True):
        log_in(page, f["family"].username)
        page.get_by_role("link", name="查看他们的工单").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("我的工单")
        page.get_by_role("link", name=f"工单 {order_id} 详情").click()
        copay = page.locator("section.copay")
        expect(copay.locator(".copay-status")).to_have_text("已支付")
        expect(copay).to_contain_text("还需支付0.00 元")
        expect(page.locator("table.payments")).to_contain_text("现金")
        assert_big_enough(page)
        assert axe_violations(page) == []
        page.get_by_role("link", name="返回我的工单").click()
        page.get_by_label("还想说的（可不填）").fill("准时，饭菜热乎")
        page.get_by_label(re.compile("5 星")).check()  # the rating starts unchosen: the family gives one
        page.get_by_role("button", name="确认服务").click()
        expect(page.get_by_role("alert")).to_contain_text("服务已确认")
        log_out(page)
    assert console_errors == []
    assert order_of(f).status == "confirmed"

    # Early December: officer A settles November; officer B checks the statement and approves it.
    with time_machine.travel(EARLY_DECEMBER, tick=True):
        log_in(page, f["city"].bureau.username)
        page.get_by_role("link", name="打开结算").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("2026-11 结算")
        page.get_by_role("button", name="结算 2026-11").click()
        expect(page.get_by_role("alert")).to_contain_text("已生成 1 份结算单")
        statement = db.session.scalars(select(Statement)).one()
        page.get_by_role("link", name=f"结算单 {statement.id}").click()
        expect(page.get_by_text("您生成了这份结算单，须由另一位工作人员审批。")).to_be_visible()
        assert_big_enough(page)
        assert axe_violations(page) == []
        log_out(page)

        log_in(page, f["second"].username)
        page.get_by_role("link", name="打开结算").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("2026-11 结算")  # last month, by default
        page.get_by_role("link", name=f"结算单 {statement.id}").click()
        expect(page.locator("body")).to_contain_text("与服务券账本一致")
        line = page.locator("table.data").last.locator("tr", has_text=str(order_id))
        expect(line).to_contain_text("10.50")
        expect(line).to_contain_text("4.50")
        expect(line.locator("td").last).to_have_text("已收")  # the co-pay, collected at the door
        expect(page.locator("dl.facts")).to_contain_text(re.compile(r"自付是否已收\s*4\.50 元"))
        page.get_by_role("link", name="审批这份结算单").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"审批结算单 {statement.id}？")
        assert_big_enough(page)
        assert axe_violations(page) == []
        page.get_by_role("button", name="确认审批并支付 10.50 元").click()
        expect(page.get_by_role("alert")).to_contain_text("已审批")
        expect(page.locator("dl.facts")).to_contain_text("已审批：已支付")
        log_out(page)
    assert console_errors == []
    assert order_of(f).status == "settled"

    # The provider: the statement approved and paid, with the visit on it, and the visit among its completed work.
    with time_machine.travel(EARLY_DECEMBER + timedelta(hours=2), tick=True):
        log_in(page, f["provider"].admin.username)
        page.get_by_role("link", name="查看我的结算").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("我的结算")
        row = page.locator("table.data tr", has_text=f"结算单 {statement.id}")
        expect(row).to_contain_text("2026-11")
        expect(row).to_contain_text("已审批：已支付")
        assert_big_enough(page)
        assert axe_violations(page) == []
        page.get_by_role("link", name=f"结算单 {statement.id}").click()
        line = page.locator("table.data").last.locator("tr", has_text=str(order_id))
        expect(line.locator("td").last).to_have_text("已收")
        page.get_by_role("link", name="返回我的结算").click()
        page.get_by_role("link", name="查看已完成的服务").click()
        done = page.locator("#completed + .table-scroll table")
        visit = done.locator("tr", has=page.get_by_role("link", name=str(order_id), exact=True))
        expect(visit).to_contain_text("已结算")
        assert_big_enough(page)
        assert axe_violations(page) == []
    assert console_errors == []
