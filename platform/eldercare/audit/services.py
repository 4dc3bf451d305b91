"""Writing the audit log. Callers record inside their own transaction, so the entry and the change
it describes are committed together or not at all."""
from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from .models import AuditEvent


def record(action: str, target=None, *, actor=None, **detail) -> AuditEvent:
    """Log `action` on `target` (a model instance) by `actor` (default: the current user)."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id(actor),
        target_type=type(target).__tablename__ if target is not None else None,
        target_id=getattr(target, "id", None),
        ip=request.remote_addr if has_request_context() else None,
        detail=detail,
    )
    db.session.add(event)
    return event


def actor_id(actor=None) -> int | None:
    """Who the log names: `actor`, or else the user of the current request."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    return getattr(actor, "id", None)
