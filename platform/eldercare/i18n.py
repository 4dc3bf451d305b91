"""Language choice: Chinese unless the visitor switched to English (kept in the session)."""
from flask import current_app, request, session


def select_locale() -> str:
    wanted = request.args.get("lang")
    if wanted in current_app.config["LANGUAGES"]:
        session["lang"] = wanted
    return session.get("lang") or current_app.config["BABEL_DEFAULT_LOCALE"]
