import marshmallow as ma
from marshmallow import validate

from ..apibase import RowId
from .models import STATUSES


class OfficersOnly(ma.fields.List):
    """Left out of the answer unless the caller is an officer (scope.sees_ranking)."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        from flask_login import current_user

        from .scope import sees_ranking

        if not sees_ranking(current_user):
            return ma.missing
        return super().get_value(obj, attr, accessor=accessor, default=default)


class OrderCreateSchema(ma.Schema):
    elder_id = RowId(required=True)
    item_id = RowId(required=True)
    scheduled_start = ma.fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset"})
    quantity = ma.fields.Integer(load_default=1)
    pay_with = ma.fields.String(load_default="self", validate=validate.OneOf(("voucher", "self")))
    note = ma.fields.String(load_default=None, validate=validate.Length(max=400))
    preferred_provider_id = RowId(load_default=None)


class AcceptSchema(ma.Schema):
    caregiver_id = RowId(required=True)


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
    copay_paid_fen = ma.fields.Integer(metadata={"description": "co-pay paid, less reversals (payments/)"})
    copay_refunded_fen = ma.fields.Integer(metadata={"description": "co-pay given back through Stripe"})
    copay_status = ma.fields.String(metadata={"enum": ["none", "due", "paid", "refunded"]})
    pay_with = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    provider_id = ma.fields.Integer(allow_none=True)
    caregiver_id = ma.fields.Integer(allow_none=True)
    ranking = OfficersOnly(ma.fields.Dict(), metadata={"description": "Candidates at booking, best first, each "
                                                                      "with an explanation; officers only "
                                                                      "(operator, bureau, admin)"})
    offers = ma.fields.List(ma.fields.Nested(OfferSchema))
    history = ma.fields.List(ma.fields.Nested(OrderStatusChangeSchema))
    created_at = ma.fields.DateTime()
    accepted_at = ma.fields.DateTime(allow_none=True)
    escalated_at = ma.fields.DateTime(allow_none=True)
    care_plan_id = ma.fields.Integer(allow_none=True, metadata={"description": "The care plan that made the order"})
    plan_date = ma.fields.Date(allow_none=True)
    on_the_way_at = ma.fields.DateTime(allow_none=True)
    check_in_at = ma.fields.DateTime(allow_none=True)
    check_in_distance_m = ma.fields.Integer(allow_none=True)
    check_out_at = ma.fields.DateTime(allow_none=True)
    check_out_distance_m = ma.fields.Integer(allow_none=True)
    service_note = ma.fields.String(allow_none=True)
    actual_minutes = ma.fields.Integer(allow_none=True)
    confirmed_at = ma.fields.DateTime(allow_none=True)
    auto_confirmed = ma.fields.Boolean()
    rating = ma.fields.Integer(allow_none=True)
    rating_comment = ma.fields.String(allow_none=True)
    cancel_reason = ma.fields.String(allow_none=True)
    dispute_reason = ma.fields.String(allow_none=True)


class OrderQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    elder_id = RowId()


class VisitSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(min=3.8, max=53.6))
    lng = ma.fields.Float(required=True, validate=validate.Range(min=73.5, max=135.1))
    at = ma.fields.AwareDateTime(load_default=None, metadata={"description": "defaults to now"})


class CheckOutSchema(VisitSchema):
    service_note = ma.fields.String(load_default=None, validate=validate.Length(max=1000))


class ConfirmSchema(ma.Schema):
    rating = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = ma.fields.String(load_default=None, validate=validate.Length(max=400))


class ReasonSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=400))


class ResolveSchema(ma.Schema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(("confirmed", "cancelled")))
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=400))
