"""The admin's account pages (issue 18: 管理账号 was "coming soon"): list and search, a new account with its scope
(refusals beside their fields, in Chinese), deactivation and reactivation (the last admin kept), and a new
password shown once; nobody but an admin reaches them."""
from sqlalchemy import select

from eldercare.accounts.models import User
from eldercare.extensions import db

from ..factories import UserFactory


def test_the_admin_opens_an_operators_account_for_a_street(pages, place):
    admin = UserFactory(role="admin")
    pages.login(admin.username)
    token = pages.token("/admin/accounts/new")
    form = {"csrf_token": token, "role": "operator", "username": "op-new", "password": "话务-安康-2026",
            "display_name": "新话务员", "phone": "13912345678"}
    refused = pages.client.post("/admin/accounts/new", data=form)  # an operator works in a region
    assert refused.status_code == 422
    assert db.session.scalar(select(User).where(User.username == "op-new")) is None
    made = pages.client.post("/admin/accounts/new", data=form | {"scope_region_id": str(place.street_a.id)})
    assert made.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "op-new"))
    assert (user.role, user.scope_region_id, user.display_name) == ("operator", place.street_a.id, "新话务员")
    listed = pages.client.get("/admin/accounts", query_string={"role": "operator", "q": "新话务"})
    listed = listed.get_data(as_text=True)
    assert "op-new" in listed and f">{admin.username}</a>" not in listed
    page = pages.client.get(f"/admin/accounts/{user.id}").get_data(as_text=True)
    assert "话务员" in page and place.street_a.name in page


def test_deactivate_reactivate_and_a_new_password_shown_once(pages):
    admin, someone = UserFactory(role="admin"), UserFactory(role="family")
    pages.login(admin.username)
    token = pages.token(f"/admin/accounts/{someone.id}")
    asked = pages.client.post(f"/admin/accounts/{someone.id}/active", data={"csrf_token": token, "active": "no"})
    assert asked.status_code == 200 and "停用账号" in asked.get_data(as_text=True)  # asked again first
    db.session.refresh(someone)
    assert someone.active is True
    pages.client.post(f"/admin/accounts/{someone.id}/active",
                      data={"csrf_token": token, "active": "no", "confirmed": "yes"})
    db.session.refresh(someone)
    assert someone.active is False
    pages.client.post(f"/admin/accounts/{someone.id}/active", data={"csrf_token": token, "active": "yes"})
    db.session.refresh(someone)
    assert someone.active is True
    hash_before = someone.password_hash
    asked = pages.client.post(f"/admin/accounts/{someone.id}/password", data={"csrf_token": token})
    assert "新密码只显示这一次" not in asked.get_data(as_text=True)
    db.session.refresh(someone)
    assert someone.password_hash == hash_before
    shown = pages.client.post(f"/admin/accounts/{someone.id}/password", data={"csrf_token": token, "confirmed": "yes"})
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "新密码只显示这一次" in html
    again = pages.client.get(f"/admin/accounts/{someone.id}").get_data(as_text=True)
    assert "新密码只显示这一次" not in again


def test_the_last_admin_cannot_be_deactivated(pages):
    admin = UserFactory(role="admin")
    for other in db.session.scalars(select(User).where(User.role == "admin", User.id != admin.id)):
        other.active = False
    db.session.commit()
    pages.login(admin.username)
    token = pages.token(f"/admin/accounts/{admin.id}")
    pages.client.post(f"/admin/accounts/{admin.id}/active",
                      data={"csrf_token": token, "active": "no", "confirmed": "yes"})
    db.session.refresh(admin)
    assert admin.active is True


def test_only_the_admin_reaches_them(pages):
    operator = UserFactory(role="bureau")
    pages.login(operator.username)
    assert pages.client.get("/admin/accounts").status_code == 403


def test_a_long_list_pages_keeping_the_role_chosen(pages):
    from eldercare.accounts.admin_pages import PAGE_SIZE

    UserFactory.create_batch(PAGE_SIZE + 1, role="family")
    pages.login(UserFactory(role="admin").username)
    first = pages.client.get("/admin/accounts", query_string={"role": "family"}).get_data(as_text=True)
    assert 'href="/admin/accounts?page=2&amp;role=family"' in first and "第1页，共2页" in first
    second = pages.client.get("/admin/accounts", query_string={"role": "family", "page": 2}).get_data(as_text=True)
    assert 'href="/admin/accounts?page=1&amp;role=family"' in second


def test_the_admin_changes_an_accounts_role_and_scope(pages, place):
    admin = UserFactory(role="admin")
    someone = UserFactory(role="operator", scope_region_id=place.street_a.id)
    version = someone.session_version or 0
    pages.login(admin.username)
    token = pages.token(f"/admin/accounts/{someone.id}")
    url = f"/admin/accounts/{someone.id}/scope"
    refused = pages.client.post(url, data={"csrf_token": token, "role": "bureau", "scope_region_id": ""})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="scope_region_id-error"' in html and "这个角色需要填写所在区域" in html
    db.session.refresh(someone)
    assert (someone.role, someone.scope_region_id) == ("operator", place.street_a.id)
    moved = pages.client.post(url, data={"csrf_token": token, "role": "bureau",
                                         "scope_region_id": str(place.district.id)})
    assert moved.status_code == 302
    db.session.refresh(someone)
    assert (someone.role, someone.scope_region_id) == ("bureau", place.district.id)
    assert someone.session_version > version  # logs in again under the new rights
