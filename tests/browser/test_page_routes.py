"""The check that every page route is opened by a browser test (page_routes.py): what counts as a page route and
as a visit, and what the check reports. The check itself runs at the end of a run of the whole of tests/browser."""
import pytest

from .page_routes import EXCLUDED, page_endpoints, problems, record_visits

pytestmark = pytest.mark.browser


def test_page_routes_are_the_get_routes_outside_the_api_and_the_static_files(app):
    routes = page_endpoints(app)
    assert routes["accounts_pages.login"] == "/login" and routes["order_pages.detail"] == "/orders/<int:order_id>"
    assert "static" not in routes and "api-docs.openapi_swagger_ui" not in routes and "orders.list_orders" not in routes
    assert "accounts_pages.logout" not in routes and "order_pages.act" not in routes  # POST only


def test_every_exclusion_names_a_page_route_and_says_why(app):
    routes = page_endpoints(app)
    assert problems(routes, set(routes) - set(EXCLUDED), EXCLUDED) == []


def test_the_check_reports_what_is_neither_visited_nor_excluded_and_wrong_exclusions():
    routes = {"a.one": "/one", "a.two": "/two", "a.three": "/three", "a.file": "/file.csv"}
    assert problems(routes, {"a.one", "a.two", "a.three"}, {"a.file": "a download"}) == []
    found = problems(routes, {"a.one", "a.file"}, {"a.file": "a download", "a.gone": "removed", "a.two": " "})
    assert [line.split(":")[0] for line in found] == [
        "a.three (/three)", "a.gone", "a.file", "a.two"]
    assert "excluded, but no such page route" in found[1] and "drop the exclusion" in found[2]
    assert "without a reason" in found[3]


def test_the_live_server_records_pages_opened_not_redirects_errors_or_data(app, page):
    seen = set()
    undo = record_visits(app, seen)
    try:
        page.goto("/")  # anonymous: redirected to the login page, which is the visit
        page.goto("/no-such-page")
        page.goto("/api/v1/health")
        page.goto("/static/css/app.css")
    finally:
        undo()
    assert seen == {"accounts_pages.login"}
