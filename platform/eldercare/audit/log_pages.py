"""The bureau's page of the audit log: who did what in the officer's region, newest first, and a button that
re-checks the hash chain."""
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ..accounts.models import User
from ..extensions import db
from . import chain
from .models import AuditEvent
from .scope import log_condition

bp = Blueprint("audit_log_pages", __name__)
PAGE_SIZE = 50


@bp.route("/bureau/audit-log")
@login_required
def log_page():
    """The log, filtered by action (or a family of actions ending in a dot), and the chain's check on request."""
    if current_user.role != "bureau":
        abort(403)
    action = request.args.get("action", "").strip()[:60]
    asked = request.args.get("page", "1")
    page = min(int(asked), 1_000_000) or 1 if asked.isascii() and asked.isdigit() and len(asked) < 8 else 1
    mine = log_condition(current_user)
    stmt = select(AuditEvent, User.username).outerjoin(User, User.id == AuditEvent.actor_id).where(mine)
    counted = select(func.count()).select_from(AuditEvent).where(mine)
    if action:
        condition = (AuditEvent.action.startswith(action, autoescape=True) if action.endswith(".")
                     else AuditEvent.action == action)
        stmt, counted = stmt.where(condition), counted.where(condition)
    total = db.session.scalar(counted)
    events = db.session.execute(stmt.order_by(AuditEvent.id.desc()).limit(PAGE_SIZE)
                                .offset((page - 1) * PAGE_SIZE)).all()
    verdict = chain.verify() if request.args.get("verify") else None
    pages = max(1, -(-total // PAGE_SIZE))
    return render_template("audit/log.html", events=events, action=action, page=page, pages=pages, total=total,
                           verdict=verdict)
