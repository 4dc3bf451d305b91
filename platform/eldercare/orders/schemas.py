import marshmallow as ma
from marshmallow import validate

from .models import STATUSES


class OrderCreateSchema(ma.Schema):
    elder_id = ma.fields.Integer(required=True)
    item_id = ma.fields.Integer(required=True)
    scheduled_start = ma.fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset"})
    quantity = ma.fields.Integer(load_default=1)
    pay_with = ma.fields.String(load_default="self", validate=validate.OneOf(("voucher", "self")))
    note = ma.fields.String(load_default=None, validate=validate.Length(max=400))
    preferred_provider_id = ma.fields.Integer(load_default=None)


class AcceptSchema(ma.Schema):
    caregiver_id = ma.fields.Integer(required=True)


class RejectSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=400))


class OfferSchema(ma.Schema):
    provider_id = ma.fields.Integer()
    rank = ma.fields.Integer()
    status = ma.fields.String()
    offered_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime()
    answered_at = ma.fields.DateTime(allow_none=True)
    reason = ma.fields.String(allow_none=True)


class OrderStatusChangeSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    detail = ma.fields.Dict()
    at = ma.fields.DateTime()


class OrderSchema(ma.Schema):
    id = ma.fields.Integer()
    elder_id = ma.fields.Integer()
    item_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    scheduled_start = ma.fields.DateTime()
    scheduled_end = ma.fields.DateTime()
    quantity = ma.fields.Integer()
    price_fen = ma.fields.Integer()
    voucher_fen = ma.fields.Integer()
    copay_fen = ma.fields.Integer()
    pay_with = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    provider_id = ma.fields.Integer(allow_none=True)
    caregiver_id = ma.fields.Integer(allow_none=True)
    ranking = ma.fields.List(ma.fields.Dict(), metadata={"description": "Candidates at booking, best first, "
                                                                        "each with an explanation"})
    offers = ma.fields.List(ma.fields.Nested(OfferSchema))
    history = ma.fields.List(ma.fields.Nested(OrderStatusChangeSchema))
    created_at = ma.fields.DateTime()
    accepted_at = ma.fields.DateTime(allow_none=True)
    escalated_at = ma.fields.DateTime(allow_none=True)


class OrderQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    elder_id = ma.fields.Integer()
