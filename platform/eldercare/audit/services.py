"""Writing the audit log: the one writer of audit events, for one event or many. Callers record inside their
own transaction, so an entry and the change it describes are committed together or not at all."""
from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user

from .. import clock, sql
from .models import AuditEvent


def event(action: str, *, target_type: str | None = None, target_id: int | None = None, actor_id: int | None = None,
          ip: str | None = None, at: datetime | None = None, **detail) -> dict:
    """One audit event as a row for `record_many`; `ip` defaults to the current request's address."""
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
    built here, so what the log keeps of an event is decided in one place."""
    now = clock.now()
    return [e | dict(at=e["at"] or now) for e in events]


def record(action: str, target=None, *, actor=None, **detail) -> None:
    """Log `action` on `target` (a model instance, flushed) by `actor` (default: the current user)."""
    record_many([event(action, target_type=type(target).__tablename__ if target is not None else None,
                       target_id=getattr(target, "id", None), actor_id=actor_id(actor), **detail)])


def actor_id(actor=None) -> int | None:
    """Who the log names: `actor`, or else the user of the current request."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    return getattr(actor, "id", None)
