"""/api/v1/audit/log and /api/v1/audit/log/verify: the bureau reads the tamper-evident log of who did what, and
has its hash chain re-checked.

The log is the bureau's only (an admin, who changes accounts, is among those it watches), and each officer reads
the events of their region (audit/scope.py). The chain's check covers the whole chain: a gap is found where it
is, whoever's events are around it."""
from datetime import UTC

import marshmallow as ma
from flask_login import current_user
from marshmallow import validate
from sqlalchemy import select

from ..apibase import Blueprint, RowId, document_errors, paginate_query, roles_required
from ..errors import invalid
from . import chain
from .models import AuditEvent
from .scope import log_condition

blp = Blueprint("audit_log", __name__, url_prefix="/api/v1", description="The tamper-evident audit log")

ACTION_PATTERN = "^[a-z_.]{1,60}$"


class AsciiAwareDateTime(ma.fields.AwareDateTime):
    """A moment with its offset, in ASCII digits only (Python's parser takes any script's digits)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and not value.isascii():
            raise ma.ValidationError("Write the moment in ASCII digits, ISO 8601 with its offset.")
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 is before the first moment there is in UTC
            raise ma.ValidationError("This moment is out of range.") from None


class LogQuerySchema(ma.Schema):
    action = ma.fields.String(validate=validate.Regexp(ACTION_PATTERN), metadata={
        "description": "one action (`auth.login_failed`), or a family of them ending in a dot (`order.`)",
        "pattern": ACTION_PATTERN})
    actor_id = RowId(metadata={"description": "who did it"})
    target_type = ma.fields.String(validate=validate.Regexp("^[a-z_]{1,40}$"),
                                   metadata={"description": "a table, e.g. `work_orders`, `users`"})
    target_id = RowId()
    from_ = AsciiAwareDateTime(data_key="from", default_timezone=UTC,
                               metadata={"description": "events at or after this moment"})
    to = AsciiAwareDateTime(default_timezone=UTC, metadata={"description": "events before this moment"})


class AuditEventSchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.DateTime()
    actor_id = ma.fields.Integer(allow_none=True)
    action = ma.fields.String()
    target_type = ma.fields.String(allow_none=True)
    target_id = ma.fields.Integer(allow_none=True)
    ip = ma.fields.String(allow_none=True, metadata={"description": "the address the request came from"})
    detail = ma.fields.Dict()
    before = ma.fields.Raw(allow_none=True, metadata={"description": "the state before, where it changed"})
    after = ma.fields.Raw(allow_none=True, metadata={"description": "the state after, where it changed"})
    seq = ma.fields.Integer(allow_none=True, metadata={"description": "its place in the chain (null until sealed)"})
    hash = ma.fields.String(allow_none=True)

    @ma.pre_dump
    def changes(self, event, **kwargs):
        detail = event.detail or {}
        return {c: getattr(event, c) for c in self.fields if hasattr(AuditEvent, c)} | dict(
            before=detail.get("before"), after=detail.get("after"))


class VerifyQuerySchema(ma.Schema):
    head = ma.fields.String(validate=validate.Length(max=200), metadata={
        "description": "an exported head (`YYYY-MM-DD <seq> <hash>`, from `flask export-audit-head`): the chain "
                       "must still hash to it, which catches a rewrite of the whole chain"})


class VerdictSchema(ma.Schema):
    ok = ma.fields.Boolean()
    checked = ma.fields.Integer(metadata={"description": "events checked"})
    first_bad_id = ma.fields.Integer(allow_none=True, metadata={
        "description": "the first event changed or inserted, or the one after a removed one"})
    reason = ma.fields.String(allow_none=True, metadata={
        "description": "starts with changed, removed, inserted or rewritten, then says how it was found"})
    first_bad_seq = ma.fields.Integer(allow_none=True)
    sealed = ma.fields.Integer(metadata={"description": "events in the chain"})
    pending = ma.fields.Integer(metadata={"description": "events not yet sealed (the sealer runs every minute)"})
    head_seq = ma.fields.Integer()
    head_hash = ma.fields.String()


@blp.route("/audit/log", methods=["GET"])
@roles_required("bureau")
@blp.arguments(LogQuerySchema, location="query")
@blp.response(200, AuditEventSchema(many=True))
@blp.paginate()
def audit_log(query, pagination_parameters):
    """Who did what, when, from where, newest first; filter by action, actor, target and time. An officer reads
    the events about what is in their region (and, at the top of the region tree, the platform's own)."""
    stmt = select(AuditEvent).where(log_condition(current_user)).order_by(AuditEvent.id.desc())
    if "action" in query:
        action = query["action"]
        stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True) if action.endswith(".")
                          else AuditEvent.action == action)
    for field in ("actor_id", "target_type", "target_id"):
        if field in query:
            stmt = stmt.where(getattr(AuditEvent, field) == query[field])
    if "from_" in query:
        stmt = stmt.where(AuditEvent.at >= query["from_"])
    if "to" in query:
        stmt = stmt.where(AuditEvent.at < query["to"])
    return paginate_query(stmt, pagination_parameters)


@blp.route("/audit/log/verify", methods=["GET"])
@document_errors(422)
@roles_required("bureau")
@blp.arguments(VerifyQuerySchema, location="query")
@blp.response(200, VerdictSchema)
def verify_log(query):
    """Re-check the whole hash chain and every event's MAC; name the first event changed, removed or inserted."""
    heads = []
    if query.get("head"):
        try:
            heads = chain.parse_heads(query["head"])
        except chain.BadHead as error:
            raise invalid("head", str(error)) from None
    return chain.verify(heads).as_dict()
