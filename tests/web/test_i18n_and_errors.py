"""Chinese by default, English on request and remembered; error pages in the layout and the language."""
import os
import time

import pytest

from eldercare.i18n import compile_translations_if_needed
from eldercare.web.context import error_text


def test_chinese_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "<h1>登录</h1>" in html


def test_english_switch_is_remembered_until_switched_back(client):
    html = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "<h1>Log in</h1>" in html and "Username" in html
    assert "<h1>Log in</h1>" in client.get("/login").get_data(as_text=True)
    assert "<h1>登录</h1>" in client.get("/login?lang=zh").get_data(as_text=True)
    assert "<h1>登录</h1>" in client.get("/login").get_data(as_text=True)


def test_unknown_language_is_ignored(client):
    assert "<h1>登录</h1>" in client.get("/login?lang=fr").get_data(as_text=True)


def test_language_choice_survives_a_redirect(client):
    client.get("/?lang=en")  # logged out: straight to the login page
    assert "<h1>Log in</h1>" in client.get("/login").get_data(as_text=True)


def test_the_switch_keeps_the_rest_of_the_address(client):
    html = client.get("/login?next=/orders&lang=en").get_data(as_text=True)
    assert 'href="/login?next=%2Forders&amp;lang=zh"' in html and 'aria-current="true">English' in html


def test_flash_and_error_messages_are_translated(pages):
    from ..factories import UserFactory

    UserFactory(username="wang")
    pages.client.get("/login?lang=en")
    assert "Wrong username or password." in pages.login("wang", "nope-nope").get_data(as_text=True)
    pages.client.get("/login?lang=zh")
    assert "用户名或密码错误。" in pages.login("wang", "nope-nope").get_data(as_text=True)


def test_unknown_page_is_a_404_page_in_the_layout(client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "找不到这个页面" in html and 'href="/"' in html and 'class="site-header"' in html
    assert "requested URL" not in html  # werkzeug's stock English stays out of the Chinese page
    english = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "We could not find that page" in english


def test_wrong_method_is_a_405_page(client):
    response = client.get("/logout")
    assert response.status_code == 405 and "此页面不能这样操作" in response.get_data(as_text=True)
    assert response.headers["Allow"]  # the page still says which methods would work


def test_the_api_still_answers_json(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404 and response.is_json


@pytest.mark.parametrize("code", [400, 401, 403, 404, 405, 409, 422, 429, 500])
def test_every_error_code_has_its_own_chinese_headline(app, code):
    with app.test_request_context("/"):
        headline, advice = error_text(code)
        fallback = error_text(599)
    assert headline != fallback[0] and advice
    assert not headline.isascii(), f"{code}: {headline!r} is not translated"


def test_catalogue_is_compiled_when_missing_or_stale(tmp_path):
    from babel.messages.mofile import read_mo

    po = tmp_path / "zh" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\nmsgid "Log in"\nmsgstr "登录"\n',
                  encoding="utf-8")
    mo = po.with_suffix(".mo")
    assert compile_translations_if_needed(tmp_path) == [mo]
    with mo.open("rb") as f:
        assert read_mo(f).get("Log in").string == "登录"
    assert compile_translations_if_needed(tmp_path) == []  # up to date: nothing to do

    po.write_text(po.read_text(encoding="utf-8").replace("登录", "登入"), encoding="utf-8")
    later = time.time() + 5
    os.utime(po, (later, later))
    assert compile_translations_if_needed(tmp_path) == [mo]
    with mo.open("rb") as f:
        assert read_mo(f).get("Log in").string == "登入"
    assert sorted(p.name for p in po.parent.iterdir()) == ["messages.mo", "messages.po"]  # no temporary left


def test_the_shipped_catalogue_is_complete():
    from pathlib import Path

    from babel.messages.pofile import read_po

    import eldercare

    po = Path(eldercare.__file__).parent / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []


def test_flask_login_prompt_is_translated_and_its_next_is_accepted(app):
    from flask import get_flashed_messages

    from eldercare.accounts.views import safe_next
    from eldercare.extensions import login_manager

    with app.test_request_context("/orders?page=2"):
        response = login_manager.unauthorized()  # what a login_required page does for a visitor
        assert response.status_code == 302 and response.location.startswith("/login?next=")
        assert get_flashed_messages() == ["请先登录，再查看此页面。"]
    assert safe_next("/orders?page=2") == "/orders?page=2"
