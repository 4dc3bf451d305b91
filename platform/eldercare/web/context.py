"""What every page template can call: names of roles and levels in the visitor's language, the language
switch, and the words on error pages."""
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import default_exceptions


def role_name(role: str | None) -> str:
    """A role in words, as the person would say it (老人, 家属, ...)."""
    names = {
        "elder": _("Elder"),
        "family": _("Family member"),
        "operator": _("Call-centre / community worker"),
        "provider_admin": _("Provider administrator"),
        "caregiver": _("Caregiver"),
        "point_staff": _("Service point staff"),
        "bureau": _("Civil-affairs bureau"),
        "admin": _("System administrator"),
    }
    return names.get(role or "", role or _("No role"))


def care_level_name(level: str | None) -> str:
    """The GB/T 42195-2022 level an assessment gave, in words."""
    names = {
        "intact": _("Fully able"),
        "mild": _("Mildly disabled"),
        "moderate": _("Moderately disabled"),
        "severe": _("Severely disabled"),
        "total": _("Totally disabled"),
    }
    if level is None:
        return _("Not assessed yet")
    return names.get(level, level)


def provider_status_name(status: str | None) -> str:
    names = {
        "pending": _("Waiting for review"),
        "approved": _("Approved"),
        "rejected": _("Rejected"),
        "needs_info": _("More information needed"),
        "suspended": _("Suspended"),
    }
    return names.get(status or "", status or "")


def current_lang() -> str:
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def lang_url(lang: str) -> str:
    """This page in another language."""
    return _this_page_with("lang", lang)


def _this_page_with(name: str, value: str) -> str:
    """This page's path and query, with the query's `name` set to `value` (the header's switches). A page that
    answers a form (a confirmation step) cannot be fetched again by a link: its switches open the page the form
    was sent from, when that is this site's, else the home page."""
    path, query = request.path, request.args
    if request.method != "GET":
        came_from = urlsplit(request.referrer or "")
        same_site = came_from.netloc == request.host and came_from.path.startswith("/")
        path, query = (came_from.path, MultiDict(parse_qsl(came_from.query))) if same_site else ("/", MultiDict())
    args = [(key, v) for key, v in query.items(multi=True) if key != name]
    args.append((name, value))
    return f"{path}?{urlencode(args)}"


TEXT_SIZES = ("normal", "large")


def remember_text_size() -> None:
    """Before each page: `?text=large` (or `normal`) from the header's switch is kept for the session, as the
    language is, so every later page is drawn in that size."""
    wanted = request.args.get("text")
    if wanted in TEXT_SIZES and not request.path.startswith("/api/"):
        session["text"] = wanted


def text_size() -> str:
    return session.get("text", "normal") if has_request_context() else "normal"


def text_url(size: str) -> str:
    """This page in another text size."""
    return _this_page_with("text", size)


def error_text(code: int) -> tuple[str, str]:
    """The headline and the advice an error page shows for an HTTP status."""
    texts = {
        400: (_("Something in that request was not right"), _("Please go back, reload the page and try again.")),
        401: (_("Please log in first"), _("Log in, then try again.")),
        403: (_("This is not open to your account"),
              _("If you think you should be able to see it, ask the system administrator.")),
        404: (_("We could not find that page"), _("Check the address, or start again from the home page.")),
        405: (_("That cannot be done on this page"), _("Please go back and use the buttons on the page.")),
        409: (_("That clashes with a change already made"),
              _("Someone may have changed it at the same time. Reload the page to see the latest.")),
        422: (_("Some details need correcting"), _("Please go back and check what you entered.")),
        429: (_("Too many attempts"), _("For your safety, please wait a while (up to 15 minutes), then try again.")),
        500: (_("Sorry, something went wrong on our side"), _("Please try again in a few minutes.")),
    }
    return texts.get(code, (_("Something went wrong"), _("Please try again, or start again from the home page.")))


def error_detail(code: int, message: str | None) -> str | None:
    """The specific reason worth showing under the headline, or None. Werkzeug's stock descriptions and the
    limiter's "5 per 1 minute" repeat the headline in technical English, so they are left out."""
    if not message or code in (429, 500):
        return None
    stock = default_exceptions.get(code)
    if stock is not None and message in (stock.description, stock.name):
        return None
    if code == 400 and ("CSRF" in message or "referrer" in message):
        # Flask-WTF's wording ("The CSRF token has expired.") means nothing to the people using these pages.
        return _("This form has expired. Please reload the page and try again.")
    return _(message)


def template_helpers() -> dict:
    return {
        "role_name": role_name,
        "care_level_name": care_level_name,
        "provider_status_name": provider_status_name,
        "current_lang": current_lang,
        "lang_url": lang_url,
        "text_size": text_size,
        "text_url": text_url,
        "error_text": error_text,
        "error_detail": error_detail,
    }
