"""The bureau officer's journeys (issue 18), clicked from the home page at a phone's width and a desktop's, with
axe-core on every page in both text sizes: reviewing providers (approve, ask for more information, reject, each
with its reason, the rejection confirmed first); voucher policies (set the first, supersede the open-ended one
from a later month, edit the one not yet in force, end it); issuing the month from /bureau/vouchers (only the
current month, refused beside its field, confirmed before money goes out); and the settlement, audit and report
pages reached from home, each with its way back. What each journey did is checked in the database."""
import re
from datetime import date, datetime

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from eldercare.clock import LOCAL
from eldercare.extensions import db
from eldercare.providers.models import Provider
from eldercare.vouchers.models import VoucherGrant, VoucherPolicy

from ..factories import ProviderFactory
from .conftest import axe_violations
from .test_booking_taps import WIDTHS
from .test_smoke import assert_big_enough, log_in

pytestmark = pytest.mark.browser

LAST_EVENING = datetime(2026, 11, 30, 23, 40, tzinfo=LOCAL)  # November's last evening in Beijing
FIRST_MORNING = datetime(2026, 12, 1, 0, 10, tzinfo=LOCAL)


def checked(page, heading: str | None = None) -> None:
    """The page is the one expected, its targets big enough, and axe finds nothing serious in either text size."""
    if heading is not None:
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_big_enough(page)
    assert axe_violations(page) == [], page.url


def home(page) -> None:
    page.get_by_role("link", name="返回首页").click()
    expect(page).to_have_url(re.compile(r"^http://[^/]+/$"))


def policy(name: str) -> VoucherPolicy:
    db.session.expire_all()
    return db.session.scalar(select(VoucherPolicy).where(VoucherPolicy.name == name))


def fill_policy(page, name: str, first: str, tiers: dict) -> None:
    page.locator("#name").fill(name)
    page.locator("#valid_from").fill(first)
    for field, value in tiers.items():
        page.locator(f"[name={field}]").fill(value)
    page.get_by_label("助餐").check()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_officer_reviews_providers_from_home(page, city, console_errors, width):
    page.set_viewport_size(WIDTHS[width])
    approve, ask, reject = (ProviderFactory(name=name, status="pending", district_id=city.district.id)
                            for name in ("甲居家养老服务中心", "乙居家养老服务中心", "丙居家养老服务中心"))
    log_in(page, city.bureau.username)
    page.get_by_role("link", name="打开审核队列").click()
    checked(page, "审核服务商")

    page.get_by_role("link", name=approve.name).click()
    checked(page, approve.name)
    page.get_by_label("给服务商的意见").fill("材料齐全")
    page.get_by_role("button", name="批准").click()
    expect(page.locator("main")).to_contain_text("审核决定已记录")
    checked(page)

    page.get_by_role("link", name="返回审核队列").click()
    page.get_by_role("link", name=ask.name).click()
    page.get_by_role("button", name="要求补充材料").click()  # no reason given: it is asked for beside the field
    expect(page.locator("#note-error")).to_contain_text("请说明理由")
    checked(page)
    page.get_by_label("给服务商的意见").fill("请补充营业执照扫描件")
    page.get_by_role("button", name="要求补充材料").click()
    expect(page.locator("main")).to_contain_text("审核决定已记录")

    page.get_by_role("link", name="返回审核队列").click()
    page.get_by_role("link", name=reject.name).click()
    page.get_by_label("给服务商的意见").fill("不在本区登记")
    page.get_by_role("button", name="驳回").click()
    checked(page, "确认审核决定")  # final: asked once more, nothing written yet
    db.session.expire_all()
    assert db.session.get(Provider, reject.id).status == "pending"
    page.get_by_role("button", name="确定：驳回").click()
    expect(page.locator("main")).to_contain_text("审核决定已记录")

    db.session.expire_all()
    assert [(p.status, p.review_note) for p in (db.session.get(Provider, x.id) for x in (approve, ask, reject))] == [
        ("approved", "材料齐全"), ("needs_info", "请补充营业执照扫描件"), ("rejected", "不在本区登记")]
    page.get_by_role("link", name="返回审核队列").click()
    home(page)
    assert [e for e in console_errors if "422 (UNPROCESSABLE ENTITY)" not in e] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_officer_sets_supersedes_edits_and_ends_policies_and_issues_the_month(page, city, console_errors,
                                                                                  width):
    page.set_viewport_size(WIDTHS[width])
    city.elder.care_level = "moderate"
    db.session.commit()
    with time_machine.travel(LAST_EVENING, tick=True) as traveller:
        log_in(page, city.bureau.username)
        page.get_by_role("link", name="打开政策").click()
        checked(page, "服务券政策")
        grid = page.locator("form.form fieldset").first
        expect(grid).to_contain_text("低收入")  # every tier, in plain words (axe_violations refuses codes)

        # Sets the district's first policy, running until replaced.
        fill_policy(page, "2026年服务券", "2026-01", {"fen_moderate_any": "300", "copay_moderate_any": "30"})
        page.get_by_role("button", name="保存政策").click()
        expect(page.locator("main")).to_contain_text("政策“2026年服务券”已保存")
        checked(page)
        first = policy("2026年服务券")
        assert (first.valid_from, first.valid_to) == (date(2026, 1, 1), None)

        # Supersedes it from January: refused beside the first month until the officer says it replaces it.
        fill_policy(page, "2027年服务券", "2027-01", {"fen_moderate_low_income": "350",
                                                      "copay_moderate_low_income": "20"})
        page.get_by_role("button", name="保存政策").click()
        expect(page.locator("#valid_from-error")).to_contain_text("2026年服务券")
        checked(page)
        page.locator("[name=supersede]").check()
        page.get_by_role("button", name="保存政策").click()
        expect(page.locator("main")).to_contain_text("政策“2027年服务券”已保存")
        assert policy("2026年服务券").valid_to == date(2026, 12, 1)

        # Edits the one not yet in force: its tiers, from a form that shows what it has.
        page.get_by_role("link", name="修改“2027年服务券”的补贴档次").click()
        checked(page, "修改“2027年服务券”的补贴档次")
        expect(page.locator("[name=fen_moderate_low_income]")).to_have_value("350.00")
        page.locator("[name=fen_moderate_low_income]").fill("400")
        page.get_by_role("button", name="保存政策").click()
        expect(page.locator("main")).to_contain_text("政策“2027年服务券”已保存")
        assert [(t.care_level, t.hardship, t.monthly_fen, t.copay_percent)
                for t in policy("2027年服务券").tiers] == [("moderate", "low_income", 40000, 20)]

        # Ends it: its last month.
        card = page.locator("section.card", has=page.get_by_role("heading", name="2027年服务券", exact=True))
        card.locator("input[name=valid_to]").fill("2027-12")
        card.get_by_role("button", name="设定最后月份").click()
        expect(page.locator("main")).to_contain_text("2027-12")
        checked(page)
        assert policy("2027年服务券").valid_to == date(2027, 12, 1)

        # Issues the month from /bureau/vouchers, reached from home.
        home(page)
        page.get_by_role("link", name="打开本月").click()
        checked(page, "2026-11")
        traveller.move_to(FIRST_MORNING)  # the page stayed open past midnight: November is over
        page.get_by_role("button", name="立即发放2026-11").click()
        expect(page.locator("#period-error")).to_contain_text("2026-12")
        checked(page)
        db.session.expire_all()
        assert db.session.scalars(select(VoucherGrant)).all() == []
        page.locator("#period").fill("2026-12")
        page.get_by_role("button", name="显示").click()
        page.get_by_role("button", name="立即发放2026-12").click()
        checked(page)
        expect(page.get_by_role("heading", name="确定发放2026-12的服务券吗？")).to_be_visible()
        db.session.expire_all()
        assert db.session.scalars(select(VoucherGrant)).all() == []  # asked first: nothing paid yet
        page.get_by_role("button", name="是的，发放2026-12").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("2026-12")
        checked(page)
        db.session.expire_all()
        assert [(g.elder_id, g.period, g.amount_fen) for g in db.session.scalars(select(VoucherGrant))] == [
            (city.elder.id, "2026-12", 30000)]
        home(page)
    # The forms with errors answer 422, which Chromium reports; nothing else may go wrong.
    assert [e for e in console_errors if "422 (UNPROCESSABLE ENTITY)" not in e] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_the_officer_reaches_settlement_audit_and_reports_from_home_and_back(page, city, console_errors, width):
    page.set_viewport_size(WIDTHS[width])
    with time_machine.travel(LAST_EVENING, tick=True):
        log_in(page, city.bureau.username)
        for link in ("打开结算", "查看稽核发现", "打开仪表盘", "打开报表", "打开审计日志"):
            page.get_by_role("link", name=link).click()
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            checked(page)
            home(page)
    assert console_errors == []
