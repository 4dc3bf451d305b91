"""One count of failed logins per address, shared by the login page and the API's token endpoint, so
switching between them gives an attacker no extra guesses."""
from flask import current_app

from ..extensions import limiter


def _login_failed(response) -> bool:
    return response.status_code == 401


# Only failures count; the sixth within the window answers 429 before the password is even checked.
login_failures = limiter.shared_limit(
    lambda: current_app.config["LOGIN_FAILURE_LIMIT"],
    scope="login-failures",
    methods=["POST"],
    deduct_when=_login_failed,
)
