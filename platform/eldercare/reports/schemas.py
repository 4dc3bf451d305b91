import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import validate

from ..apibase import MonthField, RowId
from .services import GROUPS

FORMATS = ("csv", "xlsx")


class ReportQuerySchema(ma.Schema):
    period = MonthField(metadata={"description": "one month; or give `from` and `to`; neither: the current month"})
    from_ = MonthField(data_key="from", metadata={"description": "the first month of a range"})
    to = MonthField(metadata={"description": "the last month of a range (at most 36 months)"})
    region_id = RowId(metadata={"description": "a district, street or community in the officer's scope (default: "
                                               "the whole scope); outside it answers 404"})
    group_by = ma.fields.String(validate=validate.OneOf(GROUPS), metadata={
        "description": "voucher-spend only: district (default), street, provider or category"})
    format = ma.fields.String(validate=validate.OneOf(FORMATS), metadata={
        "description": "download the report: csv (UTF-8 with a byte-order mark) or xlsx"})

    @ma.validates_schema
    def one_way(self, data, **kwargs):
        if "period" in data and ("from_" in data or "to" in data):
            raise ma.ValidationError(_("Give either a month or a range from and to, not both."), "period")


class ColumnSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "text, count, fen (integer fen), rate (0 to 1) or number"})


class ReportSchema(ma.Schema):
    name = ma.fields.String()
    group_by = ma.fields.String(allow_none=True)
    from_ = ma.fields.String(data_key="from", metadata={"description": "the first month, YYYY-MM"})
    to = ma.fields.String(metadata={"description": "the last month, YYYY-MM"})
    region_id = ma.fields.Integer(allow_none=True)
    columns = ma.fields.List(ma.fields.Nested(ColumnSchema))
    rows = ma.fields.List(ma.fields.Dict(), metadata={"description": "one object per row, keyed by the columns' "
                                                                      "keys (and `id`)"})
    totals = ma.fields.Dict(metadata={"description": "the whole region's figures (money in fen)"})
