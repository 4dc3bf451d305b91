"""The co-pay's payments: started online (Stripe Checkout), recorded offline at the door, reversed by a new
record, refunded through Stripe when a paid order is cancelled, or, paid offline, owed back (a refund due) and
recorded as given back (a refund, reversed like a payment when recorded by mistake). Every change locks the
order's row first, so that racing writers of one order's money take turns, and ends by setting the order's
copay_paid_fen and copay_refunded_fen to the sums of its payments, in the same transaction. Services flush; the
request commits."""
import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from .. import clock
from ..audit.services import event, record, record_many
from ..elders.scope import officer_covers
from ..errors import Conflict, Forbidden, NotFound, invalid
from ..extensions import db
from ..orders.lifecycle import speaks_for_elder
from ..orders.models import WorkOrder
from ..orders.scope import visible_order
from . import gateway
from .models import OFFLINE_METHODS, Payment

log = logging.getLogger(__name__)
# Who may record a payment taken offline (point_staff: the co-pay of a meal paid at the point's counter).
RECORDERS = ("caregiver", "operator", "provider_admin", "point_staff")
REVERSERS = ("operator", "provider_admin")  # who may reverse one recorded by mistake


def due_fen(order: WorkOrder) -> int:
    """What is still to pay of the order's co-pay."""
    return max(order.copay_fen - (order.copay_paid_fen - order.copay_refunded_fen), 0)


def locked_order(order_id: int) -> WorkOrder:
    """The order's row, locked for the rest of the transaction (PostgreSQL) and read fresh."""
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.id == order_id).with_for_update()
                              .execution_options(populate_existing=True))
    if order is None:
        raise NotFound(_l("No such order."))
    return order


def add_up(order: WorkOrder) -> None:
    """Set the order's copay_paid_fen and copay_refunded_fen to the sums of its payments."""
    db.session.flush()
    paid, refunded = db.session.execute(
        select(func.coalesce(func.sum(Payment.paid_fen), 0), func.coalesce(func.sum(Payment.refunded_fen), 0))
        .where(Payment.order_id == order.id)).one()
    order.copay_paid_fen, order.copay_refunded_fen = int(paid), int(refunded)
    db.session.flush()


def payments_of(order: WorkOrder) -> list[Payment]:
    """The order's payments, oldest first."""
    return db.session.scalars(select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)).all()


def payment_for(payment_id: int, user) -> Payment:
    """A payment of an order `user` may see; 404 otherwise."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(_l("No such payment."))
    visible_order(payment.order_id, user)
    return payment


def reversal_of(payment: Payment) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.reverses_id == payment.id))


def _not_cancelled(order: WorkOrder) -> None:
    if order.status == "cancelled":
        message = _l("The order is cancelled: nothing is paid for it.")
        raise Conflict(message, {"status": [message]})


def _still_open(order: WorkOrder) -> None:
    """409 naming the order's state when no payment may be recorded for it: cancelled, or settled (its
    statement approved: what the family had paid was counted then)."""
    _not_cancelled(order)
    if order.status == "settled":
        message = _l("The order is settled: its statement is approved, so no payment can be recorded for it.")
        raise Conflict(message, {"status": [message]})


def in_checkout_fen(order: WorkOrder) -> int:
    """What an online checkout of the order still open (not paid yet: pending, or failed and retryable) asks."""
    return int(db.session.scalar(select(func.coalesce(func.sum(Payment.amount_fen), 0)).where(
        Payment.order_id == order.id, Payment.kind == "online", Payment.status.in_(("pending", "failed")),
        Payment.paid_fen == 0)) or 0)


def online_status(payment: Payment) -> None:
    """An online payment's status from its amounts: money received is succeeded, all of it given back is
    refunded; without money it stays as the last event said (pending, failed or expired)."""
    if payment.kind == "online" and payment.paid_fen > 0:
        payment.status = "refunded" if payment.refunded_fen >= payment.paid_fen else "succeeded"


# --- online ---------------------------------------------------------------------------------------------------

def may_pay(actor, order: WorkOrder) -> bool:
    """Whoever booked the order, the elder or their family pays its co-pay online."""
    return actor.id == order.booked_by_id or speaks_for_elder(actor, order)


def start_online(actor, order: WorkOrder, *, success_url: str, cancel_url: str) -> Payment:
    """Start paying the co-pay online: a Stripe Checkout Session for what is due. The order's live checkout,
    if it has one, is answered again, so the same order twice is the same payment."""
    if not may_pay(actor, order):
        raise Forbidden(_l("Only whoever booked the order, the elder or their family can pay for it."))
    order = locked_order(order.id)
    live = db.session.scalar(select(Payment).where(
        Payment.order_id == order.id, Payment.kind == "online",
        Payment.status.in_(("pending", "succeeded", "failed"))))
    if live is not None:
        return live
    _still_open(order)
    amount = due_fen(order)
    if amount <= 0:
        message = _l("Nothing is due on this order.")
        raise Conflict(message, {"order": [message]})
    attempt = 1 + db.session.scalar(select(func.count()).select_from(Payment).where(
        Payment.order_id == order.id, Payment.kind == "online"))
    key = f"yiyang-copay-{order.id}-{attempt}-{amount}"  # derived from the order: a retry is the same checkout
    checkout = gateway.current().start_checkout(
        order_id=order.id, amount_fen=amount, key=key, success_url=success_url, cancel_url=cancel_url,
        description=f"颐养 工单 {order.id} 自付部分 / Yiyang order {order.id} co-pay")
    payment = Payment(order_id=order.id, kind="online", method="stripe", status="pending", amount_fen=amount,
                      stripe_key=key, stripe_session_id=checkout.session_id,
                      stripe_payment_intent_id=checkout.payment_intent_id, checkout_url=checkout.url,
                      recorded_by_id=actor.id)
    db.session.add(payment)
    db.session.flush()
    record("payment.checkout_started", payment, actor=actor, order_id=order.id, amount_fen=amount,
           session=checkout.session_id)
    return payment


def refund_online(order: WorkOrder, *, actor=None) -> list[Payment]:
    """Give back through Stripe what an online payment of a cancelled order received (each refund keyed by the
    payment and what was refunded before, so a retry is the same refund), and close a checkout not yet paid.
    A refusal from Stripe is recorded and logged, never stops the cancellation: the refund is asked again the
    next time a webhook of the payment arrives."""
    payments = db.session.scalars(select(Payment).where(
        Payment.order_id == order.id, Payment.kind == "online").order_by(Payment.id)).all()
    if not payments:
        return []
    gate = gateway.current()
    touched = []
    for payment in payments:
        if payment.status == "pending" and payment.paid_fen == 0:
            if payment.stripe_session_id:
                gate.expire_checkout(payment.stripe_session_id)
            payment.status, payment.updated_at = "expired", clock.now()
            record("payment.checkout_closed", payment, actor=actor, order_id=order.id)
            touched.append(payment)
            continue
        given = max(payment.refunded_fen, payment.refund_requested_fen)
        remaining = payment.paid_fen - given
        if remaining <= 0 or not payment.stripe_payment_intent_id:
            continue
        try:
            refund = gate.refund(payment_intent_id=payment.stripe_payment_intent_id, amount_fen=remaining,
                                 key=f"yiyang-refund-{payment.id}-{given}",
                                 metadata={"order_id": str(order.id), "payment_id": str(payment.id)})
        except gateway.GatewayError as error:
            log.warning("refund of payment %s failed: %s", payment.id, error)
            record("payment.refund_failed", payment, actor=actor, order_id=order.id, amount_fen=remaining,
                   error=str(error)[:200])
            continue
        payment.refund_requested_fen = given + remaining
        payment.stripe_refund_id = refund.id
        if refund.status == "succeeded":
            payment.refunded_fen = max(payment.refunded_fen, payment.refund_requested_fen)
        online_status(payment)
        payment.updated_at = clock.now()
        record("payment.refund_requested", payment, actor=actor, order_id=order.id, amount_fen=remaining,
               refund=refund.id, refund_status=refund.status)
        touched.append(payment)
    add_up(order)
    return touched


def refund_due_offline(order: WorkOrder, *, actor=None) -> Payment | None:
    """A cancelled order's co-pay paid offline (less reversals) is owed back to the family: a new record of the
    refund due (kind refund_due, once per order), in the audit log. The order's sums stay as they are (the money
    was received); its copay_status reads refund_due while what was paid has not come back."""
    order = locked_order(order.id)
    owed = int(db.session.scalar(select(func.coalesce(func.sum(Payment.paid_fen), 0)).where(
        Payment.order_id == order.id, Payment.kind.in_(("offline", "reversal")))) or 0)
    if owed <= 0 or db.session.scalar(select(Payment.id).where(Payment.order_id == order.id,
                                                               Payment.kind == "refund_due")) is not None:
        return None
    last = db.session.scalar(select(Payment.method).where(Payment.order_id == order.id, Payment.kind == "offline")
                             .order_by(Payment.id.desc()).limit(1))
    now = clock.now()
    due = Payment(order_id=order.id, kind="refund_due", method=last or "cash", status="due", amount_fen=owed,
                  reason="Order cancelled: the co-pay paid offline is to be given back",
                  recorded_by_id=getattr(actor, "id", None), created_at=now)
    db.session.add(due)
    db.session.flush()
    record("payment.refund_due", due, actor=actor, order_id=order.id, amount_fen=owed, method=due.method)
    return due


def refund_owed_fen(order: WorkOrder) -> int:
    """What is still to give back to the family of a cancelled order's refund due (co-pay paid offline): the
    refund due less the refunds recorded (net of their reversals), never more than the order holds as paid."""
    due = db.session.scalar(select(Payment.amount_fen).where(Payment.order_id == order.id,
                                                             Payment.kind == "refund_due"))
    if due is None:
        return 0
    given = int(db.session.scalar(select(func.coalesce(func.sum(Payment.refunded_fen), 0)).where(
        Payment.order_id == order.id, Payment.kind.in_(("refund", "reversal")))) or 0)
    return max(min(due - given, order.copay_paid_fen - order.copay_refunded_fen), 0)


def record_refund(actor, order: WorkOrder, *, amount_fen: int, method: str, refunded_at: datetime | None = None,
                  note: str | None = None) -> Payment:
    """Record co-pay given back to the family (a cancelled order's refund due, paid offline): by whoever may
    record a payment of the order (its caregiver, its provider, an operator), who, when, how much and how. A new
    record (kind refund, never edited; a mistake is reversed by another); the order's copay_refunded_fen grows by
    it, and once all is given back its copay_status moves from refund_due to refunded. Never more than is owed."""
    if not may_handle(actor, order, RECORDERS):
        raise Forbidden(_l("Only the order's caregiver, its provider or an operator can record a refund."))
    if method not in OFFLINE_METHODS:
        raise invalid("method", _l("Must be one of: cash, wechat, alipay, bank."))
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise invalid("amount_fen", _l("A whole number of fen, more than 0."))
    now = clock.now()
    refunded_at = refunded_at or now
    if refunded_at.tzinfo is None:
        raise invalid("refunded_at", _l("Give the time with its offset."))
    if refunded_at > now:
        raise invalid("refunded_at", _l("The time is in the future."))
    order = locked_order(order.id)
    owed = refund_owed_fen(order)
    if owed <= 0:
        message = _l("Nothing is to be given back on this order.")
        raise Conflict(message, {"order": [message]})
    if refunded_at < order.created_at:
        raise invalid("refunded_at", _l("Before the order was booked."))
    if amount_fen > owed:
        raise invalid("amount_fen", _l("More than is owed: %(owed)s fen is still to give back.", owed=owed))
    refund = Payment(order_id=order.id, kind="refund", method=method, status="refunded", amount_fen=amount_fen,
                     refunded_fen=amount_fen, received_at=refunded_at, note=(note or "").strip() or None,
                     recorded_by_id=actor.id, created_at=now)
    db.session.add(refund)
    add_up(order)
    record("payment.refunded", refund, actor=actor, order_id=order.id, amount_fen=amount_fen, method=method,
           refunded_at=refunded_at.isoformat(), still_owed_fen=owed - amount_fen)
    return refund


# --- offline --------------------------------------------------------------------------------------------------

def may_handle(actor, order: WorkOrder, roles: tuple[str, ...]) -> bool:
    if actor.role not in roles:
        return False
    if actor.role == "caregiver":
        return order.caregiver is not None and order.caregiver.user_id == actor.id
    if actor.role == "provider_admin":
        return actor.provider_id is not None and actor.provider_id == order.provider_id
    if actor.role == "point_staff":
        from ..servicepoints.scope import serves_at

        return order.service_point_id is not None and serves_at(actor, order.service_point_id)
    return officer_covers(actor, order.elder.community_id)  # operator


def record_offline(actor, order: WorkOrder, *, amount_fen: int, method: str, received_at: datetime | None = None,
                   note: str | None = None) -> Payment:
    """Record co-pay received outside the platform (cash, a WeChat or Alipay transfer, the bank): by the
    order's caregiver at the door, an operator, or the provider's administrator. Never more than is due."""
    if not may_handle(actor, order, RECORDERS):
        raise Forbidden(_l("Only the order's caregiver, its provider or an operator can record a payment."))
    if method not in OFFLINE_METHODS:
        raise invalid("method", _l("Must be one of: cash, wechat, alipay, bank."))
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise invalid("amount_fen", _l("A whole number of fen, more than 0."))
    now = clock.now()
    received_at = received_at or now
    if received_at.tzinfo is None:
        raise invalid("received_at", _l("Give the time with its offset."))
    if received_at > now:
        raise invalid("received_at", _l("The time is in the future."))
    order = locked_order(order.id)
    _still_open(order)
    if received_at < order.created_at:
        raise invalid("received_at", _l("Before the order was booked."))
    due = due_fen(order)
    if amount_fen > due:
        raise invalid("amount_fen", _l("More than is due: %(due)s fen is still to pay.", due=due))
    asked = in_checkout_fen(order)  # the rest may be paid online any moment: both together never exceed the co-pay
    if asked and amount_fen > due - asked:
        raise invalid("amount_fen", _l("More than is due: %(due)s fen is still to pay, of which %(asked)s fen "
                                       "is asked in an online checkout still open.", due=due, asked=asked))
    payment = Payment(order_id=order.id, kind="offline", method=method, status="recorded", amount_fen=amount_fen,
                      paid_fen=amount_fen, received_at=received_at, note=(note or "").strip() or None,
                      recorded_by_id=actor.id, created_at=now)
    db.session.add(payment)
    add_up(order)
    record("payment.recorded", payment, actor=actor, order_id=order.id, amount_fen=amount_fen, method=method,
           received_at=received_at.isoformat())
    return payment


def paid_with_new_order(actor, order_id: int, *, amount_fen: int, method: str, received_at: datetime,
                        note: str | None = None, also: list[dict] = ()) -> int:
    """Record the co-pay of an order written in this transaction already paid in full (a meal at a point's
    counter, written with copay_paid_fen = `amount_fen` by the one order writer): its one payment, and its audit
    event with the caller's events `also` in one statement. No lock and no sum: no one else sees the order before
    the commit, and it has no other payment. Returns the payment's id."""
    if method not in OFFLINE_METHODS:
        raise invalid("method", _l("Must be one of: cash, wechat, alipay, bank."))
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise invalid("amount_fen", _l("A whole number of fen, more than 0."))
    payment_id = db.session.execute(insert(Payment.__table__).values(
        order_id=order_id, kind="offline", method=method, status="recorded", amount_fen=amount_fen,
        paid_fen=amount_fen, received_at=received_at, note=(note or "").strip() or None, recorded_by_id=actor.id,
        created_at=received_at).returning(Payment.__table__.c.id)).scalar_one()
    record_many([event("payment.recorded", target_type=Payment.__tablename__, target_id=payment_id,
                       actor_id=actor.id, order_id=order_id, amount_fen=amount_fen, method=method,
                       received_at=received_at.isoformat()), *also])
    return payment_id


def reverse(actor, payment_id: int, *, reason: str) -> Payment:
    """Undo an offline payment, or a refund given back, recorded by mistake: a new record of minus its amount that
    names it (a refund's: the money is owed to the family again). The first stays as it was; a payment is reversed
    once (409 the second time)."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(_l("No such payment."))
    order = payment.order
    if not may_handle(actor, order, REVERSERS):
        raise Forbidden(_l("Only the order's provider or an operator can reverse a payment."))
    if not reason or not reason.strip():
        raise invalid("reason", _l("Say why the payment is reversed."))
    order = locked_order(order.id)
    if payment.kind not in ("offline", "refund"):
        message = (_l("A payment made online is refunded through Stripe, not reversed.") if payment.kind == "online"
                   else _l("A refund due is owed to the family: it is not reversed.") if payment.kind == "refund_due"
                   else _l("A reversal cannot itself be reversed."))
        raise Conflict(message, {"payment": [message]})
    if reversal_of(payment) is not None:
        message = _l("This payment has been reversed already.")
        raise Conflict(message, {"payment": [message]})
    now = clock.now()
    undone = dict(refunded_fen=-payment.refunded_fen) if payment.kind == "refund" else dict(paid_fen=-payment.paid_fen)
    reversal = Payment(order_id=order.id, kind="reversal", method=payment.method, status="recorded",
                       amount_fen=-payment.amount_fen, reverses_id=payment.id, received_at=now,
                       reason=reason.strip(), recorded_by_id=actor.id, created_at=now, **undone)
    db.session.add(reversal)
    add_up(order)
    record("payment.reversed", reversal, actor=actor, order_id=order.id, reverses=payment.id,
           amount_fen=reversal.amount_fen, reason=reversal.reason)
    return reversal
