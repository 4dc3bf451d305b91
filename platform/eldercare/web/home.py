"""The home page: what this person can do next."""
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from ..accounts.models import ROLES
from .summaries import home_facts

bp = Blueprint("home", __name__)


@bp.route("/")
def index():
    """Show the logged-in person what they can do next, for their role; send anyone else to log in."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts_pages.login"))
    # Only known roles name a template; an account with any other role gets a plain page, never a 500.
    template = f"home/{current_user.role}.html" if current_user.role in ROLES else "home/unknown.html"
    return render_template(template, **home_facts(current_user))
