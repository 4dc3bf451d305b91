"""/api/v1/coverage/communities: the 15-minute circle of the bureau officer's area, community by community."""
from flask_login import current_user

from ..apibase import Blueprint, document_errors, roles_required
from . import services
from .schemas import CommunityCoverageSchema, CoverageQuerySchema

blp = Blueprint("coverage", __name__, url_prefix="/api/v1",
                description="The 15-minute service circle: providers and service points within 1.5 km of elders")


@blp.route("/coverage/communities", methods=["GET"])
@document_errors(404)
@roles_required("bureau")
@blp.arguments(CoverageQuerySchema, location="query")
@blp.response(200, CommunityCoverageSchema(many=True))
@blp.paginate()
def list_communities(query, pagination_parameters):
    """Each community of the caller's area with elders at home: how many have no provider or service point
    within 1.5 km, and which ones the others have; communities with nothing in reach and most elders first.
    `region_id` narrows to a district or street of the area (404 outside it), `status` to one kind."""
    communities = services.for_officer(current_user, query.get("region_id")).communities
    if "status" in query:
        communities = [c for c in communities if c.status == query["status"]]
    pagination_parameters.item_count = len(communities)
    first = (pagination_parameters.page - 1) * pagination_parameters.page_size
    return communities[first:first + pagination_parameters.page_size]
