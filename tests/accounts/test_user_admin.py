"""An admin changes an account's role and scope (PATCH /users/{id}) and resets its password
(POST /users/{id}/password-reset), as API.md says: the role and scope are checked together, a change ends the
account's tokens and sessions, each change is audited with before and after, and the last active admin stays."""
import pytest
from sqlalchemy import select

from eldercare.accounts.models import User
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db

from ..factories import PASSWORD, DistrictFactory, ProviderFactory, StreetFactory, UserFactory, make_token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


@pytest.fixture
def admin():
    return UserFactory(role="admin")


def patch(api, who, user, **body):
    return api.as_(who).patch(f"/api/v1/users/{user.id}", json=body)


def test_an_admin_makes_a_family_account_a_street_officer(api, admin):
    street = StreetFactory()
    user = UserFactory(role="family")
    r = patch(api, admin, user, role="bureau", scope_region_id=street.id)
    assert r.status_code == 200, r.json
    assert (r.json["role"], r.json["scope_region_id"], r.json["provider_id"]) == ("bureau", street.id, None)
    event = events("user.updated")[-1]
    assert event.actor_id == admin.id
    assert event.detail["before"] == {"role": "family", "scope_region_id": None}
    assert event.detail["after"] == {"role": "bureau", "scope_region_id": street.id}


@pytest.mark.parametrize("role, body, field", [
    ("family", {"role": "bureau"}, "scope_region_id"),  # a bureau officer needs a region
    ("family", {"role": "operator", "scope_region_id": 999999}, "scope_region_id"),  # that exists
    ("family", {"role": "caregiver"}, "provider_id"),  # provider staff need a provider
    ("family", {"role": "provider_admin", "provider_id": 999999}, "provider_id"),
    ("family", {"role": "elder", "provider_id": "provider"}, "provider_id"),  # nobody else has one
    ("family", {"scope_region_id": "district"}, "scope_region_id"),  # a family account has no region
    ("family", {"role": "superuser"}, "role"),
])
def test_a_role_and_scope_that_do_not_fit_are_refused_naming_the_field(api, admin, role, body, field):
    user = UserFactory(role=role)
    body = {k: DistrictFactory().id if v == "district" else ProviderFactory().id if v == "provider" else v
            for k, v in body.items()}
    r = patch(api, admin, user, **body)
    assert r.status_code == 422, r.json
    assert field in r.json["errors"]
    db.session.expire_all()
    assert db.session.get(User, user.id).role == role
    assert events("user.updated") == []


def test_a_scope_the_new_role_does_not_take_is_dropped_and_one_it_takes_is_kept(api, admin):
    officer = UserFactory(role="bureau")
    region = officer.scope_region_id
    assert patch(api, admin, officer, role="operator").json["scope_region_id"] == region
    assert patch(api, admin, officer, role="family").json["scope_region_id"] is None
    staff = UserFactory(role="caregiver")
    provider = staff.provider_id
    assert patch(api, admin, staff, role="provider_admin").json["provider_id"] == provider


def test_a_role_change_ends_the_accounts_tokens_and_sessions(app, api, pages, admin):
    district = DistrictFactory()
    user = UserFactory(role="operator", scope_region_id=district.id)
    token = make_token(user)
    pages.login(user.username)
    assert pages.client.get("/elders").status_code == 200
    assert api._client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert patch(api, admin, user, role="bureau").status_code == 200
    assert api._client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert pages.client.get("/elders").status_code == 302  # back to the login page
    assert [e.detail["reason"] for e in events("auth.sessions_ended")] == ["role or scope changed"]
    # A change of name alone ends nothing.
    token = make_token(user)
    assert patch(api, admin, user, display_name="王科长").status_code == 200
    assert api._client.get("/api/v1/me", headers=bearer(token)).json["role"] == "bureau"


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(api, admin):
    for body in ({"role": "bureau", "scope_region_id": DistrictFactory().id}, {"active": False}):
        r = patch(api, admin, admin, **body)
        assert r.status_code == 409, r.json
        assert "admin" in r.json["message"]
    db.session.expire_all()
    assert (db.session.get(User, admin.id).role, db.session.get(User, admin.id).active) == ("admin", True)
    # An inactive admin does not count as the one left.
    UserFactory(role="admin", active=False)
    assert patch(api, admin, admin, active=False).status_code == 409
    # With a second active admin, either may go.
    second = UserFactory(role="admin")
    assert patch(api, admin, second, role="family").status_code == 200
    assert patch(api, admin, admin, active=False).status_code == 409  # second is no admin any more


def test_a_caregiver_on_a_providers_roster_cannot_be_moved_to_another_provider(api, admin):
    from eldercare.providers.models import Caregiver

    user = UserFactory(role="caregiver")
    db.session.add(Caregiver(provider_id=user.provider_id, name="李护理员", user_id=user.id))
    db.session.commit()
    r = patch(api, admin, user, provider_id=ProviderFactory().id)
    assert r.status_code == 409 and "provider_id" in r.json["errors"]
    # Leaving the role is an admin's call (the roster's record then no longer logs anyone in as a caregiver).
    assert patch(api, admin, user, role="family").status_code == 200


def test_only_an_admin_changes_roles(api):
    district_officer = UserFactory(role="bureau")
    user = UserFactory(role="family")
    assert patch(api, district_officer, user, role="admin").status_code == 403
    assert patch(api, user, user, role="admin").status_code == 403


def test_a_password_reset_sets_the_password_and_ends_every_login(client, api, pages, admin):
    user = UserFactory(role="family", username="wang-family")
    token = make_token(user)
    pages.login(user.username)
    r = api.as_(admin).post(f"/api/v1/users/{user.id}/password-reset", json={"password": "new-secret-77"})
    assert r.status_code == 200, r.json
    assert r.json == {"tokens_revoked": 1}
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert pages.client.get("/my/orders").status_code == 302
    login = {"username": "wang-family"}
    assert client.post("/api/v1/auth/tokens", json=login | {"password": PASSWORD}).status_code == 401
    assert client.post("/api/v1/auth/tokens", json=login | {"password": "new-secret-77"}).status_code == 201
    event = events("user.password_reset")[-1]
    assert (event.actor_id, event.detail["generated"]) == (admin.id, False)
    assert "new-secret-77" not in repr([e.detail for e in db.session.scalars(select(AuditEvent))])


@pytest.mark.parametrize("password", ["12345678", "password1", "wang-family", "        ", "short"])
def test_a_reset_password_follows_the_password_rules(api, admin, password):
    user = UserFactory(role="family", username="wang-family")
    r = api.as_(admin).post(f"/api/v1/users/{user.id}/password-reset", json={"password": password})
    assert r.status_code == 422
    assert "password" in r.json["errors"]
    assert events("user.password_reset") == []


def test_a_reset_without_a_password_returns_a_generated_one_once(client, api, admin):
    user = UserFactory(role="family", username="li-family")
    r = api.as_(admin).post(f"/api/v1/users/{user.id}/password-reset", json={},
                            headers={"Idempotency-Key": "6f1c5e0a-3c55-4c39-9a43-111111111111"})
    assert r.status_code == 200
    generated = r.json["password"]
    assert len(generated) >= 12
    assert client.post("/api/v1/auth/tokens", json={"username": "li-family", "password": generated}).status_code == 201
    # Never stored for a replay: the same key again makes another password, the first one stops working.
    again = api.as_(admin).post(f"/api/v1/users/{user.id}/password-reset", json={},
                                headers={"Idempotency-Key": "6f1c5e0a-3c55-4c39-9a43-111111111111"})
    assert again.json["password"] != generated
    assert client.post("/api/v1/auth/tokens", json={"username": "li-family", "password": generated}).status_code == 401
    assert [e.detail["generated"] for e in events("user.password_reset")] == [True, True]


def test_password_reset_is_for_admins_only(api):
    user = UserFactory(role="family")
    for who in (UserFactory(role="bureau"), user):
        assert api.as_(who).post(f"/api/v1/users/{user.id}/password-reset", json={}).status_code == 403
    assert api.post(f"/api/v1/users/{user.id}/password-reset", json={}).status_code == 401
    assert api.as_(UserFactory(role="admin")).post("/api/v1/users/999999/password-reset", json={}).status_code == 404


@pytest.mark.postgres
def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, api, is_postgres, monkeypatch):
    """Both requests reach the last-admin check together (the barrier sees to it); the rows it locks make the
    second wait for the first and then see the first's change: one 200, one 409, one admin left."""
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    import threading

    from eldercare.accounts import services

    first, second = UserFactory(role="admin"), UserFactory(role="admin")
    clients = [api.as_(first), api.as_(second)]
    arrived = threading.Barrier(2)
    check = services._keep_an_admin

    def arrive_then_check(user):
        arrived.wait(timeout=10)
        return check(user)

    monkeypatch.setattr(services, "_keep_an_admin", arrive_then_check)
    results = []

    def demote(client, user_id):
        results.append(client.patch(f"/api/v1/users/{user_id}", json={"role": "family"}).status_code)

    threads = [threading.Thread(target=demote, args=(clients[0], second.id)),
               threading.Thread(target=demote, args=(clients[1], first.id))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [200, 409]
    db.session.expire_all()
    assert db.session.scalars(select(User.id).where(User.role == "admin")).all() in ([first.id], [second.id])
