"""/api/v1/settlements: the month's statements, one per provider; approval; CSV and Excel downloads."""
from flask import Response
from flask_login import current_user
from sqlalchemy.orm.attributes import set_committed_value

from ..apibase import Blueprint, document_errors, paginate_query, roles_required
from ..transactions import as_stored
from . import exports, services
from .models import Statement
from .schemas import GenerateSchema, StatementQuerySchema, StatementSchema, StatementSummarySchema
from .scope import providers_of, visible_statement

blp = Blueprint("settlements", __name__, url_prefix="/api/v1", description="Settlement of providers' work")
READERS = ("bureau", "admin", "provider_admin")


@blp.route("/settlements", methods=["POST"])
@document_errors(422)
@roles_required("bureau")
@blp.arguments(GenerateSchema)
@blp.response(201, StatementSummarySchema(many=True))
def generate(data):
    """One statement per provider of the caller's district for the month's confirmed visits not yet on a
    statement (a second run: a supplementary statement for what the first did not settle); disputed visits are
    held back and listed. A month not begun is a 422 naming `period`."""
    made = services.generate(data["period"], actor=current_user, within=providers_of(current_user))
    return as_stored(made)


@blp.route("/settlements", methods=["GET"])
@roles_required(*READERS)
@blp.arguments(StatementQuerySchema, location="query")
@blp.response(200, StatementSummarySchema(many=True))
@blp.paginate()
def list_statements(query, pagination_parameters):
    """The statements the caller may see (the bureau its district's providers', a provider its own), newest
    month first; `period` and `provider_id` narrow them."""
    period = str(query["period"]) if "period" in query else None
    return paginate_query(services.statements(current_user, period=period, provider_id=query.get("provider_id")),
                          pagination_parameters)


def _full(statement_id: int) -> Statement:
    statement = visible_statement(statement_id, current_user)
    set_committed_value(statement, "lines", services.lines_of(statement))
    return statement


@blp.route("/settlements/<int:statement_id>", methods=["GET"])
@roles_required(*READERS)
@blp.response(200, StatementSchema)
def get_statement(statement_id):
    """A statement with its lines, the orders held back and why, and its reconciliation with the ledger."""
    return _full(statement_id)


@blp.route("/settlements/<int:statement_id>/approve", methods=["POST"])
@document_errors(403, 409)
@roles_required("bureau")
@blp.response(200, StatementSummarySchema)
def approve(statement_id):
    """Approve a draft statement (an officer of the provider's district, not the one who generated it: 403): its
    orders become settled and the provider's payable is paid. 409 when it is approved already or does not
    reconcile with the ledger (`errors.orders` names the orders that differ)."""
    return as_stored(services.approve(current_user, statement_id))


@blp.route("/settlements/<int:statement_id>.csv", methods=["GET"])
@blp.doc(responses={"200": {"description": "The statement's lines as CSV (UTF-8 with a byte-order mark, for "
                                           "Excel), then its totals and the orders held back.",
                            "content": {"text/csv": {"schema": {"type": "string"}}}}})
@roles_required(*READERS)
def statement_csv(statement_id):
    """The statement as CSV, for the bureau's finance staff and the provider."""
    statement = visible_statement(statement_id, current_user)
    return Response(exports.csv_bytes(statement), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={exports.filename(statement, 'csv')}"})


@blp.route("/settlements/<int:statement_id>.xlsx", methods=["GET"])
@blp.doc(responses={"200": {"description": "The statement as an Excel workbook: its lines, then a sheet of "
                                           "totals, held back orders and the reconciliation.",
                            "content": {exports.XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
@roles_required(*READERS)
def statement_xlsx(statement_id):
    """The statement as an Excel workbook, for the bureau's finance staff and the provider."""
    statement = visible_statement(statement_id, current_user)
    return Response(exports.xlsx_bytes(statement), mimetype=exports.XLSX,
                    headers={"Content-Disposition": f"attachment; filename={exports.filename(statement, 'xlsx')}"})
