import marshmallow as ma
from marshmallow import validate

from ..apibase import RowId
from ..orders.schemas import OrderSchema
from ..payments.models import OFFLINE_METHODS
from .models import KINDS, MEAL_SLOTS, SECOND_MEAL, STATUSES

HHMM = {"pattern": "^[0-9]{2}:[0-9]{2}$", "example": "11:00"}


class HoursSchema(ma.Schema):
    weekday = ma.fields.Integer(required=True, validate=validate.Range(0, 6), metadata={"description": "Monday 0"})
    start = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9]{2}:[0-9]{2}\Z"), metadata=HHMM)
    end = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9]{2}:[0-9]{2}\Z"), metadata=HHMM)


class PointItemSchema(ma.Schema):
    item_id = RowId(required=True)
    price_fen = ma.fields.Integer(required=True, validate=validate.Range(0, 10_000_000),
                                  metadata={"description": "the point's own price, at most the guide price"})


class PointFieldsSchema(ma.Schema):
    """What a provider sends to register or edit a point (every field needed to register)."""

    name = ma.fields.String(validate=validate.Length(min=1, max=80))
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    provider_id = RowId(metadata={"description": "the caller's own provider (the default)"})
    community_id = RowId()
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    lat = ma.fields.Float(validate=validate.Range(-90, 90))
    lng = ma.fields.Float(validate=validate.Range(-180, 180))
    hours = ma.fields.List(ma.fields.Nested(HoursSchema), validate=validate.Length(max=50))
    items = ma.fields.List(ma.fields.Nested(PointItemSchema), validate=validate.Length(max=100))
    daily_capacity = ma.fields.Integer(validate=validate.Range(1, 100_000))
    second_meal = ma.fields.String(validate=validate.OneOf(SECOND_MEAL), metadata={
        "description": "a meal past the elder's subsidised ones today: served at full price, or refused"})


class PointCreateSchema(PointFieldsSchema):
    class Meta:
        pass

    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=80))
    kind = ma.fields.String(required=True, validate=validate.OneOf(KINDS))
    community_id = RowId(required=True)
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
    lng = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    hours = ma.fields.List(ma.fields.Nested(HoursSchema), required=True, validate=validate.Length(max=50))
    items = ma.fields.List(ma.fields.Nested(PointItemSchema), required=True, validate=validate.Length(max=100))
    daily_capacity = ma.fields.Integer(required=True, validate=validate.Range(1, 100_000))


class PointSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    provider_id = ma.fields.Integer()
    community_id = ma.fields.Integer()
    address = ma.fields.String(allow_none=True)
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    hours = ma.fields.List(ma.fields.Nested(HoursSchema))
    items = ma.fields.List(ma.fields.Nested(PointItemSchema))
    daily_capacity = ma.fields.Integer()
    second_meal = ma.fields.String(metadata={"enum": list(SECOND_MEAL)})
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    review_note = ma.fields.String(allow_none=True)
    distance_m = ma.fields.Integer(allow_none=True, metadata={"description": "from ?lat=&lng=, when given"})


class PointQuerySchema(ma.Schema):
    lat = ma.fields.Float(validate=validate.Range(-90, 90))
    lng = ma.fields.Float(validate=validate.Range(-180, 180))
    kind = ma.fields.String(validate=validate.OneOf(KINDS))
    status = ma.fields.String(validate=validate.OneOf(STATUSES))


class PointReviewSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=400))


class CardSchema(ma.Schema):
    elder_id = ma.fields.Integer()
    payload = ma.fields.String(metadata={"description": "what the card's QR code holds (signed)"})
    version = ma.fields.Integer()


class CheckInCreateSchema(ma.Schema):
    card = ma.fields.String(load_default=None, validate=validate.Length(max=200),
                            metadata={"description": "the elder card's QR payload"})
    name = ma.fields.String(load_default=None, validate=validate.Length(max=40))
    id_last6 = ma.fields.String(load_default=None, validate=validate.Regexp(r"^[0-9]{5}[0-9Xx]\Z"),
                                metadata={"pattern": "^[0-9]{5}[0-9Xx]$",
                                          "description": "the ID number's last six characters"})
    item_id = RowId(required=True)
    pay_with = ma.fields.String(load_default="voucher", validate=validate.OneOf(("voucher", "self")))
    method = ma.fields.String(load_default="cash", validate=validate.OneOf(OFFLINE_METHODS),
                              metadata={"description": "how the co-pay was paid at the counter"})


class CheckInOrderSchema(OrderSchema):
    service_point_id = ma.fields.Integer(allow_none=True)
    served_by_id = ma.fields.Integer(allow_none=True)


class BookingCreateSchema(ma.Schema):
    elder_id = RowId(required=True)
    item_id = RowId(required=True, metadata={"description": "a meal the point serves"})
    day = ma.fields.Date(required=True, metadata={"description": "the Beijing date of the meal"})
    slot = ma.fields.String(required=True, validate=validate.OneOf(MEAL_SLOTS),
                            metadata={"description": "the meal time, as the point's hours serve it"})
    pay_with = ma.fields.String(load_default="voucher", validate=validate.OneOf(("voucher", "self")))
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=400))
