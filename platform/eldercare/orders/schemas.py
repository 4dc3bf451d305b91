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


def _own_provider(user) -> int | None:
    """The provider a provider's staff member works for; None for everyone else."""
    from ..providers.scope import STAFF_ROLES

    return getattr(user, "provider_id", None) if getattr(user, "role", None) in STAFF_ROLES else None


def _provider_shown(order, user) -> int | None:
    """Which provider's offers and ids a non-officer may see on `order`: a provider's staff only their own provider
    (not who was offered the order after they declined it); a family or elder the provider that has it now."""
    own = _own_provider(user)
    if own is not None:
        return own if order.provider_id == own or any(o.provider_id == own for o in order.offers) else None
    return order.provider_id


class ProviderSeen(ma.fields.Integer):
    """The order's provider, left empty for a provider's staff when it is another provider: the answer to a
    declined offer does not say who was asked next."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        from flask_login import current_user

        value = super().get_value(obj, attr, accessor=accessor, default=default)
        own = _own_provider(current_user)
        return None if own is not None and value is not None and value != own else value


class OffersSeen(ma.fields.List):
    """Every offer for officers; a provider's staff see only their own provider's offers, a family or elder only
    the offers to the provider that has the order now. Who else was asked, what they answered and why they declined
    is rivals' business: a provider would learn which competitors serve the area and how they answer, a family
    nothing it needs."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        from flask_login import current_user

        from .scope import sees_ranking

        offers = super().get_value(obj, attr, accessor=accessor, default=default)
        if offers is ma.missing or offers is None or sees_ranking(current_user):
            return offers
        shown = _provider_shown(obj, current_user)
        return [offer for offer in offers if shown is not None and offer.provider_id == shown]


class HistorySeen(ma.fields.List):
    """The full history for officers; for anyone else without what names or scores another provider: a dispatch's
    reason is how that provider ranked (distance, on-time rate, rating, load), and a provider id in an entry's
    detail other than the one they may see (OffersSeen) names a rival (who was asked before, or after)."""

    def get_value(self, obj, attr, accessor=None, default=ma.missing):
        from flask_login import current_user

        from .scope import sees_ranking

        history = super().get_value(obj, attr, accessor=accessor, default=default)
        if history is ma.missing or history is None or sees_ranking(current_user):
            return history
        shown = _provider_shown(obj, current_user)
        return [_change_for_outsiders(change, shown) for change in history]


def _change_for_outsiders(change, provider_id) -> dict:
    detail = dict(change.detail or {})
    if "provider_id" in detail and (provider_id is None or detail["provider_id"] != provider_id):
        del detail["provider_id"]
    reason = None if change.to_status == "dispatched" else change.reason
    return dict(from_status=change.from_status, to_status=change.to_status, reason=reason, detail=detail,
                at=change.at)


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
    copay_refunded_fen = ma.fields.Integer(metadata={"description": "co-pay given back: through Stripe, or "
                                                                    "recorded as given back offline"})
    copay_status = ma.fields.String(metadata={"enum": ["none", "due", "paid", "refunded", "refund_due"]})
    pay_with = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    provider_id = ProviderSeen(allow_none=True, metadata={
        "description": "The provider that has the order; empty to another provider's staff (after its offer "
                       "closed)"})
    caregiver_id = ma.fields.Integer(allow_none=True)
    ranking = OfficersOnly(ma.fields.Dict(), metadata={"description": "Candidates at booking, best first, each "
                                                                      "with an explanation; officers only "
                                                                      "(operator, bureau, admin)"})
    offers = OffersSeen(ma.fields.Nested(OfferSchema), metadata={
        "description": "Officers (operator, bureau, admin) see every offer; a provider's staff their own "
                       "provider's; a family or elder those to the provider that has the order now"})
    history = HistorySeen(ma.fields.Nested(OrderStatusChangeSchema), metadata={
        "description": "Officers see every entry in full; anyone else without a dispatch's ranking reason and "
                       "without other providers' ids"})
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


class AssignSchema(ma.Schema):
    provider_id = RowId(required=True)


class RescheduleSchema(ma.Schema):
    scheduled_start = ma.fields.AwareDateTime(required=True, metadata={"description": "ISO 8601 with offset"})


class ResolveSchema(ma.Schema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(("confirmed", "cancelled")))
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=400))
