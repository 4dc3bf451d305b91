"""A live server on 127.0.0.1 serving the test app, and a headless Debian Chromium driven by Playwright.

The browser never comes from the internet: it is /usr/bin/chromium or the tests skip (fail under CI). Every
request the page makes is recorded, and any that would leave 127.0.0.1 is blocked, so a page that quietly
depends on a CDN fails here rather than in an offline deployment."""
import functools
import os
import re
import threading
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from .. import real_clock
from . import page_routes

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1"}
# Schemes that never touch the network.
LOCAL_SCHEMES = {"data", "blob", "about"}


@pytest.fixture(scope="session")
def live_server(app, pytestconfig):
    """The base URL of the session's app, served by werkzeug on a free port in a daemon thread. Its requests are
    marked, and the pages they open recorded, for the check that every page route is visited (page_routes.py)."""
    def marked(environ, start_response):
        environ[page_routes.LIVE] = True
        return app(environ, start_response)

    coverage = pytestconfig.stash[page_routes.KEY]
    coverage.routes = page_routes.page_endpoints(app)
    undo = page_routes.record_visits(app, coverage.visited)
    server = make_server("127.0.0.1", 0, marked, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    undo()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing (install Debian's chromium package; browsers are never downloaded)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                             env=real_clock.environment())  # Chromium stalls under libfaketime
        yield browser
        browser.close()


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@pytest.fixture
def requests_made():
    """Every URL the page requested during the test, in order."""
    return []


@pytest.fixture
def console_errors():
    """Console errors and uncaught exceptions on the page (CSP refusals show up here)."""
    return []


@pytest.fixture
def page(browser, live_server, requests_made, console_errors):
    context = browser.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 1024, "height": 800})
    context.set_default_timeout(10_000)

    def block_outside(route):
        if is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    context.route("**/*", block_outside)
    page = context.new_page()
    page.on("request", lambda request: requests_made.append(request.url))
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()
    outside = [url for url in requests_made if not is_local(url)]
    assert not outside, f"the page tried to reach beyond 127.0.0.1: {outside}"


from ..orders.conftest import city  # noqa: E402,F401  the small city of the order tests, and its
from ..orders.flows import flow  # noqa: E402,F401  accepted voucher-paid order, for the order pages

AXE_CORE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")  # axe-core from npm, vendored
SERIOUS = ("serious", "critical")


def axe_violations(page, impacts=SERIOUS) -> list[tuple[str, str, list[str]]]:
    """axe-core's violations of these impacts on the page as it stands, in the standard text size and in the larger
    one (the class the header's 大字 switch puts on <html>): (rule, impact, the first nodes' selectors), a rule
    found only in the larger size named "<rule> (larger text)". A page in Chinese also may not show an English
    phrase of the translation catalogue or an internal code: each is reported as a violation too.
    The script is evaluated in the page (the pages' CSP refuses inline script tags; evaluate is the browser's own
    channel), from the vendored copy: nothing is fetched."""
    with open(AXE_CORE, encoding="utf-8") as source:
        page.evaluate("source => { (0, eval)(source); }", source.read())
    found = _axe(page, impacts)
    was_large = page.evaluate("() => document.documentElement.classList.contains('text-large')")
    page.evaluate("() => document.documentElement.classList.toggle('text-large')")
    try:
        other = "standard text" if was_large else "larger text"
        found += [(f"{rule} ({other})", impact, nodes) for rule, impact, nodes in _axe(page, impacts)
                  if (rule, impact, nodes) not in found]
    finally:
        page.evaluate("() => document.documentElement.classList.toggle('text-large')")
    if page.evaluate("() => document.documentElement.lang") == "zh-CN":
        found += [("english-in-chinese", "serious", [phrase]) for phrase in english_shown(page)]
    return found


def _axe(page, impacts) -> list[tuple[str, str, list[str]]]:
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                          ".map(v => [v.id, v.impact, v.nodes.slice(0, 3).map(n => n.target.join(' '))])")
    return [tuple(v) for v in found if v[1] in impacts]


CATALOGUE = os.path.join(os.path.dirname(__file__), "..", "..", "platform", "eldercare", "translations", "zh",
                         "LC_MESSAGES", "messages.po")
# Codes the database and the API use, which a page must put into words: statuses, hardship, roles, kinds.
INTERNAL_CODES = re.compile(r"(?<![A-Za-z_])(in_service|low_income|provider_admin|point_staff|refund_due|needs_info|"
                            r"full_price|day_care|dibao|tekun|elder_available|elder_held|provider_payable|"
                            r"bureau_budget|status_changed)(?![A-Za-z_])")


@functools.lru_cache(maxsize=1)
def _catalogue_phrases() -> tuple[str, ...]:
    """The English phrases (two words or more, between placeholders) of every message the catalogue translates."""
    from babel.messages.pofile import read_po

    with open(CATALOGUE, "rb") as po:
        catalog = read_po(po)
    phrases = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        for msgid in (message.id if isinstance(message.id, tuple) else (message.id,)):
            for part in re.split(r"%\([a-z_]+\)[sd]|%[sd]|[.:;,!?()]", msgid):
                part = part.strip()
                if part.count(" ") >= 1 and len(part) >= 8 and re.search("[a-z]", part):
                    phrases.add(part)
    return tuple(sorted(phrases, key=len, reverse=True))


def english_shown(page) -> list[str]:
    """English phrases of the catalogue and internal codes in the page's visible text (Chinese pages only)."""
    text = page.evaluate("() => document.body.innerText")
    shown = [p for p in _catalogue_phrases() if p in text]
    return shown + sorted(set(INTERNAL_CODES.findall(text)))
