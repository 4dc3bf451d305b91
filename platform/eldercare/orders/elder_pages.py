"""The elder's and family's pages for care: booking in three steps (what, when, confirm), then "my orders",
where a visit is cancelled, confirmed and rated, or complained about. An operator on the phone uses the same
three steps from the elder's profile. Every rule stays in the services; these views only carry the choices."""
from datetime import datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import or_, select

from .. import clock
from ..catalog.models import Category, Item
from ..clock import today
from ..elders.models import Elder
from ..elders.scope import visible_condition as elder_visible
from ..elders.scope import visible_elder
from ..errors import ServiceError
from ..extensions import db
from ..i18n import WEEKDAY_NAMES
from ..vouchers import account
from ..web.forms import flash_outcome, local_moment, row_id, submit
from . import booking, lifecycle
from .models import OPEN_STATUSES, WorkOrder
from .scope import visible_condition, visible_order

bp = Blueprint("booking_pages", __name__)
DAYS_SHOWN = 14
SLOTS = [time(h, m) for h in range(7, 19) for m in (0, 30)]
CANCEL_REASONS = (_l("Plans changed"), _l("In hospital"), _l("Family will help instead"), _l("Booked by mistake"))


def _elder_or_404(elder_id) -> Elder:
    if row_id(elder_id) is None:
        abort(404)
    try:
        return visible_elder(row_id(elder_id), current_user)
    except ServiceError:
        abort(404)


def _my_elders() -> list[Elder]:
    return db.session.scalars(select(Elder).where(elder_visible(current_user)).order_by(Elder.id).limit(50)).all()


def _chosen(args) -> dict:
    """The choices so far, from the query string or the form: elder, item, day, time, quantity, note."""
    return {k: args.get(k, "") for k in ("elder_id", "item_id", "day", "time", "quantity", "note")}


@bp.route("/book")
@login_required
def choose_service():
    """Step 1: the service. Family accounts with more than one elder first say for whom."""
    if current_user.role not in booking.BOOKING_ROLES:
        abort(403)
    elder_id = request.args.get("elder_id")
    if not elder_id:
        elders = _my_elders() if current_user.role in ("elder", "family") else []
        if len(elders) == 1:
            elder_id = elders[0].id
        else:
            return render_template("orders/book_whom.html", elders=elders)
    elder = _elder_or_404(elder_id)
    categories = db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()
    q = request.args.get("q", "").strip()[:40]
    stmt = select(Item).where(Item.active.is_(True))
    if q:  # a city lists a few hundred services: the search narrows them by name
        stmt = stmt.where(or_(Item.name.contains(q, autoescape=True), Item.name_en.contains(q, autoescape=True)))
    items = db.session.scalars(stmt.order_by(Item.price_fen, Item.id)).all()
    by_category = {c.id: [] for c in categories}
    for item in items:
        by_category.setdefault(item.category_id, []).append(item)
    return render_template("orders/book_service.html", elder=elder, categories=categories,
                           by_category=by_category, chosen=_chosen(request.args), q=q, found=len(items))


@bp.route("/book/when")
@login_required
def choose_time():
    """Step 2: the day and time, how many, and a note for the caregiver."""
    if current_user.role not in booking.BOOKING_ROLES:  # as steps 1 and 3: no step of booking for who cannot book
        abort(403)
    elder = _elder_or_404(request.args.get("elder_id"))
    item = _item_or_404(request.args.get("item_id"))
    days = [today() + timedelta(days=n) for n in range(DAYS_SHOWN)]
    return render_template("orders/book_time.html", elder=elder, item=item, days=days, slots=SLOTS,
                           weekday=lambda d: WEEKDAY_NAMES[d.weekday()], chosen=_chosen(request.args), errors={},
                           today_from=today_from())


def today_from() -> time | None:
    """The first of the day's times still ahead in Beijing (None when none is): said before the booking is
    checked, so nobody chooses a time of today that has passed."""
    now = clock.local(clock.now()).time()
    return next((t for t in SLOTS if t > now), None)


def _item_or_404(item_id) -> Item:
    item = db.session.get(Item, row_id(item_id)) if row_id(item_id) else None
    if item is None or not item.active:
        abort(404)
    return item


def _start(chosen: dict) -> tuple[datetime | None, dict]:
    return local_moment(chosen["day"], chosen["time"])


def _quantity(chosen: dict) -> int:
    if not chosen["quantity"]:
        return 1
    return row_id(chosen["quantity"]) or 0  # 0: the service refuses it, naming the field


@bp.route("/book/confirm", methods=["GET", "POST"])
@login_required
def confirm():
    """Step 3: the price, what vouchers pay and what is left to pay; then book."""
    if current_user.role not in booking.BOOKING_ROLES:
        abort(403)
    chosen = _chosen(request.values)
    elder = _elder_or_404(chosen["elder_id"])
    item = _item_or_404(chosen["item_id"])
    start, errors = _start(chosen)
    quantity = _quantity(chosen)
    if start is None:
        return _step_two_again(elder, item, chosen, errors)
    if request.method == "POST":
        pay_with = request.form.get("pay_with", "self")
        order, errors = submit(lambda: booking.book(
            current_user, elder_id=elder.id, item_id=item.id, scheduled_start=start, quantity=quantity,
            note=chosen["note"] or None, pay_with=pay_with))
        if order is not None:
            if order.status == "escalated":  # no provider could take it: staff arrange it, not matching
                flash(_("Booked: %(item)s on %(when)s. No provider nearby can take it straight away: the service "
                        "centre will arrange it and call you.", item=item.name, when=start.strftime("%m-%d %H:%M")),
                      "success")
            else:
                flash(_("Booked: %(item)s on %(when)s. We are finding a caregiver and will tell you who is coming.",
                        item=item.name, when=start.strftime("%m-%d %H:%M")), "success")
            if current_user.role in ("elder", "family"):
                return redirect(url_for(".my_orders"))
            return redirect(url_for("order_pages.detail", order_id=order.id))
        if {"scheduled_start", "quantity"} & set(errors):
            return _step_two_again(elder, item, chosen, {
                "time" if k == "scheduled_start" else k: v for k, v in errors.items()})
    price = item.price_fen * max(quantity, 1)
    try:
        voucher = booking.voucher_share(elder, item, start, price)
        voucher_reason = None
    except ServiceError as refusal:
        voucher, voucher_reason = None, " ".join(str(m) for ms in (refusal.errors or {}).values() for m in ms)
    balance = account.summary(elder, recent=0)["balance_fen"]
    return render_template("orders/book_confirm.html", elder=elder, item=item, start=start, quantity=quantity,
                           price=price, voucher=voucher, voucher_reason=voucher_reason, balance=balance,
                           chosen=chosen, errors=errors if request.method == "POST" else {},
                           pay_with=request.form.get("pay_with") or ("voucher" if voucher else "self")), \
        422 if request.method == "POST" else 200


def _step_two_again(elder, item, chosen, errors):
    days = [today() + timedelta(days=n) for n in range(DAYS_SHOWN)]
    return render_template("orders/book_time.html", elder=elder, item=item, days=days, slots=SLOTS,
                           weekday=lambda d: WEEKDAY_NAMES[d.weekday()], chosen=chosen, errors=errors), 422


@bp.route("/my/orders")
@login_required
def my_orders():
    """The elder's orders, or those of the family's elders: what is coming, then what has been."""
    if current_user.role not in ("elder", "family"):
        abort(403)
    orders = db.session.scalars(select(WorkOrder).where(visible_condition(current_user))
                                .order_by(WorkOrder.scheduled_start.desc()).limit(100)).all()
    waiting = (*OPEN_STATUSES, "in_service", "completed")  # a finished visit waits to be confirmed
    upcoming = sorted((o for o in orders if o.status in waiting), key=lambda o: o.scheduled_start)
    past = [o for o in orders if o.status not in waiting]
    return render_template("orders/mine.html", upcoming=upcoming, past=past, elders=_my_elders(),
                           cancel_reasons=CANCEL_REASONS, cancellable=lifecycle.cancellable)


ACTIONS = {
    "cancel": lambda order, form: lifecycle.cancel(current_user, order, reason=form.get("reason", "").strip()),
    "confirm": lambda order, form: lifecycle.confirm(current_user, order, rating=_rating(form),
                                                     comment=form.get("comment", "").strip() or None),
    "dispute": lambda order, form: lifecycle.dispute(current_user, order, reason=form.get("reason", "").strip()),
}
DONE = {"cancel": _l("The order is cancelled; any vouchers held for it are back in the balance."),
        "confirm": _l("Thank you: the visit is confirmed and your rating is saved."),
        "dispute": _l("Your complaint is recorded; the service centre will call you.")}


def _rating(form) -> int:
    try:
        return int(form.get("rating", ""))
    except ValueError:
        return 0  # refused by the service, naming the field


@bp.route("/my/orders/<int:order_id>/<action>", methods=["POST"])
@login_required
def act(order_id, action):
    if action not in ACTIONS or current_user.role not in ("elder", "family"):
        abort(404)
    try:
        order = visible_order(order_id, current_user)
    except ServiceError:
        abort(404)
    back = _came_from(order)
    if action != "confirm" and not request.form.get("reason", "").strip():
        flash(_("Please say why."), "error")
        return redirect(back)
    if action == "cancel" and request.form.get("confirmed") != "yes":  # the first press: say what it does, ask
        reason = request.form["reason"].strip()[:400]
        fields = dict(reason=reason, came_from=request.form.get("came_from", ""))
        return render_template("orders/confirm_cancel.html", order=order, back=back, reason=reason,
                               write_reason=False, fields=fields,
                               action=url_for("booking_pages.act", order_id=order.id, action="cancel"))
    _result, errors = submit(lambda: ACTIONS[action](order, request.form))
    flash_outcome(errors, DONE[action])
    return redirect(back)


def _came_from(order) -> str:
    """The page an action on the order returns to: the one its form was on (my orders by default)."""
    return {"meals": url_for("point_pages.book_meal", elder_id=order.elder_id),
            "order": url_for("order_pages.detail", order_id=order.id)}.get(request.form.get("came_from"),
                                                                           url_for(".my_orders"))
