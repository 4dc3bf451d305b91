"""Signing up on the page (issue 18: the API alone had it): a family member or a provider's administrator opens
an account, is logged in and lands on their home page; a mistake is named beside its field, in Chinese, and the
password is never sent back in the page."""
from sqlalchemy import select

from eldercare.accounts.models import User
from eldercare.extensions import db


def form(pages, **fields):
    token = pages.token("/signup")
    return {"csrf_token": token, "role": "provider_admin", "username": "kangning", "password": "安康-宁静-2026",
            "phone": "13912345678"} | fields


def test_a_provider_signs_up_and_lands_on_its_home_page(pages):
    response = pages.client.post("/signup", data=form(pages))
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    user = db.session.scalar(select(User).where(User.username == "kangning"))
    assert user.role == "provider_admin" and user.phone == "13912345678"
    home = pages.client.get("/").get_data(as_text=True)
    assert "服务商管理员" in home and "账号已开通" in home


def test_mistakes_are_named_beside_their_fields_in_chinese(pages):
    response = pages.client.post("/signup", data=form(pages, password="short", phone="１３９１２３４５６７８"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "至少需要8个字符" in html
    assert 'id="password-error"' in html and "short" not in html  # the password is not echoed back
    assert db.session.scalar(select(User).where(User.username == "kangning")) is None
    response = pages.client.post("/signup", data=form(pages, role="admin"))
    assert response.status_code == 422 and "请选择其中一项" in response.get_data(as_text=True)
    response = pages.client.post("/signup", data=form(pages, phone="１３９１２３４５６７８"))  # full-width digits
    assert response.status_code == 422 and "请填写11位手机号码" in response.get_data(as_text=True)


def test_a_taken_username_is_refused_without_saying_whose(pages):
    assert pages.client.post("/signup", data=form(pages)).status_code == 302
    pages.client.post("/logout", data={"csrf_token": pages.token("/")})
    response = pages.client.post("/signup", data=form(pages, username="KangNing", role="family"))
    assert response.status_code == 422
    assert "这个用户名不能使用" in response.get_data(as_text=True)
