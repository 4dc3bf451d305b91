"""Provider registration: the application and its edits, the bureau's review, prices within the guide price,
and the documents sent with an application."""
import hashlib
import logging
import re
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..accounts.services import MOBILE_RE
from ..audit.services import record
from ..catalog.models import Category, Item
from ..db import utcnow
from ..errors import Conflict, Forbidden, Invalid, invalid
from ..extensions import db
from ..geo import CHINA_LAT, CHINA_LNG
from ..notifications.services import tell_provider
from ..regions.models import Region
from .models import Provider, ProviderDocument, ProviderPrice, ProviderReview
from .scope import is_overseer, require_own_admin, reviews

log = logging.getLogger(__name__)

# The unified social credit code (统一社会信用代码): 18 digits and upper-case letters.
# ASCII digits only, as accounts.services.MOBILE_RE.
LICENSE_RE = re.compile(r"^[0-9A-Z]{18}\Z")
LANDLINE_RE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}\Z")
RADIUS_M = (500, 20000)
APPLICATION_FIELDS = ("name", "license_no", "categories", "service_areas", "base_lat", "base_lng",
                      "service_radius_m", "phone", "address", "prices")
# What an approved provider may still change without a new review: what it offers and where within its district,
# its prices and how to reach it. Its name, licence, base and district were what the bureau approved.
APPROVED_EDITABLE = ("categories", "service_areas", "phone", "address", "service_radius_m", "prices")
EDITABLE_STATUSES = ("pending", "needs_info")

# decision: (the statuses it may be taken from, the status it leads to)
TRANSITIONS = {
    "approve": (("pending", "needs_info"), "approved"),
    "reject": (("pending", "needs_info"), "rejected"),
    "needs_info": (("pending", "needs_info"), "needs_info"),
    "suspend": (("approved",), "suspended"),
    "reinstate": (("suspended",), "approved"),
}
DESTRUCTIVE = ("reject", "suspend")  # the pages ask to confirm these: a rejection is final, a suspension stops orders

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# What the first bytes of an accepted file look like; the name and the browser's content type prove nothing.
SIGNATURES = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def _normalise(fields: dict) -> dict:
    fields = dict(fields)
    for key in ("name", "license_no", "phone", "address"):
        if isinstance(fields.get(key), str):
            fields[key] = fields[key].strip() or None
    if fields.get("license_no"):
        fields["license_no"] = fields["license_no"].upper()
    return fields


def _check(fields: dict) -> tuple[dict[str, list[str]], dict]:
    """Every rule broken by a complete application, by field name, and the categories, streets and items
    it names, looked up."""
    errors: dict[str, list[str]] = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    if not fields.get("name"):
        fail("name", _l("Give the organisation's name."))
    license_no = fields.get("license_no") or ""
    if not LICENSE_RE.match(license_no):
        fail("license_no", _l("A unified social credit code has 18 digits and capital letters."))
    codes = list(dict.fromkeys(fields.get("categories") or []))
    categories = list(db.session.scalars(select(Category).where(Category.code.in_(codes)))) if codes else []
    if not codes:
        fail("categories", _l("Choose at least one service category."))
    elif len(categories) != len(codes):
        unknown = sorted(set(codes) - {c.code for c in categories})
        fail("categories", _l("No such service category: %(codes)s.", codes=", ".join(unknown)))
    area_ids = list(dict.fromkeys(fields.get("service_areas") or []))
    streets = list(db.session.scalars(select(Region).where(Region.id.in_(area_ids)))) if area_ids else []
    streets.sort(key=lambda r: area_ids.index(r.id))
    if not area_ids:
        fail("service_areas", _l("Choose at least one street you serve."))
    elif len(streets) != len(area_ids) or any(r.level != "street" for r in streets):
        fail("service_areas", _l("Service areas must be streets."))
    lat, lng = fields.get("base_lat"), fields.get("base_lng")
    if lat is None:
        fail("base_lat", _l("Give the latitude of your base."))
    elif not CHINA_LAT[0] <= lat <= CHINA_LAT[1]:
        fail("base_lat", _l("The base is not in China: latitude must be from 3.8 to 53.6."))
    if lng is None:
        fail("base_lng", _l("Give the longitude of your base."))
    elif not CHINA_LNG[0] <= lng <= CHINA_LNG[1]:
        fail("base_lng", _l("The base is not in China: longitude must be from 73.5 to 135.1."))
    radius = fields.get("service_radius_m")
    if radius is None or not RADIUS_M[0] <= radius <= RADIUS_M[1]:
        fail("service_radius_m", _l("The service radius must be from 500 to 20000 metres."))
    phone = fields.get("phone")
    if phone and not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        fail("phone", _l("Not a mainland mobile or landline number."))
    items = _check_prices(fields.get("prices") or [], {c.id for c in categories}, fail)
    return errors, {"categories": categories, "streets": streets, "items": items}


def _check_prices(prices: list[dict], category_ids: set[int], fail) -> dict[int, Item]:
    ids = [p["item_id"] for p in prices]
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}
    seen = set()
    for n, price in enumerate(prices):
        item = items.get(price["item_id"])
        if item is None:
            fail(f"prices.{n}.item_id", _l("No such service item."))
        elif price["item_id"] in seen:
            fail(f"prices.{n}.item_id", _l("This item is priced twice."))
        elif item.category_id not in category_ids:
            fail(f"prices.{n}.item_id", _l("This item is not in a category you offer."))
        elif not 0 <= price["price_fen"] <= item.price_fen:
            fail(f"prices.{n}.price_fen", _l("The price must be from 0 to the guide price, %(yuan)s yuan.",
                                              yuan=f"{item.price_fen / 100:.2f}"))
        seen.add(price["item_id"])
    return items


def _license_taken(license_no: str, provider_id: int | None = None) -> bool:
    stmt = select(Provider.id).where(Provider.license_no == license_no)
    if provider_id is not None:
        stmt = stmt.where(Provider.id != provider_id)
    return db.session.scalar(stmt) is not None


def _license_conflict() -> Conflict:
    return Conflict(_l("This licence number is already registered."),
                    {"license_no": [_l("Already registered.")]})


def _replace_prices(provider: Provider, prices: list[dict]) -> None:
    for row in list(provider.prices):
        db.session.delete(row)
    db.session.flush()
    db.session.expire(provider, ["prices"])
    for price in prices:
        db.session.add(ProviderPrice(provider_id=provider.id, item_id=price["item_id"], price_fen=price["price_fen"]))


def _items_in(category_codes) -> set[int]:
    return set(db.session.scalars(select(Item.id).join(Category, Category.id == Item.category_id)
                                  .where(Category.code.in_(list(category_codes or [])))))


def apply(actor: User, fields: dict) -> Provider:
    """A provider administrator applies to serve: the provider starts pending the bureau's review, and the
    applicant's account is linked to it."""
    if actor.role != "provider_admin":
        raise Forbidden(_l("Only provider administrators can apply."))
    if actor.provider_id is not None:
        raise Conflict(_l("Your account already belongs to a provider."))
    fields = _normalise(fields)
    errors, found = _check(fields)
    if errors:
        raise Invalid(_l("The application is not complete or not valid."), errors)
    if _license_taken(fields["license_no"]):
        raise _license_conflict()
    provider = Provider(name=fields["name"], license_no=fields["license_no"], status="pending",
                        district_id=found["streets"][0].parent_id, base_lat=fields["base_lat"],
                        base_lng=fields["base_lng"], service_radius_m=fields["service_radius_m"],
                        phone=fields.get("phone"), address=fields.get("address"))
    provider.categories = found["categories"]
    provider.service_areas = found["streets"]
    db.session.add(provider)
    try:
        db.session.flush()
    except IntegrityError:  # the same licence applied a moment ago; the refusal ends the request's transaction
        raise _license_conflict() from None
    _replace_prices(provider, fields.get("prices") or [])
    actor.provider_id = provider.id
    db.session.flush()
    record("provider.applied", provider, actor=actor, license_no=provider.license_no,
           categories=[c.code for c in provider.categories], service_areas=[r.id for r in provider.service_areas])
    return provider


def current_fields(provider: Provider) -> dict:
    """The provider's application as the fields it was sent with."""
    return {"name": provider.name, "license_no": provider.license_no,
            "categories": [c.code for c in provider.categories],
            "service_areas": [r.id for r in provider.service_areas], "base_lat": provider.base_lat,
            "base_lng": provider.base_lng, "service_radius_m": provider.service_radius_m,
            "phone": provider.phone, "address": provider.address,
            "prices": [{"item_id": p.item_id, "price_fen": p.price_fen} for p in provider.prices]}


def update_provider(actor: User, provider: Provider, changes: dict) -> Provider:
    """Edit the application while it waits for review (a provider asked for more goes back to pending), or,
    once approved, the categories (their prices go with a category given up), the streets within its district,
    the phone, address, radius and prices."""
    require_own_admin(actor, provider)
    changes = {k: v for k, v in _normalise(changes).items() if k in APPLICATION_FIELDS}
    if provider.status == "approved":
        locked = sorted(set(changes) - set(APPROVED_EDITABLE))
        if locked:
            raise Conflict(_l("An approved provider can change only its services, streets, phone, address, radius "
                              "and prices."),
                           {field: [_l("Cannot change after approval.")] for field in locked})
    elif provider.status not in EDITABLE_STATUSES:
        raise Conflict(_l("A provider that is %(status)s cannot be edited.", status=provider.status))
    before = current_fields(provider)
    merged = before | changes
    if "categories" in changes and "prices" not in changes:
        # Prices of the items of a category no longer offered go with it.
        kept = _items_in(merged["categories"])
        merged["prices"] = [p for p in before["prices"] if p["item_id"] in kept]
        changes["prices"] = merged["prices"]
    errors, found = _check(merged)
    if provider.status == "approved" and "service_areas" in changes and not errors.get("service_areas") and any(
            street.parent_id != provider.district_id for street in found["streets"]):
        errors["service_areas"] = [_l("Streets of another district need a new application to that district's "
                                      "bureau.")]
    if errors:
        raise Invalid(_l("The application is not complete or not valid."), errors)
    if "license_no" in changes and _license_taken(merged["license_no"], provider.id):
        raise _license_conflict()
    for key in ("name", "license_no", "base_lat", "base_lng", "service_radius_m", "phone", "address"):
        if key in changes:
            setattr(provider, key, merged[key])
    if "categories" in changes:
        provider.categories = found["categories"]
    if "service_areas" in changes:
        provider.service_areas = found["streets"]
        provider.district_id = found["streets"][0].parent_id
    if "prices" in changes:
        _replace_prices(provider, merged["prices"])
    resubmitted = provider.status == "needs_info"
    if resubmitted:
        provider.status = "pending"
    db.session.flush()
    changed = sorted(k for k in changes if before.get(k) != merged.get(k))
    record("provider.updated", provider, actor=actor, fields=changed, resubmitted=resubmitted)
    return provider


def check_review(actor: User, provider: Provider, decision: str, note: str | None = None) -> str | None:
    """Whether the decision may be given now, before anything is written (the page asks to confirm a destructive
    one first): its note, stripped; refusals name their field."""
    if not is_overseer(actor):
        raise Forbidden(_l("Only the bureau reviews providers."))
    if not reviews(actor, provider):
        raise Forbidden(_l("Only the bureau of the district the provider is registered in reviews it."))
    if decision not in TRANSITIONS:
        raise invalid("decision", _l("Unknown decision."))
    note = (note or "").strip() or None
    if decision != "approve" and not note:
        raise invalid("note", _l("Say why, so the provider knows what to do."))
    sources, target = TRANSITIONS[decision]
    if provider.status not in sources:
        raise Conflict(_l("A provider that is %(status)s cannot be given the decision %(decision)s.",
                          status=provider.status, decision=decision))
    return note


def review(actor: User, provider: Provider, decision: str, note: str | None = None) -> ProviderReview:
    """The bureau's decision on a provider. Only approved providers are ever matched to orders."""
    note = check_review(actor, provider, decision, note)
    sources, target = TRANSITIONS[decision]
    row = ProviderReview(provider_id=provider.id, decision=decision, note=note, from_status=provider.status,
                         to_status=target, actor_id=actor.id)
    db.session.add(row)
    provider.status = target
    provider.review_note = note
    provider.reviewed_at = utcnow()
    db.session.flush()
    record("provider.reviewed", provider, actor=actor, decision=decision, from_status=row.from_status,
           to_status=target, note=note, before=dict(status=row.from_status), after=dict(status=target))
    tell_provider(provider, decision, note)
    return row


# Documents


def sniff(head: bytes) -> str | None:
    """The content type the file's first bytes show, if it is one we accept."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _storage_dir(provider_id: int) -> Path:
    return Path(current_app.instance_path) / "uploads" / "providers" / str(provider_id)


def document_path(document: ProviderDocument) -> Path:
    return _storage_dir(document.provider_id) / document.sha256


def add_document(actor: User, provider: Provider, kind: str | None, upload) -> ProviderDocument:
    """Keep a document sent with the application: PDF, JPEG or PNG, at most 5 MB. A provider the bureau asked for
    more goes back to waiting for review, as when it edits the application."""
    require_own_admin(actor, provider)
    kind = (kind or "").strip()
    if not kind or len(kind) > 40:
        raise invalid("kind", _l("Say what the document is, in at most 40 characters."))
    if upload is None or not getattr(upload, "filename", None):
        raise invalid("file", _l("Choose a file to upload."))
    data = upload.stream.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise invalid("file", _l("The file is larger than 5 MB."))
    content_type = sniff(data[:16])
    if not data or content_type is None:
        raise invalid("file", _l("Send a PDF, JPEG or PNG file."))
    digest = hashlib.sha256(data).hexdigest()
    folder = _storage_dir(provider.id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():  # the same content is stored once
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    filename = Path(upload.filename.replace("\\", "/")).name[:200] or digest
    document = ProviderDocument(provider_id=provider.id, kind=kind, filename=filename, content_type=content_type,
                                size_bytes=len(data), sha256=digest)
    db.session.add(document)
    resubmitted = provider.status == "needs_info"
    if resubmitted:
        provider.status = "pending"
    db.session.flush()
    record("provider.document_added", provider, actor=actor, document_id=document.id, kind=kind,
           sha256=digest, size_bytes=len(data), resubmitted=resubmitted)
    return document
