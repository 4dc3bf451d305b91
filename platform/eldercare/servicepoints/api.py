"""/api/v1/service-points, the elder card, meals booked ahead, and check-in at the counter."""
from flask_login import current_user
from sqlalchemy import select

from ..apibase import Blueprint, document_errors, roles_required
from ..elders.scope import visible_elder
from ..extensions import db
from ..transactions import as_stored
from . import bookings, services
from .models import ServicePoint
from .schemas import (
    BookingCreateSchema,
    CardSchema,
    CheckInCreateSchema,
    CheckInOrderSchema,
    PointCreateSchema,
    PointFieldsSchema,
    PointQuerySchema,
    PointReviewSchema,
    PointSchema,
)
from .scope import visible_condition, visible_point

blp = Blueprint("servicepoints", __name__, url_prefix="/api/v1",
                description="Service points (canteens, bathing points, day care) and check-in at the counter")
READERS = ("elder", "family", "operator", "caregiver", "provider_admin", "point_staff", "bureau", "admin")
CARD_HOLDERS = ("elder", "family", "operator")


@blp.route("/service-points", methods=["POST"])
@document_errors(422)
@roles_required("provider_admin")
@blp.arguments(PointCreateSchema)
@blp.response(201, PointSchema)
def register(data):
    """Register a canteen, bathing point or day-care centre of your organisation; it waits for the bureau."""
    return as_stored(services.register(current_user, data))


@blp.route("/service-points", methods=["GET"])
@roles_required(*READERS)
@blp.arguments(PointQuerySchema, location="query")
@blp.response(200, PointSchema(many=True))
@blp.paginate()
def list_points(query, pagination_parameters):
    """The points the caller may see (elders and families: the approved ones), nearest first with ?lat=&lng=."""
    stmt = select(ServicePoint).where(visible_condition(current_user)).order_by(ServicePoint.id)
    for name in ("kind", "status"):
        if name in query:
            stmt = stmt.where(getattr(ServicePoint, name) == query[name])
    points = services.nearby(list(db.session.scalars(stmt)), query.get("lat"), query.get("lng"))
    pagination_parameters.item_count = len(points)
    first = (pagination_parameters.page - 1) * pagination_parameters.page_size
    return points[first:first + pagination_parameters.page_size]


@blp.route("/service-points/<int:point_id>", methods=["GET"])
@roles_required(*READERS)
@blp.response(200, PointSchema)
def get_point(point_id):
    """One point with its hours, items and prices."""
    return visible_point(point_id, current_user)


@blp.route("/service-points/<int:point_id>", methods=["PATCH"])
@document_errors(403, 422)
@roles_required("provider_admin")
@blp.arguments(PointFieldsSchema)
@blp.response(200, PointSchema)
def update_point(data, point_id):
    """Edit your point: hours, items, capacity at once; its name, kind or place go back to the bureau."""
    return as_stored(services.update(current_user, visible_point(point_id, current_user), data))


@blp.route("/service-points/<int:point_id>/review", methods=["POST"])
@document_errors(409, 422)
@roles_required("bureau", "admin")
@blp.arguments(PointReviewSchema)
@blp.response(201, PointSchema)
def review_point(data, point_id):
    """The bureau of the provider's district approves or rejects a point."""
    return as_stored(services.review(current_user, visible_point(point_id, current_user), **data))


@blp.route("/elders/<int:elder_id>/card", methods=["GET"])
@roles_required(*CARD_HOLDERS)
@blp.response(200, CardSchema)
def get_card(elder_id):
    """The elder card's QR payload, signed: shown at a point's counter to be served."""
    elder = visible_elder(elder_id, current_user)
    return dict(elder_id=elder.id, payload=services.card_payload(elder), version=services.card_version(elder.id))


@blp.route("/elders/<int:elder_id>/card/revoke", methods=["POST"])
@roles_required(*CARD_HOLDERS)
@blp.response(201, CardSchema)
def revoke_card(elder_id):
    """A lost card: the old one is refused from now on; answers the new card."""
    elder = visible_elder(elder_id, current_user)
    payload = services.revoke_card(current_user, elder)
    return dict(elder_id=elder.id, payload=payload, version=services.card_version(elder.id))


@blp.route("/service-points/<int:point_id>/check-ins", methods=["POST"])
@document_errors(409, 422)
@roles_required("point_staff")
@blp.arguments(CheckInCreateSchema)
@blp.response(201, CheckInOrderSchema)
def check_in(data, point_id):
    """Record a meal or bath at the counter: the order written completed, the voucher share captured, the
    co-pay recorded as paid here. The same Idempotency-Key again records nothing more."""
    return services.check_in(current_user, point_id, **data)  # the answer is built from what was written


@blp.route("/service-points/<int:point_id>/bookings", methods=["POST"])
@document_errors(404, 409, 422)
@roles_required(*bookings.BOOKING_ROLES)
@blp.arguments(BookingCreateSchema)
@blp.response(201, CheckInOrderSchema)
def book_meal(data, point_id):
    """Book a meal at the point for a day and meal time: the order is accepted by the point and waits for the
    elder at the counter, its voucher share held. Cancelled like any order (POST /orders/{id}/cancel)."""
    return bookings.book(current_user, point_id, **data)  # the answer is built from what was written
