import marshmallow as ma
from flask_login import current_user
from marshmallow import validate

from ..apibase import RowId
from ..elders.masking import mask_phone
from .caregivers import is_expired
from .models import CERTIFICATE_KINDS, REVIEW_DECISIONS, STATUSES


class PriceSchema(ma.Schema):
    item_id = RowId(required=True)
    price_fen = ma.fields.Integer(required=True, metadata={"description": "At most the item's guide price"})


class ProviderFieldsSchema(ma.Schema):
    """What an application may set or change; the rules (licence format, ranges, streets) are the service's."""

    name = ma.fields.String(validate=validate.Length(min=1, max=120))
    license_no = ma.fields.String(validate=validate.Length(max=40),
                                  metadata={"description": "Unified social credit code, 18 characters"})
    categories = ma.fields.List(ma.fields.String(validate=validate.Length(max=32)),
                                validate=validate.Length(max=50), metadata={"description": "Category codes"})
    service_areas = ma.fields.List(ma.fields.Integer(), validate=validate.Length(max=200),
                                   metadata={"description": "Street region ids"})
    base_lat = ma.fields.Float(allow_nan=False)
    base_lng = ma.fields.Float(allow_nan=False)
    service_radius_m = ma.fields.Integer(metadata={"description": "500 to 20000"})
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=20))
    address = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    prices = ma.fields.List(ma.fields.Nested(PriceSchema), validate=validate.Length(max=500))


class ProviderCreateSchema(ProviderFieldsSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    license_no = ma.fields.String(required=True, validate=validate.Length(max=40))
    categories = ma.fields.List(ma.fields.String(validate=validate.Length(max=32)), required=True,
                                validate=validate.Length(max=50))
    service_areas = ma.fields.List(ma.fields.Integer(), required=True, validate=validate.Length(max=200))
    base_lat = ma.fields.Float(required=True, allow_nan=False)
    base_lng = ma.fields.Float(required=True, allow_nan=False)
    service_radius_m = ma.fields.Integer(required=True)
    prices = ma.fields.List(ma.fields.Nested(PriceSchema), load_default=list, validate=validate.Length(max=500))


class DocumentSchema(ma.Schema):
    id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    kind = ma.fields.String()
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size_bytes = ma.fields.Integer()
    sha256 = ma.fields.String()
    uploaded_at = ma.fields.DateTime()


class ReviewSchema(ma.Schema):
    id = ma.fields.Integer()
    decision = ma.fields.String(metadata={"enum": list(REVIEW_DECISIONS)})
    note = ma.fields.String(allow_none=True)
    from_status = ma.fields.String()
    to_status = ma.fields.String()
    actor_id = ma.fields.Integer(allow_none=True)
    at = ma.fields.DateTime()


class ProviderSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    license_no = ma.fields.String()
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    review_note = ma.fields.String(allow_none=True)
    reviewed_at = ma.fields.DateTime(allow_none=True)
    district_id = ma.fields.Integer(allow_none=True)
    categories = ma.fields.Function(lambda p: [c.code for c in p.categories])
    service_areas = ma.fields.Function(lambda p: [r.id for r in p.service_areas])
    base_lat = ma.fields.Float()
    base_lng = ma.fields.Float()
    service_radius_m = ma.fields.Integer()
    phone = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    prices = ma.fields.Function(lambda p: [{"item_id": x.item_id, "price_fen": x.price_fen}
                                           for x in sorted(p.prices, key=lambda x: x.item_id)])
    documents = ma.fields.List(ma.fields.Nested(DocumentSchema))
    reviews = ma.fields.List(ma.fields.Nested(ReviewSchema))
    created_at = ma.fields.DateTime()


class ProviderQuerySchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))


class ReviewCreateSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(REVIEW_DECISIONS))
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=400))


class CertificateInSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(CERTIFICATE_KINDS))
    level = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=20))
    expires_on = ma.fields.Date(required=True)


class AvailabilityInSchema(ma.Schema):
    weekday = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=6),
                                metadata={"description": "Monday is 0"})
    start = ma.fields.String(required=True, metadata={"description": "HH:MM"})
    end = ma.fields.String(required=True, metadata={"description": "HH:MM"})


class CaregiverFieldsSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=40))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=20))
    active = ma.fields.Boolean()
    daily_limit = ma.fields.Integer(metadata={"description": "1 to 20"})
    categories = ma.fields.List(ma.fields.String(validate=validate.Length(max=32)), validate=validate.Length(max=50))
    certificates = ma.fields.List(ma.fields.Nested(CertificateInSchema), validate=validate.Length(max=20))
    availability = ma.fields.List(ma.fields.Nested(AvailabilityInSchema), validate=validate.Length(max=50))


class CaregiverCreateSchema(CaregiverFieldsSchema):
    username = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    categories = ma.fields.List(ma.fields.String(validate=validate.Length(max=32)), required=True,
                                validate=validate.Length(max=50))
    availability = ma.fields.List(ma.fields.Nested(AvailabilityInSchema), load_default=None,
                                  validate=validate.Length(max=50),
                                  metadata={"description": "Omitted: every day 08:00-18:00"})
    daily_limit = ma.fields.Integer(load_default=8, metadata={"description": "1 to 20"})


class CertificateSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    level = ma.fields.String(allow_none=True)
    expires_on = ma.fields.Date()
    expired = ma.fields.Function(lambda c: is_expired(c))


class AvailabilitySchema(ma.Schema):
    weekday = ma.fields.Integer()
    start = ma.fields.Function(lambda a: a.start_time.strftime("%H:%M"))
    end = ma.fields.Function(lambda a: a.end_time.strftime("%H:%M"))


class CaregiverSchema(ma.Schema):
    id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    user_id = ma.fields.Integer(allow_none=True)
    username = ma.fields.Function(lambda c: c.user.username if c.user else None)
    name = ma.fields.String()
    phone = ma.fields.Method("_phone")
    active = ma.fields.Boolean()
    daily_limit = ma.fields.Integer()
    categories = ma.fields.Function(lambda c: [x.code for x in c.categories])
    certificates = ma.fields.List(ma.fields.Nested(CertificateSchema))
    availability = ma.fields.List(ma.fields.Nested(AvailabilitySchema))
    created_at = ma.fields.DateTime()

    def _phone(self, caregiver):
        # The caregiver's own organisation sees the whole number; the bureau sees it masked.
        own = getattr(current_user, "role", None) == "provider_admin" and \
            getattr(current_user, "provider_id", None) == caregiver.provider_id
        return caregiver.phone if own else mask_phone(caregiver.phone)
