"""The bureau's report pages: the five reports with their months and region, as tables with CSV and Excel
downloads; and the dashboard, whose charts (Chart.js, drawn by static/js/dashboard.js) read the tables printed
beside them."""
import marshmallow as ma
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..clock import Month
from ..errors import NotFound, ServiceError
from ..extensions import db
from ..regions.models import Region
from ..regions.services import descendant_ids
from . import services
from .api import download, report_for
from .exports import cell
from .schemas import ReportQuerySchema

bp = Blueprint("report_pages", __name__)
RANKED = 10  # providers in each ranking on the dashboard


@bp.app_template_filter("report_cell")
def report_cell(value, kind: str) -> str:
    """A figure as the pages show it: yuan with thousands separators, rates as percentages, a dash for none."""
    if value is None:
        return "–"
    if kind == "fen":
        return f"{value / 100:,.2f}"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "count":
        return f"{value:,}"
    return str(cell(value, kind))


def _officer():
    if current_user.role != "bureau":
        abort(403)


def _query() -> tuple[dict, dict]:
    """The page's filters, read as the API reads them: (query, errors by field)."""
    args = {k: v for k, v in request.args.items() if k in ("period", "from", "to", "region_id", "group_by") and v}
    try:
        return ReportQuerySchema().load(args, unknown=ma.EXCLUDE), {}
    except ma.ValidationError as error:
        return {}, {("from" if k == "from_" else k): v for k, v in error.normalized_messages().items()}


def _regions() -> list[Region]:
    """The officer's region and the districts and streets below it, for the region filter."""
    if current_user.scope_region_id is None:
        return []
    ids = descendant_ids(current_user.scope_region_id)
    return list(db.session.scalars(db.select(Region).where(Region.id.in_(ids), Region.level != "community")
                                   .order_by(Region.code)))


@bp.route("/bureau/reports")
@login_required
def reports_page():
    """One report at a time (voucher spend first), for the chosen months and region, with its downloads."""
    _officer()
    name = request.args.get("report", "voucher-spend")
    if name not in services.NAMES:
        abort(404)
    query, errors = _query()
    built = None
    if not errors:
        try:
            built = report_for(current_user, name, query)
        except NotFound:
            abort(404)
        except ServiceError as refusal:
            errors = refusal.errors
    args = {k: request.args.get(k, "") for k in ("from", "to", "region_id", "group_by")}
    return render_template("reports/reports.html", name=name, report=built, errors=errors, names=services.NAMES,
                           titles=services.TITLES, regions=_regions(), args=args,
                           kept={k: v for k, v in args.items() if v}, month=str(Month.current()))


@bp.route("/bureau/reports/<any('voucher-spend', 'coverage', 'orders', 'providers', 'service-points'):name>"
          "/download.<any(csv, xlsx):extension>")
@login_required
def download_page(name, extension):
    """The report on the page, as CSV or an Excel workbook."""
    _officer()
    query, errors = _query()
    if errors:
        field, messages = next(iter(errors.items()))
        abort(422, description=f"{field}: {' '.join(map(str, messages))}")
    try:
        return download(report_for(current_user, name, query), extension)
    except NotFound:
        abort(404)
    except ServiceError as refusal:
        abort(refusal.code or 422, description=str(refusal.message))


@bp.route("/bureau/dashboard")
@login_required
def dashboard():
    """The year at a glance for the officer's region: spend by month and by category, coverage by street, and the
    providers ranked by audit findings and by rating; each chart also a table."""
    _officer()
    last = Month.current()
    first = last
    for _month in range(11):
        first = first.previous()
    span = services.Span(first, last)
    try:
        region = services.region_for(current_user, None)
    except NotFound:
        abort(404)
    months = services.spend_by_month(span, region)
    categories = services.voucher_spend(span, region, "category")
    cover = services.coverage(span, region)
    providers = services.providers(span, region)
    by_findings = sorted(providers.rows, key=lambda r: (-r["findings"], r["name"]))[:RANKED]
    rated = [r for r in providers.rows if r["average_rating"] is not None]
    by_rating = sorted(rated, key=lambda r: (-r["average_rating"], r["name"]))[:RANKED]
    return render_template("reports/dashboard.html", span=span, region=region, months=months,
                           categories=categories, coverage=cover, by_findings=by_findings, by_rating=by_rating,
                           labels={"spent": _("Spent (yuan)"), "coverage": _("Voucher coverage"),
                                   "served": _("Served rate"), "findings": _("Audit findings"),
                                   "rating": _("Average rating")})
