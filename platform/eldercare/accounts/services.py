"""Accounts: creating users, checking passwords and issuing API tokens."""
import hashlib
import re
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import current_app, g
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.services import record, record_despite_failure
from ..db import utcnow
from ..elders.masking import mask_phone
from ..errors import Conflict, Invalid, invalid
from ..extensions import db
from .models import PROVIDER_SCOPED_ROLES, REGION_SCOPED_ROLES, ROLES, SELF_SIGNUP_ROLES, ApiToken, User

# ASCII digits only (`\d` takes any script's, "１３９..." was a phone) and `\Z`, not `$`, which lets a final line
# break through.
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}\Z")
MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}\Z")
MIN_PASSWORD_LENGTH = 8

# A real hash to compare against when the username is unknown, so a failed login takes the same time
# whether or not the account exists.
_DUMMY_HASH = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        from werkzeug.security import generate_password_hash

        _DUMMY_HASH = generate_password_hash(secrets.token_hex(16))
    return _DUMMY_HASH


COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The blocklist shipped with the code (see the file's header), lower case."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def find_by_username(username: str) -> User | None:
    """The account with this username in any case: 'Admin' logs in as 'admin'."""
    return db.session.scalar(select(User).where(func.lower(User.username) == (username or "").lower()))


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username (any case) and password, or None."""
    user = find_by_username(username)
    if user is None:
        from werkzeug.security import check_password_hash

        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def validate_password(password: str, field: str = "password", *, username: str | None = None) -> None:
    """Refuse a password an attacker tries first: short, blank, the username, or on the common list."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(field, _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if not password.strip():
        raise invalid(field, _l("A password cannot be only spaces."))
    if username and password.strip().lower() == username.strip().lower():
        raise invalid(field, _l("The password cannot be the username."))
    if password.lower() in common_passwords():
        raise invalid(field, _l("This password is one of the most common ones; choose another."))


def create_user(
    *,
    username: str,
    password: str,
    role: str,
    phone: str | None = None,
    display_name: str | None = None,
    scope_region_id: int | None = None,
    provider_id: int | None = None,
    service_point_ids: list[int] | None = None,
    actor=None,
) -> User:
    """Create an account, checking that its role and scope fit together."""
    if role not in ROLES:
        raise invalid("role", f"Must be one of: {', '.join(ROLES)}.")
    if not USERNAME_RE.match(username or ""):
        raise invalid("username", _l("Use 3 to 64 letters, digits, '.', '_' or '-'."))
    validate_password(password, username=username)
    if phone is not None and not MOBILE_RE.match(phone):
        raise invalid("phone", _l("Must be an 11-digit mainland mobile number."))
    _check_scope(role, scope_region_id, provider_id)
    if service_point_ids is not None and role != "point_staff":
        raise invalid("service_point_ids", f"A {role} account serves at no service point.")
    if find_by_username(username) is not None:
        raise _username_unavailable()

    user = User(
        username=username,
        role=role,
        phone=phone,
        display_name=display_name,
        scope_region_id=scope_region_id,
        provider_id=provider_id,
    )
    user.set_password(password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same name, in any case, created a moment ago; the refusal ends the transaction
        raise _username_unavailable() from None
    record("user.create", user, actor=actor, role=role, username=username,
           after=dict(username=username, role=role, scope_region_id=scope_region_id, provider_id=provider_id,
                      active=True))
    if role == "point_staff" and service_point_ids:
        from ..servicepoints.services import assign_staff

        assign_staff(user, service_point_ids, actor=actor)
    return user


def _check_scope(role: str, scope_region_id: int | None, provider_id: int | None, *,
                 provider_needed: bool = False) -> None:
    """A role and its scope fit together: bureau and operator accounts work in a region that exists, provider staff
    belong to a provider that exists, nobody else has either. A provider administrator may be created before its
    provider (it signs up, then applies): `provider_needed` is for an admin's change of an existing account, which
    must say which provider the staff member works for."""
    from ..providers.models import Provider
    from ..regions.models import Region

    if role in REGION_SCOPED_ROLES:
        if scope_region_id is None:
            raise invalid("scope_region_id", _l("This role needs the region it works in."))
        if db.session.get(Region, scope_region_id) is None:
            raise invalid("scope_region_id", _l("No such region."))
    elif scope_region_id is not None:
        raise invalid("scope_region_id", _l("This role works in no region: leave the region empty."))
    if role in PROVIDER_SCOPED_ROLES:
        if provider_id is None and (provider_needed or role == "point_staff"):
            raise invalid("provider_id", _l("This role needs the provider it works for."))
        if provider_id is not None and db.session.get(Provider, provider_id) is None:
            raise invalid("provider_id", _l("No such provider."))
    elif provider_id is not None:
        raise invalid("provider_id", _l("This role belongs to no provider: leave the provider empty."))


def _username_unavailable() -> Conflict:
    # A username must be unique, so a taken one has to be refused, and a refusal tells the asker that the name
    # is in use: no wording hides that. The answer says no more than it must: not "taken", not whose, and the
    # same for a name in use in another case; every other refusal (password, phone) comes before the name is
    # looked up, whether or not it is taken. Probing names one at a time stays possible: sign-ups are counted per
    # address (accounts/limits.signup_attempts), which keeps it slow.
    message = _l("This username cannot be used; choose another.")
    return Conflict(message, {"username": [message]})


def signup(*, username: str, password: str, role: str, phone: str) -> User:
    """Self-registration, open only to family members and provider administrators."""
    if role not in SELF_SIGNUP_ROLES:
        raise invalid("role", f"Only these roles can sign up themselves: {', '.join(SELF_SIGNUP_ROLES)}.")
    if not phone:
        raise invalid("phone", _l("A mobile number is needed."))
    return create_user(username=username, password=password, role=role, phone=phone, actor=None)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token for `user`; the plain token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=user.id,
        token_hash=_hash_token(token),
        expires_at=utcnow() + timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"]),
    )
    db.session.add(row)
    db.session.flush()
    record("auth.login", user, actor=user, via="api")
    return token, row


def logged_in(user: User) -> None:
    """A login on the page (the API's is logged as its token is issued)."""
    record("auth.login", user, actor=user, via="page")


def login_failed(username: str, *, via: str) -> None:
    """Log a failed login, kept although the request answers 401 and rolls back: the username tried (never the
    password), the account it names if there is one, and why it failed."""
    tried = (username or "").strip()[:64]
    user = find_by_username(tried) if tried else None
    why = "no such account" if user is None else "inactive account" if not user.active else "wrong password"
    record_despite_failure("auth.login_failed", user, actor=None, via=via, username=tried, reason=why)


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None. Remembers which token the request came with, so that
    the request can revoke it (DELETE /auth/tokens)."""
    token_hash = _hash_token(token)
    user = db.session.scalar(_token_user(), dict(token_hash=token_hash, now=utcnow()))
    if user is not None:
        g.api_token_hash = token_hash
    return user


def revoke_current_token(user: User) -> None:
    """Revoke the bearer token this request came with: later requests with it answer 401."""
    token_hash = g.get("api_token_hash")
    if token_hash is None:
        raise Invalid("This request came without a bearer token to revoke.")
    db.session.execute(update(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=utcnow()))
    record("auth.token_revoked", user, actor=user)


def end_sessions(user: User, *, actor: User, reason: str) -> int:
    """Revoke every live token of `user` and end every page session (their cookies stop working): for a lost
    phone, a leaked password, or a deactivated account. Returns how many tokens were revoked."""
    revoked = db.session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                                 .values(revoked_at=utcnow())).rowcount
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()
    record("auth.sessions_ended", user, actor=actor, reason=reason, tokens_revoked=revoked)
    return revoked


def end_page_session(user: User) -> None:
    """A logout: the session cookie the browser had, and any copy of it, stops working. The user's other
    browsers are logged out too (one version per user, not per session: the simple way that needs no session
    table); API tokens are kept, as they are revoked on their own."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()
    record("auth.logout", user, actor=user)


SCOPE_FIELDS = ("role", "scope_region_id", "provider_id")


def update_user(user: User, changes: dict, *, actor: User) -> User:
    """An admin's change to an account: its name, phone, whether it is active, its role and scope.

    A change of role or scope checks that they fit together (bureau and operator need a region, provider staff a
    provider) and ends the account's tokens and sessions, as deactivating does: whoever holds them logs in again
    under the new rights, and reactivating an account later brings no old credential back to life. The last active
    admin cannot be demoted or deactivated (409): nobody would be left to manage the accounts."""
    if not changes:
        raise Invalid("Send at least one field to change.", {"_schema": ["Send at least one field to change."]})
    if "phone" in changes and changes["phone"] is not None and not MOBILE_RE.match(changes["phone"]):
        raise invalid("phone", _l("Must be an 11-digit mainland mobile number."))
    target = dict(active=user.active, display_name=user.display_name, phone=user.phone, role=user.role,
                  scope_region_id=user.scope_region_id, provider_id=user.provider_id)
    target.update({k: v for k, v in changes.items() if k in target})
    if "role" in changes:
        # A scope the new role does not take is dropped unless sent; one it takes is kept (bureau to operator in
        # the same district).
        if "scope_region_id" not in changes and target["role"] not in REGION_SCOPED_ROLES:
            target["scope_region_id"] = None
        if "provider_id" not in changes and target["role"] not in PROVIDER_SCOPED_ROLES:
            target["provider_id"] = None
    before = {k: getattr(user, k) for k, v in target.items() if getattr(user, k) != v}
    rescoped = bool(set(before) & set(SCOPE_FIELDS))
    if rescoped:
        _check_scope(target["role"], target["scope_region_id"], target["provider_id"], provider_needed=True)
        _check_caregiver_record(user, target)
    if user.role == "admin" and user.active and (target["role"] != "admin" or not target["active"]):
        _keep_an_admin(user)
    for key in before:
        setattr(user, key, target[key])
    db.session.flush()
    if before:
        # The phone is sealed in its table (sealed.py): the log keeps it masked, as lists show it.
        shown = {"phone": mask_phone}
        record("user.updated", user, actor=actor, before={k: shown.get(k, _same)(v) for k, v in before.items()},
               after={k: shown.get(k, _same)(target[k]) for k in before})
    if before.get("active") is True:  # just deactivated
        end_sessions(user, actor=actor, reason="deactivated")
    elif rescoped:
        end_sessions(user, actor=actor, reason="role or scope changed")
    return user


def _same(value):
    return value


def _check_caregiver_record(user: User, target: dict) -> None:
    """A caregiver's login is tied to its provider's caregiver record (the visits it may see): it cannot move to
    another provider while tied; the provider adds the person to its own roster instead."""
    from ..providers.models import Caregiver

    record_provider = db.session.scalar(select(Caregiver.provider_id).where(Caregiver.user_id == user.id))
    if record_provider is not None and target["role"] == "caregiver" and target["provider_id"] != record_provider:
        message = _l("This caregiver's login belongs to its provider's roster; it cannot move to another provider.")
        raise Conflict(message, {"provider_id": [message]})


def _keep_an_admin(user: User) -> None:
    """409 unless another active admin remains. Every active admin's row is locked, in id order, this one's too:
    two admins demoting each other at once queue on the same rows, and the second, once the first commits, reads
    the first's change (PostgreSQL re-checks a locked row that changed) and is refused."""
    admins = db.session.scalars(select(User.id).where(User.role == "admin", User.active.is_(True))
                                .order_by(User.id).with_for_update()).all()
    if not set(admins) - {user.id}:
        message = _l("This is the last active admin; make another admin first.")
        raise Conflict(message, {"role": [message]})


def reset_password(user: User, *, actor: User, password: str | None = None) -> tuple[str | None, int]:
    """An admin sets a new password for the account (the common-password and username rules apply), or, with
    none given, a random one returned once and never stored in plain text. Either way every token and session of
    the account ends: whoever used the old password is logged out. Returns the generated password (None when one was
    given) and how many tokens were revoked."""
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    else:
        validate_password(password, username=user.username)
    user.set_password(password)
    db.session.flush()
    record("user.password_reset", user, actor=actor, generated=generated is not None)
    return generated, end_sessions(user, actor=actor, reason="password reset")


@cache
def _token_user():
    """One query for both, built once: every API request comes through here, and building the SELECT cost as
    much as running it."""
    return (select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > bindparam("now"), User.active.is_(True)))
