"""Writing the audit log: the one writer of audit events, for one event or many. Callers record inside their
own transaction, so an entry and the change it describes are committed together or not at all. Each row is
signed here as it is built (audit/chain.py: a keyed MAC per row, no shared state), and linked into the hash
chain later by the sealer, so writers never wait on one another for the log.

An event that must be kept although its request fails (a failed login answers 401, and a failed request rolls
back) is recorded with `record_despite_failure`: the request's end (transactions.end_request) writes it after
the rollback, in a transaction of its own."""
from datetime import datetime

from flask import current_app, g, has_request_context, request
from flask_login import current_user

from .. import clock, sql
from . import chain
from .models import AuditEvent

_KEPT = "audit_kept_events"  # flask.g: events written whatever the request's outcome


def event(action: str, *, target_type: str | None = None, target_id: int | None = None, actor_id: int | None = None,
          ip: str | None = None, at: datetime | None = None, **detail) -> dict:
    """One audit event as a row for `record_many`; `ip` defaults to the current request's address. A change
    says what it changed in `before` and `after` (in `detail`)."""
    if ip is None and has_request_context():
        ip = request.remote_addr
    return dict(action=action, target_type=target_type, target_id=target_id, actor_id=actor_id, ip=ip,
                at=at, detail=detail)


def record_many(events: list[dict]) -> int:
    """Write the events (rows from `event`) in one statement per batch; those without a moment get now."""
    if not events:
        return 0
    sql.insert_rows(AuditEvent.__table__, rows(events))
    return len(events)


def rows(events: list[dict]) -> list[dict]:
    """The audit_events rows that record `events` (from `event`), for a writer that inserts them in its own
    statement beside the change they describe (the order writer's one sql.insert_many): every audit row is
    built and signed here, so what the log keeps of an event is decided in one place."""
    now = clock.now()
    built = [e | dict(at=e["at"] or now) for e in events]
    if current_app.config.get("AUDIT_CHAIN", True):  # off only in bench_booking's comparison
        chain.sign(built)
    return built


def record(action: str, target=None, *, actor=None, **detail) -> None:
    """Log `action` on `target` (a model instance, flushed) by `actor` (default: the current user)."""
    record_many([_event_on(action, target, actor, detail)])


def record_despite_failure(action: str, target=None, *, actor=None, **detail) -> None:
    """Log `action` even if the request fails and rolls back (a failed login): written when the request ends,
    after its rollback or with its commit. Outside a request, written at once like `record`."""
    one = _event_on(action, target, actor, detail)
    if not has_request_context():
        record_many([one])
        return
    g.setdefault(_KEPT, []).append(one)


def kept_events() -> list[dict]:
    """The events `record_despite_failure` held for this request (and forget them): transactions.end_request
    writes them with `record_many`."""
    return g.pop(_KEPT, []) if has_request_context() else []


def _event_on(action, target, actor, detail) -> dict:
    return event(action, target_type=type(target).__tablename__ if target is not None else None,
                 target_id=getattr(target, "id", None), actor_id=actor_id(actor), **detail)


def actor_id(actor=None) -> int | None:
    """Who the log names: `actor`, or else the user of the current request."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    return getattr(actor, "id", None)
