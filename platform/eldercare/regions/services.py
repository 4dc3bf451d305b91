"""Regions: the district → street → community tree that scopes officers and places elders."""
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..audit.services import record
from ..errors import Conflict, invalid
from ..extensions import db
from .models import PARENT_LEVEL, Region


def create_region(*, name: str, code: str, level: str, parent_id: int | None, lat=None, lng=None,
                  actor=None) -> Region:
    """Add a node under the right kind of parent: districts at the top, streets in districts,
    communities in streets."""
    wanted = PARENT_LEVEL[level]
    if wanted is None and parent_id is not None:
        raise invalid("parent_id", "A district has no parent.")
    if wanted is not None:
        parent = db.session.get(Region, parent_id) if parent_id is not None else None
        if parent is None:
            raise invalid("parent_id", f"A {level} needs an existing {wanted} as its parent.")
        if parent.level != wanted:
            raise invalid("parent_id", f"A {level} belongs in a {wanted}, not in a {parent.level}.")
    if db.session.scalar(select(Region.id).where(Region.code == code)) is not None:
        raise Conflict("That region code is taken.", {"code": ["That region code is taken."]})
    region = Region(name=name, code=code, level=level, parent_id=parent_id, lat=lat, lng=lng)
    db.session.add(region)
    db.session.flush()
    record("region.create", region, actor=actor, code=code, level=level)
    return region


def descendant_ids(region_id: int) -> set[int]:
    """The region and every region below it: what an officer scoped to `region_id` may see."""
    return set(db.session.scalars(below(region_id)))


def below(region_id: int):
    """The ids of the region and every region below it, as a subquery to put in the query that needs them."""
    tree = select(Region.id).where(Region.id == region_id).cte("below", recursive=True)
    child = aliased(Region)
    return select(tree.union_all(select(child.id).where(child.parent_id == tree.c.id)).c.id)
