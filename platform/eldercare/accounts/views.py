"""The login and logout pages."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_user, logout_user

from ..extensions import db
from . import services

bp = Blueprint("accounts_pages", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        user = services.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        if user is not None:
            login_user(user)
            db.session.commit()
            return redirect(url_for("home.index"))
        flash("Wrong username or password.", "error")
        return render_template("accounts/login.html"), 401
    return render_template("accounts/login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("accounts_pages.login"))
