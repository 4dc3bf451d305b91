import marshmallow as ma
from flask import g
from marshmallow import validate

from ..apibase import RowId
from .masking import mask_id_number, mask_phone
from .models import ASSESSMENT_REASONS, CARE_LEVELS, EVENT_KINDS, HARDSHIP, STATUSES


class EmergencyContactSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    relation = ma.fields.String(required=True, validate=validate.Length(min=1, max=20))
    phone = ma.fields.String(required=True, validate=validate.Length(min=7, max=20))


class ElderFieldsSchema(ma.Schema):
    """What an officer may set or change; registration adds the fixed identity fields."""

    name = ma.fields.String(validate=validate.Length(min=1, max=40))
    phone = ma.fields.String(allow_none=True, validate=validate.Length(max=20))
    address = ma.fields.String(validate=validate.Length(min=1, max=200))
    community_id = ma.fields.Integer()
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    hardship = ma.fields.String(validate=validate.OneOf(HARDSHIP))
    hardship_since = ma.fields.Date(allow_none=True)
    hardship_source = ma.fields.String(allow_none=True, validate=validate.Length(max=80))
    lives_alone = ma.fields.Boolean()
    emergency_contacts = ma.fields.List(ma.fields.Nested(EmergencyContactSchema), validate=validate.Length(max=5))


class ElderCreateSchema(ElderFieldsSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    id_number = ma.fields.String(required=True, validate=validate.Length(max=30))
    birth_date = ma.fields.Date(required=True)
    gender = ma.fields.String(required=True, validate=validate.OneOf(("M", "F")))
    address = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    community_id = RowId(required=True)
    lat = ma.fields.Float(required=True)
    lng = ma.fields.Float(required=True)
    hardship = ma.fields.String(load_default="none", validate=validate.OneOf(HARDSHIP))
    lives_alone = ma.fields.Boolean(load_default=False)
    emergency_contacts = ma.fields.List(ma.fields.Nested(EmergencyContactSchema), load_default=list,
                                        validate=validate.Length(max=5))
    relation = ma.fields.String(validate=validate.Length(min=1, max=20),
                                metadata={"description": "A family account registering a relative: how related."})


class ElderSchema(ma.Schema):
    """An elder as lists and pages show it: ID number and phones masked unless revealed."""

    id = ma.fields.Integer()
    name = ma.fields.String()
    id_number = ma.fields.Method("_id_number")
    birth_date = ma.fields.Date()
    gender = ma.fields.String()
    phone = ma.fields.Method("_phone")
    address = ma.fields.String()
    community_id = ma.fields.Integer()
    community_name = ma.fields.Function(lambda e: e.community.name)
    lat = ma.fields.Float()
    lng = ma.fields.Float()
    hardship = ma.fields.String(metadata={"enum": list(HARDSHIP)})
    hardship_since = ma.fields.Date(allow_none=True)
    hardship_source = ma.fields.String(allow_none=True)
    lives_alone = ma.fields.Boolean()
    emergency_contacts = ma.fields.Method("_contacts")
    care_level = ma.fields.String(allow_none=True, metadata={"enum": list(CARE_LEVELS)})
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    has_login = ma.fields.Function(lambda e: e.user_id is not None)
    verification_pending = ma.fields.Boolean(metadata={"description": "Registered by family and not yet checked "
                                                                      "by an officer: no vouchers until then"})
    verified_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()

    @staticmethod
    def _revealed() -> bool:
        # Set by the view for one request once the look has been allowed and logged (services.reveal).
        return bool(g.get("reveal_personal_data"))

    def _id_number(self, elder):
        return elder.id_number if self._revealed() else mask_id_number(elder.id_number)

    def _phone(self, elder):
        return elder.phone if self._revealed() else mask_phone(elder.phone)

    def _contacts(self, elder):
        show = (lambda p: p) if self._revealed() else mask_phone
        return [dict(c, phone=show(c.get("phone"))) for c in elder.emergency_contacts or []]


class ElderQuerySchema(ma.Schema):
    q = ma.fields.String(validate=validate.Length(min=1, max=40),
                         metadata={"description": "Name, or the last 4 characters of the ID number"})
    community_id = ma.fields.Integer()
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    reveal = ma.fields.Boolean(load_default=False)
    reason = ma.fields.String(validate=validate.Length(max=200))


class RevealQuerySchema(ma.Schema):
    reveal = ma.fields.Boolean(load_default=False)
    reason = ma.fields.String(validate=validate.Length(max=200))


class FamilyLinkCreateSchema(ma.Schema):
    user_id = RowId(required=True)
    relation = ma.fields.String(required=True, validate=validate.Length(min=1, max=20))


class FamilyLinkSchema(ma.Schema):
    id = ma.fields.Integer()
    elder_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    username = ma.fields.Function(lambda link: link.user.username)
    relation = ma.fields.String()
    created_at = ma.fields.DateTime()


class ElderLoginSchema(ma.Schema):
    username = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)


class AssessmentCreateSchema(ma.Schema):
    assessed_on = ma.fields.Date(required=True)
    reason = ma.fields.String(required=True, validate=validate.OneOf(ASSESSMENT_REASONS))
    items = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Raw(), required=True)
    diagnoses = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean(), load_default=dict)
    risk_events_30d = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=100))


class AssessmentSchema(ma.Schema):
    id = ma.fields.Integer()
    elder_id = ma.fields.Integer()
    assessed_on = ma.fields.Date()
    reason = ma.fields.String()
    items = ma.fields.Dict()
    diagnoses = ma.fields.Dict()
    risk_events_30d = ma.fields.Integer()
    total_score = ma.fields.Integer()
    care_level = ma.fields.String(metadata={"enum": list(CARE_LEVELS)})
    assessor_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()


class EventCreateSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    occurred_on = ma.fields.Date(required=True)
    note = ma.fields.String(load_default=None, validate=validate.Length(max=400))


class EventSchema(ma.Schema):
    id = ma.fields.Integer()
    elder_id = ma.fields.Integer()
    kind = ma.fields.String()
    occurred_on = ma.fields.Date()
    note = ma.fields.String(allow_none=True)
    recorded_by_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    status = ma.fields.Function(lambda e: e.elder.status)


class ElderStatusChangeSchema(ma.Schema):
    from_status = ma.fields.String()
    to_status = ma.fields.String()
    reason = ma.fields.String()
    event_id = ma.fields.Integer(allow_none=True)
    at = ma.fields.DateTime()
