"""/api/v1/audit/reports/{name}: the bureau's reports over a month or a range of months and a region in its scope,
as JSON or downloaded as CSV or Excel."""
from flask import Response
from flask_login import current_user

from ..apibase import Blueprint, document_errors, roles_required
from ..spreadsheets import XLSX
from . import exports, services
from .schemas import ReportQuerySchema, ReportSchema

blp = Blueprint("reports", __name__, url_prefix="/api/v1", description="The bureau's reports")
NAMES = "any(" + ", ".join(f"'{name}'" for name in services.NAMES) + ")"


def report_for(user, name: str, query: dict):
    """Parse the span and the region (the caller's scope or below it: 404 outside) and build the report."""
    span = services.Span.of(query.get("period"), query.get("from_"), query.get("to"))
    region = services.region_for(user, query.get("region_id"))
    return services.build(name, span, region, query.get("group_by"))


def download(report, extension: str) -> Response:
    body, mimetype = ((exports.csv_bytes(report), "text/csv") if extension == "csv"
                      else (exports.xlsx_bytes(report), XLSX))
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={exports.filename(report, extension)}"})


@blp.route(f"/audit/reports/<{NAMES}:name>", methods=["GET"])
@document_errors(422)
@roles_required("bureau")
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, ReportSchema)
@blp.doc(responses={"200": {"description": "The report; with `format`, the same as a CSV or Excel download.",
                            "content": {
    "application/json": {"schema": ReportSchema},
    "text/csv": {"schema": {"type": "string"}},
    XLSX: {"schema": {"type": "string", "format": "binary"}}}}})
def report(query, name):
    """A report for a month (`period`) or a range (`from`, `to`) and a region in the officer's scope: voucher
    spend (by district, street, provider or category; issued, spent, lapsed and still held), coverage (保障率),
    orders by category and status, providers' records, or service points' (canteens, bathing points: visits, a
    day's average, elders served, voucher spend); `format=csv|xlsx` downloads it."""
    built = report_for(current_user, name, query)
    if "format" in query:
        return download(built, query["format"])
    return built.as_dict()
