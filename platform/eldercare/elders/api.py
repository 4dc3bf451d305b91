"""/api/v1/elders: the registry, family links, elders' logins, assessments and registry events."""
from flask import g
from flask_login import current_user
from sqlalchemy import or_, select

from ..accounts.schemas import UserSchema
from ..apibase import Blueprint, document_errors, login_required, paginate_query, roles_required
from ..transactions import as_stored
from . import assessing, registry, services
from .models import Elder
from .schemas import (
    AssessmentCreateSchema,
    AssessmentSchema,
    ElderCreateSchema,
    ElderFieldsSchema,
    ElderLoginSchema,
    ElderQuerySchema,
    ElderSchema,
    ElderStatusChangeSchema,
    EventCreateSchema,
    EventSchema,
    FamilyLinkCreateSchema,
    FamilyLinkSchema,
    RevealQuerySchema,
)
from .scope import visible_condition, visible_elder

blp = Blueprint("elders", __name__, url_prefix="/api/v1", description="The elder registry")
OFFICERS = ("operator", "bureau", "admin")


def _maybe_reveal(elder: Elder, query: dict) -> None:
    if query.get("reveal"):
        services.reveal(current_user, elder, query.get("reason"))
        g.reveal_personal_data = True


@blp.route("/elders", methods=["POST"])
@document_errors(409)
@roles_required("operator", "bureau", "family", "admin")
@blp.arguments(ElderCreateSchema)
@blp.response(201, ElderSchema)
def register_elder(data):
    """Register an elder. A family account registering a relative gives `relation` and is linked to them."""
    relation = data.pop("relation", None)
    elder = services.register_elder(current_user, data, relation=relation)
    return as_stored(elder)


@blp.route("/elders", methods=["GET"])
@document_errors(403)
@login_required
@blp.arguments(ElderQuerySchema, location="query")
@blp.response(200, ElderSchema(many=True))
@blp.paginate()
def list_elders(query, pagination_parameters):
    """The elders the caller may see, ID numbers and phones masked. Search by name, or the ID number whole or its
    last 6 or 4."""
    stmt = select(Elder).where(visible_condition(current_user)).order_by(Elder.id)
    if "q" in query:
        term = query["q"].strip()
        stmt = stmt.where(or_(Elder.name.contains(term, autoescape=True), services.id_number_search(term)))
    if "community_id" in query:
        stmt = stmt.where(Elder.community_id == query["community_id"])
    if "status" in query:
        stmt = stmt.where(Elder.status == query["status"])
    elders = paginate_query(stmt, pagination_parameters)
    if query.get("reveal"):
        for elder in elders:
            services.reveal(current_user, elder, query.get("reason"))
        g.reveal_personal_data = True
    return elders


@blp.route("/elders/<int:elder_id>", methods=["GET"])
@document_errors(403)
@login_required
@blp.arguments(RevealQuerySchema, location="query")
@blp.response(200, ElderSchema)
def get_elder(query, elder_id):
    """One elder. `?reveal=1&reason=...` shows the whole ID number and phone to officers in scope, and logs it."""
    elder = visible_elder(elder_id, current_user)
    _maybe_reveal(elder, query)
    return elder


@blp.route("/elders/<int:elder_id>", methods=["PATCH"])
@roles_required(*OFFICERS)
@blp.arguments(ElderFieldsSchema)
@blp.response(200, ElderSchema)
def update_elder(data, elder_id):
    """Change an elder's details; the ID number, birth date and gender are fixed at registration."""
    elder = services.update_elder(current_user, visible_elder(elder_id, current_user), data)
    return as_stored(elder)


@blp.route("/elders/<int:elder_id>/verify", methods=["POST"])
@document_errors(409)
@roles_required(*OFFICERS)
@blp.response(200, ElderSchema)
def verify_elder(elder_id):
    """An officer of the elder's region has checked a record a family registered; vouchers may follow."""
    return as_stored(services.verify_elder(current_user, visible_elder(elder_id, current_user)))


@blp.route("/elders/<int:elder_id>/family-links", methods=["GET"])
@login_required
@blp.response(200, FamilyLinkSchema(many=True))
def list_family_links(elder_id):
    """The family accounts acting for the elder."""
    return visible_elder(elder_id, current_user).family_links


@blp.route("/elders/<int:elder_id>/family-links", methods=["POST"])
@document_errors(409)
@roles_required(*OFFICERS)
@blp.arguments(FamilyLinkCreateSchema)
@blp.response(201, FamilyLinkSchema)
def link_family(data, elder_id):
    """Link a family account to the elder, with how they are related."""
    link = services.link_family(current_user, visible_elder(elder_id, current_user), **data)
    return as_stored(link)


@blp.route("/elders/<int:elder_id>/login", methods=["POST"])
@document_errors(409)
@roles_required(*OFFICERS)
@blp.arguments(ElderLoginSchema)
@blp.response(201, UserSchema)
def create_elder_login(data, elder_id):
    """Give the elder a login of their own."""
    user = services.create_elder_login(current_user, visible_elder(elder_id, current_user), **data)
    return as_stored(user)


@blp.route("/elders/<int:elder_id>/assessments", methods=["GET"])
@login_required
@blp.response(200, AssessmentSchema(many=True))
def list_assessments(elder_id):
    """The elder's assessments, oldest first; the latest decides the care level."""
    return visible_elder(elder_id, current_user).assessments


@blp.route("/elders/<int:elder_id>/assessments", methods=["POST"])
@roles_required(*OFFICERS)
@blp.arguments(AssessmentCreateSchema)
@blp.response(201, AssessmentSchema)
def create_assessment(data, elder_id):
    """Record an ability assessment by GB/T 42195-2022; the answer carries total_score and care_level."""
    assessment = assessing.record_assessment(current_user, visible_elder(elder_id, current_user), **data)
    return as_stored(assessment)


@blp.route("/elders/<int:elder_id>/events", methods=["GET"])
@login_required
@blp.response(200, EventSchema(many=True))
def list_events(elder_id):
    """Registry events recorded for the elder."""
    return visible_elder(elder_id, current_user).events


@blp.route("/elders/<int:elder_id>/events", methods=["POST"])
@document_errors(409)
@roles_required(*OFFICERS)
@blp.arguments(EventCreateSchema)
@blp.response(201, EventSchema)
def record_event(data, elder_id):
    """Record a death, hospital admission or discharge, or a move into a care institution; takes effect at once."""
    event = registry.record_event(current_user, visible_elder(elder_id, current_user), **data)
    return as_stored(event)


@blp.route("/elders/<int:elder_id>/status-history", methods=["GET"])
@login_required
@blp.response(200, ElderStatusChangeSchema(many=True))
def status_history(elder_id):
    """Every change of the elder's status, oldest first."""
    return visible_elder(elder_id, current_user).status_changes
