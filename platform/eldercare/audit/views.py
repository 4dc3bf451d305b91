"""Audit pages: the bureau's findings queue, a case with the visit drawn on a small map, the samples and their
results, and the call centre's call list for follow-up calls (回访)."""
import math
from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import clock
from ..apibase import month_from
from ..elders import services as elder_services
from ..elders.masking import mask_phone
from ..errors import invalid
from ..extensions import db
from ..providers.models import Provider
from ..providers.scope import visible_condition as provider_visible
from ..web.forms import flash_outcome, row_id, submit
from . import findings, rules, samples
from .api import findings_query
from .findings import CASE_STATUS_LABELS, CASE_STATUSES, SEVERITIES, SEVERITY_LABELS
from .rules import DISTANCE_LIMIT_M, RULES

bp = Blueprint("audit_pages", __name__)
OVERSEERS = ("bureau", "admin")
CALLERS = ("operator", "bureau", "admin")
PAGE_SIZE = 50


def rule_name(rule: str) -> str:
    names = {"overlap": _("Two places at once"), "far_from_home": _("Far from home"),
             "too_short": _("Visit too short"), "too_long": _("Visit too long"),
             "after_death": _("After the elder's death"), "in_hospital": _("During a hospital stay"),
             "impossible_travel": _("Impossible travel"), "future_time": _("Time in the future"),
             "spend_spike": _("Spending spike"), "frequent_booking": _("Booked unusually often"),
             "certificate_expired": _("Certificate expired"), "meal_at_two_points": _("One meal at two points")}
    return names.get(rule, rule)


@bp.app_context_processor
def audit_helpers():
    return dict(audit_rule_name=rule_name, severity_name=lambda s: str(SEVERITY_LABELS.get(s, s)),
                case_status_name=lambda s: str(CASE_STATUS_LABELS.get(s, s)),
                audit_yuan=lambda fen: f"{(fen or 0) / 100:,.2f}", mask_phone=mask_phone)


def _only(*roles):
    if not current_user.is_authenticated or current_user.role not in roles:
        abort(403)


def _day(text, field):
    from datetime import date

    try:
        if len(text) != 10 or not text.replace("-", "").isascii() or not text.replace("-", "").isdigit():
            raise ValueError(text)
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise invalid(field, _("A date is written YYYY-MM-DD, e.g. 2026-11-30.")) from None


# The findings queue


@bp.route("/audit/findings")
@login_required
def queue():
    """The findings in the officer's region, newest first, filtered by rule, provider, severity and case status."""
    _only(*OVERSEERS)
    args = request.args
    query = {"rule": args.get("rule") if args.get("rule") in RULES else None,
             "severity": args.get("severity") if args.get("severity") in SEVERITIES else None,
             "case_status": args.get("case_status") if args.get("case_status") in CASE_STATUSES else None,
             "provider_id": row_id(args.get("provider_id"))}
    page = row_id(args.get("page")) or 1
    stmt = findings_query(current_user, query)
    rows = db.session.scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    providers = db.session.scalars(select(Provider).where(provider_visible(current_user)).order_by(Provider.name)).all()
    yesterday = clock.today().toordinal() - 1
    from datetime import date

    return render_template("audit/queue.html", findings=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page=page,
                           query=query, rules=list(RULES), severities=SEVERITIES, case_statuses=CASE_STATUSES,
                           providers=providers, default_day=date.fromordinal(yesterday).isoformat())


@bp.route("/audit/scans", methods=["POST"])
@login_required
def scan():
    """Scan a span of days from the queue page."""
    _only(*OVERSEERS)

    def run():
        first = _day(request.form.get("from", ""), "from")
        last = _day(request.form.get("to", ""), "to")
        return rules.scan(first, last, actor=current_user)

    report, errors = submit(run)
    flash_outcome(errors, _("Scan done: %(n)d new findings.", n=report.findings) if report else "")
    return redirect(url_for("audit_pages.queue"))


# A case


@dataclass
class MapPoint:
    label: str
    x: float
    y: float
    metres: int
    kind: str


def visit_map(order, size: int = 320) -> dict:
    """The home at the centre of a square `size` wide and the check-in and check-out points placed by their
    coordinates (metres east and north of the home), with the 300 m circle: drawn in SVG, no map tiles."""
    home_lat, home_lng = order.elder.lat, order.elder.lng
    east_per_degree = 111_195 * math.cos(math.radians(home_lat))
    raw = []
    for kind, label, lat, lng in (("in", _("Check-in"), order.check_in_lat, order.check_in_lng),
                                  ("out", _("Check-out"), order.check_out_lat, order.check_out_lng)):
        if lat is not None and lng is not None:
            raw.append((kind, label, (lng - home_lng) * east_per_degree, (lat - home_lat) * 111_195))
    reach = max([DISTANCE_LIMIT_M] + [math.hypot(e, n) for _k, _l, e, n in raw]) * 1.15
    scale = (size / 2) / reach
    centre = size / 2
    points = [MapPoint(label, round(centre + e * scale, 1), round(centre - n * scale, 1), round(math.hypot(e, n)), kind)
              for kind, label, e, n in raw]
    return dict(size=size, centre=centre, ring=round(DISTANCE_LIMIT_M * scale, 1), points=points,
                scale_m=round(reach), limit_m=DISTANCE_LIMIT_M)


@bp.route("/audit/cases/<int:case_id>", methods=["GET", "POST"])
@login_required
def case_page(case_id):
    """The case: the order's visit facts, its place on a map, the findings and the steps; review, clear, confirm."""
    _only(*OVERSEERS)
    case = findings.visible_case(case_id, current_user)
    errors, status = {}, 200
    if request.method == "POST":
        done, errors = submit(lambda: findings.decide(current_user, case, decision=request.form.get("decision", ""),
                                                   note=request.form.get("note")), general_field="decision")
        if not errors:
            flash(_("The case is now %(status)s.", status=CASE_STATUS_LABELS[case.status]), "success")
            return redirect(url_for("audit_pages.case_page", case_id=case.id))
        status = 422
        case = findings.visible_case(case_id, current_user)
    order = case.order
    return render_template("audit/case.html", case=case, order=order, map=visit_map(order), errors=errors,
                           form=request.form, captured=findings.captured_fen(order.id)), status


# Samples


@bp.route("/audit/samples", methods=["GET", "POST"])
@login_required
def samples_page():
    """The samples drawn in the officer's region, and the form to draw one."""
    _only(*OVERSEERS)
    providers = db.session.scalars(select(Provider).where(provider_visible(current_user)).order_by(Provider.name)).all()
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form

        def draw():
            provider_id = row_id(form.get("provider_id"))
            if provider_id is None:
                raise invalid("provider_id", _("Choose a provider."))
            percent = form.get("percent", "5").strip() or "5"
            if not (percent.isascii() and percent.isdigit()):
                raise invalid("percent", _("A percentage from 1 to 100."))
            seed = form.get("seed", "").strip()
            if seed and not (seed.isascii() and seed.isdigit() and len(seed) <= 10):
                raise invalid("seed", _("A whole number from 0 to 2147483647."))
            return samples.draw(current_user, provider_id=provider_id, period=month_from(form.get("period", "")),
                                percent=int(percent), seed=int(seed) if seed else None)

        sample, errors = submit(draw)
        if not errors:
            return redirect(url_for("audit_pages.sample_page", sample_id=sample.id))
        status = 422
    listed = db.session.scalars(samples.visible_samples(current_user).limit(100)).all()
    return render_template("audit/samples.html", samples=listed, providers=providers, errors=errors,
                           form=request.form, this_month=str(clock.this_month())), status


@bp.route("/audit/samples/<int:sample_id>", methods=["GET", "POST"])
@login_required
def sample_page(sample_id):
    """The sample's calls and result: failure rate, its Wilson interval and the proposed deduction to decide."""
    _only(*OVERSEERS)
    sample = samples.visible_sample(sample_id, current_user)
    errors, status = {}, 200
    if request.method == "POST":
        done, errors = submit(lambda: samples.decide(current_user, sample, decision=request.form.get("decision", ""),
                                                  note=request.form.get("note")), general_field="decision")
        if not errors:
            flash(_("Decision recorded."), "success")
            return redirect(url_for("audit_pages.sample_page", sample_id=sample.id))
        status = 422
        sample = samples.visible_sample(sample_id, current_user)
    return render_template("audit/sample.html", sample=sample, result=samples.result(sample),
                           outcomes=samples.outcomes(sample), errors=errors, form=request.form), status


# The call centre's call list


@bp.route("/audit/calls")
@login_required
def calls_index():
    """The samples with orders of elders in the caller's region, to be called."""
    _only(*CALLERS)
    listed = db.session.scalars(samples.visible_samples(current_user).where(
        samples.FollowUpSample.deduction_status == "open").limit(100)).all()
    return render_template("audit/calls_index.html", samples=listed)


@bp.route("/audit/samples/<int:sample_id>/calls", methods=["GET", "POST"])
@login_required
def call_list(sample_id):
    """The call list: each sampled order of an elder in the caller's region with the phone (masked; the whole
    number is a logged reveal), the script, and what earlier calls recorded."""
    _only(*CALLERS)
    sample = samples.visible_sample(sample_id, current_user)
    orders = samples.callable_orders(current_user, sample)
    if not orders:
        abort(404)
    errors, status, revealed, error_order = {}, 200, set(), None
    if request.method == "POST":
        form = request.form
        order_id = row_id(form.get("order_id"))
        if form.get("action") == "reveal":
            order = next((o for o in orders if o.id == order_id), None)
            if order is None:
                abort(404)
            done, errors = submit(lambda: elder_services.reveal(
                current_user, order.elder, f"回访 sample {sample.id} order {order.id}"), general_field="phone")
            if not errors:
                revealed.add(order.id)
        else:
            def answer(name):
                value = form.get(name)
                return {"yes": True, "no": False}.get(value)

            def record():
                reached = form.get("reached")
                if reached not in ("yes", "no"):
                    raise invalid("reached", _("Say whether you reached the elder."))
                satisfaction = form.get("satisfaction") or None
                if satisfaction is not None and satisfaction not in ("1", "2", "3", "4", "5"):
                    raise invalid("satisfaction", _("From 1 to 5."))
                return samples.record_call(current_user, sample, order_id=order_id or 0, reached=reached == "yes",
                                           service_happened=answer("service_happened"),
                                           asked_to_pay_extra=answer("asked_to_pay_extra"),
                                           satisfaction=int(satisfaction) if satisfaction else None,
                                           note=form.get("note"))

            done, errors = submit(record)
            if not errors:
                flash(_("Call recorded."), "success")
                return redirect(url_for("audit_pages.call_list", sample_id=sample.id) + f"#order-{order_id}")
            status, error_order = 422, order_id
        sample = samples.visible_sample(sample_id, current_user)
        orders = samples.callable_orders(current_user, sample)
    return render_template("audit/calls.html", sample=sample, orders=orders, outcomes=samples.outcomes(sample),
                           revealed=revealed, errors=errors, error_order=error_order, form=request.form), status
