"""/api/v1/notifications: the caller's own messages about their work orders."""
from flask_login import current_user

from ..apibase import Blueprint, login_required, paginate_query
from ..extensions import db
from . import services
from .schemas import NotificationQuerySchema, NotificationSchema, ReadAllSchema

blp = Blueprint("notifications", __name__, url_prefix="/api/v1", description="Notifications inside the platform")


@blp.route("/notifications", methods=["GET"])
@login_required
@blp.arguments(NotificationQuerySchema, location="query")
@blp.response(200, NotificationSchema(many=True))
@blp.paginate()
def list_notifications(query, pagination_parameters):
    """The caller's notifications, newest first; `?unread=true` for the unread ones only."""
    return paginate_query(services.mine(current_user, unread_only=query["unread"]), pagination_parameters)


@blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
@blp.response(200, NotificationSchema)
def read(notification_id):
    """Mark one notification read (again: no change). Someone else's answers 404."""
    notification = services.get_mine(current_user, notification_id)
    services.mark_read(current_user, notification_id)
    db.session.refresh(notification)
    return notification


@blp.route("/notifications/read-all", methods=["POST"])
@login_required
@blp.response(200, ReadAllSchema)
def read_all():
    """Mark every unread notification of the caller read."""
    marked = services.mark_read(current_user)
    return {"marked": marked}
