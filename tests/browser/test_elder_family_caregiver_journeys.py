"""The elder's, the family's and the caregiver's journeys through the pages (issue 18), clicked from each home page
at a phone's width and a desktop's, with axe-core on every page (both text sizes) and the effect checked in the
database. Booking in three taps is test_booking_taps.py's.

- The elder and the family: the home page's voucher balance in plain words, then the vouchers page; their orders,
  an order's page with its status in plain words, cancelling it there (a confirmation page first: only its
  button cancels, and the vouchers held go back); a finished visit confirmed with a rating chosen (none is
  chosen before).
- The family's care plans for an elder without vouchers: the form pays by the family by default and says why
  beside the choice, before anything is sent; the calendar pages to the next month and back; the plan is made.
- The caregiver: today's visits and the coming week's, each with the elder's phone, address and map links; "I am
  on my way" turns the status into "on the way"; a check-in 5.9 km from home is recorded, the caregiver is told
  and the audit log keeps it.

Everything happens on Sunday 15 November 2026 (the visits are the next Monday, tests/orders/flows.py), the live
server reading this process's clock."""
import os
import re
from datetime import date, time, timedelta

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from eldercare import clock
from eldercare.audit.models import AuditEvent
from eldercare.careplans.models import CarePlan
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.vouchers import ledger

from ..factories import UserFactory
from .conftest import axe_violations
from .test_booking_taps import WIDTHS
from .test_smoke import log_in

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("YIYANG_SCREENSHOTS")  # a folder to keep screenshots in, for a human look
SUNDAY = clock.at_local(date(2026, 11, 15), time(9, 0))
PHONE = "13812345678"
FAR_NORTH = 32.49 + 5.9 / 111.0  # 5.9 km north of the elder's home (tests/orders/conftest.py HOME)


@pytest.fixture
def sunday():
    with time_machine.travel(SUNDAY, tick=True):
        yield


@pytest.fixture
def journeys(sunday, flow):
    """The flow's accepted voucher order for Monday 10:00, the elder with a login and a phone number."""
    f = flow
    assert f["start"].date() == date(2026, 11, 16)
    f["elder_user"] = UserFactory(role="elder")
    f["city"].elder.user_id = f["elder_user"].id
    f["city"].elder.phone = PHONE
    db.session.commit()
    return f


def book(f, at: timedelta, pay_with="voucher") -> int:
    """An order for the elder, booked by the family for `at` after Monday 10:00 and accepted by the provider for
    its caregiver: its id."""
    order = f["api"].as_(f["family"]).post("/api/v1/orders", json={
        "elder_id": f["city"].elder.id, "item_id": f["city"].lunch.id, "pay_with": pay_with,
        "scheduled_start": (f["start"] + at).isoformat()})
    assert order.status_code == 201, order.json
    accepted = f["api"].as_(f["provider"].admin).post(f"/api/v1/orders/{order.json['id']}/accept",
                                                      json={"caregiver_id": f["provider"].team[0].id})
    assert accepted.status_code == 200, accepted.json
    return order.json["id"]


def finish(f, order_id: int) -> None:
    """The caregiver checks in and out at the door, at the order's time."""
    start = order(order_id).scheduled_start
    with time_machine.travel(start + timedelta(minutes=35)):
        for step, at in (("check-in", start), ("check-out", start + timedelta(minutes=30))):
            done = f["api"].as_(f["carer"]).post(f"/api/v1/orders/{order_id}/{step}", json={
                "lat": 32.4901, "lng": 119.9301, "at": at.isoformat()})
            assert done.status_code == 200, done.json


def order(order_id: int) -> WorkOrder:
    db.session.expire_all()
    return db.session.get(WorkOrder, order_id)


def available(elder_id: int) -> int:
    db.session.expire_all()
    return ledger.account("elder_available", elder_id).balance_fen


def keep(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def go_home(page):
    """Back to the home page the way every page offers: the site's name in the header."""
    page.locator("header .brand").click()
    expect(page).to_have_url(re.compile(r"/$"))


def test_elder_and_family_follow_cancel_confirm_and_rate_and_read_their_vouchers(page, journeys, console_errors):
    f = journeys
    elder = f["city"].elder
    use_by = clock.Month.of(clock.today()).last_day  # the flow's policy carries nothing over
    runs = [(who, width) for who in (f["elder_user"], f["family"]) for width in WIDTHS]
    # For each run: an order to cancel (the flow's, then more at other times) and a visit done to confirm.
    to_cancel = [f["order"]["id"]] + [book(f, timedelta(minutes=60 + 30 * n)) for n in range(len(runs) - 1)]
    to_rate = [book(f, timedelta(hours=4 + n)) for n in range(len(runs))]
    for order_id in to_rate:
        finish(f, order_id)
    for (who, width), cancel_id, rate_id, stars in zip(runs, to_cancel, to_rate, (4, 5, 3, 4), strict=True):
        where = (who.role, width)
        page.set_viewport_size(WIDTHS[width])
        log_in(page, who.username)
        expect(page).to_have_url(re.compile(r"/$"))
        assert axe_violations(page) == [], where

        # The balance in plain words on the home page, then the vouchers page.
        balance = page.locator(".voucher-balance")
        expect(balance).to_contain_text(f"服务券可用：{available(elder.id) / 100:.2f} 元")
        expect(balance).to_contain_text(f"本月的服务券可以用到{use_by.year}年{use_by.month}月{use_by.day}日")
        balance.get_by_role("link", name=f"查看{elder.name}的服务券").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(elder.name)
        main = page.locator("main")
        expect(main).to_contain_text("已预约占用")
        expect(main).to_contain_text(f"本月的服务券可以用到{use_by.year}年{use_by.month}月{use_by.day}日")
        expect(main).not_to_contain_text("冻结")
        expect(main).not_to_contain_text("过期")
        keep(page, f"vouchers-{who.role}-{width}")
        assert axe_violations(page) == [], where
        go_home(page)

        # An order from the home page: its page says where it stands in plain words; cancelling asks first.
        page.get_by_role("link", name=re.compile("查看(我|他们)的工单")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("我的工单")
        assert axe_violations(page) == [], where
        page.get_by_role("link", name=f"工单 {cancel_id} 详情").click()
        expect(page.locator("dd.order-status")).to_have_text("已安排好护理员")
        assert axe_violations(page) == [], where
        before = available(elder.id)
        page.get_by_label("取消原因").select_option(label="计划有变")
        page.get_by_role("button", name="取消这个工单").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("要取消这个工单吗？")
        expect(page.locator("main")).to_contain_text("10.50 元服务券会退回余额")
        keep(page, f"cancel-confirm-{who.role}-{width}")
        assert axe_violations(page) == [], where
        assert order(cancel_id).status == "accepted" and available(elder.id) == before  # only asked so far
        page.get_by_role("button", name="是的，取消这个工单").click()
        expect(page.get_by_role("alert")).to_contain_text("工单已取消")
        expect(page.locator("dd.order-status")).to_have_text("已取消")
        assert axe_violations(page) == [], where
        cancelled = order(cancel_id)
        assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "计划有变")
        assert available(elder.id) == before + 1050  # the voucher hold released
        assert ledger.check().ok

        # The finished visit: confirmed with the stars chosen, none chosen beforehand.
        page.get_by_role("link", name="返回我的工单").click()
        card = page.locator(".order-card", has=page.get_by_role("link", name=f"工单 {rate_id} 详情"))
        expect(card.locator(".order-status")).to_have_text("服务已完成，请确认并评价")
        expect(card.locator("input[name=rating]:checked")).to_have_count(0)
        card.get_by_label(f"{stars} 星", exact=False).check()
        card.get_by_role("button", name="确认服务").click()
        expect(page.get_by_role("alert")).to_contain_text("服务已确认")
        assert axe_violations(page) == [], where
        rated = order(rate_id)
        assert (rated.status, rated.rating) == ("confirmed", stars), where
        page.context.clear_cookies()
    assert console_errors == []


def test_the_family_plans_care_for_an_elder_without_vouchers_and_pages_the_calendar(page, journeys, console_errors):
    f = journeys
    elder = f["city"].elder
    elder.care_level = None  # not assessed (yet): no vouchers this month
    db.session.commit()
    this = clock.Month.of(clock.today())
    for n, (width, viewport) in enumerate(WIDTHS.items()):
        page.set_viewport_size(viewport)
        log_in(page, f["family"].username)
        assert axe_violations(page) == [], width
        page.get_by_role("link", name="查看护理计划").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(elder.name)
        expect(page.get_by_role("heading", name=f"{this.year}年{this.month}月的安排")).to_be_visible()
        assert axe_violations(page) == [], width

        # Before anything is sent: the family pays, and the page says why beside the choice.
        pays = page.get_by_role("group", name="付款方式")
        expect(pays.get_by_label("家属自付")).to_be_checked()
        expect(pays.get_by_label("用服务券")).not_to_be_checked()
        expect(pays.locator("#pay-with-why")).to_contain_text("本月没有可用的服务券，所以默认由家人自付")
        expect(pays.locator("#pay-with-why")).to_contain_text("评估")
        keep(page, f"care-plans-{width}")

        # The calendar, a month on and back.
        page.get_by_role("link", name="下个月").click()
        following = this.next()
        expect(page.get_by_role("heading", name=f"{following.year}年{following.month}月的安排")).to_be_visible()
        assert axe_violations(page) == [], width
        page.get_by_role("link", name="上个月").click()
        expect(page.get_by_role("heading", name=f"{this.year}年{this.month}月的安排")).to_be_visible()

        # A plan made as the form offers it: paid by the family.
        at = f"0{7 + n}:15"
        form = page.locator("form.booking-form")  # the new plan's form: the plans' own forms have a time too
        form.get_by_label("服务项目", exact=True).select_option(str(f["city"].lunch.id))
        form.get_by_label("时间", exact=True).fill(at)
        form.get_by_label("开始日期", exact=True).fill((clock.today() + timedelta(days=1)).isoformat())
        form.get_by_role("button", name="制定计划").click()
        expect(page.get_by_role("alert")).to_contain_text("计划已制定")
        assert axe_violations(page) == [], width
        plan = db.session.scalar(select(CarePlan).where(CarePlan.elder_id == elder.id)
                                 .order_by(CarePlan.id.desc()))
        assert (plan.pay_with, plan.time_of_day.strftime("%H:%M")) == ("self", at), width
        page.get_by_role("link", name="下个月").click()
        expect(page.locator("table.calendar")).to_contain_text(f"{at} {f['city'].lunch.name}")
        page.context.clear_cookies()
    assert console_errors == []


def test_the_caregiver_sees_the_week_sets_out_and_is_told_of_a_check_in_far_from_home(page, journeys, live_server,
                                                                                     console_errors):
    f = journeys
    elder = f["city"].elder
    today_ids = [f["order"]["id"], book(f, timedelta(hours=1))]  # Monday 10:00 and 11:00
    later_id = book(f, timedelta(days=2, hours=2))  # Wednesday 12:00: in the coming week
    page.context.grant_permissions(["geolocation"], origin=live_server)
    page.context.set_geolocation({"latitude": FAR_NORTH, "longitude": 119.93})
    with time_machine.travel(f["start"] - timedelta(minutes=30), tick=True):  # Monday 09:30
        for (width, viewport), order_id in zip(WIDTHS.items(), today_ids, strict=True):
            page.set_viewport_size(viewport)
            log_in(page, f["carer"].username)
            assert axe_violations(page) == [], width
            page.get_by_role("link", name="打开今天的上门服务").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("今天的上门服务")
            assert axe_violations(page) == [], width

            # Every visit, today's and the week's: whom to call, where, and how to get there.
            today_list, coming = page.locator("ul.orders:not(.coming)"), page.locator("ul.orders.coming")
            expect(today_list.locator("> li")).to_have_count(2)
            expect(page.get_by_role("heading", name="接下来 7 天")).to_be_visible()
            expect(coming.locator("> li")).to_have_count(1)
            expect(coming).to_contain_text("11月18日")
            for visits in (today_list, coming):
                for card in visits.locator("> li").all():
                    expect(card).to_contain_text(elder.address)
                    expect(card.locator(f'a[href="tel:{PHONE}"]')).to_have_count(1)
                    expect(card.get_by_role("link", name="用地图导航到老人家")).to_have_attribute(
                        "href", re.compile(r"^geo:32\.49,119\.93"))
                    expect(card.get_by_role("link", name="在高德地图上看住址")).to_have_attribute(
                        "href", re.compile(r"^https://uri\.amap\.com/marker\?position=119\.93,32\.49&"))

            title = f"{order(order_id).scheduled_start.astimezone(clock.LOCAL):%H:%M} {f['city'].lunch.name}"
            card = today_list.locator("> li", has_text=title)
            expect(card.locator(".order-status")).to_have_text("已接单")
            card.get_by_role("button", name="我已出发").click()
            expect(page.get_by_role("alert")).to_contain_text("正在路上")
            card = today_list.locator("> li", has_text=title)
            expect(card.locator(".order-status")).to_contain_text("已出发，正在路上")
            assert axe_violations(page) == [], width
            assert order(order_id).on_the_way_at is not None

            # 5.9 km from home: recorded all the same, and the caregiver is told the bureau will look at it.
            page.wait_for_load_state("load")  # visit.js has run: the button sends the position
            card.get_by_role("button", name="签到：我已到达").click()
            expect(page.get_by_role("alert").filter(has_text="已签到")).to_be_visible()
            warning = page.get_by_role("alert").filter(has_text="公里")
            expect(warning).to_contain_text("5.9 公里")
            expect(warning).to_contain_text("民政局会核查")
            keep(page, f"caregiver-today-{width}")
            assert axe_violations(page) == [], width
            checked_in = order(order_id)
            assert checked_in.status == "in_service" and 5800 < checked_in.check_in_distance_m < 6000
            logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "order.far_from_home",
                                                                AuditEvent.target_id == order_id))
            assert logged is not None and logged.detail["step"] == "check_in"
            page.context.clear_cookies()
    assert order(later_id).status == "accepted"
    assert console_errors == []
