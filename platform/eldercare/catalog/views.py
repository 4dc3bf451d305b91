"""The admin's catalogue pages: every item by category with its guide price, and an item's page to change its
name, price, duration, whether vouchers pay for it and whether it can be booked (catalog/services.py, as the
API's PATCH /items does: the log keeps old and new)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..errors import Invalid
from ..extensions import db
from ..web.forms import fen_from_yuan, submit, whole_number
from . import services
from .models import Category, Item

bp = Blueprint("catalogue_pages", __name__)


@bp.before_request
@login_required
def _admins_only():
    if current_user.role != "admin":
        abort(403)


@bp.route("/admin/catalogue")
def catalogue():
    categories = db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()
    items: dict[int, list[Item]] = {c.id: [] for c in categories}
    for item in db.session.scalars(select(Item).order_by(Item.price_fen, Item.id)):
        items.setdefault(item.category_id, []).append(item)
    return render_template("catalog/catalogue.html", categories=categories, items=items)


def _item_or_404(item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None:
        abort(404)
    return item


def _changes(form) -> dict:
    """The form's fields as the item's columns; Invalid naming each field that is not a valid value."""
    price, minutes = fen_from_yuan(form.get("price")), whole_number(form.get("duration_minutes"))
    errors = {}
    if price is None or price > 10_000_000:
        errors["price"] = [_("Enter the price in yuan, such as 12.50.")]
    if minutes is None or not 1 <= minutes <= 24 * 60:
        errors["duration_minutes"] = [_("Enter the minutes a visit takes, from 1 to 1440.")]
    name = form.get("name", "").strip()
    if not 1 <= len(name) <= 80:
        errors["name"] = [_("Give the item a name of at most 80 characters.")]
    if errors:
        raise Invalid(_("Some details need correcting"), errors)
    return dict(name=name, price_fen=price, duration_minutes=minutes,
                voucher_eligible=form.get("voucher_eligible") == "yes", active=form.get("active") == "yes")


@bp.route("/admin/catalogue/items/<int:item_id>", methods=["GET", "POST"])
def item_page(item_id: int):
    item = _item_or_404(item_id)
    if request.method == "GET":
        return render_template("catalog/item.html", item=item, form=_as_form(item), errors={})
    _item, errors = submit(lambda: services.update_item(item.id, _changes(request.form), actor=current_user))
    if errors:
        form = {k: request.form.get(k, "") for k in ("name", "price", "duration_minutes")}
        form |= {k: request.form.get(k) == "yes" for k in ("voucher_eligible", "active")}
        return render_template("catalog/item.html", item=item, form=form, errors=errors), 422
    flash(_("%(name)s is saved.", name=item.name), "success")
    return redirect(url_for(".catalogue", _anchor=f"category-{item.category_id}"))


def _as_form(item: Item) -> dict:
    return dict(name=item.name, price=f"{item.price_fen // 100}.{item.price_fen % 100:02d}",
                duration_minutes=str(item.duration_minutes), voucher_eligible=item.voucher_eligible,
                active=item.active)
