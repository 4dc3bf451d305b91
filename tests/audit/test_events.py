"""What the log keeps: logins on the page and by token, failed logins (kept although the request answers 401 and
rolls back; the username tried, never the password), logouts, token revocations, and an account's creation and
changes with the state before and after; every row signed as it is written."""
from sqlalchemy import select

from eldercare.audit import chain
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db

from ..factories import PASSWORD, UserFactory, make_token

WRONG = "not-the-password-7"


def logged(action):
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def no_password_anywhere():
    for e in db.session.scalars(select(AuditEvent)):
        text = repr((e.detail, e.action, e.target_type, e.ip))
        assert PASSWORD not in text and WRONG not in text


def test_a_page_login_and_logout_are_logged_with_the_address(pages):
    user = UserFactory(role="bureau")
    assert pages.login(user.username).status_code == 302
    pages.logout()
    login, = logged("auth.login")
    assert (login.actor_id, login.target_id, login.detail["via"], login.ip) == (user.id, user.id, "page", "127.0.0.1")
    assert [e.actor_id for e in logged("auth.logout")] == [user.id]
    assert all(chain.mac_of(e) == e.mac for e in db.session.scalars(select(AuditEvent)))


def test_a_failed_page_login_is_kept_with_the_username_tried_never_the_password(pages):
    user = UserFactory(role="operator")
    assert pages.login(user.username, password=WRONG).status_code == 401
    assert pages.login("nobody-here", password=WRONG).status_code == 401
    first, second = logged("auth.login_failed")
    assert (first.target_id, first.actor_id, first.detail) == (
        user.id, None, {"via": "page", "username": user.username, "reason": "wrong password"})
    assert (second.target_id, second.detail["username"], second.detail["reason"]) == (
        None, "nobody-here", "no such account")
    assert first.ip == "127.0.0.1" and first.mac == chain.mac_of(first)
    assert logged("auth.login") == []
    no_password_anywhere()


def test_a_failed_token_login_is_kept_although_the_request_rolls_back(api):
    user = UserFactory(role="family", active=False)
    response = api.post("/api/v1/auth/tokens", json={"username": user.username.upper(), "password": PASSWORD})
    assert response.status_code == 401
    failed, = logged("auth.login_failed")
    assert (failed.target_id, failed.detail["via"], failed.detail["reason"]) == (user.id, "api", "inactive account")
    no_password_anywhere()


def test_a_token_login_and_its_revocation_are_logged(api):
    user = UserFactory(role="family")
    token = api.post("/api/v1/auth/tokens", json={"username": user.username, "password": PASSWORD}).json["token"]
    assert api.delete("/api/v1/auth/tokens", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert [(e.actor_id, e.detail["via"]) for e in logged("auth.login")] == [(user.id, "api")]
    assert [e.actor_id for e in logged("auth.token_revoked")] == [user.id]


def test_an_accounts_creation_and_changes_are_logged_before_and_after(api):
    admin = UserFactory(role="admin")
    created = api.as_(admin).post("/api/v1/users", json={"username": "new-officer", "password": "a-long-pass-8",
                                                          "role": "family"}).json
    api.as_(admin).patch(f"/api/v1/users/{created['id']}", json={"phone": "13912345678", "active": False})
    create, = logged("user.create")
    assert (create.actor_id, create.target_id, create.detail["after"]["role"]) == (admin.id, created["id"], "family")
    update, = logged("user.updated")
    assert update.detail["before"] == {"active": True, "phone": None}
    assert update.detail["after"] == {"active": False, "phone": "139****5678"}  # sealed in its table: masked here
    assert logged("auth.sessions_ended")[0].detail["reason"] == "deactivated"
    assert "a-long-pass-8" not in repr([e.detail for e in logged("user.create")])


def test_a_refused_request_leaves_no_event_but_a_failed_login(api):
    """Only failed logins are kept despite a failure: any other refused change leaves nothing."""
    admin = UserFactory(role="admin")
    token = make_token(admin)
    before = len(db.session.scalars(select(AuditEvent)).all())
    refused = api.post("/api/v1/users", json={"username": "x", "password": "short", "role": "family"},
                       headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert len(db.session.scalars(select(AuditEvent)).all()) == before
