"""/api/v1/regions."""
from flask_login import current_user
from sqlalchemy import select

from ..apibase import Blueprint, document_errors, login_required, paginate_query, roles_required
from ..transactions import as_stored
from . import services
from .models import Region
from .schemas import RegionCreateSchema, RegionQuerySchema, RegionSchema

blp = Blueprint("regions", __name__, url_prefix="/api/v1", description="Districts, streets and communities")


@blp.route("/regions", methods=["GET"])
@login_required
@blp.arguments(RegionQuerySchema, location="query")
@blp.response(200, RegionSchema(many=True))
@blp.paginate()
def list_regions(query, pagination_parameters):
    """The region tree as nodes with parent_id; filter by level or parent to walk it."""
    stmt = select(Region).order_by(Region.id)
    if "level" in query:
        stmt = stmt.where(Region.level == query["level"])
    if "parent_id" in query:
        stmt = stmt.where(Region.parent_id == query["parent_id"])
    return paginate_query(stmt, pagination_parameters)


@blp.route("/regions", methods=["POST"])
@document_errors(409)
@roles_required("admin")
@blp.arguments(RegionCreateSchema)
@blp.response(201, RegionSchema)
def create_region(data):
    """Add a district, street or community."""
    region = services.create_region(**data, actor=current_user)
    return as_stored(region)
