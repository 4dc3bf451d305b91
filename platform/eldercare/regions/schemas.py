import marshmallow as ma
from marshmallow import validate

from ..apibase import RowId
from .models import LEVELS


class RegionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String()
    name = ma.fields.String()
    level = ma.fields.String()
    parent_id = ma.fields.Integer(allow_none=True)


class RegionCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=80))
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z-]{2,32}\Z"))
    level = ma.fields.String(required=True, validate=validate.OneOf(LEVELS))
    parent_id = RowId(load_default=None)
    lat = ma.fields.Float(load_default=None, validate=validate.Range(min=3.8, max=53.6))
    lng = ma.fields.Float(load_default=None, validate=validate.Range(min=73.5, max=135.1))


class RegionQuerySchema(ma.Schema):
    level = ma.fields.String(validate=validate.OneOf(LEVELS))
    parent_id = ma.fields.Integer()
