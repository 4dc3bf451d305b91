"""The catalogue: what can be booked, at what guide price."""
from sqlalchemy import select

from ..audit.services import record
from ..errors import Conflict, NotFound, invalid
from ..extensions import db
from .models import Category, Item


def _category(code: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.code == code))
    if category is None:
        raise invalid("category_code", "No such category.")
    return category


def create_item(*, category_code: str, actor=None, **fields) -> Item:
    """Add a bookable item to a category."""
    category = _category(category_code)
    if db.session.scalar(select(Item.id).where(Item.code == fields["code"])) is not None:
        raise Conflict("That item code is taken.", {"code": ["That item code is taken."]})
    item = Item(category=category, **fields)
    db.session.add(item)
    db.session.flush()
    record("catalog.item.create", item, actor=actor, code=item.code, price_fen=item.price_fen)
    return item


def update_item(item_id: int, changes: dict, actor=None) -> Item:
    """Change an item's name, price, duration or whether it can be booked; the log keeps old and new."""
    item = db.session.get(Item, item_id)
    if item is None:
        raise NotFound("No such item.")
    if "category_code" in changes:
        item.category = _category(changes.pop("category_code"))
    before = {k: getattr(item, k) for k in changes}
    for key, value in changes.items():
        setattr(item, key, value)
    db.session.flush()
    record("catalog.item.update", item, actor=actor, before=before, after=changes)
    return item
