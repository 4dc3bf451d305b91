import json

import pytest

from eldercare.accounts.models import ApiToken, User
from eldercare.audit.models import AuditEvent

from ..factories import PASSWORD, DistrictFactory, ProviderFactory, UserFactory


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/tokens", json={"username": username, "password": password})


class TestTokens:
    def test_login_returns_token_and_user(self, client):
        UserFactory(username="wang", role="family")
        response = login(client, "wang")
        assert response.status_code == 201
        body = response.json
        assert body["user"]["username"] == "wang" and body["user"]["role"] == "family"
        assert len(body["token"]) >= 40 and "expires_at" in body
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200 and me.json["username"] == "wang"

    def test_token_is_stored_only_as_a_hash(self, client, db):
        UserFactory(username="wang")
        token = login(client, "wang").json["token"]
        stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
        assert stored and token not in stored

    @pytest.mark.parametrize("username,password", [("wang", "wrong-password"), ("nobody", PASSWORD)])
    def test_bad_login_is_401_in_error_format(self, client, username, password):
        UserFactory(username="wang")
        response = login(client, username, password)
        assert response.status_code == 401
        assert response.json["code"] == 401 and response.json["status"] == "Unauthorized"
        assert response.json["message"] == "Wrong username or password."

    def test_inactive_user_cannot_log_in(self, client):
        UserFactory(username="gone", active=False)
        assert login(client, "gone").status_code == 401

    def test_sixth_bad_login_within_a_minute_is_429(self, client):
        UserFactory(username="wang")
        codes = [login(client, "wang", "nope-nope").status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        blocked = login(client, "wang")  # even the right password waits out the minute
        assert blocked.status_code == 429 and blocked.json["code"] == 429

    def test_good_logins_do_not_count_against_the_limit(self, client):
        UserFactory(username="wang")
        assert all(login(client, "wang").status_code == 201 for _ in range(8))

    def test_missing_password_names_the_field(self, client):
        response = client.post("/api/v1/auth/tokens", json={"username": "x"})
        assert response.status_code == 422
        assert response.json["errors"] == {"password": ["Missing data for required field."]}

    def test_expired_and_garbage_tokens_are_401(self, client, db):
        user = UserFactory(username="wang")
        token = login(client, "wang").json["token"]
        row = db.session.scalar(db.select(ApiToken).where(ApiToken.user_id == user.id))
        from datetime import timedelta

        from eldercare.db import utcnow

        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
        assert client.get("/api/v1/me").status_code == 401

    def test_session_cookie_does_not_authorise_the_api(self, client):
        """A logged-in browser must not be able to drive the API without a token (no CSRF there)."""
        UserFactory(username="wang")
        page = client.get("/login").get_data(as_text=True)
        csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
        form = {"username": "wang", "password": PASSWORD, "csrf_token": csrf}
        assert client.post("/login", data=form).status_code == 302
        assert client.get("/api/v1/me").status_code == 401


class TestSignup:
    def test_family_can_sign_up_and_log_in(self, client, db):
        response = client.post("/api/v1/auth/signup", json={
            "username": "li.family", "password": "long-enough-1", "role": "family", "phone": "13912345678"})
        assert response.status_code == 201 and response.json["role"] == "family"
        assert "password" not in response.json and "password_hash" not in response.json
        assert login(client, "li.family", "long-enough-1").status_code == 201
        stored = db.session.scalar(db.select(User.password_hash).where(User.username == "li.family"))
        assert stored.startswith("scrypt:")

    @pytest.mark.parametrize("role", ["admin", "bureau", "operator", "caregiver", "elder"])
    def test_privileged_roles_cannot_sign_up(self, client, role):
        response = client.post("/api/v1/auth/signup", json={
            "username": "sneaky", "password": "long-enough-1", "role": role, "phone": "13912345678"})
        assert response.status_code == 422 and "role" in response.json["errors"]

    @pytest.mark.parametrize("field,value", [("phone", "12345"), ("password", "short"), ("username", "a b")])
    def test_bad_fields_are_named(self, client, field, value):
        body = {"username": "li.family", "password": "long-enough-1", "role": "family", "phone": "13912345678"}
        body[field] = value
        response = client.post("/api/v1/auth/signup", json=body)
        assert response.status_code == 422 and field in response.json["errors"]

    def test_taken_username_is_409(self, client):
        UserFactory(username="li.family")
        response = client.post("/api/v1/auth/signup", json={
            "username": "li.family", "password": "long-enough-1", "role": "family", "phone": "13912345678"})
        assert response.status_code == 409 and "username" in response.json["errors"]


class TestUsers:
    def test_admin_creates_scoped_bureau_officer(self, api, db):
        admin = UserFactory(role="admin")
        district = DistrictFactory()
        response = api.as_(admin).post("/api/v1/users", json={
            "username": "officer.zhang", "password": "long-enough-1", "role": "bureau",
            "scope_region_id": district.id})
        assert response.status_code == 201
        assert response.json["scope_region_id"] == district.id and response.json["role"] == "bureau"
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.create"))
        assert event.actor_id == admin.id and event.target_id == response.json["id"]

    def test_admin_creates_provider_staff(self, api):
        admin = UserFactory(role="admin")
        provider = ProviderFactory()
        response = api.as_(admin).post("/api/v1/users", json={
            "username": "cg.li", "password": "long-enough-1", "role": "caregiver", "provider_id": provider.id})
        assert response.status_code == 201 and response.json["provider_id"] == provider.id

    @pytest.mark.parametrize("body,field", [
        ({"role": "bureau"}, "scope_region_id"),
        ({"role": "bureau", "scope_region_id": 999999}, "scope_region_id"),
        ({"role": "family", "scope_region_id": 1}, "scope_region_id"),
        ({"role": "provider_admin", "provider_id": 999999}, "provider_id"),
        ({"role": "family", "provider_id": 1}, "provider_id"),
        ({"role": "king"}, "role"),
    ])
    def test_role_and_scope_must_fit(self, api, body, field):
        admin = UserFactory(role="admin")
        response = api.as_(admin).post("/api/v1/users", json={
            "username": "someone", "password": "long-enough-1", **body})
        assert response.status_code == 422
        assert field in response.json["errors"]

    @pytest.mark.parametrize("role", ["elder", "family", "operator", "provider_admin", "caregiver", "bureau"])
    def test_only_admin_manages_users(self, api, role):
        user = UserFactory(role=role)
        assert api.as_(user).get("/api/v1/users").status_code == 403
        response = api.as_(user).post("/api/v1/users", json={
            "username": "x.y.z", "password": "long-enough-1", "role": "admin"})
        assert response.status_code == 403 and response.json["status"] == "Forbidden"

    def test_anonymous_is_401(self, api):
        assert api.get("/api/v1/users").status_code == 401

    def test_list_is_paginated_and_filterable(self, api):
        admin = UserFactory(role="admin")
        UserFactory.create_batch(4, role="family")
        UserFactory.create_batch(2, role="elder")
        response = api.as_(admin).get("/api/v1/users?role=family&page=2&page_size=3")
        assert response.status_code == 200
        assert json.loads(response.headers["X-Pagination"])["total"] == 4
        assert json.loads(response.headers["X-Pagination"])["page_size"] == 3
        assert [u["role"] for u in response.json] == ["family"]

    def test_page_size_over_200_is_refused(self, api):
        admin = UserFactory(role="admin")
        response = api.as_(admin).get("/api/v1/users?page_size=201")
        assert response.status_code == 422 and "page_size" in response.json["errors"]


def test_page_and_api_share_one_count_of_failed_logins(client):
    """Switching between the login page and the API gives no extra guesses."""
    UserFactory(username="wang")
    for _ in range(3):
        assert login(client, "wang", "nope-nope").status_code == 401
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"username": "wang", "password": "nope-nope", "csrf_token": csrf}
    assert [client.post("/login", data=form).status_code for _ in range(3)] == [401, 401, 429]
    assert login(client, "wang").status_code == 429
