from datetime import date, datetime, time

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

FREQUENCIES = ("daily", "weekly")
PLAN_STATUSES = ("active", "paused", "ended")


class CarePlan(db.Model):
    """Recurring care for one elder: an item on a rule (every day, or given weekdays every N weeks) at a time
    of day, from a start date to an optional end. The plan makes its orders ahead of time through the same
    booking service as any order. `provider_id` is the provider that keeps the plan (named by the bureau for a
    family care bed, or learnt from the first accepted order) and `caregiver_id` the caregiver who came last."""

    __tablename__ = "care_plans"
    __table_args__ = (
        CheckConstraint("interval_weeks >= 1", name="interval_positive"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    freq: Mapped[str] = mapped_column(String(8))
    weekdays: Mapped[list] = mapped_column(JSON, default=list)  # 0 = Monday; for "weekly"
    interval_weeks: Mapped[int] = mapped_column(default=1)
    time_of_day: Mapped[time] = mapped_column(Time)
    quantity: Mapped[int] = mapped_column(default=1)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    pay_with: Mapped[str] = mapped_column(String(10), default="self")
    note: Mapped[str | None] = mapped_column(String(400))
    family_care_bed: Mapped[bool] = mapped_column(default=False)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("caregivers.id"))
    status: Mapped[str] = mapped_column(String(8), default="active", index=True)
    paused_by_registry: Mapped[bool] = mapped_column(default=False)  # a hospital stay; discharge resumes
    end_reason: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    elder = relationship("Elder")
    item = relationship("Item")
    provider = relationship("Provider")
    caregiver = relationship("Caregiver")
    skips: Mapped[list["CarePlanSkip"]] = relationship(cascade="all, delete-orphan")
    pauses: Mapped[list["CarePlanPause"]] = relationship(cascade="all, delete-orphan")
    times: Mapped[list["CarePlanTime"]] = relationship(cascade="all, delete-orphan",
                                                       order_by="CarePlanTime.from_date")


class CarePlanSkip(db.Model):
    """One date the plan does not happen."""

    __tablename__ = "care_plan_skips"

    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class CarePlanPause(db.Model):
    """A run of dates the plan does not happen (a trip, a stay with family)."""

    __tablename__ = "care_plan_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id"), index=True)
    from_date: Mapped[date] = mapped_column(Date)
    until_date: Mapped[date] = mapped_column(Date)


class CarePlanTime(db.Model):
    """From this date on, the visit is at this time."""

    __tablename__ = "care_plan_times"

    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plans.id"), primary_key=True)
    from_date: Mapped[date] = mapped_column(Date, primary_key=True)
    time_of_day: Mapped[time] = mapped_column(Time)
