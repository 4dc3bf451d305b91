"""The admin's account pages: every account (by role, searched by username or name), a new account with its
role and scope, and on an account's page: change its role and scope, deactivate or reactivate it, or give it a new
password shown once (deactivating and a new password end the person's sessions: each asks for confirmation first).
The rules are the account services' (accounts/services.py), as the API's /users use them."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from ..extensions import db
from ..providers.models import Provider
from ..regions.models import Region
from ..web.context import role_name
from ..web.forms import flash_outcome, submit
from . import services
from .models import ROLES, User
from .schemas import UserCreateSchema, UserUpdateSchema

bp = Blueprint("account_admin_pages", __name__)
PAGE_SIZE = 50


@bp.before_request
@login_required
def _admins_only():
    if current_user.role != "admin":
        abort(403)


@bp.route("/admin/accounts")
def accounts():
    """Every account, newest first; by role, and searched by username or display name."""
    q = request.args.get("q", "").strip()[:40]
    role = request.args.get("role") if request.args.get("role") in ROLES else ""
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = select(User)
    if role:
        stmt = stmt.where(User.role == role)
    if q:
        stmt = stmt.where(or_(User.username.contains(q, autoescape=True),
                              User.display_name.contains(q, autoescape=True)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    users = db.session.scalars(stmt.order_by(User.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template("accounts/admin_list.html", users=users, q=q, role=role, roles=ROLES, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), total=total)


def _choices() -> dict:
    """The form's choices: the roles in words, the regions (districts, then streets) and the providers a new
    account may work in."""
    regions = db.session.scalars(select(Region).where(Region.level.in_(("district", "street")))
                                 .order_by(Region.level, Region.id)).all()
    providers = db.session.execute(select(Provider.id, Provider.name).order_by(Provider.name)).all()
    nobody = [("", _("None"))]
    return dict(role_options=[("", _("Choose a role"))] + [(r, role_name(r)) for r in ROLES],
                region_options=nobody + [(r.id, r.name) for r in regions],
                provider_options=nobody + [(p.id, p.name) for p in providers])


@bp.route("/admin/accounts/new", methods=["GET", "POST"])
def new_account():
    """A new account: its role, and the region (bureau, operator) or provider (provider staff) it works in."""
    names = ("role", "username", "display_name", "phone", "scope_region_id", "provider_id")
    form = {k: request.form.get(k, "").strip() for k in names}
    if request.method == "GET":
        return render_template("accounts/admin_new.html", form=form, errors={}, **_choices())
    data = {k: v for k, v in form.items() if v} | {"password": request.form.get("password", "")}
    user, errors = submit(lambda: services.create_user(**UserCreateSchema().load(data), actor=current_user))
    if errors:
        return render_template("accounts/admin_new.html", form=form, errors=errors, **_choices()), 422
    flash(_("The account %(username)s is open.", username=user.username), "success")
    return redirect(url_for(".account", user_id=user.id))


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _scope_form(user: User) -> dict:
    return {k: str(getattr(user, k) or "") for k in services.SCOPE_FIELDS}


def _account_page(user: User, *, form: dict | None = None, errors: dict | None = None, **extra):
    return render_template("accounts/admin_account.html", user=user, form=form or _scope_form(user),
                           errors=errors or {}, **_choices(), **extra)


@bp.route("/admin/accounts/<int:user_id>")
def account(user_id: int):
    """One account: who it is, what it may do, and the admin's actions on it."""
    return _account_page(_user_or_404(user_id))


@bp.route("/admin/accounts/<int:user_id>/scope", methods=["POST"])
def change_scope(user_id: int):
    """A new role, region or provider for the account; the person logs in again under the new rights."""
    user = _user_or_404(user_id)
    form = {k: request.form.get(k, "").strip() for k in services.SCOPE_FIELDS}
    data = {"role": form["role"], "scope_region_id": form["scope_region_id"] or None,
            "provider_id": form["provider_id"] or None}
    _user, errors = submit(lambda: services.update_user(user, UserUpdateSchema().load(data), actor=current_user),
                           general_field="role")
    if errors:
        return _account_page(user, form=form, errors=errors), 422
    flash(_("Saved. The person logs in again to work with the new role and area."), "success")
    return redirect(url_for(".account", user_id=user.id))


def _confirm(user: User, action: str, heading: str, effects: list[str], button: str, fields: dict | None = None):
    """The page that asks again before an action that ends the person's sessions."""
    return render_template("accounts/admin_confirm.html", user=user, action=action, heading=heading,
                           effects=effects, button=button, fields=fields or {})


@bp.route("/admin/accounts/<int:user_id>/active", methods=["POST"])
def set_active(user_id: int):
    """Deactivate an account (its sessions and tokens end at once; asked again first) or reactivate it."""
    user = _user_or_404(user_id)
    active = request.form.get("active") == "yes"
    if not active and request.form.get("confirmed") != "yes":
        return _confirm(user, "set_active", _("Deactivate the account %(username)s?", username=user.username),
                        [_("The person is logged out everywhere at once and can no longer log in."),
                         _("Nothing of the account is deleted: you can let the person log in again later.")],
                        _("Yes, deactivate"), {"active": "no"})
    _user, errors = submit(lambda: services.update_user(user, {"active": active}, actor=current_user))
    flash_outcome(errors, _("The account can log in again.") if active else _("The account is deactivated."))
    return redirect(url_for(".account", user_id=user.id))


@bp.route("/admin/accounts/<int:user_id>/password", methods=["POST"])
def new_password(user_id: int):
    """A new random password (asked again first), shown once on the page that answers (never stored in plain
    text)."""
    user = _user_or_404(user_id)
    if request.form.get("confirmed") != "yes":
        return _confirm(user, "new_password", _("Give %(username)s a new password?", username=user.username),
                        [_("The old password stops working and the person is logged out everywhere."),
                         _("The new password is shown once, on the next page: give it to the person.")],
                        _("Yes, give a new password"))
    generated, errors = submit(lambda: services.reset_password(user, actor=current_user)[0])
    if errors:
        flash_outcome(errors, "")
        return redirect(url_for(".account", user_id=user.id))
    return _account_page(user, generated=generated)
