"""Service points (canteens 助餐点/老年食堂, bathing points 助浴点, day-care centres), who works at them, the
elder card's version, and each meal or bath recorded at a counter.

A check-in row is the counter's record of one served visit: its unique key (elder, item, point, day, meal slot)
makes a double tap at the counter record one meal, whichever request commits first."""
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

KINDS = ("canteen", "bathing", "day_care")
STATUSES = ("pending", "approved", "rejected")
SECOND_MEAL = ("full_price", "refuse")  # what the point does with a meal past the elder's subsidised ones
SLOTS = ("breakfast", "lunch", "supper", "day")
MEAL_SLOTS = SLOTS[:3]  # what a meal booked ahead is booked for

point_staff = Table(
    "service_point_staff",
    db.metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("service_point_id", ForeignKey("service_points.id"), primary_key=True),
)


class ServicePoint(db.Model):
    """A provider's canteen, bathing point or day-care centre: where, when it is open, what it serves at what
    price, how many it takes a day; served from once the bureau approves it."""

    __tablename__ = "service_points"
    __table_args__ = (
        CheckConstraint("kind IN ('canteen', 'bathing', 'day_care')", name="kind_known"),
        CheckConstraint("daily_capacity > 0", name="capacity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10))
    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    lat: Mapped[float]
    lng: Mapped[float]
    # [{"weekday": 0-6 (Monday 0), "start": "HH:MM", "end": "HH:MM"}], Beijing time.
    hours: Mapped[list] = mapped_column(JSON, default=list)
    daily_capacity: Mapped[int]
    second_meal: Mapped[str] = mapped_column(String(10), default="full_price", server_default="full_price")
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    review_note: Mapped[str | None] = mapped_column(String(400))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    provider = relationship("Provider")
    community = relationship("Region")
    items: Mapped[list["PointItem"]] = relationship(back_populates="point", order_by="PointItem.item_id",
                                                    cascade="all, delete-orphan")


class PointItem(db.Model):
    """A catalogue item served at the point, at the point's own price."""

    __tablename__ = "service_point_items"
    __table_args__ = (CheckConstraint("price_fen >= 0", name="price_not_negative"),)

    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    price_fen: Mapped[int]

    point: Mapped[ServicePoint] = relationship(back_populates="items")
    item = relationship("Item")


class ElderCard(db.Model):
    """The elder card's current version: a card signed with another version is refused (lost, replaced).
    No row: version 0, the first card."""

    __tablename__ = "elder_cards"

    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CheckIn(db.Model):
    """One visit recorded at a point's counter, beside its work order."""

    __tablename__ = "service_point_check_ins"
    __table_args__ = (
        # The same elder, item, point, day and meal slot once: a double tap records one meal.
        UniqueConstraint("elder_id", "item_id", "service_point_id", "served_on", "slot", name="uq_check_ins_slot"),
        Index("ix_check_ins_point_day", "service_point_id", "served_on"),
        Index("ix_check_ins_elder_day", "elder_id", "served_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_points.id"))
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    served_on: Mapped[date]  # the Beijing date
    slot: Mapped[str] = mapped_column(String(10))
    subsidised: Mapped[bool] = mapped_column(default=False)
    served_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
