"""The service points' pages in the browser: the provider registers a point, the bureau rejects it with a note,
and an operator opens an elder's card to print; a family books a meal ahead at the canteen and cancels it;
axe-core (vendored) finds no serious or critical violation on any of them."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.servicepoints.models import ServicePoint

from ..factories import UserFactory
from ..servicepoints.conftest import counter, lunchtime  # noqa: F401  the canteen at lunchtime
from .conftest import axe_violations
from .test_smoke import log_in

pytestmark = pytest.mark.browser


def test_register_review_and_print_the_card(page, counter, console_errors):  # noqa: F811
    admin = UserFactory(role="provider_admin", provider_id=counter.point.provider_id)
    log_in(page, admin.username)
    page.goto("/provider/points/new")
    assert axe_violations(page) == []
    page.locator("#name").fill("城东长者食堂")
    page.locator("#community_id").select_option(str(counter.elder.community_id))
    page.locator(f"#price_{counter.lunch.id}").fill("13.00")
    page.get_by_role("button", name="登记服务点").click()
    expect(page.get_by_role("alert")).to_contain_text("民政局将进行审核")
    assert axe_violations(page) == []
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.name == "城东长者食堂"))
    assert point.status == "pending"

    page.context.clear_cookies()
    bureau = UserFactory(role="bureau", scope_region_id=counter.city.district.id)
    log_in(page, bureau.username)
    page.goto("/bureau/points")
    assert axe_violations(page) == []
    page.get_by_role("link", name="城东长者食堂").click()
    assert axe_violations(page) == []
    page.locator("#note").fill("请补充厨房卫生许可证")
    page.get_by_role("button", name="驳回").click()
    expect(page.get_by_role("alert")).to_contain_text("未通过")
    db.session.refresh(point)
    assert (point.status, point.review_note) == ("rejected", "请补充厨房卫生许可证")

    page.context.clear_cookies()
    operator = UserFactory(role="operator", scope_region_id=counter.city.district.id)
    log_in(page, operator.username)
    page.goto(f"/elders/{counter.elder.id}/card")
    expect(page.locator(".elder-card svg")).to_be_visible()
    assert axe_violations(page) == []
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".elder-card")).to_be_visible()
    assert console_errors == []


def test_a_family_books_a_meal_ahead_and_cancels_it(page, counter, console_errors):  # noqa: F811
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=counter.elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    log_in(page, family.username)
    page.goto("/meals")
    assert axe_violations(page) == []
    page.locator(f'input[name="choice"][value="{counter.point.id}:{counter.lunch.id}"]').check()
    page.locator("#day").fill("2026-12-03")
    page.locator("#book").click()
    expect(page.get_by_role("alert")).to_contain_text(counter.lunch.name)
    assert axe_violations(page) == []
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.elder_id == counter.elder.id))
    assert (order.status, order.service_point_id) == ("accepted", counter.point.id)
    page.locator(f"#cancel-{order.id}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("要取消这个工单吗？")  # it asks first
    assert axe_violations(page) == []
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "accepted"
    page.get_by_role("button", name="是的，取消这个工单").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/meals"))  # back to the meals
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "cancelled"
    assert console_errors == []
