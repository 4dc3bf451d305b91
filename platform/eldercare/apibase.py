"""What every JSON endpoint shares: the Blueprint flavour, role checks, pagination and the fields for ids and
months."""
from copy import deepcopy
from functools import wraps

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

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        meta = SmorestBlueprint._make_pagination_metadata(page, page_size, item_count)
        meta["page_size"] = page_size
        return meta

    def _document_pagination_metadata(self, spec, resp_doc):
        # A header's value is text: flask-smorest documents it as an object, which clients and checkers read as
        # "a header holding an object" and cannot match against the JSON text it carries.
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = X_PAGINATION_DOC


X_PAGINATION_DOC = {
    "description": 'JSON text: {"total": <items in all pages>, "total_pages", "page": <this page>, "page_size": '
                   '<items a page>}, with first_page, last_page, previous_page and next_page where they exist '
                   '(page and the pages around it are left out past the last page).',
    "schema": {"type": "string"},
}
# The name of the bearer scheme in components.securitySchemes (config API_SPEC_OPTIONS).
BEARER = [{"bearerAuth": []}]


def _needs_bearer(wrapper):
    """Say in the OpenAPI document that the view needs a bearer token (as blp.doc(security=...) would)."""
    wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
    wrapper._apidoc.setdefault("manual_doc", {})["security"] = BEARER
    return wrapper


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

        return _needs_bearer(wrapper)

    return decorator


def paginate_query(query, pagination_parameters):
    """Run a select() for one page; sets the total for the X-Pagination header."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pagination_parameters.item_count = total
    page, size = pagination_parameters.page, pagination_parameters.page_size
    return db.session.scalars(query.limit(size).offset((page - 1) * size)).all()

