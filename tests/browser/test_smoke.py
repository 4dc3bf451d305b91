"""The real thing in a real browser: every role logs in through the login page, sees its own home page and
logs out; the language switch; the API docs page with the vendored Swagger UI; nothing leaves 127.0.0.1."""
import re
import threading
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from ..factories import PASSWORD
from ..web.people import HOME_TEXT, ROLES, make_people

pytestmark = pytest.mark.browser


def outside(requests_made) -> list[str]:
    return [url for url in requests_made if urlsplit(url).hostname != "127.0.0.1"]


def log_in(page, username, password=PASSWORD):
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()  # the next page, stylesheet included


def test_every_role_logs_in_sees_its_home_and_logs_out(page, requests_made):
    people = make_people()
    for role in ROLES:
        log_in(page, people[role])
        expect(page).to_have_url(re.compile(r"/$"))
        header = page.locator("header")
        for text in HOME_TEXT[role]:
            expect(page.locator("body")).to_contain_text(text)
        expect(header).to_contain_text(people[role])
        expect(header.locator(".who-role")).to_have_text(HOME_TEXT[role][1])

        page.get_by_role("button", name="退出登录").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.get_by_role("alert")).to_have_text("您已退出登录。")
    assert requests_made and outside(requests_made) == []


def test_wrong_password_shows_the_error_next_to_the_form(page):
    make_people()
    log_in(page, "admin1", "not-my-password")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误。")
    expect(page.get_by_label("用户名")).to_have_value("admin1")
    expect(page.get_by_label("用户名")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)


def test_english_switch_and_back(page):
    make_people()
    log_in(page, "bureau1")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, bureau1")
    expect(page.locator(".who-role")).to_have_text("Civil-affairs bureau")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto("/")  # remembered without ?lang=
    expect(page.get_by_text("Review providers")).to_be_visible()

    page.get_by_role("link", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text("bureau1，您好")
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def test_skip_link_is_first_and_reaches_the_content(page):
    page.goto("/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


def wait_until_styled(page):
    """Return once the page's stylesheets and fonts apply. A test that waits only for an element's text can
    measure before then and read the browser's default 16 px body (it did, under load)."""
    page.wait_for_load_state("load")  # the load event waits for the stylesheets in the head
    page.wait_for_function("[...document.querySelectorAll('link[rel=stylesheet]')].every(link => link.sheet)")
    page.evaluate("document.fonts.ready.then(() => true)")


def assert_big_enough(page):
    wait_until_styled(page)
    font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 20
    for target in page.locator("a:visible, button:visible, input:visible").all():
        box = target.bounding_box()
        if box is None or box["height"] == 0:  # the hidden CSRF field
            continue
        assert box["height"] >= 48, f"{page.url}: {target.evaluate('e => e.outerHTML')[:80]} is {box['height']}px high"


def test_pages_are_big_enough_to_read_and_touch(page):
    make_people()
    page.goto("/login")
    assert_big_enough(page)
    page.goto("/no-such-page")
    assert_big_enough(page)
    for username in ("elder1", "bureau1"):
        log_in(page, username)
        assert_big_enough(page)
        page.get_by_role("button", name="退出登录").click()


def test_phone_width_needs_no_sideways_scrolling(page):
    make_people()
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, "bureau1")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_unknown_page_shows_the_error_page(page):
    response = page.goto("/no-such-page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("找不到这个页面")
    page.get_by_role("link", name="回到首页").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_api_docs_page_renders_swagger_ui_offline(page, requests_made, console_errors):
    page.goto("/api/v1/docs")
    expect(page).to_have_title("Yiyang API")
    expect(page.locator(".swagger-ui")).to_be_visible()
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Yiyang API")
    expect(page.locator(".opblock").first).to_be_visible()  # the operations were read from openapi.json
    assert any(url.endswith("/static/vendor/swagger-ui/swagger-ui-bundle.js") for url in requests_made)
    assert any(url.endswith("/api/v1/openapi.json") for url in requests_made)
    assert console_errors == []  # nothing refused by the Content-Security-Policy
    assert outside(requests_made) == []


def test_measuring_waits_for_a_slow_stylesheet(page):
    """The 16 px body measured under load: measured before its stylesheet arrived, a page looks too small."""

    def slow(route):
        # Not time.sleep: under CI's moved clock (libfaketime 0.9.10 with the monotonic clock left real) Python
        # 3.11's sleep fails with EINVAL (libfaketime issue #426); a timed wait on an event does not.
        threading.Event().wait(0.5)
        route.continue_()

    page.route(re.compile(r"\.css(\?|$)"), slow)
    page.goto("/login", wait_until="commit")  # back before the stylesheet has arrived
    assert_big_enough(page)
