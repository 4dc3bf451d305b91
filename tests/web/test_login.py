"""The login and logout pages: CSRF, inline errors, the failure limit, safe redirects."""
import pytest

from ..factories import UserFactory


def is_logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_login_page_has_labelled_fields_and_a_csrf_token(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="username">用户名</label>' in html and 'id="username"' in html
    assert '<label for="password">密码</label>' in html and 'type="password"' in html
    assert 'name="csrf_token"' in html


def test_post_without_csrf_token_is_400_and_logs_nobody_in(client):
    UserFactory(username="wang")
    response = client.post("/login", data={"username": "wang", "password": "correct-horse-9"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "页面已过期" in response.get_data(as_text=True)  # Flask-WTF's jargon is not shown
    assert not is_logged_in(client)


def test_right_password_goes_home(pages):
    UserFactory(username="wang", role="family")
    response = pages.login("wang")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_logged_in(pages.client)


def test_wrong_password_shows_the_error_on_the_form(pages):
    UserFactory(username="wang")
    response = pages.login("wang", "not-my-password")
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert 'role="alert">用户名或密码错误。' in html and 'aria-invalid="true"' in html
    assert 'value="wang"' in html  # the username stays filled in
    assert not is_logged_in(pages.client)


def test_unknown_user_gets_the_same_error(pages):
    response = pages.login("nobody", "not-my-password")
    assert response.status_code == 401 and "用户名或密码错误。" in response.get_data(as_text=True)


def test_empty_form_asks_for_both_fields_without_counting_as_a_failure(pages):
    UserFactory(username="wang")
    for _ in range(6):
        response = pages.login("", "")
        assert response.status_code == 400 and "请输入用户名和密码。" in response.get_data(as_text=True)
    assert pages.login("wang").status_code == 302


def test_inactive_account_cannot_log_in(pages):
    UserFactory(username="gone", active=False)
    assert pages.login("gone").status_code == 401


def test_sixth_failed_login_within_a_minute_is_429(pages):
    UserFactory(username="wang")
    codes = [pages.login("wang", "not-my-password").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    blocked = pages.login("wang")  # even the right password waits out the minute
    assert blocked.status_code == 429 and blocked.mimetype == "text/html"
    assert "尝试次数过多" in blocked.get_data(as_text=True)
    assert not is_logged_in(pages.client)


def test_successful_logins_do_not_count_against_the_limit(pages):
    UserFactory(username="wang")
    for _ in range(7):
        assert pages.login("wang").status_code == 302
        assert pages.logout().status_code == 302


def test_the_login_form_itself_is_never_limited(client):
    assert all(client.get("/login").status_code == 200 for _ in range(10))


@pytest.mark.parametrize("next_url", [
    "https://evil.example",
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "/\tevil",
])
def test_next_pointing_elsewhere_is_ignored(pages, next_url):
    UserFactory(username="wang")
    response = pages.login("wang", next_url=next_url)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_next_on_this_site_is_followed(pages):
    UserFactory(username="wang")
    response = pages.login("wang", next_url="/orders?page=2")
    assert response.headers["Location"] == "/orders?page=2"


def test_next_from_the_query_string_survives_the_form(client):
    html = client.get("/login?next=/orders").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/orders">' in html
    assert 'name="next"' not in client.get("/login?next=https://evil.example").get_data(as_text=True)


def test_a_logged_in_visitor_is_sent_on_from_the_login_page(pages):
    UserFactory(username="wang")
    pages.login("wang")
    response = pages.client.get("/login")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_logout_is_post_only_and_needs_the_token(pages):
    UserFactory(username="wang")
    pages.login("wang")
    assert pages.client.get("/logout").status_code == 405
    assert pages.client.post("/logout").status_code == 400  # no CSRF token: a link elsewhere cannot log you out
    assert is_logged_in(pages.client)
    response = pages.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "您已退出登录。" in pages.client.get("/login").get_data(as_text=True)
    assert not is_logged_in(pages.client)
