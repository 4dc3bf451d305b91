"""The notifications page: what happened to the visitor's orders, newest first, each linking to its order."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from . import services

bp = Blueprint("notification_pages", __name__, url_prefix="/notifications")
PAGE_SIZE = 50


@bp.app_context_processor
def unread_notifications():
    """The count shown beside the link in the page header."""
    if not current_user.is_authenticated:
        return {}
    return {"unread_notifications": services.unread_count(current_user), "notification_text": services.text}


@bp.route("")
@login_required
def inbox():
    notifications = db.session.scalars(services.mine(current_user).limit(PAGE_SIZE)).all()
    return render_template("notifications/inbox.html", notifications=notifications,
                           provider_kinds=services.PROVIDER_KINDS)


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    marked = services.mark_read(current_user)
    flash(_("All notifications marked as read.") if marked else _("Nothing new."), "success")
    return redirect(url_for(".inbox"))


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_one(notification_id):
    """Mark it read and go to its order (or, for the bureau's decision on a provider, the organisation's page)."""
    notification = services.get_mine(current_user, notification_id)
    services.mark_read(current_user, notification_id)
    if notification.order_id:
        return redirect(url_for("order_pages.detail", order_id=notification.order_id))
    if notification.kind in services.PROVIDER_KINDS:  # the bureau's decision: the organisation's page says more
        return redirect(url_for("provider_pages.application"))
    return redirect(url_for(".inbox"))
