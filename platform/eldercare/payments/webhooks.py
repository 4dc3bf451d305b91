"""Stripe's webhooks: each event verified against the raw body and STRIPE_WEBHOOK_SECRET, then processed once.

The event's id is inserted into stripe_events first, in the same transaction as what the event changes: a
redelivery finds it and changes nothing, and the same event delivered twice at once waits at that insert
(PostgreSQL's primary key) until the first delivery commits, then finds it too. Events may come in any order
(a refund before the success it refunds): each sets the payment from the amounts of the object it carries,
merged with what is known (what was received and refunded only grow), never from the order of arrival."""
import logging

import stripe
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from .. import clock, jsonbody, sql
from ..audit.services import record
from ..errors import NotFound, ServiceError
from ..extensions import db
from . import gateway, services
from .models import Payment, StripeEvent

log = logging.getLogger(__name__)
TOLERANCE_SECONDS = 300  # Stripe's default: a signature older than five minutes is refused (replay)


class BadWebhook(ServiceError):
    code = 400


def enabled() -> bool:
    return bool(current_app.config.get("STRIPE_WEBHOOK_SECRET"))


def receive(payload: bytes, signature: str | None) -> dict:
    """Verify and process one delivery; answers what became of the event."""
    if not enabled():
        raise NotFound(_l("No such page."))
    try:
        # What stripe.Webhook.construct_event verifies, without its parsing: the body is read by jsonbody.loads,
        # which refuses what would crash its readers (construct_event answers a JSON array with AttributeError).
        stripe.WebhookSignature.verify_header(payload, signature, current_app.config["STRIPE_WEBHOOK_SECRET"],
                                              tolerance=TOLERANCE_SECONDS)
        event = jsonbody.loads(payload)
    except stripe.SignatureVerificationError as error:
        raise BadWebhook(str(_l("The Stripe-Signature does not match the body, or is too old.")),
                         {"Stripe-Signature": [str(error)[:200]]}) from None
    except ValueError:  # not UTF-8, not JSON, or not a snapshot event
        raise BadWebhook(str(_l("Not a Stripe event.")), {"_schema": ["Not a Stripe event."]}) from None
    data = event.get("data") if isinstance(event, dict) else None
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict) or not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise BadWebhook(str(_l("Not a Stripe event.")), {"_schema": ["Not a Stripe event."]})
    first = sql.insert_rows(StripeEvent.__table__, [dict(
        event_id=event["id"][:255], event_type=event["type"][:64], object_id=str(obj.get("id") or "")[:255] or None,
        outcome="ignored", received_at=clock.now())], returning=("event_id",), conflict=["event_id"])
    if not first:
        return {"id": event["id"], "type": event["type"], "outcome": "duplicate"}
    handler = HANDLERS.get(event["type"])
    outcome, payment = handler(event, obj) if handler else ("ignored", None)
    db.session.execute(update(StripeEvent).where(StripeEvent.event_id == event["id"][:255]).values(
        outcome=outcome, payment_id=payment.id if payment else None).execution_options(synchronize_session=False))
    return {"id": event["id"], "type": event["type"], "outcome": outcome}


def _find(*, session_id=None, intent_id=None, metadata=None) -> Payment | None:
    """Our payment for a Stripe object: by its session or PaymentIntent, else by the key in its metadata, else
    (an event ahead of the checkout's completion) by the metadata of its PaymentIntent, asked of Stripe."""
    for column, value in ((Payment.stripe_session_id, session_id), (Payment.stripe_payment_intent_id, intent_id),
                          (Payment.stripe_key, (metadata or {}).get("payment_key"))):
        if value:
            found = db.session.scalar(select(Payment).where(column == value))
            if found is not None:
                return found
    if intent_id:
        try:
            key = gateway.current().payment_intent_metadata(intent_id).get("payment_key")
        except gateway.GatewayError:
            key = None
        if key:
            return db.session.scalar(select(Payment).where(Payment.stripe_key == key))
    return None


def _apply(event: dict, payment: Payment | None, change) -> tuple[str, Payment | None]:
    """Lock the payment's order, read the payment fresh, apply `change` to it, and keep the order's sums; a
    cancelled order's money goes back at once."""
    if payment is None:
        log.info("Stripe event %s (%s) names no payment of ours", event["id"], event["type"])
        return "ignored", None
    order = services.locked_order(payment.order_id)
    db.session.refresh(payment)
    before = (payment.status, payment.paid_fen, payment.refunded_fen)
    change(payment)
    services.online_status(payment)
    after = (payment.status, payment.paid_fen, payment.refunded_fen)
    if after == before:
        return "unchanged", payment
    payment.updated_at = clock.now()
    services.add_up(order)
    record("payment.stripe_event", payment, actor=None, order_id=order.id, event=event["id"], type=event["type"],
           before=dict(zip(("status", "paid_fen", "refunded_fen"), before, strict=True)),
           after=dict(zip(("status", "paid_fen", "refunded_fen"), after, strict=True)))
    if order.status == "cancelled" and payment.paid_fen > max(payment.refunded_fen, payment.refund_requested_fen):
        services.refund_online(order)  # paid after (or while) it was cancelled
    return "applied", payment


def _fen(value) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _learn_intent(payment: Payment, intent_id) -> None:
    if isinstance(intent_id, str) and intent_id and payment.stripe_payment_intent_id is None:
        payment.stripe_payment_intent_id = intent_id


def checkout_completed(event, session):
    intent = gateway.id_of(session.get("payment_intent"))

    def change(payment):
        _learn_intent(payment, intent)
        if session.get("payment_status") == "paid":  # Alipay and cards: paid now; some methods pay later
            payment.paid_fen = max(payment.paid_fen, _fen(session.get("amount_total")))

    return _apply(event, _find(session_id=session.get("id"), intent_id=intent, metadata=session.get("metadata")),
                  change)


def checkout_expired(event, session):
    def change(payment):
        if payment.paid_fen == 0 and payment.status in ("pending", "failed"):
            payment.status = "expired"

    return _apply(event, _find(session_id=session.get("id"), metadata=session.get("metadata")), change)


def intent_succeeded(event, intent):
    def change(payment):
        _learn_intent(payment, intent.get("id"))
        payment.paid_fen = max(payment.paid_fen, _fen(intent.get("amount_received")))

    return _apply(event, _find(intent_id=intent.get("id"), metadata=intent.get("metadata")), change)


def intent_failed(event, intent):
    def change(payment):
        _learn_intent(payment, intent.get("id"))
        if payment.paid_fen == 0 and payment.status == "pending":  # a success, whenever it came, stands
            payment.status = "failed"
            error = intent.get("last_payment_error") or {}
            payment.failure_message = str(error.get("message") or error.get("code") or "")[:400] or None

    return _apply(event, _find(intent_id=intent.get("id"), metadata=intent.get("metadata")), change)


def charge_refunded(event, charge):
    intent = gateway.id_of(charge.get("payment_intent"))

    def change(payment):
        _learn_intent(payment, intent)
        # A refunded charge was paid: what it captured counts as received even if its success is still to come.
        payment.paid_fen = max(payment.paid_fen, _fen(charge.get("amount_captured") or charge.get("amount")))
        payment.refunded_fen = max(payment.refunded_fen, min(_fen(charge.get("amount_refunded")), payment.paid_fen))

    return _apply(event, _find(intent_id=intent, metadata=charge.get("metadata")), change)


HANDLERS = {
    "checkout.session.completed": checkout_completed,
    "checkout.session.async_payment_succeeded": checkout_completed,
    "checkout.session.expired": checkout_expired,
    "payment_intent.succeeded": intent_succeeded,
    "payment_intent.payment_failed": intent_failed,
    "charge.refunded": charge_refunded,
}
