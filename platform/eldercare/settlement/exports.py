"""A statement as the bureau's finance staff and the provider download it: CSV (UTF-8 with a byte-order mark,
so that Excel reads the Chinese) and an Excel workbook (openpyxl). Both hold the same rows, in the language of
the request: the lines, then the totals, the reconciliation with the ledger, the orders held back and the
deductions (orders paid before whose audit case was confirmed since, and what an earlier statement could not take
back); what this one cannot take back is shown as carried forward."""
from flask_babel import gettext as _

from .. import clock, spreadsheets
from ..elders.masking import mask_id_number, mask_name
from ..spreadsheets import XLSX, Sheet
from ..spreadsheets import safe_text as _text
from .services import lines_of, reconcile

__all__ = ["XLSX", "csv_bytes", "filename", "xlsx_bytes"]


def filename(statement, extension: str) -> str:
    return f"settlement-{statement.period}-provider{statement.provider_id}-{statement.id}.{extension}"


def _moment(value) -> str:
    return clock.local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def _header() -> list[str]:
    return [_("Order"), _("Service"), _("Elder"), _("ID number"), _("Caregiver"), _("Check-in"),
            _("Check-in distance (m)"), _("Check-out"), _("Check-out distance (m)"), _("Vouchers (yuan)"),
            _("Co-pay (yuan)"), _("Co-pay collected (yuan)")]


def _line(line) -> list:
    return [line.order_id, _text(line.item.name), _text(mask_name(line.elder.name)),
            mask_id_number(line.elder.id_number), _text(line.caregiver.name if line.caregiver else ""),
            _moment(line.check_in_at), line.check_in_distance_m,
            _moment(line.check_out_at), line.check_out_distance_m, _yuan(line.voucher_fen), _yuan(line.copay_fen),
            _yuan(line.copay_collected_fen)]


def _summary(statement) -> list[list]:
    check = reconcile(statement)
    rows = [[_("Statement"), statement.id], [_("Provider"), _text(statement.provider.name)],
            [_("Month"), statement.period],
            [_("Kind"), _("Regular") if statement.kind == "regular" else _("Supplementary")],
            [_("Status"), _("Approved") if statement.status == "approved" else _("Draft")],
            [_("Lines"), statement.line_count], [_("Vouchers (yuan)"), _yuan(statement.voucher_total_fen)],
            [_("Co-pay (yuan)"), _yuan(statement.copay_total_fen)],
            [_("Co-pay collected (yuan)"), _yuan(statement.copay_collected_fen)],
            [_("Deducted (yuan)"), _yuan(statement.deduction_total_fen)],
            [_("The bureau pays (yuan)"), _yuan(statement.payable_fen)],
            [_("Carried forward to the next statement (yuan)"), _yuan(statement.carried_forward_fen)],
            [_("Captured in the ledger (yuan)"), _yuan(check.ledger_total_fen)],
            [_("Reconciled with the ledger"), _("Yes") if check.ok else _("No")]]
    rows += [[_("Differs from the ledger"), m.order_id, _yuan(m.voucher_fen), _yuan(m.ledger_fen)]
             for m in check.mismatches]
    rows += [[_("Held back"), held["order_id"], _text(held["reason"])] for held in statement.held_back or []]
    rows += [[_("Deductions"), d.order_id or "", _yuan(d.fen), _text(_deduction_reason(d))]
             for d in statement.deductions]
    return rows


def _deduction_reason(deduction) -> str:
    if deduction.carried_from_id is not None:
        return _("Carried forward from statement %(id)d", id=deduction.carried_from_id)
    return deduction.reason


def _sheets(statement) -> list[Sheet]:
    return [Sheet(_("Lines"), [_header(), *(_line(line) for line in lines_of(statement))]),
            Sheet(_("Summary"), _summary(statement))]


def csv_bytes(statement) -> bytes:
    return spreadsheets.csv_bytes(_sheets(statement))


def xlsx_bytes(statement) -> bytes:
    return spreadsheets.xlsx_bytes(_sheets(statement))
