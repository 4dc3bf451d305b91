from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

HARDSHIP = ("none", "low_income", "dibao", "tekun")
CARE_LEVELS = ("intact", "mild", "moderate", "severe", "total")
STATUSES = ("active", "hospitalized", "institutionalized", "deceased", "suspended")


class Elder(db.Model):
    """A resident aged 60+ living at home."""

    __tablename__ = "elders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_date: Mapped[date]
    gender: Mapped[str] = mapped_column(String(1))  # "M" or "F", as on the ID card
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    lat: Mapped[float]
    lng: Mapped[float]
    hardship: Mapped[str] = mapped_column(String(16), default="none")
    hardship_since: Mapped[date | None]
    hardship_source: Mapped[str | None] = mapped_column(String(80))
    lives_alone: Mapped[bool] = mapped_column(default=False)
    care_level: Mapped[str | None] = mapped_column(String(16))  # from the latest assessment
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community = relationship("Region")
    assessments: Mapped[list["Assessment"]] = relationship(
        back_populates="elder", order_by="Assessment.assessed_on"
    )


class FamilyLink(db.Model):
    """A family account acting for an elder."""

    __tablename__ = "family_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (db.UniqueConstraint("elder_id", "user_id", name="uq_family_links_elder_user"),)


class Assessment(db.Model):
    """An ability assessment by GB/T 42195-2022."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    assessed_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(20))
    items: Mapped[dict] = mapped_column(JSON)
    diagnoses: Mapped[dict] = mapped_column(JSON, default=dict)
    risk_events_30d: Mapped[int] = mapped_column(default=0)
    total_score: Mapped[int]
    care_level: Mapped[str] = mapped_column(String(16))
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    elder: Mapped[Elder] = relationship(back_populates="assessments")
