"""What every JSON endpoint shares: the Blueprint flavour, role checks, pagination and the fields for ids and
months."""
from copy import deepcopy
from functools import wraps
from http import HTTPStatus

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from sqlalchemy import func, select

from .clock import BadMonth, Month
from .db import MAX_ID
from .errors import invalid
from .extensions import csrf, db
from .jsonbody import StrictJSONParser

MONTH_MESSAGE = _l("A month is written YYYY-MM, e.g. 2026-12.")


class RowId(ma.fields.Integer):
    """A row's id in a request: a whole number from 1 to 2^31 - 1, so that a huge one is a 422 naming the
    field rather than an error from the database."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(1, MAX_ID))
        super().__init__(**kwargs)


class MonthField(ma.fields.String):
    """A month in a request, loaded as a clock.Month: "2026-12" in ASCII digits and nothing else, so that a
    full-width or Arabic-Indic "２０２６-１２" is a 422 naming the field rather than another key for December."""

    def __init__(self, **kwargs):
        metadata = {"pattern": "^[0-9]{4}-[0-9]{2}$", "example": "2026-12", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> Month:
        try:
            return Month.parse(super()._deserialize(value, attr, data, **kwargs))
        except BadMonth:
            # Text in the request's language, not the lazy message: marshmallow keeps only str as a message list.
            raise ma.ValidationError(str(MONTH_MESSAGE)) from None

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)


def month_from(text, field: str = "period") -> Month:
    """A month from a page's form or query, or the command line: Invalid (422) naming `field` unless it is
    written YYYY-MM in ASCII digits, as the API's MonthField answers."""
    try:
        return Month.parse(text)
    except BadMonth:
        raise invalid(field, MONTH_MESSAGE) from None


class Blueprint(SmorestBlueprint):
    """flask-smorest Blueprint with the API.md list conventions (page_size up to 200, X-Pagination
    carrying total, page and page_size). API endpoints authenticate with bearer tokens only, so they
    are exempt from the CSRF check that protects cookie-authenticated pages."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 200}
    # JSON bodies that would crash the stdlib parser's callers answer 400 instead (jsonbody.loads).
    ARGUMENTS_PARSER = StrictJSONParser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        csrf.exempt(self)
        self._prepare_doc_cbks.append(self._document_body_errors)

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        # Every id in a path may name no row, or one the caller may not see: the operation says it can answer 404.
        if view_func is not None and "<" in rule:
            view_func = document_errors(HTTPStatus.NOT_FOUND)(_ids_in_range(view_func))
        return super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)

    @staticmethod
    def _document_body_errors(doc, doc_info, **kwargs):
        """An operation that reads a body says it can answer 400 (not JSON, or JSON jsonbody.loads refuses) and
        413 (larger than the limit, refused unread)."""
        if "requestBody" in doc:
            responses = doc.setdefault("responses", {})
            for status in (HTTPStatus.BAD_REQUEST, HTTPStatus.REQUEST_ENTITY_TOO_LARGE):
                if status.value not in responses and str(status.value) not in responses:
                    responses[status.value] = status.name  # flask-smorest's component for the status
        return doc

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        meta = SmorestBlueprint._make_pagination_metadata(page, page_size, item_count)
        meta["page_size"] = page_size
        return meta

    def _document_pagination_metadata(self, spec, resp_doc):
        # A header's value is text: flask-smorest documents it as an object, which clients and checkers read as
        # "a header holding an object" and cannot match against the JSON text it carries.
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = X_PAGINATION_DOC


def _ids_in_range(view):
    """A path id past the id columns' range names no row: 404, as any other id without a row. Without this, such
    an id reached the database, where PostgreSQL's "integer out of range" answered 422 (and SQLite, past 64 bits,
    the same) while a smaller unknown id answered 404."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if any(isinstance(value, int) and not 0 <= value <= MAX_ID for value in kwargs.values()):
            abort(404, message="No such record.")
        return view(*args, **kwargs)

    return wrapper


X_PAGINATION_DOC = {
    "description": 'JSON text: {"total": <items in all pages>, "total_pages", "page": <this page>, "page_size": '
                   '<items a page>}, with first_page, last_page, previous_page and next_page where they exist '
                   '(page and the pages around it are left out past the last page).',
    "schema": {"type": "string"},
}
# The name of the bearer scheme in components.securitySchemes (config API_SPEC_OPTIONS).
BEARER = [{"bearerAuth": []}]


def document_errors(*statuses: int):
    """Say in the OpenAPI document that the view can answer each of `statuses` with the API's error body, as
    blp.alt_response(status, response=NAME) would; a status the view documents already keeps its own text.
    Every operation also has flask-smorest's `default` error response, but a client (and the schemathesis run in
    tests/test_api_fuzz.py) learns from the list which answers to expect."""

    def decorator(view):
        view._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        responses = view._apidoc.setdefault("response", {}).setdefault("responses", {})
        for status in map(HTTPStatus, statuses):
            if status.value not in responses and str(status.value) not in responses:
                responses[status.value] = [status.name]  # a reference to flask-smorest's component for the status
        return view

    return decorator


def _needs_bearer(wrapper, *statuses: int):
    """Say in the OpenAPI document that the view needs a bearer token (as blp.doc(security=...) would), and that
    it answers 401 without one (and `statuses`)."""
    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    wrapper._apidoc.setdefault("manual_doc", {})["security"] = BEARER
    return document_errors(HTTPStatus.UNAUTHORIZED, *statuses)(wrapper)


def login_required(view):
    """401 unless a valid bearer token came with the request."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401, message="Log in first: send Authorization: Bearer <token>.")
        return view(*args, **kwargs)

    return _needs_bearer(wrapper)


def roles_required(*roles: str):
    """401 when not logged in, 403 when the caller's role is not one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401, message="Log in first: send Authorization: Bearer <token>.")
            if current_user.role not in roles:
                abort(403, message=f"This needs one of the roles: {', '.join(roles)}.")
            return view(*args, **kwargs)

        wrapper = _needs_bearer(wrapper, HTTPStatus.FORBIDDEN)
        # Who may call, in the document too: a client (and the schemathesis run) need not learn it from a 403.
        wrapper._apidoc["manual_doc"]["x-roles"] = list(roles)
        return wrapper

    return decorator


def paginate_query(query, pagination_parameters):
    """Run a select() for one page; sets the total for the X-Pagination header."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pagination_parameters.item_count = total
    page, size = pagination_parameters.page, pagination_parameters.page_size
    return db.session.scalars(query.limit(size).offset((page - 1) * size)).all()

