"""Provider pages: the application and profile, the caregiver roster, and the bureau's review queue."""

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, select

from .. import clock
from ..catalog.models import Category, Item
from ..elders.masking import mask_phone
from ..errors import ServiceError
from ..extensions import db
from ..i18n import WEEKDAY_NAMES
from ..regions.models import Region
from ..web.context import provider_status_name
from ..web.forms import by_form_field, fen_from_yuan, flash_outcome, submit
from . import caregivers, services
from .caregivers import is_expired
from .models import CERTIFICATE_KINDS, STATUSES, Caregiver, Provider, ProviderDocument
from .schemas import (
    CaregiverCreateSchema,
    CaregiverFieldsSchema,
    ProviderCreateSchema,
    ProviderFieldsSchema,
    ReviewCreateSchema,
)
from .scope import reviews, visible_condition, visible_provider

bp = Blueprint("provider_pages", __name__)
OVERSEERS = ("bureau", "admin")
WAITING = ("pending", "needs_info")


@bp.app_context_processor
def provider_helpers():
    return dict(certificate_kind_name=certificate_kind_name, decision_name=decision_name,
                cert_expired=is_expired)


def certificate_kind_name(kind: str) -> str:
    names = {"elderly_care": _("Elderly-care worker"), "nurse": _("Nurse"), "health": _("Health certificate"),
             "rehab_therapist": _("Rehabilitation therapist"), "driver": _("Driver")}
    return names.get(kind, kind)


def decision_name(decision: str) -> str:
    names = {"approve": _("Approve"), "reject": _("Reject"), "needs_info": _("Ask for more information"),
             "suspend": _("Suspend"), "reinstate": _("Reinstate")}
    return names.get(decision, decision)


def _only(*roles):
    if current_user.role not in roles:
        abort(403)


def _page_errors(errors: dict) -> dict:
    """Errors by form field: list positions ("service_areas.0", "certificates.0.kind") fold into their field."""
    return by_form_field(errors, lambda parts: "cert_" + parts[2] if parts[0] == "certificates" and len(parts) > 2
                         else parts[0])


# The application


def _streets_by_district() -> dict:
    streets = db.session.scalars(select(Region).where(Region.level == "street").order_by(Region.parent_id,
                                                                                            Region.id)).all()
    districts = {r.id: r for r in db.session.scalars(select(Region).where(
        Region.id.in_({s.parent_id for s in streets})))}
    groups: dict = {}
    for street in streets:
        district = districts.get(street.parent_id)
        groups.setdefault(district.name if district else "", []).append(street)
    return groups


def _categories() -> list[Category]:
    return caregivers.category_choices()


def _application_fields(form) -> dict:
    """The application form as the API's JSON: blank fields left out so the schema names the missing ones."""
    data = {k: form.get(k, "").strip() for k in ("name", "license_no", "base_lat", "base_lng", "service_radius_m",
                                                  "phone", "address")}
    data = {k: v for k, v in data.items() if v}
    data["categories"] = form.getlist("categories")
    data["service_areas"] = form.getlist("service_areas")
    areas = [a for a in data["service_areas"] if a.isdigit()]
    if areas and not data.get("base_lat") and not data.get("base_lng"):
        # Few applicants know their coordinates: the first street's point stands in.
        street = db.session.get(Region, int(areas[0]))
        if street is not None and street.lat is not None:
            data["base_lat"], data["base_lng"] = street.lat, street.lng
    return data


def _form_from(provider: Provider) -> dict:
    return {"name": provider.name, "license_no": provider.license_no, "base_lat": str(provider.base_lat),
            "base_lng": str(provider.base_lng), "service_radius_m": str(provider.service_radius_m),
            "phone": provider.phone or "", "address": provider.address or "",
            "categories": [c.code for c in provider.categories],
            "service_areas": [str(r.id) for r in provider.service_areas]}


def _render_application(provider, form, errors, editing, status=200, document_errors=None, document_form=None):
    caregiver_count = 0
    if provider is not None:
        caregiver_count = db.session.query(Caregiver).filter(Caregiver.provider_id == provider.id,
                                                             Caregiver.active.is_(True)).count()
    return render_template("providers/application.html", provider=provider, form=form, errors=errors,
                           editing=editing, categories=_categories(), streets=_streets_by_district(),
                           caregiver_count=caregiver_count, document_errors=document_errors or {},
                           document_form=document_form or {}), status


@bp.route("/provider/application", methods=["GET", "POST"])
@login_required
def application():
    """Apply to serve (the form), or see the application's status, the bureau's note, and edit it while waiting."""
    _only("provider_admin")
    provider = current_user.provider
    editing = provider is None or (provider.status in WAITING and request.args.get("edit") == "1")
    if request.method == "GET":
        form = _form_from(provider) if provider is not None else {"service_radius_m": "3000"}
        return _render_application(provider, form, {}, editing)
    if provider is not None and provider.status not in WAITING:
        abort(409)
    form = {k: request.form.get(k, "") for k in request.form} | {
        "categories": request.form.getlist("categories"), "service_areas": request.form.getlist("service_areas")}
    def send():
        if provider is None:
            return services.apply(current_user, ProviderCreateSchema().load(_application_fields(request.form)))
        fields = ProviderFieldsSchema().load(_application_fields(request.form))
        return services.update_provider(current_user, provider, fields)

    sent, errors = submit(send)
    if sent is not None:
        flash(_("Your application is sent. The bureau will review it."), "success")
        return redirect(url_for(".application"))
    return _render_application(current_user.provider, form, _page_errors(errors), True, 422)


@bp.route("/provider/application/documents", methods=["POST"])
@login_required
def upload_document():
    """Send a document with the application (what the bureau asked for): PDF, JPEG or PNG, at most 5 MB."""
    _only("provider_admin")
    provider = current_user.provider
    if provider is None:
        abort(404)
    kind = request.form.get("kind", "")
    document, errors = submit(lambda: services.add_document(current_user, provider, kind, request.files.get("file")),
                              general_field="file")
    if document is not None:
        flash(_("%(name)s is sent to the bureau.", name=document.filename), "success")
        return redirect(url_for(".application", _anchor="documents"))
    return _render_application(current_user.provider, _form_from(current_user.provider), {}, False, 422,
                               document_errors=errors, document_form={"kind": kind})


# Services, streets and prices


def _price_items(provider) -> list:
    """The active items of the categories the provider offers, by category: the rows of its price list."""
    codes = [c.code for c in provider.categories]
    return db.session.scalars(select(Item).join(Category, Category.id == Item.category_id)
                              .where(Category.code.in_(codes), Item.active.is_(True))
                              .order_by(Category.sort_order, Category.id, Item.id)).all() if codes else []


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _services_form(provider) -> dict:
    form = _form_from(provider)
    form |= {f"price_{p.item_id}": _yuan(p.price_fen) for p in provider.prices}
    return form


def _services_fields(form, items) -> tuple[dict, dict, list]:
    """The services form as the API's fields; errors of prices that are not amounts in yuan; the items priced."""
    data = {k: form.get(k, "").strip() for k in ("service_radius_m", "phone", "address")}
    data = {k: v for k, v in data.items() if v} | {k: None for k in ("phone", "address") if not data.get(k)}
    data["categories"] = form.getlist("categories")
    data["service_areas"] = form.getlist("service_areas")
    prices, priced, errors = [], [], {}
    chosen = set(data["categories"])
    for item in items:
        text = form.get(f"price_{item.id}", "").strip()
        if not text or item.category.code not in chosen:
            continue  # no price of its own: the guide price; a category given up takes its prices with it
        fen = fen_from_yuan(text)
        if fen is None:
            errors[f"price_{item.id}"] = [_("Enter the price in yuan, such as 12.50.")]
        else:
            prices.append({"item_id": item.id, "price_fen": fen})
            priced.append(item)
    data["prices"] = prices
    return data, errors, priced


def _render_services(provider, form, errors, status=200):
    items = _price_items(provider)
    by_category: dict = {}
    for item in items:
        by_category.setdefault(item.category, []).append(item)
    district = db.session.get(Region, provider.district_id) if provider.district_id is not None else None
    streets = _streets_by_district()
    if provider.status == "approved" and district is not None:
        streets = {district.name: streets.get(district.name, [])}  # another district is a new application
    return render_template("providers/services.html", provider=provider, form=form, errors=errors,
                           categories=_categories(), streets=streets, by_category=by_category,
                           yuan=_yuan), status


@bp.route("/provider/services", methods=["GET", "POST"])
@login_required
def edit_services():
    """The services offered, the streets served, the radius, contact and prices: what an approved provider may
    change without a new review (and an application waiting for review, too)."""
    _only("provider_admin")
    provider = current_user.provider
    if provider is None:
        flash(_("Send your application first."), "info")
        return redirect(url_for(".application"))
    if request.method == "GET":
        return _render_services(provider, _services_form(provider), {})
    items = _price_items(provider)
    fields, price_errors, priced = _services_fields(request.form, items)
    form = {k: request.form.get(k, "") for k in request.form} | {
        "categories": request.form.getlist("categories"), "service_areas": request.form.getlist("service_areas")}
    if price_errors:
        return _render_services(provider, form, price_errors, 422)
    saved, errors = submit(lambda: services.update_provider(
        current_user, provider, ProviderFieldsSchema().load(fields)))
    if saved is not None:
        flash(_("Your services, streets and prices are saved."), "success")
        return redirect(url_for(".edit_services"))
    # A price's error is named by its place in the list: put it beside that item's field.
    for key in [k for k in errors if k.startswith("prices.")]:
        n = int(key.split(".")[1])
        errors.setdefault(f"price_{priced[n].id}", []).extend(errors.pop(key))
    return _render_services(current_user.provider, form, _page_errors(errors), 422)


# The caregiver roster


def _caregiver_fields(form) -> dict:
    data = {k: form.get(k, "").strip() for k in ("username", "name", "phone", "daily_limit")}
    data = {k: v for k, v in data.items() if v}
    data["password"] = form.get("password", "")
    if not data["password"]:
        data.pop("password")
    data["categories"] = form.getlist("categories")
    cert = {k: form.get(f"cert_{k}", "").strip() for k in ("kind", "level", "expires_on")}
    if any(cert.values()):
        data["certificates"] = [{k: v for k, v in cert.items() if v}]
    return data


def _roster(provider, form, errors, status=200):
    roster = db.session.scalars(select(Caregiver).where(Caregiver.provider_id == provider.id)
                                .order_by(Caregiver.active.desc(), Caregiver.id)).all()
    return render_template("providers/caregivers.html", provider=provider, roster=roster, form=form, errors=errors,
                           hours_of=hours_of, mask_phone=mask_phone, certificate_kinds=_certificate_choices(),
                           today=clock.today()), status


@bp.route("/provider/caregivers", methods=["GET", "POST"])
@login_required
def roster():
    """The organisation's caregivers, and the form to add one."""
    _only("provider_admin")
    provider = current_user.provider
    if provider is None:
        flash(_("Apply first: caregivers belong to an organisation."), "info")
        return redirect(url_for(".application"))
    if request.method == "GET":
        return _roster(provider, {"daily_limit": "8"}, {})
    form = {k: request.form.get(k, "") for k in request.form if k != "password"} | {
        "categories": request.form.getlist("categories")}
    caregiver, errors = submit(lambda: caregivers.add_caregiver(
        current_user, provider, CaregiverCreateSchema().load(_caregiver_fields(request.form))))
    if caregiver is not None:
        flash(_("%(name)s is on the roster and can log in.", name=caregiver.name), "success")
        return redirect(url_for(".roster"))
    return _roster(current_user.provider, form, _page_errors(errors), 422)


def hours_of(caregiver) -> list[str]:
    """The caregiver's working hours, one line per weekday she works: "Mon 08:00–18:00"."""
    return [f"{WEEKDAY_NAMES[a.weekday]} {a.start_time:%H:%M}–{a.end_time:%H:%M}"
            for a in sorted(caregiver.availability, key=lambda a: (a.weekday, a.start_time))]


def _own_caregiver(caregiver_id: int) -> Caregiver:
    """The visitor's organisation's caregiver; 404 for anyone else's, as if she did not exist."""
    _only("provider_admin")
    if current_user.provider is None:
        abort(404)
    try:
        return caregivers.get_caregiver(current_user.provider, caregiver_id)
    except ServiceError:
        abort(404)


def _certificate_choices() -> list[tuple[str, str]]:
    return [("", _("None"))] + [(k, certificate_kind_name(k)) for k in CERTIFICATE_KINDS]


@bp.route("/provider/caregivers/<int:caregiver_id>/active", methods=["POST"])
@login_required
def set_active(caregiver_id):
    """Take a caregiver off the roster (she is offered no more work, her login stays) or back onto it."""
    caregiver = _own_caregiver(caregiver_id)
    active = request.form.get("active") == "yes"
    if not active and request.form.get("confirmed") != "yes":  # say what it does, then ask again
        return render_template("providers/confirm_off_roster.html", caregiver=caregiver)
    _done, errors = submit(lambda: caregivers.update_caregiver(current_user, caregiver, {"active": active}))
    flash_outcome(errors, _("%(name)s is working again.", name=caregiver.name) if active
                  else _("%(name)s is off the roster: no new work is offered to her.", name=caregiver.name))
    return redirect(url_for(".roster"))


WEEKDAYS = range(7)


def _caregiver_form(caregiver) -> dict:
    """The caregiver's details as the edit form's fields: one working window a day, certificates by row."""
    form = {"name": caregiver.name, "phone": caregiver.phone or "", "daily_limit": str(caregiver.daily_limit),
            "categories": [c.code for c in caregiver.categories]}
    for a in caregiver.availability:
        if f"day_{a.weekday}" not in form:
            form |= {f"day_{a.weekday}": "yes", f"start_{a.weekday}": f"{a.start_time:%H:%M}",
                     f"end_{a.weekday}": f"{a.end_time:%H:%M}"}
    for n, cert in enumerate(caregiver.certificates):
        form |= {f"cert{n}_kind": cert.kind, f"cert{n}_level": cert.level or "",
                 f"cert{n}_expires_on": cert.expires_on.isoformat()}
    return form


def _caregiver_changes(form) -> dict:
    """The edit form as the API's fields: the days ticked with their hours, the certificate rows filled in."""
    data = {k: form.get(k, "").strip() for k in ("name", "phone", "daily_limit")}
    data["phone"] = data["phone"] or None
    if not data["daily_limit"]:
        data.pop("daily_limit")
    data["categories"] = form.getlist("categories")
    data["availability"] = [{"weekday": d, "start": form.get(f"start_{d}", "").strip(),
                             "end": form.get(f"end_{d}", "").strip()} for d in WEEKDAYS if form.get(f"day_{d}")]
    certificates = []
    for n in range(CERT_ROWS_MAX):
        cert = {k: form.get(f"cert{n}_{k}", "").strip() for k in ("kind", "level", "expires_on")}
        if cert["kind"]:  # a row without a kind is no certificate (None removes one)
            certificates.append({k: v for k, v in cert.items() if v} | {"row": n})
    data["certificates"] = certificates
    return data


CERT_ROWS_MAX = 20
_CERT_ROW = re.compile(r"cert([0-9]{1,3})_[a-z_]+")


def _edit_errors(errors: dict, data: dict) -> dict:
    """The service's errors by list position, put beside the form's fields (a weekday's hours, a certificate row)."""
    folded: dict = {}
    for field, messages in errors.items():
        parts = field.split(".")
        name = parts[0]
        if parts[0] == "availability" and len(parts) > 1:
            weekday = data["availability"][int(parts[1])]["weekday"]
            name = f"{parts[2] if len(parts) > 2 and parts[2] in ('start', 'end') else 'end'}_{weekday}"
        elif parts[0] == "certificates" and len(parts) > 1:
            row = data["certificates"][int(parts[1])]["row"]
            name = f"cert{row}_{parts[2] if len(parts) > 2 else 'kind'}"
        folded.setdefault(name, []).extend(messages)
    return folded


def _render_caregiver(caregiver, form, errors, status=200):
    # The certificate rows the form holds (its keys come from the browser: only cert<ASCII digits>_... count).
    rows = max((int(m[1]) for k in form if (m := _CERT_ROW.fullmatch(k))), default=-1) + 2
    return render_template("providers/caregiver.html", caregiver=caregiver, provider=caregiver.provider, form=form,
                           errors=errors, certificate_kinds=_certificate_choices(), cert_rows=min(rows, CERT_ROWS_MAX),
                           weekday_names=WEEKDAY_NAMES, today=clock.today()), status


@bp.route("/provider/caregivers/<int:caregiver_id>", methods=["GET", "POST"])
@login_required
def edit_caregiver(caregiver_id):
    """A caregiver's details, the categories she serves, her working hours and certificates."""
    caregiver = _own_caregiver(caregiver_id)
    if request.method == "GET":
        return _render_caregiver(caregiver, _caregiver_form(caregiver), {})
    data = _caregiver_changes(request.form)
    form = {k: request.form.get(k, "") for k in request.form} | {"categories": request.form.getlist("categories")}
    sent = {k: v for k, v in data.items() if k != "certificates"} | {
        "certificates": [{k: v for k, v in c.items() if k != "row"} for c in data["certificates"]]}
    saved, errors = submit(lambda: caregivers.update_caregiver(current_user, caregiver,
                                                               CaregiverFieldsSchema().load(sent)))
    if saved is not None:
        flash(_("%(name)s's details are saved.", name=saved.name), "success")
        return redirect(url_for(".roster"))
    return _render_caregiver(_own_caregiver(caregiver_id), form, _edit_errors(errors, data), 422)


# The bureau's review


@bp.route("/bureau/providers")
@login_required
def queue():
    """Applications waiting for review first, then every other provider in the area; filter by status."""
    _only(*OVERSEERS)
    status = request.args.get("status", "")
    stmt = select(Provider).where(visible_condition(current_user))
    if status in STATUSES:
        stmt = stmt.where(Provider.status == status)
    waiting_first = case((Provider.status.in_(WAITING), 0), else_=1)
    providers = db.session.scalars(stmt.order_by(waiting_first, Provider.created_at, Provider.id).limit(500)).all()
    return render_template("providers/queue.html", providers=providers, status=status, statuses=STATUSES)


def _detail(provider, errors=None, form=None, status=200):
    # An officer who may see the provider (it serves one of their streets) but not decide on it (registered in
    # another district, or they are a street's officer) is shown no buttons that would only answer 403, and told
    # who decides instead.
    may_review = reviews(current_user, provider)
    decisions = [d for d, (sources, _to) in services.TRANSITIONS.items() if provider.status in sources]
    district = db.session.get(Region, provider.district_id) if provider.district_id is not None else None
    return render_template("providers/review.html", provider=provider, decisions=decisions if may_review else [],
                           may_review=may_review, district=district, errors=errors or {},
                           form=form or {}), status


@bp.route("/bureau/providers/<int:provider_id>")
@login_required
def detail(provider_id):
    """One application with the decisions open to the bureau, and the review history."""
    _only(*OVERSEERS)
    try:
        provider = visible_provider(provider_id, current_user)
    except ServiceError:
        abort(404)
    return _detail(provider)


@bp.route("/bureau/providers/<int:provider_id>/documents/<int:document_id>")
@login_required
def document(provider_id, document_id):
    """Download a document sent with the application."""
    _only(*OVERSEERS)
    try:
        provider = visible_provider(provider_id, current_user)
    except ServiceError:
        abort(404)
    found = db.session.scalar(select(ProviderDocument).where(ProviderDocument.id == document_id,
                                                             ProviderDocument.provider_id == provider.id))
    path = services.document_path(found) if found is not None else None
    if path is None or not path.is_file():
        abort(404)
    return send_file(path, mimetype=found.content_type, as_attachment=True, download_name=found.filename)


@bp.route("/bureau/providers/<int:provider_id>/review", methods=["POST"])
@login_required
def review(provider_id):
    """Record the bureau's decision from the application page."""
    _only(*OVERSEERS)
    try:
        provider = visible_provider(provider_id, current_user)
    except ServiceError:
        abort(404)
    if not reviews(current_user, provider):
        abort(403)
    form = {k: v for k, v in request.form.items() if k in ("decision", "note") and v.strip()}
    if form.get("decision") in services.DESTRUCTIVE and request.form.get("confirmed") != "yes":
        # Final or stopping the provider's work: check it, say what it does, and ask once more.
        note, errors = submit(lambda: services.check_review(current_user, provider,
                                                            **ReviewCreateSchema().load(form)), general_field="note")
        if not errors:
            return render_template("providers/confirm_review.html", provider=provider, decision=form["decision"],
                                   note=note)
        return _detail(visible_provider(provider_id, current_user), _page_errors(errors), request.form, 422)
    decision, errors = submit(lambda: services.review(current_user, provider, **ReviewCreateSchema().load(form)),
                              general_field="note")
    if decision is None:
        provider = visible_provider(provider_id, current_user)
    else:
        flash(_("Decision recorded. The provider is now: %(status)s.",
                status=provider_status_name(provider.status)), "success")
        return redirect(url_for(".detail", provider_id=provider.id))
    return _detail(provider, _page_errors(errors), request.form, 422)
