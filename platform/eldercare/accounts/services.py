"""Accounts: creating users, checking passwords and issuing API tokens."""
import hashlib
import re
import secrets
from datetime import timedelta
from functools import cache
from pathlib import Path

from flask import current_app, g
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from ..audit.services import record, record_despite_failure
from ..db import utcnow
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
        raise invalid(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    if not password.strip():
        raise invalid(field, "A password cannot be only spaces.")
    if username and password.strip().lower() == username.strip().lower():
        raise invalid(field, "The password cannot be the username.")
    if password.lower() in common_passwords():
        raise invalid(field, "This password is one of the most common ones; choose another.")


def create_user(
    *,
    username: str,
    password: str,
    role: str,
    phone: str | None = None,
    display_name: str | None = None,
    scope_region_id: int | None = None,
    provider_id: int | None = None,
    actor=None,
) -> User:
    """Create an account, checking that its role and scope fit together."""
    from ..providers.models import Provider
    from ..regions.models import Region

    if role not in ROLES:
        raise invalid("role", f"Must be one of: {', '.join(ROLES)}.")
    if not USERNAME_RE.match(username or ""):
        raise invalid("username", "Use 3 to 64 letters, digits, '.', '_' or '-'.")
    validate_password(password, username=username)
    if phone is not None and not MOBILE_RE.match(phone):
        raise invalid("phone", "Must be an 11-digit mainland mobile number.")
    if role in REGION_SCOPED_ROLES:
        if scope_region_id is None:
            raise invalid("scope_region_id", f"A {role} account needs the region it works in.")
        if db.session.get(Region, scope_region_id) is None:
            raise invalid("scope_region_id", "No such region.")
    elif scope_region_id is not None:
        raise invalid("scope_region_id", f"A {role} account has no region scope.")
    if role in PROVIDER_SCOPED_ROLES and provider_id is not None:
        if db.session.get(Provider, provider_id) is None:
            raise invalid("provider_id", "No such provider.")
    elif provider_id is not None:
        raise invalid("provider_id", f"A {role} account belongs to no provider.")
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
    return user


def _username_unavailable() -> Conflict:
    # A username must be unique, so a taken one has to be refused, and a refusal tells the asker that the name
    # is in use: no wording hides that. The answer says no more than it must: not "taken", not whose, and the
    # same for a name in use in another case. Probing many names one at a time stays possible; throttling
    # signups is the defence against that (not done here).
    message = "This username cannot be used; choose another."
    return Conflict(message, {"username": [message]})


def signup(*, username: str, password: str, role: str, phone: str) -> User:
    """Self-registration, open only to family members and provider administrators."""
    if role not in SELF_SIGNUP_ROLES:
        raise invalid("role", f"Only these roles can sign up themselves: {', '.join(SELF_SIGNUP_ROLES)}.")
    if not phone:
        raise invalid("phone", "A mobile number is needed.")
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


def update_user(user: User, changes: dict, *, actor: User) -> User:
    """An admin's change to an account. Deactivating it also revokes its tokens and ends its sessions, so that
    reactivating it later does not bring old credentials back to life."""
    if not changes:
        raise Invalid("Send at least one field to change.", {"_schema": ["Send at least one field to change."]})
    before = {}
    for key in ("active", "display_name", "phone"):
        if key in changes and getattr(user, key) != changes[key]:
            before[key] = getattr(user, key)
    if "phone" in changes and changes["phone"] is not None and not MOBILE_RE.match(changes["phone"]):
        raise invalid("phone", "Must be an 11-digit mainland mobile number.")
    for key in before:
        setattr(user, key, changes[key])
    db.session.flush()
    if before:
        record("user.updated", user, actor=actor, before=before, after={k: changes[k] for k in before})
    if before.get("active") is True:  # just deactivated
        end_sessions(user, actor=actor, reason="deactivated")
    return user


@cache
def _token_user():
    """One query for both, built once: every API request comes through here, and building the SELECT cost as
    much as running it."""
    return (select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > bindparam("now"), User.active.is_(True)))
