import marshmallow as ma
from marshmallow import validate

from ..apibase import RowId


class RuleSchema(ma.Schema):
    freq = ma.fields.String(required=True, validate=validate.OneOf(("daily", "weekly")))
    weekdays = ma.fields.List(ma.fields.Integer(validate=validate.Range(0, 6)), load_default=list)
    interval_weeks = ma.fields.Integer(load_default=1, validate=validate.Range(1, 8))
    time = ma.fields.String(required=True, metadata={"description": "HH:MM, Beijing time"})


class CarePlanCreateSchema(ma.Schema):
    elder_id = RowId(required=True)
    item_id = RowId(required=True)
    rule = ma.fields.Nested(RuleSchema, required=True)
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(load_default=None)
    pay_with = ma.fields.String(load_default="self", validate=validate.OneOf(("voucher", "self")))
    provider_id = RowId(load_default=None)
    quantity = ma.fields.Integer(load_default=1)
    note = ma.fields.String(load_default=None, validate=validate.Length(max=400))


class CarePlanSchema(ma.Schema):
    id = ma.fields.Integer()
    elder_id = ma.fields.Integer()
    item_id = ma.fields.Integer()
    rule = ma.fields.Method("_rule")
    quantity = ma.fields.Integer()
    start_date = ma.fields.Date()
    end_date = ma.fields.Date(allow_none=True)
    pay_with = ma.fields.String()
    note = ma.fields.String(allow_none=True)
    family_care_bed = ma.fields.Boolean()
    provider_id = ma.fields.Integer(allow_none=True)
    caregiver_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(metadata={"enum": ["active", "paused", "ended"]})
    end_reason = ma.fields.String(allow_none=True)
    skips = ma.fields.Method("_skips")
    pauses = ma.fields.Method("_pauses")
    time_changes = ma.fields.Method("_times")
    created_at = ma.fields.DateTime()

    def _rule(self, plan):
        return {"freq": plan.freq, "weekdays": plan.weekdays or [], "interval_weeks": plan.interval_weeks,
                "time": plan.time_of_day.strftime("%H:%M")}

    def _skips(self, plan):
        return sorted(s.day.isoformat() for s in plan.skips)

    def _pauses(self, plan):
        return [{"from": p.from_date.isoformat(), "until": p.until_date.isoformat()} for p in plan.pauses]

    def _times(self, plan):
        return [{"from": t.from_date.isoformat(), "time": t.time_of_day.strftime("%H:%M")} for t in plan.times]


class DateSchema(ma.Schema):
    date = ma.fields.Date(required=True)


class PauseSchema(ma.Schema):
    from_ = ma.fields.Date(required=True, data_key="from")
    until = ma.fields.Date(required=True)


class TimeChangeSchema(ma.Schema):
    from_ = ma.fields.Date(required=True, data_key="from")
    time = ma.fields.String(required=True, metadata={"description": "HH:MM"})


class EndSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class PlanQuerySchema(ma.Schema):
    elder_id = RowId()
    status = ma.fields.String(validate=validate.OneOf(("active", "paused", "ended")))


class ForecastQuerySchema(ma.Schema):
    elder_id = RowId(required=True)


class ForecastSchema(ma.Schema):
    elder_id = ma.fields.Integer()
    balance_fen = ma.fields.Integer()
    planned_fen = ma.fields.Integer()
    shortfall_fen = ma.fields.Integer()
    bites_on = ma.fields.Date(allow_none=True)
    visits = ma.fields.Integer()
