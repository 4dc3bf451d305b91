"""Who sees which orders: a provider never sees another provider's orders, a family only its elders'."""
from sqlalchemy import false, or_, select, true

from ..elders.models import Elder
from ..elders.scope import visible_condition as elder_visible
from ..errors import NotFound
from ..extensions import db
from ..providers.models import Caregiver
from .models import OrderOffer, WorkOrder


def visible_condition(user):
    if user.role == "admin":
        return true()
    if user.role in ("bureau", "operator", "family", "elder"):
        return WorkOrder.elder_id.in_(select(Elder.id).where(elder_visible(user)))
    if user.role == "provider_admin" and user.provider_id is not None:
        # Its own orders, and those offered to it now or before (it must see what it is asked to take).
        return or_(WorkOrder.provider_id == user.provider_id,
                   WorkOrder.id.in_(select(OrderOffer.order_id).where(OrderOffer.provider_id == user.provider_id)))
    if user.role == "caregiver":
        return WorkOrder.caregiver_id.in_(select(Caregiver.id).where(Caregiver.user_id == user.id))
    return false()


def visible_order(order_id: int, user) -> WorkOrder:
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.id == order_id, visible_condition(user)))
    if order is None:
        raise NotFound("No such order.")
    return order
