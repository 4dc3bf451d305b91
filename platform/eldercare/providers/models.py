from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

STATUSES = ("pending", "approved", "rejected", "needs_info", "suspended")

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
    base_lat: Mapped[float]
    base_lng: Mapped[float]
    service_radius_m: Mapped[int] = mapped_column(default=3000)
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    categories = relationship("Category", secondary=provider_categories)
    service_areas = relationship("Region", secondary=provider_areas)
    caregivers: Mapped[list["Caregiver"]] = relationship(back_populates="provider")


class Caregiver(db.Model):
    """A provider's worker (养老护理员); `user_id` is the caregiver's own login."""

    __tablename__ = "caregivers"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    daily_limit: Mapped[int] = mapped_column(default=8)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider: Mapped[Provider] = relationship(back_populates="caregivers")
    categories = relationship("Category", secondary=caregiver_categories)
