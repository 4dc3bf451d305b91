"""Pages of the service points: the staff's points and the counter page made for a tablet (find the elder by
card or by name and ID digits, see what the meal costs them today, one tap records it; the meals booked ahead for
today listed, one tap serves each); the elder's and family's page to book a meal ahead at a point near home; the
provider's pages to register and edit its points; the bureau's review of them; the printable elder card."""
from datetime import timedelta

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import case, or_, select

from .. import clock
from ..catalog.models import Category, Item
from ..elders.masking import mask_id_number
from ..elders.models import Elder
from ..elders.scope import visible_condition as elder_visible
from ..elders.scope import visible_elder
from ..errors import ServiceError
from ..extensions import db
from ..orders.elder_pages import CANCEL_REASONS
from ..payments.services import due_fen
from ..payments.views import fen_from_yuan
from ..regions.models import Region
from ..web.context import provider_status_name
from ..web.forms import row_id, submit
from . import bookings, services
from .models import KINDS, MEAL_SLOTS, STATUSES, PointItem, ServicePoint
from .schemas import BookingCreateSchema, PointCreateSchema, PointFieldsSchema, PointReviewSchema
from .scope import reviews, staff_condition, visible_condition

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
    return _counter_page(point, asked, found, errors)


def _counter_page(point, asked, found, errors):
    return render_template("servicepoints/counter.html", point=point, asked=asked, found=found, errors=errors,
                           served=services.served_today(point), waiting=services.booked_today(point),
                           slot_name=slot_name, meal_slot=services.meal_slot, due=due_fen), 422 if errors else 200


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
        return _counter_page(point, asked, None, errors)
    return _recorded(point, order)


@bp.route("/points/<int:point_id>/counter/bookings/<int:booking_id>", methods=["POST"])
@login_required
def serve_booked(point_id, booking_id):
    """The one tap for an elder whose meal was booked ahead for today: the waiting order is completed."""
    point = _point(point_id)
    try:
        services.booked_here(point, booking_id)
    except ServiceError:
        abort(404)
    order, errors = submit(lambda: services.serve_booked(current_user, point.id, booking_id),
                           general_field="order_id")
    if errors:
        return _counter_page(point, {}, None, errors)
    return _recorded(point, order)


def _recorded(point, order):
    flash(_("Recorded for %(name)s: vouchers %(voucher)s yuan, paid %(copay)s yuan.", name=order.elder.name,
            voucher=f"{order.voucher_fen / 100:.2f}", copay=f"{order.copay_fen / 100:.2f}"), "success")
    return redirect(url_for("point_pages.counter", point_id=point.id))


def slot_name(slot: str) -> str:
    return {"breakfast": _("Breakfast"), "lunch": _("Lunch"), "supper": _("Supper")}.get(slot, slot)


# --- the elder and family book a meal ahead ----------------------------------------------------------------------

MEAL_BOOKERS = ("elder", "family")


@bp.route("/meals", methods=["GET", "POST"])
@login_required
def book_meal():
    """The approved points serving meals, nearest the elder's home first, a form to book a meal at one for a day
    and meal time, and the meals booked and waiting (cancelled like any order)."""
    _only(*MEAL_BOOKERS)
    elders = db.session.scalars(select(Elder).where(elder_visible(current_user)).order_by(Elder.id).limit(50)).all()
    if not elders:
        abort(404)
    source = request.form if request.method == "POST" else request.args
    elder = next((e for e in elders if e.id == row_id(source.get("elder_id"))), elders[0])
    form = {"day": (clock.today() + timedelta(days=1)).isoformat(), "slot": "lunch", "pay_with": "voucher"}
    errors = {}
    if request.method == "POST":
        form = {k: (request.form.get(k) or "").strip() for k in ("choice", "day", "slot", "pay_with", "note")}
        point_id, _sep, item_id = form["choice"].partition(":")
        data = {"elder_id": elder.id, "item_id": item_id, "day": form["day"], "slot": form["slot"],
                "pay_with": form["pay_with"] or "voucher", "note": form["note"] or None}
        order, errors = submit(lambda: bookings.book(current_user, row_id(point_id) or 0,
                                                     **BookingCreateSchema().load(data)), general_field="choice")
        if order is not None:
            flash(_("Booked: %(item)s on %(day)s. Show the elder card at the counter.", item=order.item.name,
                    day=form["day"]), "success")
            return redirect(url_for(".book_meal", elder_id=elder.id))
        errors = {("choice" if k in ("service_point_id", "item_id") else k): v for k, v in errors.items()}
    points = services.nearby(list(db.session.scalars(
        select(ServicePoint).where(ServicePoint.status == "approved", ServicePoint.items.any(PointItem.item.has(
            Item.category.has(Category.code == services.MEAL_CATEGORY)))).order_by(ServicePoint.id))),
        elder.lat, elder.lng)[:20]
    waiting = bookings.mine(current_user)
    names = {row.id: row.name for row in db.session.execute(select(ServicePoint.id, ServicePoint.name).where(
        ServicePoint.id.in_({o.service_point_id for o in waiting})))}
    return render_template("servicepoints/meals.html", elders=elders, elder=elder, points=points, form=form,
                           errors=errors, slots=MEAL_SLOTS, slot_name=slot_name, waiting=waiting, point_names=names,
                           meal_slot=services.meal_slot, cancel_reasons=CANCEL_REASONS,
                           meal=services.MEAL_CATEGORY), 422 if errors else 200


# --- the provider registers and edits its points ----------------------------------------------------------------

PROVIDER_FIELDS = ("name", "kind", "community_id", "address", "lat", "lng", "daily_capacity", "second_meal")


@bp.app_context_processor
def point_helpers():
    return dict(point_kind_name=point_kind_name, weekday_name=weekday_name)


def point_kind_name(kind: str) -> str:
    names = {"canteen": _("Canteen for elders"), "bathing": _("Bathing point"), "day_care": _("Day-care centre")}
    return names.get(kind, kind)


def weekday_name(weekday: int) -> str:
    return (_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"),
            _("Sunday"))[weekday]


def _only(*roles):
    if current_user.role not in roles:
        abort(403)


def _own_point(point_id: int) -> ServicePoint:
    _only("provider_admin")
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.id == point_id, visible_condition(current_user)))
    if point is None:
        abort(404)
    return point


def _point_form(point: ServicePoint | None) -> dict:
    """The form as a point fills it (a new point: open at lunchtime on weekdays, 100 a day)."""
    if point is None:
        return {"kind": "canteen", "days": ["0", "1", "2", "3", "4"], "opens": "10:30", "closes": "13:30",
                "daily_capacity": "100", "second_meal": "full_price"}
    form = {k: "" if getattr(point, k) is None else str(getattr(point, k)) for k in PROVIDER_FIELDS}
    hours = point.hours or []
    form |= {"days": [str(h["weekday"]) for h in hours], "opens": hours[0]["start"] if hours else "",
             "closes": hours[0]["end"] if hours else ""}
    form |= {f"price_{pi.item_id}": f"{pi.price_fen / 100:.2f}" for pi in point.items}
    return form


def _page_fields(form, items: list) -> tuple[dict, dict, list]:
    """The page's form as the API's fields (blank ones left out, so the service names what is missing), errors of
    the page's own fields (days, hours, prices in yuan), and the item ids in the order sent."""
    data = {k: (form.get(k) or "").strip() for k in PROVIDER_FIELDS}
    data = {k: v for k, v in data.items() if v}
    errors: dict = {}
    days = sorted({int(d) for d in form.getlist("days") if d in ("0", "1", "2", "3", "4", "5", "6")})
    if not days:
        errors["days"] = [_("Choose the days the point is open.")]
    opens, closes = (form.get("opens") or "").strip(), (form.get("closes") or "").strip()
    data["hours"] = [dict(weekday=d, start=opens, end=closes) for d in days]
    prices = []
    for item in items:
        text = (form.get(f"price_{item.id}") or "").strip()
        if text:
            fen = fen_from_yuan(text)
            if fen is None:
                errors[f"price_{item.id}"] = [_("Write the price in yuan, e.g. 12.00.")]
            else:
                prices.append(dict(item_id=item.id, price_fen=fen))
    if not prices and not any(k.startswith("price_") for k in errors):
        errors["items"] = [_("Give a price for at least one service the point serves.")]
    data["items"] = prices
    community_id = row_id(data.get("community_id"))
    if community_id and not data.get("lat") and not data.get("lng"):
        community = db.session.get(Region, community_id)  # few know their coordinates: the community's stand in
        if community is not None and community.lat is not None:
            data["lat"], data["lng"] = community.lat, community.lng
    return data, errors, [p["item_id"] for p in prices]


def _folded(errors: dict, item_ids: list) -> dict:
    """The service's errors by the page's fields: hours.N under the hours, items.N.* under that item's price."""
    folded: dict = {}
    for field, messages in errors.items():
        parts = field.split(".")
        if parts[0] == "items" and len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(item_ids):
            name = f"price_{item_ids[int(parts[1])]}"
        elif parts[0] == "hours":
            name = "opens"
        else:
            name = parts[0]
        folded.setdefault(name, []).extend(messages)
    return folded


def _choices(point: ServicePoint | None) -> tuple[list, list]:
    """The communities of the streets the provider serves, and the catalogue items of its categories (with those
    the point has already)."""
    provider = current_user.provider
    streets = [r.id for r in provider.service_areas] if provider is not None else []
    keep = [point.community_id] if point is not None else []
    communities = db.session.scalars(select(Region).where(Region.level == "community", or_(
        Region.parent_id.in_(streets), Region.id.in_(keep))).order_by(Region.parent_id, Region.id)).all()
    categories = [c.id for c in provider.categories] if provider is not None else []
    kept = [pi.item_id for pi in point.items] if point is not None else []
    items = db.session.scalars(select(Item).where(or_(Item.category_id.in_(categories) & Item.active,
                                                      Item.id.in_(kept))).order_by(Item.category_id, Item.id)).all()
    return communities, items


def _render_form(point, form, errors, status=200):
    communities, items = _choices(point)
    return render_template("servicepoints/point_form.html", point=point, form=form, errors=errors, items=items,
                           communities=[("", _("Choose the community"))] + [(c.id, c.name) for c in communities],
                           kinds=[(k, point_kind_name(k)) for k in KINDS]), status


@bp.route("/provider/points")
@login_required
def provider_points():
    """The provider's points with the bureau's review of each, and the way to register another."""
    _only("provider_admin")
    points = db.session.scalars(select(ServicePoint).where(visible_condition(current_user))
                                .order_by(ServicePoint.id)).all()
    return render_template("servicepoints/provider_points.html", points=points)


@bp.route("/provider/points/new", methods=["GET", "POST"])
@login_required
def register_point():
    """Register a canteen, bathing point or day-care centre; it waits for the bureau's review."""
    _only("provider_admin")
    if request.method == "GET":
        return _render_form(None, _point_form(None), {})
    _communities, items = _choices(None)
    data, errors, item_ids = _page_fields(request.form, items)
    point = None
    if not errors:
        point, errors = submit(lambda: services.register(current_user, PointCreateSchema().load(data)))
    if point is not None:
        flash(_("The point is registered. The bureau will review it."), "success")
        return redirect(url_for(".provider_points"))
    return _render_form(None, _submitted(request.form), _folded(errors, item_ids), 422)


@bp.route("/provider/points/<int:point_id>", methods=["GET", "POST"])
@login_required
def edit_point(point_id):
    """Edit a point: hours, prices and capacity apply at once; a new name, kind or place goes back to review."""
    point = _own_point(point_id)
    if request.method == "GET":
        return _render_form(point, _point_form(point), {})
    _communities, items = _choices(point)
    data, errors, item_ids = _page_fields(request.form, items)
    saved = None
    if not errors:
        saved, errors = submit(lambda: services.update(current_user, point, PointFieldsSchema().load(data)))
    if saved is not None:
        flash(_("Saved. Review status: %(status)s.", status=provider_status_name(saved.status)), "success")
        return redirect(url_for(".provider_points"))
    return _render_form(_own_point(point_id), _submitted(request.form), _folded(errors, item_ids), 422)


def _submitted(form) -> dict:
    return {k: form.get(k, "") for k in form} | {"days": form.getlist("days")}


# --- the bureau reviews them -------------------------------------------------------------------------------------

OVERSEERS = ("bureau", "admin")


@bp.route("/bureau/points")
@login_required
def review_queue():
    """The points in the bureau's area, those waiting for review first; filter by status."""
    _only(*OVERSEERS)
    status = request.args.get("status", "")
    stmt = select(ServicePoint).where(visible_condition(current_user))
    if status in STATUSES:
        stmt = stmt.where(ServicePoint.status == status)
    waiting_first = case((ServicePoint.status == "pending", 0), else_=1)
    points = db.session.scalars(stmt.order_by(waiting_first, ServicePoint.created_at, ServicePoint.id)
                                .limit(500)).all()
    return render_template("servicepoints/review_queue.html", points=points, status=status, statuses=STATUSES)


def _reviewed_point(point_id: int) -> ServicePoint:
    _only(*OVERSEERS)
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.id == point_id, visible_condition(current_user)))
    if point is None:
        abort(404)
    return point


def _review_page(point, errors=None, form=None, status=200):
    may_review = reviews(current_user, point) and point.status == "pending"
    return render_template("servicepoints/review.html", point=point, may_review=may_review,
                           decider=reviews(current_user, point), errors=errors or {}, form=form or {}), status


@bp.route("/bureau/points/<int:point_id>")
@login_required
def review_page(point_id):
    """One point: where, when it is open, what it serves at what price; approve or reject it with a note."""
    return _review_page(_reviewed_point(point_id))


@bp.route("/bureau/points/<int:point_id>/review", methods=["POST"])
@login_required
def review(point_id):
    """Record the bureau's decision on a point."""
    point = _reviewed_point(point_id)
    if not reviews(current_user, point):
        abort(403)
    form = {k: v for k, v in request.form.items() if k in ("decision", "note") and v.strip()}
    done, errors = submit(lambda: services.review(current_user, point, **PointReviewSchema().load(form)),
                          general_field="note")
    if done is None:
        return _review_page(_reviewed_point(point_id), errors, request.form, 422)
    flash(_("Decision recorded. The point is now: %(status)s.", status=provider_status_name(done.status)), "success")
    return redirect(url_for(".review_page", point_id=point_id))


# --- the printable elder card ------------------------------------------------------------------------------------

@bp.route("/elders/<int:elder_id>/card")
@login_required
def elder_card(elder_id):
    """The elder card to print: the name, the ID number masked, and the signed QR code the counter scans."""
    _only("elder", "family", "operator")
    try:
        elder = visible_elder(elder_id, current_user)
    except ServiceError:
        abort(404)
    payload = services.card_payload(elder)
    qr = segno.make(payload, error="m").svg_inline(scale=6, border=2, title=_("Elder card QR code"))
    return render_template("servicepoints/card.html", elder=elder, masked_id=mask_id_number(elder.id_number),
                           qr=Markup(qr), version=services.card_version(elder.id))  # nosec B704 - segno's SVG
