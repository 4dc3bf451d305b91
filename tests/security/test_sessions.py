"""Ending a login on the server (issue 19, medium): a revoked bearer token answers 401, a session cookie copied
before logout no longer works, and an admin can end every token and session of an account."""
from sqlalchemy import select

from eldercare.accounts.models import ApiToken, User
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db

from ..factories import PASSWORD, UserFactory, make_token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def actions(name):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == name)).all()


def test_delete_auth_tokens_revokes_the_token_used(client):
    user = UserFactory(role="family")
    token, other = make_token(user), make_token(user)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert client.delete("/api/v1/auth/tokens", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert client.delete("/api/v1/auth/tokens", headers=bearer(token)).status_code == 401
    # Only the token used: the same person's other device stays logged in.
    assert client.get("/api/v1/me", headers=bearer(other)).status_code == 200
    assert [e.actor_id for e in actions("auth.token_revoked")] == [user.id]


def test_delete_auth_tokens_without_a_token_is_401(client):
    assert client.delete("/api/v1/auth/tokens").status_code == 401


def _logged_in_cookie(pages, username):
    pages.login(username)
    assert pages.client.get("/").status_code == 200
    return pages.client.get_cookie("session").value


def _with_cookie(app, value):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_cookie_copied_before_logout_no_longer_works(app, pages):
    user = UserFactory(role="family")
    copied = _logged_in_cookie(pages, user.username)
    assert _with_cookie(app, copied).get("/").status_code == 200  # the copy works while the login lasts
    pages.logout()
    assert _with_cookie(app, copied).get("/").status_code == 302  # sent to the login page
    assert len(actions("auth.logout")) == 1
    # Logging in again works as before.
    pages.login(user.username)
    assert pages.client.get("/").status_code == 200


def test_an_admin_ends_every_token_and_session_of_an_account(app, api, pages):
    user, admin = UserFactory(role="family"), UserFactory(role="admin")
    token = make_token(user)
    copied = _logged_in_cookie(pages, user.username)
    response = api.as_(admin).delete(f"/api/v1/users/{user.id}/sessions")
    assert response.status_code == 200 and response.json == {"tokens_revoked": 1}
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert _with_cookie(app, copied).get("/").status_code == 302
    assert actions("auth.sessions_ended")[0].actor_id == admin.id
    # The account itself still works: the person logs in afresh.
    login = api.post("/api/v1/auth/tokens", json={"username": user.username, "password": PASSWORD})
    assert login.status_code == 201


def test_only_an_admin_ends_sessions(api):
    user = UserFactory(role="family")
    for who in (user, UserFactory(role="bureau", scope_region_id=None)):
        assert api.as_(who).delete(f"/api/v1/users/{user.id}/sessions").status_code == 403
    assert api.as_(UserFactory(role="admin")).delete("/api/v1/users/999999/sessions").status_code == 404


def test_deactivating_an_account_revokes_its_tokens_for_good(app, api, pages):
    user, admin = UserFactory(role="family"), UserFactory(role="admin")
    token = make_token(user)
    copied = _logged_in_cookie(pages, user.username)
    response = api.as_(admin).patch(f"/api/v1/users/{user.id}", json={"active": False})
    assert response.status_code == 200 and response.json["active"] is False
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401
    # Reactivated later, the old token and cookie stay dead: they were revoked, not just refused for a while.
    assert api.as_(admin).patch(f"/api/v1/users/{user.id}", json={"active": True}).status_code == 200
    assert api.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert _with_cookie(app, copied).get("/").status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)).revoked_at is not None
    assert db.session.get(User, user.id).active is True


def test_an_empty_patch_of_a_user_is_422(api):
    user = UserFactory(role="family")
    assert api.as_(UserFactory(role="admin")).patch(f"/api/v1/users/{user.id}", json={}).status_code == 422
