"""The call-centre operator's and the admin's journeys (issue 18), clicked from each home page at a phone's width and
a desktop's, with axe-core on every page on the way (both text sizes: axe_violations) and the effect checked in the
database. The operator: finds an elder on the phone by name, pinyin or initials; registers an elder and records a
death or a hospital stay, which asks again first; works through the orders nobody took: the call list with the
providers' phone numbers, an offer to the provider chosen, a new time, a cancellation that asks again first. The
admin: opens an account, changes its role and area, deactivates and reactivates it (asked again first), gives it a
new password (asked again first); opens the catalogue; opens the API documentation and comes back home."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eldercare import clock
from eldercare.accounts.models import User
from eldercare.elders.models import Elder
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Provider

from ..elders.conftest import payload
from ..factories import ElderFactory, UserFactory
from ..orders.test_pages import escalate_after_rejections
from .conftest import axe_violations
from .test_booking_taps import WIDTHS
from .test_smoke import log_in

pytestmark = pytest.mark.browser
BY_WIDTH = pytest.mark.parametrize("viewport", WIDTHS.values(), ids=WIDTHS.keys())


def at_home(page, viewport, username):
    page.set_viewport_size(viewport)
    log_in(page, username)
    expect(page).to_have_url(re.compile(r"/$"))
    assert axe_violations(page) == []
    expect(page.locator("body")).not_to_contain_text("即将开放")


def checked(page):
    """The page has loaded and axe finds nothing serious on it."""
    page.wait_for_load_state()
    assert axe_violations(page) == [], page.url


# The operator -----------------------------------------------------------------------------------------------------

@BY_WIDTH
def test_the_operator_finds_a_caller_by_name_pinyin_or_initials(page, city, viewport, console_errors):
    city.elder.name = "王秀英"  # spelled in pinyin as it is set
    ElderFactory(name="李志刚", community_id=city.elder.community_id)
    db.session.commit()
    at_home(page, viewport, city.operator.username)
    for typed, found, not_found in (("王秀英", "王秀英", "李志刚"), ("wangxiuying", "王秀英", "李志刚"),
                                    ("wxy", "王秀英", "李志刚"), ("lzg", "李志刚", "王秀英")):
        page.get_by_label(re.compile("老人来电")).fill(typed)
        page.get_by_role("button", name="搜索").click()
        expect(page).to_have_url(re.compile(r"/elders\?q="))
        expect(page.get_by_role("link", name=found, exact=True)).to_be_visible()
        expect(page.get_by_role("link", name=not_found, exact=True)).to_have_count(0)
        checked(page)
        page.goto("/")  # the search is on the home page
    assert console_errors == []


@BY_WIDTH
def test_the_operator_registers_an_elder_and_records_a_death_after_confirming(page, city, viewport, console_errors):
    data = payload(city.elder.community_id, name="赵桂兰")
    at_home(page, viewport, city.operator.username)
    page.get_by_role("link", name="登记老人").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("登记老人")
    # The phone and address section is headed as such, not with the home page's name (msgid "Home" reused).
    expect(page.locator("legend", has_text="电话和住址")).to_be_visible()
    expect(page.locator("legend", has_text="首页")).to_have_count(0)
    checked(page)
    page.get_by_label("姓名").first.fill(data["name"])
    page.get_by_label("居民身份证号码").fill(data["id_number"])
    page.get_by_label("出生日期").fill(data["birth_date"])
    page.get_by_label("性别").select_option("F")
    page.get_by_label("社区").select_option(str(city.elder.community_id))
    page.get_by_label("住址").fill(data["address"])
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(data["name"])
    checked(page)
    elder = db.session.scalar(select(Elder).where(Elder.name == data["name"]))
    assert elder is not None and elder.status == "active"

    # A death takes effect at once: the first press only says what it will do; "no" leaves the elder as they were.
    page.get_by_label("事件").select_option("death")
    page.get_by_label("发生日期").fill(clock.today().isoformat())
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确认登记事件")
    checked(page)
    page.get_by_role("link", name="不，返回").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(data["name"])
    db.session.refresh(elder)
    assert elder.status == "active"
    page.get_by_label("事件").select_option("death")
    page.get_by_label("发生日期").fill(clock.today().isoformat())
    page.get_by_role("button", name="登记", exact=True).click()
    page.get_by_role("button", name="确认登记").click()
    expect(page.get_by_role("alert")).to_contain_text("已登记")
    checked(page)
    db.session.refresh(elder)
    assert elder.status == "deceased"
    assert console_errors == []


def escalated_with_phones(api, city) -> WorkOrder:
    """An order both providers turned down, waiting for an operator; the providers have phone numbers."""
    order = escalate_after_rejections(api, city)
    for name, phone in (("近护", "052386660001"), ("远护", "052386660002")):
        db.session.scalar(select(Provider).where(Provider.name == name)).phone = phone
    db.session.commit()
    return order


def open_from_the_queue(page, order):
    """Home -> the orders nobody took -> this order, axe on each."""
    page.get_by_role("link", name="打开待处理工单").click()
    expect(page.locator("tr.order-row")).to_have_count(1)
    checked(page)
    page.locator(f'a[href="/orders/{order.id}"]').click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(order.id))
    checked(page)


@BY_WIDTH
def test_the_operator_calls_a_provider_and_offers_it_the_escalated_order(page, api, city, viewport, console_errors):
    order = escalated_with_phones(api, city)
    at_home(page, viewport, city.operator.username)
    open_from_the_queue(page, order)
    calls = page.locator("table.candidates")
    expect(calls.get_by_role("link", name="052386660001")).to_have_attribute("href", "tel:052386660001")
    expect(calls.get_by_role("link", name="052386660002")).to_have_attribute("href", "tel:052386660002")
    page.get_by_role("button", name="派给远护").click()
    expect(page.get_by_role("alert")).to_contain_text("已派给该服务商")
    checked(page)
    db.session.expire_all()
    offered = db.session.get(WorkOrder, order.id)
    far = db.session.scalar(select(Provider).where(Provider.name == "远护"))
    assert offered.status == "dispatched" and any(o.provider_id == far.id and o.status == "open"
                                                  for o in offered.offers)
    assert console_errors == []


@BY_WIDTH
def test_the_operator_moves_an_escalated_visit_to_another_time(page, api, city, viewport, console_errors):
    order = escalated_with_phones(api, city)
    later = order.scheduled_start.astimezone(clock.LOCAL) + timedelta(hours=4)  # the same day: the hold is its month's
    at_home(page, viewport, city.operator.username)
    open_from_the_queue(page, order)
    page.get_by_label("新的日期").fill(later.date().isoformat())
    page.get_by_label("新的时间").fill(later.strftime("%H:%M"))
    page.get_by_role("button", name="改约服务时间").click()
    expect(page.get_by_role("alert")).to_contain_text("服务时间已改约")
    checked(page)
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).scheduled_start.astimezone(clock.LOCAL) == later
    assert console_errors == []


@BY_WIDTH
def test_the_operator_cancels_an_escalated_order_after_confirming(page, api, city, viewport, console_errors):
    order = escalated_with_phones(api, city)
    at_home(page, viewport, city.operator.username)
    open_from_the_queue(page, order)
    page.get_by_label("取消原因").fill("老人已住院")
    page.get_by_role("button", name="取消工单").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("要取消这个工单吗？")
    checked(page)
    page.get_by_role("link", name="不取消，保留预约").click()  # changing one's mind cancels nothing
    expect(page.get_by_role("heading", level=1)).to_contain_text(str(order.id))
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "escalated"
    page.get_by_label("取消原因").fill("老人已住院")
    page.get_by_role("button", name="取消工单").click()
    expect(page.get_by_label("取消原因")).to_have_value("老人已住院")  # the reason typed is kept
    page.get_by_role("button", name="是的，取消这个工单").click()
    expect(page.get_by_role("alert")).to_contain_text("工单已取消")
    checked(page)
    db.session.expire_all()
    cancelled = db.session.get(WorkOrder, order.id)
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "老人已住院")
    assert console_errors == []


# The admin ---------------------------------------------------------------------------------------------------------

@BY_WIDTH
def test_the_admin_opens_an_account_changes_its_area_and_its_access(page, city, viewport, console_errors):
    admin = UserFactory(role="admin")
    at_home(page, viewport, admin.username)
    page.get_by_role("link", name="打开账号管理").click()
    checked(page)
    page.get_by_role("link", name="开设新账号").click()
    checked(page)
    page.get_by_label("角色").select_option("operator")
    page.get_by_label("用户名").fill("op-journey")
    page.get_by_label("密码").fill("话务-安康-2026")
    page.get_by_label("所在区域（民政局工作人员和话务员）").select_option(str(city.street.id))
    page.get_by_role("button", name="开设账号").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("账号 op-journey")
    checked(page)
    user = db.session.scalar(select(User).where(User.username == "op-journey"))

    # Role and area: a refusal beside its field, then the change.
    role = page.get_by_role("combobox", name=re.compile(r"^角色"))
    role.select_option("provider_admin")
    page.get_by_role("button", name="保存角色和区域").click()
    expect(page.locator("#scope_region_id-error")).to_contain_text("不按区域工作")
    checked(page)
    role.select_option("bureau")
    page.get_by_label("所在区域（民政局工作人员和话务员）").select_option(str(city.district.id))
    page.get_by_role("button", name="保存角色和区域").click()
    expect(page.get_by_role("alert")).to_contain_text("已保存")
    checked(page)
    db.session.refresh(user)
    assert (user.role, user.scope_region_id) == ("bureau", city.district.id)

    # Deactivate, asked again first; then let the person back in.
    page.get_by_role("button", name="停用：此人将不能再登录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确定停用账号 op-journey 吗？")
    checked(page)
    page.get_by_role("button", name="确定停用").click()
    expect(page.get_by_role("alert")).to_contain_text("该账号已停用")
    db.session.refresh(user)
    assert user.active is False
    page.get_by_role("button", name="恢复账号，允许登录").click()
    expect(page.get_by_role("alert")).to_contain_text("该账号已恢复")
    db.session.refresh(user)
    assert user.active is True

    # A new password, asked again first, shown once and working.
    page.get_by_role("button", name="重新设置密码").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确定给 op-journey 设置新密码吗？")
    checked(page)
    page.get_by_role("link", name="不，返回").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("账号 op-journey")
    page.get_by_role("button", name="重新设置密码").click()
    page.get_by_role("button", name="确定设置新密码").click()
    shown = page.get_by_role("alert").inner_text()
    checked(page)
    password = re.search(r"新密码只显示这一次[:：]\s*(\S+?)[。.]", shown).group(1)
    db.session.refresh(user)
    assert user.check_password(password)

    page.get_by_role("link", name="返回账号列表").click()
    expect(page.get_by_role("link", name="op-journey")).to_be_visible()
    checked(page)
    assert [e for e in console_errors if "status of 422" not in e] == []  # the refused form came back as 422


@BY_WIDTH
def test_the_admin_opens_the_catalogue_and_an_item(page, city, viewport, console_errors):
    admin = UserFactory(role="admin")
    at_home(page, viewport, admin.username)
    page.get_by_role("link", name="打开服务目录").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("服务目录")
    checked(page)
    page.get_by_role("link", name=city.lunch.name).click()
    expect(page.get_by_label("指导价（元/次）")).to_be_visible()
    checked(page)
    assert console_errors == []


@BY_WIDTH
def test_the_api_documentation_says_its_language_and_leads_back_home(page, viewport, console_errors):
    admin = UserFactory(role="admin")
    at_home(page, viewport, admin.username)
    page.get_by_role("link", name="打开接口文档").click()
    expect(page.locator(".opblock").first).to_be_visible()  # Swagger UI read the OpenAPI document
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the documentation is in English
    checked(page)
    page.get_by_role("link", name="返回首页").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="打开账号管理")).to_be_visible()
    assert console_errors == []
