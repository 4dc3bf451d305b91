"""The few facts each role's home page shows: small read-only queries over what the person may see."""
from sqlalchemy import func, or_, select

from ..accounts.models import ROLES, User
from ..elders.models import Elder, FamilyLink
from ..extensions import db
from ..providers.models import Caregiver, Provider, provider_areas
from ..regions.services import descendant_ids


def home_facts(user: User) -> dict:
    """Template variables for `user`'s home page; {} for a role without facts of its own."""
    facts = _FACTS.get(user.role)
    return facts(user) if facts is not None else {}


def _region_facts(user: User) -> dict:
    region = user.scope_region
    if region is None:
        return {"region": None}
    ids = descendant_ids(region.id)
    elders = db.session.scalar(
        select(func.count(Elder.id)).where(Elder.community_id.in_(ids), Elder.status != "deceased")
    )
    # A provider is in the area when it is registered there or serves one of its streets.
    serves_area = select(provider_areas.c.provider_id).where(provider_areas.c.region_id.in_(ids))
    providers = db.session.scalar(
        select(func.count(Provider.id)).where(
            Provider.status == "approved", or_(Provider.district_id.in_(ids), Provider.id.in_(serves_area))
        )
    )
    return {"region": region, "elder_count": elders, "provider_count": providers}


def _provider_facts(user: User) -> dict:
    provider = user.provider
    if provider is None:
        return {"provider": None}
    caregivers = db.session.scalar(
        select(func.count(Caregiver.id)).where(Caregiver.provider_id == provider.id, Caregiver.active.is_(True))
    )
    return {"provider": provider, "caregiver_count": caregivers}


def _family_facts(user: User) -> dict:
    elders = db.session.scalars(
        select(Elder).join(FamilyLink, FamilyLink.elder_id == Elder.id)
        .where(FamilyLink.user_id == user.id).order_by(Elder.name, Elder.id)
    ).all()
    return {"elders": elders}


def _elder_facts(user: User) -> dict:
    return {"elder": db.session.scalar(select(Elder).where(Elder.user_id == user.id))}


def _admin_facts(user: User) -> dict:
    counts = dict(db.session.execute(select(User.role, func.count(User.id)).group_by(User.role)).all())
    # Every known role, even with no accounts yet, then any role the code no longer knows.
    rows = [(role, counts.pop(role, 0)) for role in ROLES] + sorted(counts.items())
    return {"user_counts": rows, "user_total": sum(n for _, n in rows)}


_FACTS = {
    "bureau": _region_facts,
    "operator": _region_facts,
    "provider_admin": _provider_facts,
    "caregiver": _provider_facts,
    "family": _family_facts,
    "elder": _elder_facts,
    "admin": _admin_facts,
}
