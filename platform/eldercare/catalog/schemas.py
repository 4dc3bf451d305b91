import marshmallow as ma
from marshmallow import validate

UNITS = ("次", "份", "小时", "项", "天", "月")


class CategorySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()


class ItemSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    code = ma.fields.String()
    name = ma.fields.String()
    name_en = ma.fields.String()
    category_code = ma.fields.String()
    price_fen = ma.fields.Integer()
    unit = ma.fields.String()
    duration_minutes = ma.fields.Integer()
    voucher_eligible = ma.fields.Boolean()
    active = ma.fields.Boolean()
    description = ma.fields.String(allow_none=True)


class ItemCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_.-]{2,40}\Z"))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=80))
    name_en = ma.fields.String(load_default="", validate=validate.Length(max=120))
    category_code = ma.fields.String(required=True)
    price_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10_000_000))
    unit = ma.fields.String(required=True, validate=validate.OneOf(UNITS))
    duration_minutes = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=24 * 60))
    voucher_eligible = ma.fields.Boolean(load_default=True)
    active = ma.fields.Boolean(load_default=True)
    description = ma.fields.String(load_default=None, validate=validate.Length(max=400))


class ItemUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=80))
    name_en = ma.fields.String(validate=validate.Length(max=120))
    category_code = ma.fields.String()
    price_fen = ma.fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000_000))
    unit = ma.fields.String(validate=validate.OneOf(UNITS))
    duration_minutes = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=24 * 60))
    voucher_eligible = ma.fields.Boolean()
    active = ma.fields.Boolean()
    description = ma.fields.String(allow_none=True, validate=validate.Length(max=400))


class ItemQuerySchema(ma.Schema):
    category_code = ma.fields.String()
    active = ma.fields.Boolean()
