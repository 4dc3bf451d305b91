import marshmallow as ma
from marshmallow import validate

from .models import KINDS, METHODS, OFFLINE_METHODS, ONLINE_STATUSES


class OfflinePaymentSchema(ma.Schema):
    amount_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1),
                                   metadata={"description": "fen received, at most what is still due"})
    method = ma.fields.String(required=True, validate=validate.OneOf(OFFLINE_METHODS))
    received_at = ma.fields.AwareDateTime(load_default=None, metadata={"description": "ISO 8601 with offset; "
                                                                                      "defaults to now"})
    note = ma.fields.String(load_default=None, validate=validate.Length(max=400))


class RefundSchema(ma.Schema):
    amount_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1),
                                   metadata={"description": "fen given back, at most what is still owed back"})
    method = ma.fields.String(required=True, validate=validate.OneOf(OFFLINE_METHODS))
    refunded_at = ma.fields.AwareDateTime(load_default=None, metadata={"description": "when it was given back: "
                                                                                    "ISO 8601 with offset; "
                                                                                    "defaults to now"})
    note = ma.fields.String(load_default=None, validate=validate.Length(max=400))


class ReverseSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=400))


class PaymentSchema(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    method = ma.fields.String(metadata={"enum": list(METHODS)})
    status = ma.fields.String(metadata={"enum": [*ONLINE_STATUSES, "recorded", "due"]})
    amount_fen = ma.fields.Integer(metadata={"description": "negative for a reversal; for refund_due, to give back; "
                                                           "for refund, given back"})
    currency = ma.fields.String()
    paid_fen = ma.fields.Integer(metadata={"description": "what counts toward the order's copay_paid_fen"})
    refunded_fen = ma.fields.Integer(metadata={"description": "what counts toward the order's copay_refunded_fen"})
    reverses_id = ma.fields.Integer(allow_none=True, metadata={"description": "the payment a reversal undoes"})
    reversed_by_id = ma.fields.Method("_reversed_by", allow_none=True,
                                      metadata={"type": "integer", "description": "the reversal of this payment"})
    received_at = ma.fields.DateTime(allow_none=True, metadata={"description": "when the money changed hands "
                                                                              "(for a refund: given back)"})
    note = ma.fields.String(allow_none=True)
    reason = ma.fields.String(allow_none=True)
    recorded_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    checkout_url = ma.fields.String(allow_none=True)
    failure_message = ma.fields.String(allow_none=True)

    def _reversed_by(self, payment):
        from .services import reversal_of

        reversal = reversal_of(payment) if payment.kind in ("offline", "refund") else None
        return reversal.id if reversal else None


class StripePaymentSchema(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    amount_fen = ma.fields.Integer()
    currency = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(ONLINE_STATUSES)})
    checkout_url = ma.fields.String(allow_none=True, metadata={"description": "send the payer here"})


class WebhookAnswerSchema(ma.Schema):
    id = ma.fields.String()
    type = ma.fields.String()
    outcome = ma.fields.String(metadata={"enum": ["applied", "unchanged", "ignored", "duplicate"]})
