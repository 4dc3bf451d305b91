"""Who sees which orders: a provider never sees another provider's orders, a family only its elders', a point's
staff what was served at their counters."""
from sqlalchemy import false, or_, select, true

from ..elders.models import Elder
from ..elders.scope import visible_condition as elder_visible
from ..errors import NotFound
from ..extensions import db
from ..providers.models import Caregiver
from ..servicepoints.models import ServicePoint
from ..servicepoints.scope import staff_condition
from .models import OrderOffer, WorkOrder

LIVE_OFFERS = ("open", "accepted")
# Who may see how the providers ranked for an order (names, distances, ratings, load): the officers who
# dispatch and oversee. A provider would learn its rivals' scores and load, a family nothing it needs.
RANKING_ROLES = ("operator", "bureau", "admin")


def visible_condition(user):
    if user.role == "admin":
        return true()
    if user.role in ("bureau", "operator", "family", "elder"):
        return WorkOrder.elder_id.in_(select(Elder.id).where(elder_visible(user)))
    if user.role == "provider_admin" and user.provider_id is not None:
        # The orders it does or is offered now (it must see what it is asked to take). Once its offer closes
        # (declined, unanswered in time, or the order went to another provider) the order is none of its
        # business: the caregiver, the visit and the notes belong to whoever took it.
        return or_(WorkOrder.provider_id == user.provider_id,
                   WorkOrder.id.in_(select(OrderOffer.order_id).where(
                       OrderOffer.provider_id == user.provider_id, OrderOffer.status.in_(LIVE_OFFERS))))
    if user.role == "caregiver":
        return WorkOrder.caregiver_id.in_(select(Caregiver.id).where(Caregiver.user_id == user.id))
    if user.role == "point_staff":  # the meals and baths served at their counters
        return WorkOrder.service_point_id.in_(select(ServicePoint.id).where(staff_condition(user)))
    return false()


def visible_order(order_id: int, user) -> WorkOrder:
    order = db.session.scalar(select(WorkOrder).where(WorkOrder.id == order_id, visible_condition(user)))
    if order is None:
        raise NotFound("No such order.")
    return order


def sees_ranking(user) -> bool:
    return getattr(user, "role", None) in RANKING_ROLES
