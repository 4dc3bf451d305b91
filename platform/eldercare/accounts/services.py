"""Accounts: creating users, checking passwords and issuing API tokens."""
import hashlib
import re
import secrets
from datetime import timedelta
from functools import cache

from flask import current_app
from sqlalchemy import bindparam, select

from ..audit.services import record
from ..db import utcnow
from ..errors import Conflict, invalid
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


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password, or None."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        from werkzeug.security import check_password_hash

        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    return user


def validate_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(field, f"Use at least {MIN_PASSWORD_LENGTH} characters.")


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
    validate_password(password)
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
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("That username is taken.", {"username": ["That username is taken."]})

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
    db.session.flush()
    record("user.create", user, actor=actor, role=role, username=username)
    return user


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
    record("auth.token", user, actor=user)
    return token, row


def user_for_token(token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    return db.session.scalar(_token_user(), dict(token_hash=_hash_token(token), now=utcnow()))


@cache
def _token_user():
    """One query for both, built once: every API request comes through here, and building the SELECT cost as
    much as running it."""
    return (select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > bindparam("now"), User.active.is_(True)))
