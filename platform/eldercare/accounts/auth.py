"""How a request says who it is: a session cookie for pages, a bearer token for the API."""
from flask import request

from ..extensions import db, login_manager
from .models import User
from .services import user_for_token


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


@login_manager.user_loader
def load_session_user(user_id: str):
    # The API accepts bearer tokens only: a browser's session cookie must not authorise API writes,
    # or any page on the web could ride it (the API has no CSRF token).
    if _is_api_request():
        return None
    # "id:version" (User.get_id): a cookie signed before the version last went up (a logout, sessions ended by
    # an admin) names an old version and logs nobody in. A bare id is such an old cookie too.
    user_part, _, version = (user_id or "").partition(":")
    if not user_part.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_part))
    if user is None or not user.active or int(version) != (user.session_version or 0):
        return None
    return user


@login_manager.request_loader
def load_token_user(req):
    header = req.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token or not _is_api_request():
        return None
    return user_for_token(token.strip())
