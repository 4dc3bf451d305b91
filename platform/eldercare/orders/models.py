from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

# API.md's work-order states.
STATUSES = ("pending", "dispatched", "accepted", "in_service", "completed", "confirmed", "settled", "escalated",
            "cancelled", "disputed")
OPEN_STATUSES = ("pending", "dispatched", "accepted", "escalated")  # cancellable, not yet in service
OFFER_STATUSES = ("open", "accepted", "rejected", "expired", "withdrawn")
LIVE = "status <> 'cancelled'"  # an order that holds its slot


class WorkOrder(db.Model):
    """One booked visit, from booking through dispatch, the visit, confirmation and settlement."""

    __tablename__ = "work_orders"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("price_fen >= 0 AND voucher_fen >= 0 AND copay_fen >= 0", name="money_not_negative"),
        CheckConstraint("voucher_fen + copay_fen = price_fen", name="money_adds_up"),
        CheckConstraint("copay_paid_fen >= 0 AND copay_refunded_fen >= 0", name="copay_paid_not_negative"),
        # Matching counts a caregiver's and a provider's orders on a day.
        Index("ix_work_orders_caregiver_start", "caregiver_id", "scheduled_start"),
        Index("ix_work_orders_provider_start", "provider_id", "scheduled_start"),
        # A care plan makes at most one order a day, however often (or by however many schedulers) it runs.
        UniqueConstraint("care_plan_id", "plan_date", name="uq_work_orders_plan_date"),
        # The same service for the same elder at the same time is booked once, also when two bookings race
        # (booking checks first to name the other order; this decides the race).
        Index("uq_work_orders_elder_item_start", "elder_id", "item_id", "scheduled_start", unique=True,
              postgresql_where=text(LIVE), sqlite_where=text(LIVE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    scheduled_start: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime] = mapped_column(UTCDateTime)
    quantity: Mapped[int] = mapped_column(default=1)
    price_fen: Mapped[int] = mapped_column(default=0)
    voucher_fen: Mapped[int] = mapped_column(default=0)
    copay_fen: Mapped[int] = mapped_column(default=0)
    pay_with: Mapped[str] = mapped_column(String(10), default="self")
    # What the family has paid of the co-pay, and what was given back: the sums of the order's payments
    # (payments/), kept here by the payment writer so pages and settlement need not add them up.
    copay_paid_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    copay_refunded_fen: Mapped[int] = mapped_column(default=0, server_default="0")
    note: Mapped[str | None] = mapped_column(String(400))
    # The provider the order is offered to, then the one doing it; the caregiver once accepted.
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    caregiver_id: Mapped[int | None] = mapped_column(ForeignKey("caregivers.id"))
    preferred_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    care_plan_id: Mapped[int | None] = mapped_column(ForeignKey("care_plans.id"))  # made by a care plan
    plan_date: Mapped[date | None] = mapped_column(Date)
    # The ranked candidates at booking, with why each ranked where it did; dispatch walks down the list.
    ranking: Mapped[list] = mapped_column(JSON, default=list)
    cancel_reason: Mapped[str | None] = mapped_column(String(400))
    # The visit (electronic visit verification): when the caregiver set out; where and when they checked in
    # and out, how far from the elder's home, what was done.
    on_the_way_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_lat: Mapped[float | None]
    check_in_lng: Mapped[float | None]
    check_in_distance_m: Mapped[int | None]
    check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_lat: Mapped[float | None]
    check_out_lng: Mapped[float | None]
    check_out_distance_m: Mapped[int | None]
    service_note: Mapped[str | None] = mapped_column(String(1000))
    actual_minutes: Mapped[int | None]
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    auto_confirmed: Mapped[bool] = mapped_column(default=False)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(String(400))
    dispute_reason: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Served at a service point's counter (servicepoints/): the place, and the staff member who served.
    service_point_id: Mapped[int | None] = mapped_column(ForeignKey("service_points.id"), index=True)
    served_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def copay_status(self) -> str:
        """API.md's `copay_status`: none (nothing to pay), due, paid, refunded; refund_due for a cancelled order
        whose co-pay was paid and has not all come back yet."""
        if self.copay_refunded_fen and self.copay_paid_fen - self.copay_refunded_fen <= 0:
            return "refunded"
        if self.status == "cancelled" and self.copay_paid_fen - self.copay_refunded_fen > 0:
            return "refund_due"
        if self.copay_fen == 0:
            return "none"
        return "paid" if self.copay_paid_fen - self.copay_refunded_fen >= self.copay_fen else "due"

    elder = relationship("Elder")
    item = relationship("Item")
    provider = relationship("Provider", foreign_keys=[provider_id])
    caregiver = relationship("Caregiver")
    offers: Mapped[list["OrderOffer"]] = relationship(back_populates="order", order_by="OrderOffer.id")
    history: Mapped[list["OrderStatusChange"]] = relationship(back_populates="order",
                                                              order_by="OrderStatusChange.id")


class OrderOffer(db.Model):
    """The order offered to one provider, who must answer before `expires_at`."""

    __tablename__ = "order_offers"
    __table_args__ = (Index("ix_order_offers_open_expiry", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    rank: Mapped[int]
    status: Mapped[str] = mapped_column(String(12), default="open")
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(String(400))

    order: Mapped[WorkOrder] = relationship(back_populates="offers")
    provider = relationship("Provider")


class OrderStatusChange(db.Model):
    """The order's history: every status it passed through, when, by whom and why."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))  # None when booked
    to_status: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(400))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[WorkOrder] = relationship(back_populates="history")
