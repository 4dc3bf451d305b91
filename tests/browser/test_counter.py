"""At a tablet (820x1180): a point's staff serve five elders in a row at the counter, one by the card's QR
payload typed by the scanner, the others by name and the last six ID characters; axe-core (vendored) finds no
serious or critical violation on the counter page."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from eldercare.extensions import db
from eldercare.servicepoints import services
from eldercare.servicepoints.models import CheckIn

from ..servicepoints.conftest import counter, lunchtime  # noqa: F401  the canteen at lunchtime
from .conftest import axe_violations, is_local
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def tablet(browser, live_server, console_errors):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 820, "height": 1180})
    context.set_default_timeout(10_000)
    context.route("**/*", lambda route: route.continue_() if is_local(route.request.url)
                  else route.abort("blockedbyclient"))
    page = context.new_page()
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    yield page
    context.close()


def test_five_elders_in_a_row_at_the_counter(tablet, counter, console_errors):  # noqa: F811
    page = tablet
    log_in(page, counter.staff.username)
    page.goto(f"/points/{counter.point.id}/counter")
    assert_big_enough(page)
    assert axe_violations(page) == []
    card = services.card_payload(counter.elder)
    for n, elder in enumerate(counter.elders):
        if n == 0:
            page.locator("#card").fill(card)
        else:
            page.locator("#name").fill(elder.name)
            page.locator("#id_last6").fill(elder.id_number[-6:])
        page.locator("#find").click()
        expect(page.locator("#elder-name")).to_have_text(elder.name)
        expect(page.locator("#voucher-share")).to_contain_text("8.40")
        expect(page.locator("#elder-pays")).to_contain_text("3.60")
        if n == 0:
            assert_big_enough(page)
            assert axe_violations(page) == []
        page.locator("#record").click()
        expect(page.get_by_role("alert")).to_contain_text(elder.name)
        expect(page.locator("#card")).to_be_focused()  # ready for the next elder at once
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 5
    assert console_errors == []
