"""Pages of the service points: the staff's points and the counter page made for a tablet (find the elder by
card or by name and ID digits, see what the meal costs them today, one tap records it)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import ServiceError
from ..extensions import db
from ..web.forms import row_id, submit
from . import services
from .models import ServicePoint
from .scope import staff_condition

bp = Blueprint("point_pages", __name__)
FIND_FIELDS = ("card", "name", "id_last6")


def _staff_only():
    if current_user.role != "point_staff":
        abort(403)


@bp.route("/points")
@login_required
def mine():
    """The points this staff member serves at, each with its counter."""
    _staff_only()
    points = db.session.scalars(select(ServicePoint).where(staff_condition(current_user))
                                .order_by(ServicePoint.id)).all()
    return render_template("servicepoints/mine.html", points=points)


def _point(point_id: int):
    _staff_only()
    try:
        return services.counter_point(current_user, point_id)
    except ServiceError as error:
        abort(404 if error.code == 404 else 409)


def _asked(form) -> dict:
    asked = {k: (form.get(k) or "").strip() or None for k in FIND_FIELDS}
    asked["item_id"] = row_id(form.get("item_id"))
    asked["pay_with"] = "self" if form.get("pay_with") == "self" else "voucher"
    return asked


@bp.route("/points/<int:point_id>/counter", methods=["GET", "POST"])
@login_required
def counter(point_id):
    """GET: the empty counter, ready for the next elder. POST: find the elder and show what the meal costs."""
    point = _point(point_id)
    asked, found, errors = {}, None, {}
    if request.method == "POST":
        asked = _asked(request.form)
        if asked["item_id"] is None:
            errors = {"item_id": [_("Choose what is served.")]}
        else:
            found, errors = submit(lambda: services.quote(current_user, point, item_id=asked["item_id"],
                                                          pay_with=asked["pay_with"], card=asked["card"],
                                                          name=asked["name"], id_last6=asked["id_last6"]))
    return render_template("servicepoints/counter.html", point=point, asked=asked, found=found, errors=errors,
                           served=services.served_today(point)), 422 if errors else 200


@bp.route("/points/<int:point_id>/counter/record", methods=["POST"])
@login_required
def record(point_id):
    """The one tap: record the meal, then the counter is ready for the next elder."""
    point = _point(point_id)
    asked = _asked(request.form)
    order, errors = submit(lambda: services.check_in(current_user, point.id, item_id=asked["item_id"],
                                                     pay_with=asked["pay_with"], card=asked["card"],
                                                     name=asked["name"], id_last6=asked["id_last6"]))
    if errors:
        return render_template("servicepoints/counter.html", point=point, asked=asked, found=None, errors=errors,
                               served=services.served_today(point)), 422
    flash(_("Recorded for %(name)s: vouchers %(voucher)s yuan, paid %(copay)s yuan.", name=order.elder.name,
            voucher=f"{order.voucher_fen / 100:.2f}", copay=f"{order.copay_fen / 100:.2f}"), "success")
    return redirect(url_for("point_pages.counter", point_id=point.id))
