from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..db import UTCDateTime, utcnow
from ..extensions import db
from ..sealed import Sealed

ROLES = ("elder", "family", "operator", "provider_admin", "caregiver", "point_staff", "bureau", "admin")
REGION_SCOPED_ROLES = ("bureau", "operator")
PROVIDER_SCOPED_ROLES = ("provider_admin", "caregiver", "point_staff")
SELF_SIGNUP_ROLES = ("family", "provider_admin")


class User(UserMixin, db.Model):
    """A login. Its role says what it may do; its scope (a region or a provider) says over what."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    display_name: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(Sealed())  # sealed at rest (sealed.py); nothing looks it up
    scope_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of what the session cookie names (get_id): raising it ends every session signed before, so a
    # cookie copied before a logout, or before an admin ended the sessions, no longer logs anyone in.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    scope_region = relationship("Region")
    provider = relationship("Provider", foreign_keys=[provider_id])

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt with a random salt per password.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """What the session cookie keeps: the id and the session version (see auth.load_session_user)."""
        return f"{self.id}:{self.session_version or 0}"

    def __repr__(self):
        return f"<User {self.username} {self.role}>"


# Usernames are one account whatever their case: "ADMIN" cannot sit beside "admin" and pass for it. Login looks
# the name up by lower(username), which this index serves.
Index("uq_users_username_lower", func.lower(User.username), unique=True)


class ApiToken(db.Model):
    """A bearer token for the API. Only its SHA-256 is stored, so a database leak reveals no token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
