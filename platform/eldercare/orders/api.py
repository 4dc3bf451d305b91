"""/api/v1/orders: booking, the order's history, and the provider's answer to an offer."""
from flask_login import current_user
from sqlalchemy import select

from ..apibase import Blueprint, document_errors, login_required, paginate_query, roles_required
from ..transactions import as_stored
from . import booking, dispatch, lifecycle
from .models import WorkOrder
from .schemas import (
    AcceptSchema,
    AssignSchema,
    CheckOutSchema,
    ConfirmSchema,
    OrderCreateSchema,
    OrderQuerySchema,
    OrderSchema,
    ReasonSchema,
    RejectSchema,
    RescheduleSchema,
    ResolveSchema,
    VisitSchema,
)
from .scope import visible_condition, visible_order

blp = Blueprint("orders", __name__, url_prefix="/api/v1", description="Work orders")


@blp.route("/orders", methods=["POST"])
@document_errors(404, 409)
@roles_required(*booking.BOOKING_ROLES)
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
def create_order(data):
    """Book a service; the order is offered to the best provider at once (or escalated if none can come)."""
    return booking.book(current_user, **data)  # the answer is built from what was written, before the commit


@blp.route("/orders", methods=["GET"])
@login_required
@blp.arguments(OrderQuerySchema, location="query")
@blp.response(200, OrderSchema(many=True))
@blp.paginate()
def list_orders(query, pagination_parameters):
    """The orders the caller may see, newest first; `?status=escalated` is the queue nobody took."""
    stmt = select(WorkOrder).where(visible_condition(current_user)).order_by(WorkOrder.id.desc())
    if "status" in query:
        stmt = stmt.where(WorkOrder.status == query["status"])
    if "elder_id" in query:
        stmt = stmt.where(WorkOrder.elder_id == query["elder_id"])
    return paginate_query(stmt, pagination_parameters)


@blp.route("/orders/<int:order_id>", methods=["GET"])
@login_required
@blp.response(200, OrderSchema)
def get_order(order_id):
    """One order with its offers and full status history."""
    return visible_order(order_id, current_user)


@blp.route("/orders/<int:order_id>/accept", methods=["POST"])
@document_errors(409)
@roles_required("provider_admin")
@blp.arguments(AcceptSchema)
@blp.response(200, OrderSchema)
def accept_order(data, order_id):
    """Take an order offered to your organisation and name the caregiver; 409 if it is no longer yours."""
    visible_order(order_id, current_user)
    order = dispatch.accept(current_user, order_id, data["caregiver_id"])
    return as_stored(order)


@blp.route("/orders/<int:order_id>/reject", methods=["POST"])
@document_errors(409)
@roles_required("provider_admin")
@blp.arguments(RejectSchema)
@blp.response(200, OrderSchema)
def reject_order(data, order_id):
    """Decline an offered order; it goes to the next provider at once."""
    visible_order(order_id, current_user)
    order = dispatch.reject(current_user, order_id, data["reason"])
    return as_stored(order)


def _act(order_id, action, **data):
    order = action(current_user, visible_order(order_id, current_user), **data)
    return as_stored(order)


@blp.route("/orders/<int:order_id>/on-the-way", methods=["POST"])
@document_errors(409)
@roles_required("caregiver")
@blp.response(200, OrderSchema)
def on_the_way(order_id):
    """The assigned caregiver sets out: the elder and family are told someone is coming."""
    return _act(order_id, lifecycle.set_out)


@blp.route("/orders/<int:order_id>/check-in", methods=["POST"])
@document_errors(409)
@roles_required("caregiver")
@blp.arguments(VisitSchema)
@blp.response(200, OrderSchema)
def check_in(data, order_id):
    """The assigned caregiver arrives: position and time (from an offline phone: within bounds, never future)."""
    return _act(order_id, lifecycle.check_in, **data)


@blp.route("/orders/<int:order_id>/check-out", methods=["POST"])
@document_errors(409)
@roles_required("caregiver")
@blp.arguments(CheckOutSchema)
@blp.response(200, OrderSchema)
def check_out(data, order_id):
    """The caregiver leaves, with a note of what was done; the voucher share becomes the provider's."""
    return _act(order_id, lifecycle.check_out, **data)


@blp.route("/orders/<int:order_id>/confirm", methods=["POST"])
@document_errors(409)
@roles_required("elder", "family")
@blp.arguments(ConfirmSchema)
@blp.response(200, OrderSchema)
def confirm(data, order_id):
    """The elder or family confirms the visit and rates it."""
    return _act(order_id, lifecycle.confirm, **data)


@blp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@document_errors(403, 409)
@login_required
@blp.arguments(ReasonSchema)
@blp.response(200, OrderSchema)
def cancel(data, order_id):
    """Cancel before the visit; held vouchers go back."""
    return _act(order_id, lifecycle.cancel, **data)


@blp.route("/orders/<int:order_id>/assign", methods=["POST"])
@document_errors(409)
@roles_required(*dispatch.ASSIGNING_ROLES)
@blp.arguments(AssignSchema)
@blp.response(200, OrderSchema)
def assign(data, order_id):
    """Offer an escalated order to a chosen provider (one that can serve it then); it answers as any offer."""
    visible_order(order_id, current_user)
    return as_stored(dispatch.assign(current_user, order_id, data["provider_id"]))


@blp.route("/orders/<int:order_id>/reschedule", methods=["POST"])
@document_errors(403, 409)
@login_required
@blp.arguments(RescheduleSchema)
@blp.response(200, OrderSchema)
def reschedule(data, order_id):
    """Move the visit to another time before it happens (in the month booked when vouchers pay); matching runs
    again."""
    return _act(order_id, lifecycle.reschedule, **data)


@blp.route("/orders/<int:order_id>/dispute", methods=["POST"])
@document_errors(403, 409)
@login_required
@blp.arguments(ReasonSchema)
@blp.response(200, OrderSchema)
def dispute(data, order_id):
    """A complaint about a finished visit: held out of settlement until resolved."""
    return _act(order_id, lifecycle.dispute, **data)


@blp.route("/orders/<int:order_id>/resolve", methods=["POST"])
@document_errors(409)
@roles_required("operator", "bureau", "admin")
@blp.arguments(ResolveSchema)
@blp.response(200, OrderSchema)
def resolve(data, order_id):
    """End a dispute: the visit stands (confirmed) or is cancelled with the vouchers returned."""
    return _act(order_id, lifecycle.resolve, **data)
