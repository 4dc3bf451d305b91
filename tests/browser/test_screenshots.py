"""The README's screenshots: each role's home page in the demo city, at a phone's and a desktop's width, taken by
this test on every browser run (so the README shows the pages as they are) and checked with axe-core as taken.

The files are docs/screenshots/<role>-<width>.png; the README's "Screens" section shows each of them, and this
test fails if one it writes is not shown there."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from eldercare.demo.seed import DEMO_PASSWORD, seed_demo

from .conftest import axe_violations
from .test_demo_logins import DEMO_LOGINS
from .test_smoke import log_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def test_each_roles_home_page_at_phone_and_desktop_width(page):
    seed_demo(20)
    SHOTS.mkdir(parents=True, exist_ok=True)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for username, role_text, next_step in DEMO_LOGINS:
        log_in(page, username, DEMO_PASSWORD)
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            page.goto("/")
            page.wait_for_load_state()
            expect(page.locator("header .who-role")).to_have_text(role_text)
            expect(page.locator("main")).to_contain_text(next_step)
            assert axe_violations(page) == [], (username, width)
            name = f"{username}-{width}.png"
            page.screenshot(path=str(SHOTS / name))
            assert f"docs/screenshots/{name}" in readme, f"the README does not show {name}"
        page.get_by_role("button", name="退出登录").click()
        expect(page).to_have_url(re.compile(r"/login$"))
