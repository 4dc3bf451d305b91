"""Booking from the home page, counted in taps (issue 18: an elder or family books in at most three, an operator
in at most four), at a phone's width and a desktop's. The elder and the family: the service offered on the home
page, "next" once the day and time are chosen, then "book". The operator, for an elder on the phone: the search on
the home page, the service offered beside the elder found, "next", "book". Typing the name and choosing the day
and time are filling in the page, not taps that move on."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from eldercare.extensions import db
from eldercare.orders.models import WorkOrder

from ..factories import UserFactory
from .conftest import axe_violations
from .test_smoke import log_in

pytestmark = pytest.mark.browser

WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
MOST_TAPS = 3
MOST_OPERATOR_TAPS = 4


def choose_day_and_book(page, day, at: str) -> int:
    """Step 2 (the day and time, then "next") and step 3 ("book"): the taps they take."""
    expect(page.locator("[aria-current=step]")).to_contain_text("第 2 步")
    page.get_by_label(re.compile(f"{day.month}月{day.day}日")).check()
    page.get_by_label(at).check()
    page.get_by_role("button", name="下一步：核对并确认").click()
    expect(page.locator("[aria-current=step]")).to_contain_text("第 3 步")
    page.get_by_role("button", name="确认预约").click()
    return 2


def booked_at(elder_id: int, item_id: int, day, at: str) -> bool:
    hour, minute = map(int, at.split(":"))
    local = [o.scheduled_start.astimezone(day.tzinfo) for o in
             db.session.query(WorkOrder).filter_by(elder_id=elder_id, item_id=item_id)]
    return any((s.date(), s.hour, s.minute) == (day.date(), hour, minute) for s in local)


def test_the_operator_books_for_a_caller_in_four_taps(page, flow, console_errors):
    f = flow
    elder, lunch, day = f["city"].elder, f["city"].lunch, f["start"] + timedelta(days=2)
    for (width, viewport), at in zip(WIDTHS.items(), ("11:00", "12:00"), strict=True):
        page.set_viewport_size(viewport)
        log_in(page, f["city"].operator.username)
        assert axe_violations(page) == [], width
        page.get_by_label(re.compile("老人来电")).fill(elder.name)
        page.get_by_role("button", name="搜索").click()
        taps = 1
        expect(page).to_have_url(re.compile(r"/elders\?q="))
        page.wait_for_load_state()
        assert axe_violations(page) == [], width
        row = page.locator("tr", has_text=elder.name)
        row.get_by_role("link", name=re.compile(lunch.name)).click()
        taps += 1
        taps += choose_day_and_book(page, day, at)
        expect(page.get_by_role("alert")).to_contain_text("已预约")
        assert taps <= MOST_OPERATOR_TAPS, (width, taps)
        assert booked_at(elder.id, lunch.id, day, at), (width, at)
        page.context.clear_cookies()
    assert console_errors == []


def test_elder_and_family_book_from_home_in_three_taps(page, flow, console_errors):
    f = flow
    elder_user = UserFactory(role="elder")
    f["city"].elder.user_id = elder_user.id
    db.session.commit()
    lunch, day = f["city"].lunch, f["start"] + timedelta(days=1)
    times = iter(["11:00", "11:30", "12:00", "17:00"])
    for who in (elder_user, f["family"]):
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            log_in(page, who.username)
            expect(page).to_have_url(re.compile(r"/$"))
            assert axe_violations(page) == [], (who.role, width)
            page.locator(".quick-book").get_by_role("link", name=re.compile(lunch.name)).click()
            at = next(times)
            taps = 1 + choose_day_and_book(page, day, at)
            expect(page.get_by_role("alert")).to_contain_text("已预约")
            assert taps <= MOST_TAPS, (who.role, width, taps)
            assert booked_at(f["city"].elder.id, lunch.id, day, at), (who.role, width, at)
            page.context.clear_cookies()
    assert console_errors == []
