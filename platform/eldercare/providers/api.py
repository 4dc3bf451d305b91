"""/api/v1/providers: applications, the bureau's review, documents and caregivers."""
from flask import request, send_file
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..apibase import Blueprint, document_errors, paginate_query, roles_required
from ..errors import NotFound
from ..extensions import db
from ..transactions import as_stored
from . import caregivers, services
from .models import Caregiver, Provider, ProviderDocument
from .schemas import (
    CaregiverCreateSchema,
    CaregiverFieldsSchema,
    CaregiverSchema,
    DocumentSchema,
    ProviderCreateSchema,
    ProviderFieldsSchema,
    ProviderQuerySchema,
    ProviderSchema,
    ReviewCreateSchema,
    ReviewSchema,
)
from .scope import require_admin_or_overseer, visible_condition, visible_provider

blp = Blueprint("providers", __name__, url_prefix="/api/v1", description="Service providers and their caregivers")
VIEWERS = ("bureau", "admin", "provider_admin", "caregiver")
DOCUMENT_TYPES = [content_type for _, content_type in services.SIGNATURES]


@blp.route("/providers", methods=["POST"])
@document_errors(409)
@roles_required("provider_admin")
@blp.arguments(ProviderCreateSchema)
@blp.response(201, ProviderSchema)
def apply(data):
    """Apply to serve as a provider; the application waits for the bureau's review."""
    provider = services.apply(current_user, data)
    return as_stored(provider)


@blp.route("/providers", methods=["GET"])
@roles_required(*VIEWERS)
@blp.arguments(ProviderQuerySchema, location="query")
@blp.response(200, ProviderSchema(many=True))
@blp.paginate()
def list_providers(query, pagination_parameters):
    """The providers the caller may see: the bureau's those registered in or serving its region."""
    stmt = select(Provider).where(visible_condition(current_user)).order_by(Provider.id)
    if "status" in query:
        stmt = stmt.where(Provider.status == query["status"])
    return paginate_query(stmt, pagination_parameters)


@blp.route("/providers/<int:provider_id>", methods=["GET"])
@roles_required(*VIEWERS)
@blp.response(200, ProviderSchema)
def get_provider(provider_id):
    """One provider with its prices, documents and review history."""
    return visible_provider(provider_id, current_user)


@blp.route("/providers/<int:provider_id>", methods=["PATCH"])
@document_errors(409)
@roles_required(*VIEWERS)
@blp.arguments(ProviderFieldsSchema)
@blp.response(200, ProviderSchema)
def update_provider(data, provider_id):
    """Edit the application while it waits for review; once approved, its categories, streets within its district,
    phone, address, radius and prices."""
    provider = services.update_provider(current_user, visible_provider(provider_id, current_user), data)
    return as_stored(provider)


@blp.route("/providers/<int:provider_id>/review", methods=["POST"])
@document_errors(409)
@roles_required(*VIEWERS)
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewSchema)
def review_provider(data, provider_id):
    """The bureau approves, rejects, asks for more, suspends or reinstates a provider."""
    row = services.review(current_user, visible_provider(provider_id, current_user), **data)
    return as_stored(row)


@blp.route("/providers/<int:provider_id>/documents", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["kind", "file"],
    "properties": {"kind": {"type": "string", "maxLength": 40, "description": "What the document is."},
                   "file": {"type": "string", "format": "binary", "description": "PDF, JPEG or PNG, at most 5 MB."}},
}}}})  # read from request.files, not a marshmallow schema: flask-smorest would not document it
@document_errors(403, 413, 422)
@roles_required(*VIEWERS)
@blp.response(201, DocumentSchema)
def upload_document(provider_id):
    """Send a document with the application (multipart `kind` and `file`): PDF, JPEG or PNG, at most 5 MB."""
    provider = visible_provider(provider_id, current_user)
    document = services.add_document(current_user, provider, request.form.get("kind"), request.files.get("file"))
    return as_stored(document)


@blp.route("/providers/<int:provider_id>/documents/<int:document_id>", methods=["GET"])
@blp.doc(responses={"200": {"description": "The file as it was uploaded, as an attachment.", "content": {
    content_type: {"schema": {"type": "string", "format": "binary"}} for content_type in DOCUMENT_TYPES}}})
@document_errors(403)
@roles_required(*VIEWERS)
def download_document(provider_id, document_id):
    """Download a document, for the provider's administrator and the bureau."""
    provider = visible_provider(provider_id, current_user)
    require_admin_or_overseer(current_user, provider)
    document = db.session.scalar(select(ProviderDocument).where(ProviderDocument.id == document_id,
                                                                ProviderDocument.provider_id == provider.id))
    path = services.document_path(document) if document is not None else None
    if path is None or not path.is_file():
        raise NotFound(_l("No such document."))
    return send_file(path, mimetype=document.content_type, as_attachment=True, download_name=document.filename)


@blp.route("/providers/<int:provider_id>/caregivers", methods=["POST"])
@roles_required(*VIEWERS)
@blp.arguments(CaregiverCreateSchema)
@blp.response(201, CaregiverSchema)
def add_caregiver(data, provider_id):
    """Give a caregiver a login and put them on the roster."""
    caregiver = caregivers.add_caregiver(current_user, visible_provider(provider_id, current_user), data)
    return as_stored(caregiver)


@blp.route("/providers/<int:provider_id>/caregivers", methods=["GET"])
@document_errors(403)
@roles_required(*VIEWERS)
@blp.response(200, CaregiverSchema(many=True))
def list_caregivers(provider_id):
    """The provider's caregivers with certificates (expired ones flagged) and weekly availability."""
    provider = visible_provider(provider_id, current_user)
    require_admin_or_overseer(current_user, provider)
    return db.session.scalars(select(Caregiver).where(Caregiver.provider_id == provider.id)
                              .order_by(Caregiver.id)).all()


@blp.route("/providers/<int:provider_id>/caregivers/<int:caregiver_id>", methods=["PATCH"])
@roles_required(*VIEWERS)
@blp.arguments(CaregiverFieldsSchema)
@blp.response(200, CaregiverSchema)
def update_caregiver(data, provider_id, caregiver_id):
    """Change a caregiver's status, limit or categories, or replace their certificates or availability."""
    provider = visible_provider(provider_id, current_user)
    caregiver = caregivers.update_caregiver(current_user, caregivers.get_caregiver(provider, caregiver_id), data)
    return as_stored(caregiver)
