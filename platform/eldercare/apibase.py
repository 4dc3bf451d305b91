"""What every JSON endpoint shares: the Blueprint flavour, role checks and pagination."""
from functools import wraps

import marshmallow as ma
from flask_login import current_user
from flask_smorest import Blueprint as SmorestBlueprint
from flask_smorest import abort
from sqlalchemy import func, select

from .db import MAX_ID
from .extensions import csrf, db


class RowId(ma.fields.Integer):
    """A row's id in a request: a whole number from 1 to 2^31 - 1, so that a huge one is a 422 naming the
    field rather than an error from the database."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", ma.validate.Range(1, MAX_ID))
        super().__init__(**kwargs)


class Blueprint(SmorestBlueprint):
    """flask-smorest Blueprint with the API.md list conventions (page_size up to 200, X-Pagination
    carrying total, page and page_size). API endpoints authenticate with bearer tokens only, so they
    are exempt from the CSRF check that protects cookie-authenticated pages."""

    DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 200}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        csrf.exempt(self)

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        meta = SmorestBlueprint._make_pagination_metadata(page, page_size, item_count)
        meta["page_size"] = page_size
        return meta


def login_required(view):
    """401 unless a valid bearer token came with the request."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401, message="Log in first: send Authorization: Bearer <token>.")
        return view(*args, **kwargs)

    return wrapper


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

        return wrapper

    return decorator


def paginate_query(query, pagination_parameters):
    """Run a select() for one page; sets the total for the X-Pagination header."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pagination_parameters.item_count = total
    page, size = pagination_parameters.page, pagination_parameters.page_size
    return db.session.scalars(query.limit(size).offset((page - 1) * size)).all()

