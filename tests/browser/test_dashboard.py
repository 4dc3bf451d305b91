"""The bureau's dashboard and report pages in a real browser: reached from the home page, the charts drawn by the
vendored Chart.js from the tables beside them (no CSP refusal, nothing fetched from outside), and axe-core finds
no serious or critical violation."""
import pytest
import time_machine
from playwright.sync_api import expect

from ..reports.conftest import DECEMBER, at, city  # noqa: F401  the reports' small city with known numbers
from .conftest import axe_violations
from .test_smoke import log_in

pytestmark = pytest.mark.browser


def test_the_dashboard_draws_its_charts_and_passes_axe(page, city, console_errors):  # noqa: F811
    with time_machine.travel(at(DECEMBER, 3), tick=True):
        log_in(page, city.officer.username)
        page.goto("/")
        page.get_by_role("link", name="打开仪表盘").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("仪表盘")
        expect(page.locator("canvas[data-chart]")).to_have_count(5)
        # The charts are drawn by the vendored script once it has loaded: on the month-end CI run the page's
        # heading and canvases were there before the script was (Chart undefined).
        page.wait_for_load_state("load")
        page.wait_for_function("() => typeof Chart !== 'undefined'")
        drawn = page.evaluate("() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
                              ".map(c => Boolean(Chart.getChart(c)) && c.width > 0)")
        assert drawn == [True] * 5
        november = page.locator("#spend-by-month tr", has_text="2026-11")
        expect(november).to_contain_text("62.50")
        expect(page.locator("#providers-by-findings tbody tr").first).to_contain_text("乙居家养老服务中心")
        assert axe_violations(page) == []
        page.get_by_role("link", name="打开报表").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("报表")
        page.get_by_label("开始月份").fill("2026-11")
        page.get_by_label("结束月份").fill("2026-11")
        page.get_by_label("分组方式").select_option("street")
        page.get_by_role("button", name="显示").click()
        expect(page.locator("table.data").nth(1)).to_contain_text("城西街道")
        assert axe_violations(page) == []
        page.get_by_role("link", name="保障率").click()
        expect(page.locator("body")).to_contain_text("75.0%")
        assert axe_violations(page) == []
    assert console_errors == []
