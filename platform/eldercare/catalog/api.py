"""/api/v1/catalog: categories and items, open to anyone; changes by admins."""
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..apibase import Blueprint, document_errors, paginate_query, roles_required
from ..extensions import db
from ..transactions import as_stored
from . import services
from .models import Category, Item
from .schemas import CategorySchema, ItemCreateSchema, ItemQuerySchema, ItemSchema, ItemUpdateSchema

blp = Blueprint("catalog", __name__, url_prefix="/api/v1/catalog", description="What can be booked")


@blp.route("/categories", methods=["GET"])
@blp.response(200, CategorySchema(many=True))
def list_categories():
    """Every service category."""
    return db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()


@blp.route("/items", methods=["GET"])
@blp.arguments(ItemQuerySchema, location="query")
@blp.response(200, ItemSchema(many=True))
@blp.paginate()
def list_items(query, pagination_parameters):
    """Bookable items with guide prices, optionally of one category."""
    stmt = (
        select(Item).join(Item.category).options(contains_eager(Item.category))
        .order_by(Category.sort_order, Item.id)
    )
    if "category_code" in query:
        stmt = stmt.where(Category.code == query["category_code"])
    if "active" in query:
        stmt = stmt.where(Item.active == query["active"])
    return paginate_query(stmt, pagination_parameters)


@blp.route("/items", methods=["POST"])
@document_errors(409)
@roles_required("admin")
@blp.arguments(ItemCreateSchema)
@blp.response(201, ItemSchema)
def create_item(data):
    """Add an item to the catalogue."""
    item = services.create_item(**data, actor=current_user)
    return as_stored(item)


@blp.route("/items/<int:item_id>", methods=["PATCH"])
@roles_required("admin")
@blp.arguments(ItemUpdateSchema)
@blp.response(200, ItemSchema)
def update_item(data, item_id):
    """Change an item."""
    item = services.update_item(item_id, data, actor=current_user)
    return as_stored(item)
