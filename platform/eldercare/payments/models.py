"""A payment of an order's co-pay, online (Stripe) or recorded offline, and the Stripe events processed.

Rows are never edited to undo money: an offline payment recorded by mistake is reversed by a new row with a
negative amount that references it (one reversal at most: a unique key decides races). An online payment's row
follows Stripe's state (pending, succeeded, failed, expired, refunded) as its webhooks tell it; what it has
received and what has been refunded are kept as amounts, merged from each event's object, so that events in any
order end in the same state. The order's `copay_paid_fen` and `copay_refunded_fen` are the sums of its rows
(`paid_fen`, `refunded_fen`), written by the payment services in the same transaction."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

OFFLINE_METHODS = ("cash", "wechat", "alipay", "bank")
METHODS = ("stripe", *OFFLINE_METHODS)
KINDS = ("online", "offline", "reversal", "refund_due", "refund")
ONLINE_STATUSES = ("pending", "succeeded", "failed", "expired", "refunded")
# An online payment still in play: the order's one checkout (a failed attempt may be retried in the same
# Checkout Session); an order has at most one at a time.
LIVE_ONLINE = "kind = 'online' AND status IN ('pending', 'succeeded', 'failed')"
REFUND_DUE = "kind = 'refund_due'"


class Payment(db.Model):
    """Money for an order's co-pay: asked for online, recorded as received offline, a reversal of a record,
    what is due back to the family for co-pay paid offline on an order cancelled since (`refund_due`: the amount
    to give back; it moves none of the order's sums), or what was given back of it (`refund`: its refunded_fen
    counts toward the order's copay_refunded_fen)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("kind IN ('online', 'offline', 'reversal', 'refund_due', 'refund')", name="kind_known"),
        CheckConstraint("(kind = 'reversal') = (amount_fen < 0)", name="only_a_reversal_is_negative"),
        CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)", name="a_reversal_names_its_payment"),
        CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
        # Only a reversal takes back: of a payment (paid_fen), or of a refund recorded by mistake (refunded_fen).
        CheckConstraint("(refunded_fen >= 0 OR kind = 'reversal') AND refund_requested_fen >= 0",
                        name="refunds_not_negative"),
        # An order has one live online payment: two "pay online" clicks at once make one checkout.
        Index("uq_payments_live_online", "order_id", unique=True,
              postgresql_where=text(LIVE_ONLINE), sqlite_where=text(LIVE_ONLINE)),
        # One refund due per order: a cancellation retried, or two at once, owes the family once.
        Index("uq_payments_refund_due", "order_id", unique=True,
              postgresql_where=text(REFUND_DUE), sqlite_where=text(REFUND_DUE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))  # stripe, or how the money came at the door
    # online: ONLINE_STATUSES; offline, reversal: recorded; refund_due: due; refund: refunded
    status: Mapped[str] = mapped_column(String(12))
    # Online: the sum asked for; offline: the sum received; reversal: minus the reversed sum; refund_due: the sum
    # to give back; refund: the sum given back.
    amount_fen: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="cny")
    # What counts toward the order's copay_paid_fen (online: what Stripe says was received), and what was
    # given back (copay_refunded_fen); a refund asked of Stripe and not yet confirmed is refund_requested_fen.
    paid_fen: Mapped[int] = mapped_column(default=0)
    refunded_fen: Mapped[int] = mapped_column(default=0)
    refund_requested_fen: Mapped[int] = mapped_column(default=0)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), unique=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # offline: received; refund: given back
    note: Mapped[str | None] = mapped_column(String(400))
    reason: Mapped[str | None] = mapped_column(String(400))  # why a reversal was made
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Stripe: the idempotency key the checkout was created with (derived from the order), and its objects.
    stripe_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    stripe_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    checkout_url: Mapped[str | None] = mapped_column(Text)
    failure_message: Mapped[str | None] = mapped_column(String(400))

    order = relationship("WorkOrder")
    recorded_by = relationship("User")
    reverses = relationship("Payment", remote_side=[id], foreign_keys=[reverses_id])


class StripeEvent(db.Model):
    """A Stripe event id, written in the transaction that processes the event: its primary key makes a
    redelivered event (or the same one delivered twice at once) do nothing the second time."""

    __tablename__ = "stripe_events"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(255))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="ignored")  # applied, unchanged, ignored
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
