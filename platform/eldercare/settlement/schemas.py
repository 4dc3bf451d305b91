import marshmallow as ma

from ..apibase import MonthField, RowId
from ..elders.masking import mask_id_number, mask_name
from .models import KINDS, STATUSES


class GenerateSchema(ma.Schema):
    period = MonthField(required=True, metadata={"description": "a month begun: the current one settles what is "
                                                                "confirmed so far"})


class StatementQuerySchema(ma.Schema):
    period = MonthField()
    provider_id = RowId()


class HeldBackSchema(ma.Schema):
    order_id = ma.fields.Integer()
    rule = ma.fields.String(metadata={"description": "the rule that held it back (under_dispute, ...)"})
    reason = ma.fields.String()


class LineSchema(ma.Schema):
    order_id = ma.fields.Integer()
    item_id = ma.fields.Integer()
    item_name = ma.fields.Function(lambda line: line.item.name)
    elder_name = ma.fields.Function(lambda line: mask_name(line.elder.name), metadata={"description": "masked"})
    elder_id_number = ma.fields.Function(lambda line: mask_id_number(line.elder.id_number),
                                         metadata={"description": "masked"})
    caregiver_id = ma.fields.Integer(allow_none=True)
    caregiver_name = ma.fields.Function(lambda line: line.caregiver.name if line.caregiver else None,
                                        allow_none=True)
    check_in_at = ma.fields.DateTime(allow_none=True)
    check_out_at = ma.fields.DateTime(allow_none=True)
    check_in_distance_m = ma.fields.Integer(allow_none=True)
    check_out_distance_m = ma.fields.Integer(allow_none=True)
    voucher_fen = ma.fields.Integer(metadata={"description": "owed by the bureau"})
    copay_fen = ma.fields.Integer(metadata={"description": "owed by the family"})
    copay_collected_fen = ma.fields.Integer(metadata={"description": "of the co-pay, paid when generated"})
    copay_status = ma.fields.String(metadata={"enum": ["none", "due", "paid"]})


class DeductionSchema(ma.Schema):
    order_id = ma.fields.Integer(allow_none=True, metadata={"description": "None for a carry"})
    case_id = ma.fields.Integer(allow_none=True)
    carried_from_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "the earlier statement that could not take this back (its deductions beyond its vouchers)"})
    fen = ma.fields.Integer(metadata={"description": "taken back: paid on an earlier statement"})
    reason = ma.fields.String()


class StatementSummarySchema(ma.Schema):
    id = ma.fields.Integer()
    provider_id = ma.fields.Integer()
    provider_name = ma.fields.Function(lambda s: s.provider.name)
    period = ma.fields.String()
    kind = ma.fields.String(metadata={"enum": list(KINDS)})
    status = ma.fields.String(metadata={"enum": list(STATUSES)})
    line_count = ma.fields.Integer()
    voucher_total_fen = ma.fields.Integer()
    copay_total_fen = ma.fields.Integer()
    copay_collected_fen = ma.fields.Integer()
    deduction_total_fen = ma.fields.Integer(metadata={"description": "taken back for orders paid before"})
    payable_fen = ma.fields.Integer(metadata={"description": "voucher total less deductions, never below 0: what "
                                                            "the bureau pays"})
    carried_forward_fen = ma.fields.Integer(metadata={"description": "deductions beyond the voucher total: still "
                                                                    "owed, taken from the provider's next statement"})
    held_back = ma.fields.List(ma.fields.Nested(HeldBackSchema))
    generated_by_id = ma.fields.Integer(allow_none=True)
    generated_at = ma.fields.DateTime()
    approved_by_id = ma.fields.Integer(allow_none=True)
    approved_at = ma.fields.DateTime(allow_none=True)


class MismatchSchema(ma.Schema):
    order_id = ma.fields.Integer()
    voucher_fen = ma.fields.Integer(metadata={"description": "on the statement"})
    ledger_fen = ma.fields.Integer(metadata={"description": "captured into the provider's payable, less reversals"})


class ReconciliationSchema(ma.Schema):
    ok = ma.fields.Boolean()
    voucher_total_fen = ma.fields.Integer()
    ledger_total_fen = ma.fields.Integer()
    mismatches = ma.fields.List(ma.fields.Nested(MismatchSchema))


class StatementSchema(StatementSummarySchema):
    lines = ma.fields.List(ma.fields.Nested(LineSchema))
    deductions = ma.fields.List(ma.fields.Nested(DeductionSchema))
    reconciliation = ma.fields.Method("_reconciliation")

    def _reconciliation(self, statement):
        from .services import reconcile

        return ReconciliationSchema().dump(reconcile(statement))
