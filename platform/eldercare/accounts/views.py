"""The login, logout and sign-up pages."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ..web.forms import submit
from . import services
from .limits import forget_account_failures, login_failures, signup_attempts
from .models import SELF_SIGNUP_ROLES
from .schemas import SignupSchema

bp = Blueprint("accounts_pages", __name__)


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None: a login link must never send people to another
    site (an open redirect makes phishing links look like ours)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read "/\evil.example" as "//evil.example"; control characters can hide the same trick.
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@login_failures
def login():
    """Show the login form; on a right username and password, go on to the page the person asked for."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_url or url_for("home.index"))
        return render_template("accounts/login.html", next_url=next_url)

    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username or not password:
        error = _("Enter both your username and your password.")
        return render_template("accounts/login.html", next_url=next_url, username=username, error=error), 400
    user = services.authenticate(username, password)
    if user is None:
        services.login_failed(username, via="page")
        error = _("Wrong username or password.")
        return render_template("accounts/login.html", next_url=next_url, username=username, error=error), 401
    forget_account_failures()
    login_user(user)
    services.logged_in(user)
    return redirect(next_url or url_for("home.index"))


@bp.route("/logout", methods=["POST"])
def logout():
    """Log the person out and show the login page again. The server forgets the session too, so a copy of
    the cookie taken before (on a shared computer, by malware) does not log anyone in."""
    if current_user.is_authenticated:
        services.end_page_session(current_user._get_current_object())  # committed as the request ends
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("accounts_pages.login"))


@bp.route("/signup", methods=["GET", "POST"])
@signup_attempts
def signup():
    """A family member or a provider's administrator opens an account, then is logged in and sent home: the
    family to register or find their elder, the provider to send its application to the bureau. Counted per
    address like the API's sign-up."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = {k: request.form.get(k, "").strip() for k in ("username", "role", "phone")}
    if request.method == "GET":
        form["role"] = request.args.get("role", "") if request.args.get("role") in SELF_SIGNUP_ROLES else ""
        return render_template("accounts/signup.html", form=form, errors={})
    user, errors = submit(lambda: services.signup(**SignupSchema().load(
        form | {"password": request.form.get("password", "")})))
    if errors:
        return render_template("accounts/signup.html", form=form, errors=errors), 422
    login_user(user)
    services.logged_in(user)
    flash(_("Your account is open. Welcome to Yiyang."), "success")
    return redirect(url_for("home.index"))
