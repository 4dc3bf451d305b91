"""/api/v1 payments: the co-pay paid online (Stripe) or recorded offline, reversals, and Stripe's webhook."""
from flask import request, url_for
from flask_login import current_user

from ..apibase import Blueprint, document_errors, login_required, roles_required
from ..orders.scope import visible_order
from ..transactions import as_stored
from . import services, webhooks
from .schemas import (
    OfflinePaymentSchema,
    PaymentSchema,
    RefundSchema,
    ReverseSchema,
    StripePaymentSchema,
    WebhookAnswerSchema,
)

blp = Blueprint("payments", __name__, url_prefix="/api/v1", description="Payments of the co-pay")


def return_urls(order_id: int) -> dict:
    """Where Stripe's checkout sends the payer back: the order's page."""
    page = url_for("order_pages.detail", order_id=order_id, _external=True)
    return dict(success_url=f"{page}?paid=1", cancel_url=page)


@blp.route("/orders/<int:order_id>/payments/stripe", methods=["POST"])
@document_errors(403, 409)
@roles_required("elder", "family", "operator")
@blp.response(201, StripePaymentSchema)
def pay_online(order_id):
    """Start paying the co-pay online (Stripe Checkout, CNY); the same order twice returns the same payment.
    409 when online payment is not switched on, nothing is due, or the order is cancelled."""
    order = visible_order(order_id, current_user)
    return services.start_online(current_user, order, **return_urls(order.id))


@blp.route("/orders/<int:order_id>/payments/offline", methods=["POST"])
@document_errors(403, 409)
@roles_required(*services.RECORDERS)
@blp.arguments(OfflinePaymentSchema)
@blp.response(201, PaymentSchema)
def pay_offline(data, order_id):
    """Record co-pay received at the door or by transfer: by the order's caregiver, its provider or an operator;
    never more than is still due (422 naming amount_fen)."""
    order = visible_order(order_id, current_user)
    return as_stored(services.record_offline(current_user, order, **data))


@blp.route("/orders/<int:order_id>/payments/refund", methods=["POST"])
@document_errors(403, 409)
@roles_required(*services.RECORDERS)
@blp.arguments(RefundSchema)
@blp.response(201, PaymentSchema)
def refund_offline(data, order_id):
    """Record co-pay given back to the family (a cancelled order's refund due, paid offline): by the order's
    caregiver, its provider or an operator; never more than is still owed back (422 naming amount_fen); 409 when
    nothing is owed back. Once all is given back the order's copay_status is refunded; a record made by mistake
    is reversed like a payment (POST /payments/{id}/reverse)."""
    order = visible_order(order_id, current_user)
    return as_stored(services.record_refund(current_user, order, **data))


@blp.route("/payments/<int:payment_id>/reverse", methods=["POST"])
@document_errors(403, 409)
@roles_required(*services.REVERSERS)
@blp.arguments(ReverseSchema)
@blp.response(201, PaymentSchema)
def reverse(data, payment_id):
    """Undo an offline payment (or a refund given back) recorded by mistake with a new record of minus its
    amount; a second reversal of the same payment answers 409."""
    payment = services.payment_for(payment_id, current_user)
    return as_stored(services.reverse(current_user, payment.id, **data))


@blp.route("/orders/<int:order_id>/payments", methods=["GET"])
@login_required
@blp.response(200, PaymentSchema(many=True))
def list_payments(order_id):
    """The order's payments, oldest first, for whoever may see the order."""
    return services.payments_of(visible_order(order_id, current_user))


WEBHOOK_BODY = {"required": True, "description": "A Stripe event, signed in the Stripe-Signature header",
                "content": {"application/json": {"schema": {"type": "object"}}}}


@blp.route("/payments/stripe/webhook", methods=["POST"])
@document_errors(400, 404)
@blp.doc(requestBody=WEBHOOK_BODY, parameters=[{"in": "header", "name": "Stripe-Signature", "required": True,
                                                "schema": {"type": "string"}}])
@blp.response(200, WebhookAnswerSchema)
def stripe_webhook():
    """Stripe's events (served when STRIPE_WEBHOOK_SECRET is set, 404 otherwise): the signature is checked
    against the raw body (400 if it does not match or is stale), and each event id is processed once."""
    return webhooks.receive(request.get_data(cache=True), request.headers.get("Stripe-Signature"))
