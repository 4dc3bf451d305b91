import marshmallow as ma

from . import services


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"enum": sorted(services.MESSAGES)})
    order_id = ma.fields.Integer(allow_none=True)
    text = ma.fields.Function(services.text, metadata={"description": "In the caller's language"})
    facts = ma.fields.Dict()
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class NotificationQuerySchema(ma.Schema):
    unread = ma.fields.Boolean(load_default=False)


class ReadAllSchema(ma.Schema):
    marked = ma.fields.Integer()
