"""The audit API's bodies: scans, findings and their cases, samples and follow-up calls."""
import re
from datetime import date

import marshmallow as ma
from marshmallow import validate

from ..apibase import MonthField, RowId
from .findings import CASE_STATUSES, DECISIONS, SEVERITIES
from .rules import FIRST_DAY, LAST_DAY, RULES
from .samples import SEED_LIMIT

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class DayField(ma.fields.String):
    """A date written YYYY-MM-DD in ASCII digits (marshmallow's Date would take other scripts' digits)."""

    def __init__(self, **kwargs):
        metadata = {"pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "format": "date", "example": "2026-11-30",
                    **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            day = date.fromisoformat(text)
            if not FIRST_DAY <= day <= LAST_DAY:
                raise ValueError(text)
            return day
        except ValueError:
            raise ma.ValidationError("A date from 2000-01-01 to 2999-12-31, written YYYY-MM-DD.") from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()


class ScanCreateSchema(ma.Schema):
    from_ = DayField(required=True, data_key="from", metadata={"description": "the first Beijing day"})
    to = DayField(required=True, metadata={"description": "the last Beijing day (at most 366 days in all)"})


class ScanSchema(ma.Schema):
    findings = ma.fields.Integer(metadata={"description": "findings written by this scan (none twice)"})
    by_rule = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    cases = ma.fields.Integer(metadata={"description": "cases opened or reopened"})
    from_ = ma.fields.String(data_key="from")
    to = ma.fields.String()


class FindingQuerySchema(ma.Schema):
    rule = ma.fields.String(validate=validate.OneOf(list(RULES)))
    provider_id = RowId()
    severity = ma.fields.String(validate=validate.OneOf(SEVERITIES))
    case_status = ma.fields.String(validate=validate.OneOf(CASE_STATUSES))
    from_ = DayField(data_key="from", metadata={"description": "visits checked in on or after this day"})
    to = DayField(metadata={"description": "visits checked in on or before this day"})


class FindingSchema(ma.Schema):
    id = ma.fields.Integer()
    rule = ma.fields.String()
    order_id = ma.fields.Integer()
    provider_id = ma.fields.Integer(allow_none=True)
    severity = ma.fields.String()
    explanation = ma.fields.String()
    facts = ma.fields.Dict()
    case_id = ma.fields.Function(lambda f: f.case.id if f.case else None)
    case_status = ma.fields.String(allow_none=True)
    found_at = ma.fields.DateTime()


class CaseDecisionSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(list(DECISIONS)),
                                metadata={"description": "review (open → reviewed), clear or confirm (confirm "
                                                         "gives the elder back the captured vouchers)"})
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=400))


class CaseFindingSchema(ma.Schema):
    id = ma.fields.Integer()
    rule = ma.fields.String()
    severity = ma.fields.String()
    explanation = ma.fields.String()
    facts = ma.fields.Dict()
    found_at = ma.fields.DateTime()


class CaseStepSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String()
    actor_id = ma.fields.Integer(allow_none=True)
    at = ma.fields.DateTime()
    note = ma.fields.String(allow_none=True)


class CaseSchema(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    status = ma.fields.String()
    reversed_fen = ma.fields.Integer()
    opened_at = ma.fields.DateTime()
    steps = ma.fields.List(ma.fields.Nested(CaseStepSchema))
    findings = ma.fields.List(ma.fields.Nested(CaseFindingSchema))


class SampleCreateSchema(ma.Schema):
    provider_id = RowId(required=True)
    period = MonthField(required=True)
    percent = ma.fields.Integer(load_default=5, validate=validate.Range(min=1, max=100))
    seed = ma.fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0, max=SEED_LIMIT),
                             metadata={"description": "omitted: one is chosen and shown"})


class CallCreateSchema(ma.Schema):
    order_id = RowId(required=True)
    reached = ma.fields.Boolean(required=True)
    service_happened = ma.fields.Boolean(load_default=None, allow_none=True)
    asked_to_pay_extra = ma.fields.Boolean(load_default=None, allow_none=True)
    satisfaction = ma.fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=5))
    note = ma.fields.String(load_default=None, allow_none=True, validate=validate.Length(max=400))


class CallSchema(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    reached = ma.fields.Boolean()
    service_happened = ma.fields.Boolean(allow_none=True)
    asked_to_pay_extra = ma.fields.Boolean(allow_none=True)
    satisfaction = ma.fields.Integer(allow_none=True)
    note = ma.fields.String(allow_none=True)
    failed = ma.fields.Boolean()
    caller_id = ma.fields.Integer(allow_none=True)
    called_at = ma.fields.DateTime()


class DeductionDecisionSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(("confirm", "reject")))
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=400))


class SampleSchema(ma.Schema):
    id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    period = ma.fields.String()
    percent = ma.fields.Integer()
    seed = ma.fields.Integer()
    frame_size = ma.fields.Integer(metadata={"description": "the provider's orders of the month drawn from"})
    order_ids = ma.fields.List(ma.fields.Integer())
    drawn_at = ma.fields.DateTime()
    deduction_status = ma.fields.String()
    deduction_fen = ma.fields.Integer(allow_none=True)


class SampleResultSchema(SampleSchema):
    calls = ma.fields.List(ma.fields.Nested(CallSchema))
    reviewed = ma.fields.Integer()
    failed = ma.fields.Integer()
    not_reached = ma.fields.Integer()
    uncalled = ma.fields.Integer()
    failure_rate = ma.fields.Float(allow_none=True)
    ci_low = ma.fields.Float(allow_none=True, metadata={"description": "Wilson 95% interval, lower bound"})
    ci_high = ma.fields.Float(allow_none=True)
    unreviewed_orders = ma.fields.Integer()
    unreviewed_fen = ma.fields.Integer()
    proposed_deduction_fen = ma.fields.Integer(
        metadata={"description": "floor(ci_low × unreviewed_fen): the lower bound, what the calls prove"})
