"""The provider's journeys through the pages (issue 18), clicked from the home page at a phone's width and a
desktop's, with axe-core on every page in both text sizes:

1. a provider's administrator signs up, applies, is asked by the bureau for more, sends the document from the
   page, and is told of the bureau's decision on the home page and in the notifications;
2. once approved, changes its services, streets and prices;
3. edits a caregiver's working hours and certificates, and takes a caregiver off the roster after confirming;
4. sees its completed visits with the rating each was given."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eldercare.extensions import db
from eldercare.providers.models import Caregiver, Provider

from ..factories import ItemFactory
from ..orders.flows import post, visit
from ..providers.conftest import application, place  # noqa: F401  the district, streets, categories and bureau
from .conftest import axe_violations
from .test_booking_taps import WIDTHS
from .test_smoke import log_in

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def uploads(app, tmp_path, monkeypatch):
    """Documents go to a temporary instance folder (the live server serves this same app)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    return tmp_path


def checked(page, where):
    """The page has loaded, and axe finds nothing serious on it in either text size."""
    page.wait_for_load_state()
    assert axe_violations(page) == [], (where, page.url)


def go_home(page):
    page.locator("a.brand").click()
    expect(page).to_have_url(re.compile(r"/$"))


def decide(api, place, provider_id, decision, note=None):  # noqa: F811  `place` is the fixture's value
    response = api.as_(place.bureau).post(f"/api/v1/providers/{provider_id}/review",
                                          json={"decision": decision, "note": note})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("width", WIDTHS)
def test_signing_up_applying_sending_what_is_asked_and_hearing_the_decision(page, api, place, uploads,  # noqa: F811
                                                                               width, console_errors):
    page.set_viewport_size(WIDTHS[width])
    page.goto("/")
    page.get_by_role("link", name=re.compile("还没有账号")).click()
    checked(page, "signup")
    page.get_by_label("服务机构（管理员）").check()
    page.get_by_label(re.compile("^用户名")).fill(f"ankang.{width}")
    page.get_by_label(re.compile("^密码")).fill("安康-护理-2026")
    page.get_by_label(re.compile("^手机号码")).fill("13912345678")
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_role("alert")).to_contain_text("账号已开通")
    checked(page, "home without an organisation")
    expect(page.get_by_role("link", name="打开工单")).to_have_count(0)  # no page that would answer 403
    page.get_by_role("link", name="申请入驻提供居家养老服务").click()
    checked(page, "application form")
    page.get_by_label(re.compile("^机构名称")).fill("安康居家养老服务中心")
    page.get_by_label(re.compile("^统一社会信用代码")).fill("91321202MA1XYZ1234")
    page.get_by_label("助餐").check()
    page.get_by_label("城东街道").check()
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("安康居家养老服务中心")
    checked(page, "application sent")
    provider = db.session.scalar(select(Provider).where(Provider.name == "安康居家养老服务中心"))
    assert provider.status == "pending"

    decide(api, place, provider.id, "needs_info", "请补充消防验收证明。")
    go_home(page)
    expect(page.locator("main")).to_contain_text("请补充消防验收证明。")
    checked(page, "home, asked for more")
    page.get_by_role("link", name="提交民政局要求的材料").click()
    documents = page.locator("#documents")
    expect(documents).to_contain_text("民政局要求补充：请补充消防验收证明。")
    checked(page, "documents")
    page.get_by_role("button", name="提交这份材料").click()  # nothing chosen: told beside each field
    expect(page.locator("#kind-error")).to_be_visible()
    checked(page, "document refused")
    page.get_by_label(re.compile("^材料名称")).fill("消防验收证明")
    page.get_by_label(re.compile("^文件")).set_input_files(
        {"name": "fire.png", "mimeType": "image/png", "buffer": PNG})
    page.get_by_role("button", name="提交这份材料").click()
    expect(page.get_by_role("alert")).to_contain_text("fire.png 已提交给民政局")
    expect(page.locator("#documents")).to_contain_text("消防验收证明: fire.png")
    checked(page, "document sent")
    db.session.expire_all()
    provider = db.session.get(Provider, provider.id)
    assert provider.status == "pending" and [d.filename for d in provider.documents] == ["fire.png"]

    decide(api, place, provider.id, "approve")
    go_home(page)
    expect(page.locator("main")).to_contain_text("民政局已批准安康居家养老服务中心的入驻申请")
    checked(page, "home, approved")
    page.get_by_role("link", name="全部通知").click()
    checked(page, "notifications")
    page.get_by_role("button", name="查看机构信息").first.click()
    expect(page.locator(".status-banner").first).to_contain_text("已通过")
    checked(page, "organisation, approved")
    # The refused upload answered 422, which Chromium logs; nothing else may be there.
    assert [e for e in console_errors if "422" not in e] == []


@pytest.fixture
def approved(api, place):  # noqa: F811
    """The applicant's provider, approved, offering meals in 城东街道 at 12 yuan a lunch."""
    response = api.as_(place.applicant).post("/api/v1/providers", json=application(place))
    assert response.status_code == 201, response.get_json()
    decide(api, place, response.get_json()["id"], "approve")
    return db.session.get(Provider, response.get_json()["id"])


@pytest.mark.parametrize("width", WIDTHS)
def test_an_approved_provider_changes_its_services_streets_and_prices(page, place, approved, width,  # noqa: F811
                                                                     console_errors):
    supper = ItemFactory(category=place.meal, price_fen=1800, name="晚餐送餐")
    page.set_viewport_size(WIDTHS[width])
    log_in(page, place.applicant.username)
    checked(page, "home")
    page.get_by_role("link", name="修改服务、街道和价格").click()
    checked(page, "services")
    page.get_by_label("助洁").check()
    page.get_by_label("城西街道").uncheck()  # no longer served
    page.get_by_label(re.compile("^晚餐送餐")).fill("20")  # above the guide price: refused beside the field
    page.get_by_role("button", name="保存服务、街道和价格").click()
    expect(page.locator(f"#price_{supper.id}-error")).to_contain_text("18.00")
    checked(page, "services refused")
    page.get_by_label(re.compile("^晚餐送餐")).fill("16.5")
    page.get_by_role("button", name="保存服务、街道和价格").click()
    expect(page.get_by_role("alert")).to_contain_text("已保存")
    expect(page.get_by_label(re.compile(f"^{place.cleaning_item.name}"))).to_be_visible()  # the new category's items
    checked(page, "services saved")
    db.session.expire_all()
    provider = db.session.get(Provider, approved.id)
    assert provider.status == "approved"
    assert sorted(c.code for c in provider.categories) == ["bathing", "cleaning", "meal"]
    assert [r.id for r in provider.service_areas] == [place.street_a.id]
    assert {p.item_id: p.price_fen for p in provider.prices} == {place.meal_item.id: 1200, supper.id: 1650}
    assert [e for e in console_errors if "422" not in e] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_roster_edits_hours_and_certificates_and_takes_a_caregiver_off(page, api, place, approved,  # noqa: F811
                                                                          width, console_errors):
    added = api.as_(place.applicant).post(f"/api/v1/providers/{approved.id}/caregivers", json={
        "username": f"wang.hg.{width}", "password": "caregiver-pass-1", "name": "王护工", "categories": ["meal"],
        "certificates": [{"kind": "health", "expires_on": "2020-01-31"}]})
    assert added.status_code == 201, added.get_json()
    page.set_viewport_size(WIDTHS[width])
    log_in(page, place.applicant.username)
    page.get_by_role("link", name="打开护理员名册").click()
    roster = page.locator("tr", has_text="王护工")
    expect(roster).to_contain_text("周日 08:00–18:00")
    expect(roster.locator(".cert-expired")).to_be_visible()
    checked(page, "roster")
    roster.get_by_role("link", name="修改王护工的信息").click()
    checked(page, "caregiver")
    for day in (5, 6):  # Monday to Friday only
        page.locator(f"input[name=day_{day}]").uncheck()
    for day in range(5):
        page.locator(f"#start_{day}").fill("09:00")
        page.locator(f"#end_{day}").fill("17:00")
    page.locator("#end_3").fill("08:00")  # before the start: refused beside Thursday's end
    page.locator("#cert0_expires_on").fill("2030-06-30")  # renewed
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#end_3-error")).to_be_visible()
    checked(page, "caregiver refused")
    page.locator("#end_3").fill("17:00")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("王护工的信息已保存")
    roster = page.locator("tr", has_text="王护工")
    expect(roster).to_contain_text("周五 09:00–17:00")
    expect(roster).not_to_contain_text("周六")
    expect(roster.locator(".cert-expired")).to_have_count(0)
    checked(page, "roster saved")
    carer = db.session.scalar(select(Caregiver).where(Caregiver.provider_id == approved.id))
    db.session.refresh(carer)
    assert sorted(a.weekday for a in carer.availability) == [0, 1, 2, 3, 4]
    assert [c.expires_on.isoformat() for c in carer.certificates] == ["2030-06-30"]

    roster.get_by_role("button", name="停用王护工").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("确定停用王护工吗？")
    checked(page, "confirm taking off")
    db.session.refresh(carer)
    assert carer.active is True  # asking changes nothing
    page.get_by_role("button", name="确定停用").click()
    expect(page.get_by_role("alert")).to_contain_text("王护工")
    checked(page, "roster, taken off")
    db.session.refresh(carer)
    assert carer.active is False
    assert [e for e in console_errors if "422" not in e] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_completed_visits_keep_their_rating_on_the_providers_orders(page, flow, width, console_errors):
    f = flow
    visit(f)
    rated = post(f, f["family"], "confirm", rating=4, comment="饭菜很热，态度很好")
    assert rated.status_code == 200, rated.json
    page.set_viewport_size(WIDTHS[width])
    log_in(page, f["provider"].admin.username)
    checked(page, "home")
    page.get_by_role("link", name="打开工单").click()
    checked(page, "work orders")
    page.get_by_role("link", name="已完成").first.click()
    expect(page).to_have_url(re.compile("#completed$"))
    done = page.locator("tr", has_text=f["city"].lunch.name)
    expect(done).to_contain_text("饭菜很热，态度很好")
    expect(done).to_contain_text("★★★★")
    done.get_by_role("link", name=str(f["order"]["id"])).click()
    expect(page.locator("main")).to_contain_text("饭菜很热，态度很好")
    checked(page, "the completed order")
    assert console_errors == []
