"""Who may see and serve at which service points. A point outside someone's scope answers 404."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, false, or_, select, true

from ..errors import NotFound
from ..extensions import db
from ..providers.models import Provider
from ..regions.services import below
from .models import ServicePoint, point_staff

READERS = ("elder", "family", "operator", "caregiver")  # see approved points only


def staff_condition(user):
    """A WHERE clause on ServicePoint for the points a point_staff account serves at: those it is assigned to,
    or every point of its provider when it is assigned to none."""
    if user.role != "point_staff" or user.provider_id is None:
        return false()
    assigned = select(point_staff.c.service_point_id).where(point_staff.c.user_id == user.id)
    any_assigned = exists(select(point_staff.c.user_id).where(point_staff.c.user_id == user.id))
    return (ServicePoint.provider_id == user.provider_id) & or_(ServicePoint.id.in_(assigned), ~any_assigned)


def visible_condition(user):
    """A WHERE clause on ServicePoint for the points `user` may see: the provider its own, the bureau those in
    its region, the point's staff theirs, everyone else the approved ones."""
    if user.role == "admin":
        return true()
    if user.role == "bureau":
        if user.scope_region_id is None:
            return false()
        return ServicePoint.community_id.in_(below(user.scope_region_id))
    if user.role == "provider_admin":
        return ServicePoint.provider_id == user.provider_id if user.provider_id is not None else false()
    if user.role == "point_staff":
        return staff_condition(user)
    if user.role in READERS:
        return ServicePoint.status == "approved"
    return false()


def visible_point(point_id: int, user) -> ServicePoint:
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.id == point_id, visible_condition(user)))
    if point is None:
        raise no_such_point()
    return point


def no_such_point() -> NotFound:
    return NotFound(_l("No such service point."))


def serves_at(user, point_id: int) -> bool:
    """Whether `user` is staff of the point."""
    return db.session.scalar(select(ServicePoint.id).where(ServicePoint.id == point_id,
                                                           staff_condition(user))) is not None


def reviews(user, point: ServicePoint) -> bool:
    """The bureau of the district its provider is registered in reviews a point, as it reviews the provider."""
    from ..providers.scope import reviews as reviews_provider

    provider = db.session.get(Provider, point.provider_id)
    return provider is not None and reviews_provider(user, provider)
