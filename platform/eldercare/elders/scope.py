"""Who may see which elders. An elder outside someone's scope answers 404, as if it did not exist, so that
probing IDs tells nothing."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select, true

from ..errors import NotFound
from ..extensions import db
from ..regions.models import Region
from ..regions.services import below, descendant_ids
from .models import Elder, FamilyLink

OFFICER_ROLES = ("bureau", "operator")


def sees_every_elder(user) -> bool:
    return user.role == "admin"


def visible_condition(user):
    """A WHERE clause on Elder for the elders `user` may see."""
    if sees_every_elder(user):
        return true()
    if user.role in OFFICER_ROLES:
        if user.scope_region_id is None:
            return false()
        return Elder.community_id.in_(below(user.scope_region_id))
    if user.role == "family":
        return Elder.id.in_(select(FamilyLink.elder_id).where(FamilyLink.user_id == user.id))
    if user.role == "elder":
        return Elder.user_id == user.id
    return false()  # provider staff see elders through their work orders, not the registry


def community_ids(region_id: int) -> list[int]:
    return list(db.session.scalars(select(Region.id).where(Region.id.in_(below(region_id)),
                                                           Region.level == "community")))


def visible_elder(elder_id: int, user) -> Elder:
    """The elder, or NotFound if there is none or `user` may not see it."""
    elder = db.session.scalar(select(Elder).where(Elder.id == elder_id, visible_condition(user)))
    if elder is None:
        raise no_such_elder()
    return elder


def no_such_elder() -> NotFound:
    """What anyone gets for an elder that does not exist or is not theirs to see: the same answer."""
    return NotFound(_l("No such elder."))


def officer_covers(user, community_id: int) -> bool:
    """True when `user` is an admin, or a bureau officer or operator whose region contains the community."""
    if sees_every_elder(user):
        return True
    return user.role in OFFICER_ROLES and user.scope_region_id is not None and \
        community_id in descendant_ids(user.scope_region_id)
