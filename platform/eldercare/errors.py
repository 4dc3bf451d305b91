"""Error handling: JSON in the API.md format under /api/, HTML pages elsewhere."""
import logging

from flask import jsonify, render_template, request
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A business rule refused the request. Services raise it; the handlers turn it into a 4xx.

    `errors` maps field names to messages, as in the API error body.
    """

    code = 400

    def __init__(self, message: str, errors: dict | None = None, code: int | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if code is not None:
            self.code = code


class Invalid(ServiceError):
    code = 422


class NotFound(ServiceError):
    code = 404


class Conflict(ServiceError):
    code = 409


class Forbidden(ServiceError):
    code = 403


def invalid(field: str, message: str) -> Invalid:
    """The usual 422: one field, one message."""
    return Invalid(message, {field: [message]})


def wants_json() -> bool:
    return request.path.startswith("/api/")


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """webargs nests errors by location and position ({"json": {"tiers": {0: {...}}}});
    clients get one flat map of dotted field names to messages."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if not prefix and key in ("json", "query", "form", "headers", "view_args", "files"):
                name = ""
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for k, v in flatten_errors(value, name).items():
                flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        flat[prefix or "_schema"] = list(errors)
    elif isinstance(errors, list):
        for i, e in enumerate(errors):
            for k, v in flatten_errors(e, f"{prefix}.{i}" if prefix else str(i)).items():
                flat.setdefault(k, []).extend(v)
    else:
        flat[prefix or "_schema"] = [str(errors)]
    return flat


def _json_error(code: int, status: str, message: str, errors: dict | None = None, headers=None):
    # Messages may be lazy translations: they become text here, in the request's language.
    body = {"code": code, "status": status, "message": str(message),
            "errors": {field: [str(m) for m in messages] for field, messages in (errors or {}).items()}}
    response = jsonify(body)
    response.status_code = code
    if headers:
        response.headers.extend(headers)
    return response


def _page_error(code: int, message: str, headers=None):
    return render_template("errors/error.html", code=code, message=message), code, headers or {}


def handle_http_exception(error: HTTPException):
    data = getattr(error, "data", None) or {}
    errors = flatten_errors(data.get("errors") or data.get("messages") or {})
    message = data.get("message") or error.description or error.name
    if error.code in (400, 422) and errors and not data.get("message"):
        first = next(iter(errors))
        message = f"{first}: {errors[first][0]}"
    headers = dict(error.get_headers())  # e.g. Allow on a 405
    headers.pop("Content-Type", None)
    headers.update(data.get("headers") or {})
    if wants_json():
        return _json_error(error.code, error.name, message, errors, headers)
    return _page_error(error.code, message, headers)


def handle_service_error(error: ServiceError):
    db.session.rollback()
    name = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
            422: "Unprocessable Entity"}.get(error.code, "Error")
    if wants_json():
        return _json_error(error.code, name, error.message, error.errors)
    return _page_error(error.code, str(error.message))


def handle_out_of_range(error: Exception):
    """A number or text too big for its column got past validation: the input's fault, so 422, not 500."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        log.exception("rollback after an out-of-range value failed")
    message = "A number or a text in the request is too large."
    if wants_json():
        return _json_error(422, "Unprocessable Entity", message, {"_schema": [message]})
    return _page_error(422, message)


def handle_unexpected(error: Exception):
    """A bug: log it, undo the half-done change and answer 500 without details."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error on %s %s", request.method, request.path)
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the session may itself be broken
        log.exception("rollback after an unhandled error failed")
    return handle_http_exception(InternalServerError())


def register_errorhandlers(app):
    # Registered after flask-smorest's Api, so these replace its JSON-everywhere handler.
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(OverflowError, handle_out_of_range)  # SQLite: an integer past 64 bits
    app.register_error_handler(DataError, handle_out_of_range)  # PostgreSQL: integer out of range, too long
    app.register_error_handler(Exception, handle_unexpected)
