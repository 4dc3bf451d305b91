from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..db import UTCDateTime, utcnow
from ..extensions import db
from ..sealed import HASH_LENGTH, PHONE, Sealed, hashed_from, lookup

STATUSES = ("pending", "approved", "rejected", "needs_info", "suspended")
REVIEW_DECISIONS = ("approve", "reject", "needs_info", "suspend", "reinstate")
# The certificate a caregiver needs, unexpired on the day of the visit, to serve a category. Categories not
# listed need none beyond the caregiver's training.
CERTIFICATE_KINDS = ("elderly_care", "nurse", "health", "rehab_therapist", "driver")
CATEGORY_CERTIFICATE = {"rehab_nursing": "nurse", "meal": "health", "bathing": "elderly_care",
                        "personal_care": "elderly_care", "medical_escort": "elderly_care"}

provider_categories = Table(
    "provider_categories",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)

# The streets a provider serves.
provider_areas = Table(
    "provider_areas",
    db.metadata,
    Column("provider_id", ForeignKey("providers.id"), primary_key=True),
    Column("region_id", ForeignKey("regions.id"), primary_key=True, index=True),
)

caregiver_categories = Table(
    "caregiver_categories",
    db.metadata,
    Column("caregiver_id", ForeignKey("caregivers.id"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class Provider(db.Model):
    """A registered service organisation (服务商)."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    license_no: Mapped[str] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    base_lat: Mapped[float] = mapped_column(index=True)  # matching searches a box around the elder's home
    base_lng: Mapped[float]
    service_radius_m: Mapped[int] = mapped_column(default=3000)
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    review_note: Mapped[str | None] = mapped_column(String(400))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Track record, kept up to date as orders complete, so matching can rank without scanning orders.
    completed_count: Mapped[int] = mapped_column(default=0)
    on_time_count: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time_count / self.completed_count if self.completed_count else None

    @property
    def rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    categories = relationship("Category", secondary=provider_categories)
    service_areas = relationship("Region", secondary=provider_areas)
    caregivers: Mapped[list["Caregiver"]] = relationship(back_populates="provider")
    prices: Mapped[list["ProviderPrice"]] = relationship(back_populates="provider")
    documents: Mapped[list["ProviderDocument"]] = relationship(back_populates="provider",
                                                                order_by="ProviderDocument.id")
    reviews: Mapped[list["ProviderReview"]] = relationship(back_populates="provider", order_by="ProviderReview.id")


class ProviderPrice(db.Model):
    """What a provider charges for an item: at most the catalogue's guide price."""

    __tablename__ = "provider_prices"
    __table_args__ = (CheckConstraint("price_fen >= 0", name="price_not_negative"),)

    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    price_fen: Mapped[int]

    provider: Mapped[Provider] = relationship(back_populates="prices")
    item = relationship("Item")


class ProviderDocument(db.Model):
    """A document sent with an application (licence scan, insurance, ...); the file lives under instance/."""

    __tablename__ = "provider_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="documents")


class ProviderReview(db.Model):
    """One decision by the bureau on a provider: approve, reject, ask for more, suspend, reinstate."""

    __tablename__ = "provider_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(400))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="reviews")


class Caregiver(db.Model):
    """A provider's worker (养老护理员); `user_id` is the caregiver's own login."""

    __tablename__ = "caregivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    # Sealed at rest (sealed.py); the audit finds one person at two providers by the phone's keyed hash.
    phone: Mapped[str | None] = mapped_column(Sealed())
    phone_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH), index=True, default=hashed_from("phone", PHONE))
    daily_limit: Mapped[int] = mapped_column(default=8)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="caregivers")
    categories = relationship("Category", secondary=caregiver_categories)
    certificates: Mapped[list["Certificate"]] = relationship(back_populates="caregiver", order_by="Certificate.id")
    availability: Mapped[list["Availability"]] = relationship(
        back_populates="caregiver", order_by="(Availability.weekday, Availability.start_time)")
    user = relationship("User", foreign_keys=[user_id])

    @validates("phone")
    def _hash_phone(self, _key, phone):
        """The ORM's writes keep the lookup hash with the phone (Core inserts: the column's default)."""
        self.phone_hash = lookup(PHONE, phone)
        return phone


class Certificate(db.Model):
    """A caregiver's certificate (养老护理员证, 护士执业证, 健康证, ...) with its level and expiry."""

    __tablename__ = "caregiver_certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregivers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    level: Mapped[str | None] = mapped_column(String(20))
    expires_on: Mapped[date]

    caregiver: Mapped[Caregiver] = relationship(back_populates="certificates")


class Availability(db.Model):
    """A weekly window when the caregiver works, in Beijing time; Monday is 0."""

    __tablename__ = "caregiver_availability"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
        UniqueConstraint("caregiver_id", "weekday", "start_time", name="uq_caregiver_availability_slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caregiver_id: Mapped[int] = mapped_column(ForeignKey("caregivers.id"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]

    caregiver: Mapped[Caregiver] = relationship(back_populates="availability")
