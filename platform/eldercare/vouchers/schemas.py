import marshmallow as ma
from marshmallow import validate

from ..apibase import MonthField, RowId
from ..elders.models import CARE_LEVELS
from .models import TIER_HARDSHIP


class TierSchema(ma.Schema):
    care_level = ma.fields.String(required=True, validate=validate.OneOf(CARE_LEVELS))
    hardship = ma.fields.String(required=True, validate=validate.OneOf(TIER_HARDSHIP))
    monthly_fen = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=10_000_000))
    copay_percent = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=100))


class PolicyCreateSchema(ma.Schema):
    region_id = RowId(required=True, metadata={"description": "a district"})
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=80))
    valid_from = MonthField(required=True)
    valid_to = MonthField(load_default=None, allow_none=True)
    tiers = ma.fields.List(ma.fields.Nested(TierSchema), required=True)
    categories = ma.fields.List(ma.fields.String(), required=True)
    carry_over_months = ma.fields.Integer(load_default=0, validate=validate.Range(min=0, max=12))
    monthly_budget_fen = ma.fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=0))
    supersede = ma.fields.Boolean(load_default=False, metadata={
        "description": "end the district's open-ended policy the month before this one begins (409 if it paid "
                       "vouchers in a later month)"})


class PolicyAmendSchema(ma.Schema):
    valid_to = MonthField(allow_none=True, metadata={"description": "the last month; null: until replaced"})
    tiers = ma.fields.List(ma.fields.Nested(TierSchema))


class PolicySchema(ma.Schema):
    id = ma.fields.Integer()
    region_id = ma.fields.Integer()
    name = ma.fields.String()
    valid_from = ma.fields.Function(lambda p: f"{p.valid_from:%Y-%m}")
    valid_to = ma.fields.Function(lambda p: f"{p.valid_to:%Y-%m}" if p.valid_to else None)
    tiers = ma.fields.List(ma.fields.Nested(TierSchema))
    categories = ma.fields.Function(lambda p: [c.code for c in p.categories])
    carry_over_months = ma.fields.Integer()
    monthly_budget_fen = ma.fields.Integer(allow_none=True)


class IssuanceCreateSchema(ma.Schema):
    period = MonthField(required=True, metadata={"description": "the current month: only it can be issued"})


class IssuanceSchema(ma.Schema):
    period = ma.fields.String()
    eligible = ma.fields.Integer()
    issued = ma.fields.Integer()
    already = ma.fields.Integer()
    total_fen = ma.fields.Integer()
    left_out = ma.fields.List(ma.fields.Integer(), metadata={"description": "elders the budget did not reach"})


class LedgerLineSchema(ma.Schema):
    at = ma.fields.DateTime()
    kind = ma.fields.String()
    amount_fen = ma.fields.Integer(metadata={"description": "into (+) or out of (-) the available balance"})
    period = ma.fields.String(allow_none=True)
    order_id = ma.fields.Integer(allow_none=True)
    memo = ma.fields.String(allow_none=True)


class VoucherAccountSchema(ma.Schema):
    elder_id = ma.fields.Integer()
    balance_fen = ma.fields.Integer()
    held_fen = ma.fields.Integer()
    suspended = ma.fields.Boolean(metadata={"description": "the elder is not active (in hospital, deceased...): "
                                                           "nothing can be spent, the balance is kept"})
    period = ma.fields.String()
    monthly_fen = ma.fields.Integer()
    eligible = ma.fields.Boolean()
    reasons = ma.fields.List(ma.fields.String())
    entries = ma.fields.List(ma.fields.Nested(LedgerLineSchema))
