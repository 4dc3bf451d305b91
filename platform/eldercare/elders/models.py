from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..db import UTCDateTime, utcnow
from ..extensions import db
from ..sealed import HASH_LENGTH, ID_LAST4, ID_LAST6, ID_NUMBER, Sealed, SealedJSON, hashed_from, lookup
from . import spelling

HARDSHIP = ("none", "low_income", "dibao", "tekun")
CARE_LEVELS = ("intact", "mild", "moderate", "severe", "total")
STATUSES = ("active", "hospitalized", "institutionalized", "deceased", "suspended")
STATUS_LABELS = {"active": _l("active"), "hospitalized": _l("in hospital"),
                 "institutionalized": _l("in a care institution"), "deceased": _l("deceased"),
                 "suspended": _l("suspended")}
HARDSHIP_LABELS = {"none": _l("none"), "low_income": _l("low income"), "dibao": _l("dibao (minimum living allowance)"),
                   "tekun": _l("tekun (destitute support)")}
CARE_LEVEL_LABELS = {"intact": _l("ability intact"), "mild": _l("mildly disabled"),
                     "moderate": _l("moderately disabled"), "severe": _l("severely disabled"),
                     "total": _l("totally disabled")}
EVENT_LABELS = {"death": _l("death"), "hospital_admission": _l("hospital admission"),
                "hospital_discharge": _l("hospital discharge"),
                "institution_admission": _l("moved into a care institution")}
ASSESSMENT_REASONS = ("initial", "periodic", "condition_changed")
EVENT_KINDS = ("death", "hospital_admission", "hospital_discharge", "institution_admission")


class Elder(db.Model):
    """A resident aged 60+ living at home."""

    __tablename__ = "elders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), index=True)
    # The name in pinyin and its initials, for the operators' search (spelling.py).
    name_pinyin: Mapped[str | None] = mapped_column(String(120), index=True,
                                                    default=spelling.spelled_from("name", spelling.full))
    name_initials: Mapped[str | None] = mapped_column(String(40), index=True,
                                                      default=spelling.spelled_from("name", spelling.initials))
    # Sealed at rest (sealed.py); found by the keyed hashes of the whole number, its last six (the canteen's
    # counter asks for them with the name) and its last four (the officers' search).
    id_number: Mapped[str] = mapped_column(Sealed())
    id_number_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True,
                                                default=hashed_from("id_number", ID_NUMBER))
    id_last6_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), index=True,
                                               default=hashed_from("id_number", ID_LAST6, slice(-6, None)))
    id_last4_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), index=True,
                                               default=hashed_from("id_number", ID_LAST4, slice(-4, None)))
    birth_date: Mapped[date]
    gender: Mapped[str] = mapped_column(String(1))  # "M" or "F", as on the ID card
    phone: Mapped[str | None] = mapped_column(Sealed())
    address: Mapped[str] = mapped_column(String(200))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    lat: Mapped[float]
    lng: Mapped[float]
    hardship: Mapped[str] = mapped_column(String(16), default="none")
    hardship_since: Mapped[date | None]
    hardship_source: Mapped[str | None] = mapped_column(String(80))
    lives_alone: Mapped[bool] = mapped_column(default=False)
    # [{"name", "relation", "phone"}]: who to call when the elder does not answer the door. Sealed at rest.
    emergency_contacts: Mapped[list] = mapped_column(SealedJSON(), default=list)
    care_level: Mapped[str | None] = mapped_column(String(16))  # from the latest assessment
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    # A family account registered the elder and no officer has checked the record yet: no vouchers until one
    # does (verify, or the first assessment, which an officer makes in person). Officers' registrations and the
    # roster's are checked when made.
    verification_pending: Mapped[bool] = mapped_column(default=False, server_default=false())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    community = relationship("Region")
    assessments: Mapped[list["Assessment"]] = relationship(
        back_populates="elder", order_by="(Assessment.assessed_on, Assessment.id)"
    )
    family_links: Mapped[list["FamilyLink"]] = relationship(back_populates="elder", order_by="FamilyLink.id")
    events: Mapped[list["ElderEvent"]] = relationship(back_populates="elder", order_by="ElderEvent.id")
    status_changes: Mapped[list["StatusChange"]] = relationship(back_populates="elder", order_by="StatusChange.id")
    user = relationship("User", foreign_keys=[user_id])

    @property
    def bookable(self) -> bool:
        return self.status == "active"

    @validates("name")
    def _spell_name(self, _key, name):
        """The ORM's writes keep the name's pinyin with it (Core inserts: the columns' defaults)."""
        self.name_pinyin, self.name_initials = spelling.full(name), spelling.initials(name)
        return name

    @validates("id_number")
    def _hash_id_number(self, _key, number):
        """The ORM's writes keep the lookup hashes with the number (Core inserts: the columns' defaults)."""
        self.id_number_hash = lookup(ID_NUMBER, number)
        self.id_last6_hash = lookup(ID_LAST6, number[-6:] if number else None)
        self.id_last4_hash = lookup(ID_LAST4, number[-4:] if number else None)
        return number


class FamilyLink(db.Model):
    """A family account acting for an elder."""

    __tablename__ = "family_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    relation: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (db.UniqueConstraint("elder_id", "user_id", name="uq_family_links_elder_user"),)

    elder: Mapped[Elder] = relationship(back_populates="family_links")
    user = relationship("User")


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


class ElderEvent(db.Model):
    """A registry event: a death, a hospital admission or discharge, a move into a care institution."""

    __tablename__ = "elder_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    occurred_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(String(400))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    elder: Mapped[Elder] = relationship(back_populates="events")


class StatusChange(db.Model):
    """The elder's status history: each change, why, and the event behind it if any."""

    __tablename__ = "elder_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(400))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("elder_events.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    elder: Mapped[Elder] = relationship(back_populates="status_changes")
