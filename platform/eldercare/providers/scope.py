"""Who may see which providers. A provider outside someone's scope answers 404, as if it did not exist."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, or_, select, true

from ..errors import Forbidden, NotFound
from ..extensions import db
from ..regions.services import descendant_ids
from .models import Provider, provider_areas

STAFF_ROLES = ("provider_admin", "caregiver")


def visible_condition(user):
    """A WHERE clause on Provider for the providers `user` may see."""
    if user.role == "admin":
        return true()
    if user.role == "bureau":
        if user.scope_region_id is None:
            return false()
        ids = descendant_ids(user.scope_region_id)
        # Registered in the bureau's region, or serving any street in it.
        serves = select(provider_areas.c.provider_id).where(provider_areas.c.region_id.in_(ids))
        return or_(Provider.district_id.in_(ids), Provider.id.in_(serves))
    if user.role in STAFF_ROLES and user.provider_id is not None:
        return Provider.id == user.provider_id
    return false()


def visible_provider(provider_id: int, user) -> Provider:
    """The provider, or NotFound if there is none or `user` may not see it."""
    provider = db.session.scalar(select(Provider).where(Provider.id == provider_id, visible_condition(user)))
    if provider is None:
        raise NotFound(_l("No such provider."))
    return provider


def is_own_admin(user, provider: Provider) -> bool:
    return user.role == "provider_admin" and user.provider_id == provider.id


def require_own_admin(user, provider: Provider) -> None:
    """Forbidden unless `user` administers `provider`."""
    if not is_own_admin(user, provider):
        raise Forbidden(_l("Only the provider's own administrator can do this."))


def is_overseer(user) -> bool:
    """Bureau officers and admins oversee the providers they can see."""
    return user.role in ("bureau", "admin")


def reviews(user, provider: Provider) -> bool:
    """Whether `user` may approve, reject, suspend or reinstate `provider`: an admin, or the bureau of the
    district the provider is registered in (an officer scoped to that district or above it). Seeing a provider
    because it serves one of your streets is not enough: a street officer would decide for every street the
    provider serves, and another district's bureau over a provider that is not theirs."""
    if user.role == "admin":
        return True
    if user.role != "bureau" or user.scope_region_id is None or provider.district_id is None:
        return False
    return provider.district_id in descendant_ids(user.scope_region_id)


def require_admin_or_overseer(user, provider: Provider) -> None:
    """Forbidden unless `user` administers `provider` or oversees it (callers have already checked scope)."""
    if not (is_own_admin(user, provider) or is_overseer(user)):
        raise Forbidden(_l("Only the provider's administrator and the bureau can see this."))
