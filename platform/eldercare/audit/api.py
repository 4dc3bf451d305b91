"""/api/v1/audit: anomaly scans and findings with their cases, samples and follow-up calls (回访)."""
from dataclasses import asdict

from flask_login import current_user
from sqlalchemy import select

from .. import clock
from ..apibase import Blueprint, document_errors, paginate_query, roles_required
from ..orders.models import WorkOrder
from ..transactions import as_stored
from . import findings, rules, samples
from .findings import Finding
from .schemas import (
    CallCreateSchema,
    CallSchema,
    CaseDecisionSchema,
    CaseSchema,
    DeductionDecisionSchema,
    FindingQuerySchema,
    FindingSchema,
    SampleCreateSchema,
    SampleResultSchema,
    SampleSchema,
    ScanCreateSchema,
    ScanSchema,
)

blp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit: anomalies, cases and follow-up calls")
OVERSEERS = ("bureau", "admin")


@blp.route("/audit/scans", methods=["POST"])
@roles_required(*OVERSEERS)
@blp.arguments(ScanCreateSchema)
@blp.response(201, ScanSchema)
def scan(data):
    """Run every anomaly rule over the visits checked in on the Beijing days `from`..`to` (at most 366); a
    finding already made is not made again. Answers how many findings are new, by rule."""
    report = rules.scan(data["from_"], data["to"], actor=current_user)
    return {"findings": report.findings, "by_rule": dict(report.new), "cases": report.cases,
            "from_": report.first.isoformat(), "to": report.last.isoformat()}


def findings_query(user, query: dict):
    """The findings `user` may see, filtered as the queue and the API filter them, newest first."""
    stmt = select(Finding).join(WorkOrder, WorkOrder.id == Finding.order_id).where(findings.visible_condition(user))
    if query.get("rule"):
        stmt = stmt.where(Finding.rule == query["rule"])
    if query.get("severity"):
        stmt = stmt.where(Finding.severity == query["severity"])
    if query.get("provider_id"):
        stmt = stmt.where(WorkOrder.provider_id == query["provider_id"])
    if query.get("case_status"):
        stmt = stmt.where(Finding.order_id.in_(select(findings.AuditCase.order_id).where(
            findings.AuditCase.status == query["case_status"])))
    if query.get("from_"):
        stmt = stmt.where(WorkOrder.check_in_at >= clock.day_bounds(query["from_"])[0])
    if query.get("to"):
        stmt = stmt.where(WorkOrder.check_in_at < clock.day_bounds(query["to"])[1])
    return stmt.order_by(Finding.id.desc())


@blp.route("/audit/anomalies", methods=["GET"])
@roles_required(*OVERSEERS)
@blp.arguments(FindingQuerySchema, location="query")
@blp.response(200, FindingSchema(many=True))
@blp.paginate()
def list_findings(query, pagination_parameters):
    """The findings about orders of elders in the caller's region, newest first, with their case's status."""
    return paginate_query(findings_query(current_user, query), pagination_parameters)


@blp.route("/audit/anomalies/<int:finding_id>", methods=["GET"])
@roles_required(*OVERSEERS)
@blp.response(200, FindingSchema)
def get_finding(finding_id):
    """One finding, with its explanation."""
    return findings.visible_finding(finding_id, current_user)


@blp.route("/audit/anomalies/<int:finding_id>/review", methods=["POST"])
@document_errors(409)
@roles_required(*OVERSEERS)
@blp.arguments(CaseDecisionSchema)
@blp.response(200, CaseSchema)
def review(data, finding_id):
    """A step of the finding's case: review, clear, or confirm (which gives the elder back exactly the voucher fen
    the order captured). A case already cleared or confirmed answers 409."""
    finding = findings.visible_finding(finding_id, current_user)
    case = findings.decide(current_user, finding.case, decision=data["decision"], note=data["note"])
    return as_stored(case)


@blp.route("/audit/samples", methods=["POST"])
@document_errors(404)
@roles_required(*OVERSEERS)
@blp.arguments(SampleCreateSchema)
@blp.response(201, SampleSchema)
def draw_sample(data):
    """Draw a reproducible random sample of a provider's confirmed and settled orders of a month (5% by default,
    at least 10, or all when fewer), to be checked by follow-up calls. The same seed draws the same orders."""
    sample = samples.draw(current_user, provider_id=data["provider_id"], period=data["period"],
                          percent=data["percent"], seed=data["seed"])
    return as_stored(sample)


@blp.route("/audit/samples", methods=["GET"])
@roles_required(*OVERSEERS)
@blp.response(200, SampleSchema(many=True))
@blp.paginate()
def list_samples(pagination_parameters):
    """The samples drawn in the caller's region, newest first."""
    return paginate_query(samples.visible_samples(current_user), pagination_parameters)


def sample_answer(sample) -> dict:
    """The sample with its calls and result, as SampleResultSchema dumps it."""
    outcome = samples.result(sample)
    return {**{name: getattr(sample, name) for name in SampleSchema().fields}, "calls": sample.calls,
            **asdict(outcome)}


@blp.route("/audit/samples/<int:sample_id>", methods=["GET"])
@roles_required(*OVERSEERS)
@blp.response(200, SampleResultSchema)
def get_sample(sample_id):
    """The sample's calls, how many were reviewed and failed, the failure rate with its Wilson 95% interval, and
    the proposed deduction: the interval's lower bound times the voucher fen of the provider's unreviewed orders of
    the month, rounded down."""
    return sample_answer(samples.visible_sample(sample_id, current_user))


@blp.route("/audit/samples/<int:sample_id>/calls", methods=["POST"])
@document_errors(409)
@roles_required("operator", *OVERSEERS)
@blp.arguments(CallCreateSchema)
@blp.response(201, CallSchema)
def record_call(data, sample_id):
    """Record a follow-up call about a sampled order: the script's answers, or `reached: false`. A sample the
    bureau has decided on answers 409."""
    sample = samples.visible_sample(sample_id, current_user)
    return as_stored(samples.record_call(current_user, sample, **data))


@blp.route("/audit/samples/<int:sample_id>/decision", methods=["POST"])
@document_errors(409)
@roles_required(*OVERSEERS)
@blp.arguments(DeductionDecisionSchema)
@blp.response(200, SampleResultSchema)
def decide_sample(data, sample_id):
    """Confirm the proposed deduction (fixed in fen now) or reject it; once (409 after)."""
    sample = samples.decide(current_user, samples.visible_sample(sample_id, current_user), **data)
    return sample_answer(sample)
