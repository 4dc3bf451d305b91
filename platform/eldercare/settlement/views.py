"""Settlement pages: the bureau's statements by month, with generate and approve (approval asks for
confirmation; the officer who generated a statement is told another must approve it); a statement's page with its
lines, the orders held back and the reconciliation with the ledger; the provider's own statements and whether
each is paid; CSV and Excel downloads."""
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..apibase import month_from
from ..audit.findings import CASE_STATUS_LABELS
from ..clock import Month
from ..elders.masking import mask_id_number, mask_name
from ..errors import ServiceError
from ..extensions import db
from ..orders.views import STATUS_LABELS
from ..web.forms import flash_outcome, submit
from . import exports, services
from .held_back import LABELS
from .models import Statement
from .scope import providers_of, visible_statement

bp = Blueprint("settlement_pages", __name__)
SHOWN_LINES = 500  # on the page; the downloads hold every line
READERS = ("bureau", "admin", "provider_admin")


@bp.app_context_processor
def settlement_helpers():
    return dict(held_back_label=lambda rule: str(LABELS.get(rule, rule)), held_back_detail=held_back_detail,
                masked_name=mask_name, masked_id_number=mask_id_number)


def held_back_detail(held: dict) -> str:
    """A held-back order's facts in the reader's language (a statement made before the facts were kept shows
    the reason it stored)."""
    facts = held.get("facts")
    if facts is None:
        return held.get("reason", "")
    if "complaint" in facts:
        return _("The complaint: %(text)s", text=facts["complaint"] or "-")
    if "status" in facts:
        return _("The order is now %(status)s.", status=STATUS_LABELS.get(facts["status"], facts["status"]))
    if "case_id" in facts:
        return _("Audit case %(id)d: %(status)s", id=facts["case_id"],
                 status=CASE_STATUS_LABELS.get(facts["case_status"], facts["case_status"]))
    return held.get("reason", "")


def _bureau(*, acting: bool = False):
    """The bureau's pages: an admin reads them; generating and approving are an officer's (as in the API)."""
    if current_user.role not in (("bureau",) if acting else ("bureau", "admin")):
        abort(403)


def _statement(statement_id: int):
    if current_user.role not in READERS:
        abort(403)
    try:
        return visible_statement(statement_id, current_user)
    except ServiceError:
        abort(404)


@bp.route("/bureau/settlements", methods=["GET", "POST"])
@login_required
def bureau_month():
    """The month's statements of the officer's providers, and the button that settles the month."""
    _bureau(acting=request.method == "POST")
    errors, month = {}, Month.current().previous()
    if request.values.get("period"):
        try:
            month = month_from(request.values["period"])
        except ServiceError as refusal:
            errors = refusal.errors
    if request.method == "POST" and not errors:
        made, errors = submit(lambda: services.generate(month, actor=current_user,
                                                        within=providers_of(current_user)))
        if made is not None:
            flash(_("%(count)d statements made for %(period)s.", count=len(made), period=str(month))
                  if made else _("Nothing new to settle for %(period)s.", period=str(month)), "success")
            return redirect(url_for(".bureau_month", period=str(month)))
    statements = db.session.scalars(services.statements(current_user, period=str(month))
                                    .options(selectinload(Statement.provider))).all() if not errors else []
    can_generate = month <= Month.current() and current_user.role == "bureau"
    return render_template("settlement/bureau_month.html", period=str(month), statements=statements, errors=errors,
                           can_generate=can_generate), 422 if errors else 200


@bp.route("/provider/settlements")
@login_required
def provider_statements():
    """The provider's statements, newest month first, and whether each is paid."""
    if current_user.role != "provider_admin" or current_user.provider_id is None:
        abort(403)
    statements = db.session.scalars(services.statements(current_user)).all()
    return render_template("settlement/provider_statements.html", statements=statements)


@bp.route("/settlements/<int:statement_id>")
@login_required
def statement_page(statement_id):
    """A statement: its lines, the orders held back and why, and whether it matches the ledger."""
    statement = _statement(statement_id)
    lines = services.lines_of(statement, limit=SHOWN_LINES)
    return render_template("settlement/statement.html", statement=statement, lines=lines,
                           check=services.reconcile(statement), shown=SHOWN_LINES)


@bp.route("/settlements/<int:statement_id>/approve", methods=["GET", "POST"])
@login_required
def approve_page(statement_id):
    """Asks the officer to confirm, then approves: the orders become settled and the provider is paid."""
    _bureau(acting=True)
    statement = _statement(statement_id)
    if request.method == "POST":
        if statement.generated_by_id == current_user.id:  # the page tells them; the button is not there
            abort(403)
        _result, errors = submit(lambda: services.approve(current_user, statement.id))
        flash_outcome(errors, _("Statement %(id)d is approved: %(yuan)s yuan will be paid to %(provider)s.",
                                id=statement.id, yuan=f"{statement.payable_fen / 100:,.2f}",
                                provider=statement.provider.name))
        return redirect(url_for(".statement_page", statement_id=statement.id))
    return render_template("settlement/approve.html", statement=statement, check=services.reconcile(statement))


@bp.route("/settlements/<int:statement_id>/download.<any(csv, xlsx):extension>")
@login_required
def download(statement_id, extension):
    """The statement as CSV or as an Excel workbook."""
    statement = _statement(statement_id)
    body = exports.csv_bytes(statement) if extension == "csv" else exports.xlsx_bytes(statement)
    return Response(body, mimetype="text/csv" if extension == "csv" else exports.XLSX,
                    headers={"Content-Disposition": f"attachment; filename={exports.filename(statement, extension)}"})
