"""The operator's elder pages: the list with search, the registration form, and the elder's profile (with
assessments, family, status history and the form for registry events)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from .. import clock
from ..errors import ServiceError
from ..extensions import db
from ..orders.booking import BOOKING_ROLES
from ..orders.models import OPEN_STATUSES, WorkOrder
from ..regions.models import Region
from ..web.forms import submit
from ..web.summaries import quick_items
from . import registry, services, spelling
from .masking import mask_id_number, mask_phone
from .models import (
    CARE_LEVEL_LABELS,
    EVENT_KINDS,
    EVENT_LABELS,
    HARDSHIP,
    HARDSHIP_LABELS,
    STATUS_LABELS,
    Elder,
)
from .schemas import ElderCreateSchema, EventCreateSchema
from .scope import OFFICER_ROLES, community_ids, officer_covers, visible_condition, visible_elder

bp = Blueprint("elder_pages", __name__, url_prefix="/elders")
PAGE_SIZE = 20
OFFICERS = (*OFFICER_ROLES, "admin")
HARDSHIP_OPTIONS = [(code, HARDSHIP_LABELS[code]) for code in HARDSHIP]
EVENT_OPTIONS = [(kind, EVENT_LABELS[kind]) for kind in EVENT_KINDS]


@bp.app_context_processor
def elder_helpers():
    return dict(mask_id_number=mask_id_number, mask_phone=mask_phone, status_label=_label(STATUS_LABELS),
                hardship_label=_label(HARDSHIP_LABELS), care_level_label=_label(CARE_LEVEL_LABELS),
                event_label=_label(EVENT_LABELS), age_of=lambda e: services.age_on(e.birth_date, clock.today()))


def _label(labels):
    return lambda code: labels.get(code, code) if code else ""


def _officer_only():
    if current_user.role not in OFFICERS:
        abort(403)


@bp.route("")
@login_required
def index():
    """Elders in the officer's area; search by name, the ID number (whole, or its last 6 or 4) or the community's
    name."""
    _officer_only()
    q = request.args.get("q", "").strip()[:40]
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = select(Elder).join(Region, Elder.community_id == Region.id).where(visible_condition(current_user))
    if q:
        found = [Elder.name.contains(q, autoescape=True), Region.name.contains(q, autoescape=True),
                 services.id_number_search(q)]
        if (pinyin := spelling.as_pinyin(q)) is not None:  # "wangxiuying" or "wxy" for 王秀英
            found += [Elder.name_pinyin.startswith(pinyin), Elder.name_initials.startswith(pinyin)]
        stmt = stmt.where(or_(*found))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    elders = db.session.scalars(stmt.order_by(Elder.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    # A search is how an operator books for an elder who calls: each elder found offers their usual services,
    # one tap from the booking's day and time (search, service, next, book: four taps from the home page).
    quick = quick_items(elders) if q and current_user.role in BOOKING_ROLES else {}
    return render_template("elders/list.html", elders=elders, q=q, page=page, pages=pages, total=total, quick=quick)


def _communities():
    """The communities the officer may register elders in, with their streets, for the form's select."""
    stmt = select(Region).where(Region.level == "community").order_by(Region.parent_id, Region.id)
    if current_user.role != "admin":
        stmt = stmt.where(Region.id.in_(community_ids(current_user.scope_region_id)))
    communities = db.session.scalars(stmt).all()
    streets = {r.id: r for r in db.session.scalars(select(Region).where(
        Region.id.in_({c.parent_id for c in communities})))}
    groups: dict = {}
    for community in communities:
        groups.setdefault(streets[community.parent_id].name, []).append(community)
    return groups


def _form_fields(form) -> dict:
    """The registration form as the API's JSON: blank fields left out so the schema names the missing ones."""
    data = {k: form.get(k, "").strip() for k in ("name", "id_number", "birth_date", "gender", "phone", "address",
                                                  "community_id", "hardship", "hardship_since", "lat", "lng")}
    data = {k: v for k, v in data.items() if v}
    data["lives_alone"] = form.get("lives_alone") == "yes"
    if "community_id" in data and not data.get("lat") and not data.get("lng") and data["community_id"].isdigit():
        # Officers rarely know coordinates: the community's point stands in until the first visit fixes it.
        community = db.session.get(Region, int(data["community_id"]))
        if community is not None and community.lat is not None:
            data["lat"], data["lng"] = community.lat, community.lng
    contact = {k: form.get(f"contact_{k}", "").strip() for k in ("name", "relation", "phone")}
    if any(contact.values()):
        data["emergency_contacts"] = [contact]
    return data


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Register an elder; errors appear next to their fields."""
    _officer_only()
    errors: dict = {}
    if request.method == "POST":
        def register():
            fields = ElderCreateSchema().load(_form_fields(request.form))
            fields.pop("relation", None)
            return services.register_elder(current_user, fields)

        elder, errors = submit(register)
        if elder is not None:
            flash(_("%(name)s is registered.", name=elder.name), "success")
            return redirect(url_for(".profile", elder_id=elder.id))
    errors = {field.replace("emergency_contacts.0.", "contact_"): messages for field, messages in errors.items()}
    status = 422 if errors else 200
    return render_template("elders/form.html", form=request.form, errors=errors, communities=_communities(),
                           hardship_options=HARDSHIP_OPTIONS), status


@bp.route("/<int:elder_id>")
@login_required
def profile(elder_id):
    """Everything about one elder that the visitor may see."""
    try:
        elder = visible_elder(elder_id, current_user)
    except ServiceError:
        abort(404)
    can_record = current_user.role in OFFICERS and officer_covers(current_user, elder.community_id)
    return render_template("elders/profile.html", elder=elder, can_record=can_record, event_options=EVENT_OPTIONS,
                           errors={}, form={})


@bp.route("/<int:elder_id>/verify", methods=["POST"])
@login_required
def verify(elder_id):
    """An officer confirms a record a family registered, from the profile page."""
    _officer_only()
    try:
        elder = visible_elder(elder_id, current_user)
    except ServiceError:
        abort(404)
    done, errors = submit(lambda: services.verify_elder(current_user, elder))
    if done is not None:
        flash(_("The record is verified: vouchers can now be paid to %(name)s.", name=elder.name), "success")
    else:
        flash(" ".join(m for messages in errors.values() for m in messages), "error")
    return redirect(url_for(".profile", elder_id=elder_id))


@bp.route("/<int:elder_id>/events", methods=["POST"])
@login_required
def record_event(elder_id):
    """Record a registry event from the profile page."""
    _officer_only()
    try:
        elder = visible_elder(elder_id, current_user)
    except ServiceError:
        abort(404)
    form = {k: v for k, v in request.form.items() if k in ("kind", "occurred_on", "note") and v.strip()}
    if request.form.get("confirmed") != "yes":  # it takes effect at once: say what it does, then ask again
        data, errors = submit(lambda: EventCreateSchema().load(form), general_field="kind")
        if data is not None:
            open_orders = db.session.scalar(select(func.count(WorkOrder.id)).where(
                WorkOrder.elder_id == elder.id, WorkOrder.status.in_(OPEN_STATUSES)))
            return render_template("elders/confirm_event.html", elder=elder, data=data, form=form,
                                   open_orders=open_orders)
    else:
        event, errors = submit(lambda: registry.record_event(current_user, elder, **EventCreateSchema().load(form)),
                               general_field="kind")
        if event is not None:
            flash(_("Recorded. The elder is now: %(status)s.", status=STATUS_LABELS[elder.status]), "success")
            return redirect(url_for(".profile", elder_id=elder.id))
    db.session.refresh(elder)
    return render_template("elders/profile.html", elder=elder, can_record=True, event_options=EVENT_OPTIONS,
                           errors=errors, form=request.form), 422
