"""The few facts each role's home page shows: small read-only queries over what the person may see."""
from sqlalchemy import func, or_, select

from ..accounts.models import ROLES, User
from ..catalog.models import Category, Item
from ..elders.models import Elder, FamilyLink
from ..extensions import db
from ..notifications.services import mine
from ..orders.models import WorkOrder
from ..providers.models import Caregiver, Provider, provider_areas
from ..regions.services import descendant_ids
from ..vouchers import account


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


NEWS = 3  # unread notifications shown on a provider's home page


def _provider_facts(user: User) -> dict:
    provider = user.provider
    if provider is None:
        return {"provider": None, "news": []}
    caregivers = db.session.scalar(
        select(func.count(Caregiver.id)).where(Caregiver.provider_id == provider.id, Caregiver.active.is_(True))
    )
    news = db.session.scalars(mine(user, unread_only=True).limit(NEWS)).all() if user.role == "provider_admin" else []
    return {"provider": provider, "caregiver_count": caregivers, "news": news}


QUICK_ITEMS = 4  # services offered on an elder's or family's home page, one tap from the booking's time


def quick_items(elders: list[Elder]) -> dict[int, list[Item]]:
    """For each elder, the services to book again from the home page (step 2 of booking at once): the ones
    they booked most among their last orders, else the cheapest service of each of the first categories (a
    meal first). Two small queries, however many elders."""
    ids = [e.id for e in elders if e.status == "active"]
    if not ids:
        return {}
    counts = db.session.execute(
        select(WorkOrder.elder_id, WorkOrder.item_id, func.count()).join(Item, Item.id == WorkOrder.item_id)
        .where(WorkOrder.elder_id.in_(ids), WorkOrder.service_point_id.is_(None), Item.active.is_(True))
        .group_by(WorkOrder.elder_id, WorkOrder.item_id)).all()
    usual: dict[int, list[tuple[int, int]]] = {}
    for elder_id, item_id, n in counts:
        usual.setdefault(elder_id, []).append((-n, item_id))
    first_of_each = {}
    for item, _ in db.session.execute(
            select(Item, Category.sort_order).join(Category, Category.id == Item.category_id)
            .where(Item.active.is_(True)).order_by(Category.sort_order, Category.id, Item.price_fen, Item.id)):
        first_of_each.setdefault(item.category_id, item)
    default = list(first_of_each.values())[:QUICK_ITEMS]
    wanted = {i for rows in usual.values() for _, i in sorted(rows)[:QUICK_ITEMS]}
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(wanted)))} if wanted else {}
    return {elder_id: ([items[i] for _, i in sorted(usual[elder_id])[:QUICK_ITEMS]] if elder_id in usual
                       else default) for elder_id in ids}


def _family_facts(user: User) -> dict:
    elders = db.session.scalars(
        select(Elder).join(FamilyLink, FamilyLink.elder_id == Elder.id)
        .where(FamilyLink.user_id == user.id).order_by(Elder.name, Elder.id)
    ).all()
    return {"elders": elders, "quick": quick_items(elders), "vouchers": _vouchers(elders)}


def _elder_facts(user: User) -> dict:
    elder = db.session.scalar(select(Elder).where(Elder.user_id == user.id))
    return {"elder": elder, "quick": quick_items([elder] if elder else []),
            "vouchers": _vouchers([elder] if elder else [])}


def _vouchers(elders: list[Elder]) -> dict[int, dict]:
    """Each elder's voucher balance as their vouchers page shows it (a family links a few elders)."""
    return {e.id: account.summary(e, recent=0) for e in elders}


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
