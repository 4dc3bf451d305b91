"""At a tablet (820x1180): a point's staff serve five elders in a row at the counter, one by the card's QR
payload typed by the scanner, the others by name and the last six ID characters; a meal booked ahead for today
waits on the counter page and is served with one tap; axe-core (vendored) finds no serious or critical violation
on the counter page."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.servicepoints import services
from eldercare.servicepoints.models import CheckIn
from eldercare.vouchers.models import LedgerTransaction

from ..factories import UserFactory
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


def test_a_meal_booked_ahead_waits_at_the_counter_and_one_tap_serves_it(tablet, api, counter,  # noqa: F811
                                                                       console_errors):
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=counter.elder.id, user_id=family.id, relation="儿子"))
    db.session.commit()
    booked = api.as_(family).post(f"/api/v1/service-points/{counter.point.id}/bookings", json={
        "elder_id": counter.elder.id, "item_id": counter.lunch.id, "day": "2026-12-02", "slot": "lunch"})
    assert booked.status_code == 201, booked.json
    order_id = booked.json["id"]
    page = tablet
    log_in(page, counter.staff.username)
    page.goto(f"/points/{counter.point.id}/counter")
    serve = page.locator(f"#serve-{order_id}")
    expect(serve).to_contain_text(counter.elder.name)
    assert_big_enough(page)
    assert axe_violations(page) == []
    serve.click()
    expect(page.get_by_role("alert")).to_contain_text(counter.elder.name)
    expect(page.locator(f"#serve-{order_id}")).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(WorkOrder, order_id).status == "completed"
    assert db.session.scalars(select(LedgerTransaction.kind).where(LedgerTransaction.order_id == order_id)
                              .order_by(LedgerTransaction.id)).all() == ["hold", "capture"]
    assert console_errors == []
