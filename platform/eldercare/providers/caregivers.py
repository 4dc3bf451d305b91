"""A provider's caregivers: their logins, the categories they serve, certificates and weekly availability."""
from datetime import date, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..accounts.models import User
from ..accounts.services import MOBILE_RE, create_user
from ..audit.services import record
from ..catalog.models import Category
from ..errors import Invalid, NotFound
from ..extensions import db
from .models import CERTIFICATE_KINDS, Availability, Caregiver, Certificate, Provider
from .scope import require_own_admin

DAILY_LIMIT = (1, 20)
DEFAULT_DAILY_LIMIT = 8
# Without a rota, a caregiver works every day, office hours.
DEFAULT_AVAILABILITY = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(7)]


def is_expired(certificate: Certificate, today: date | None = None) -> bool:
    return certificate.expires_on < (today or clock.today())  # a certificate runs to the end of Beijing's day


def _parse_time(text) -> time | None:
    try:
        hours, minutes = str(text).split(":")
        digits = hours + minutes
        if len(hours) not in (1, 2) or len(minutes) != 2 or not (digits.isascii() and digits.isdigit()):
            return None  # int() would take "０８" (and " 8", "+8") for 8: ASCII digits only, as every pattern
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def _check(provider: Provider, fields: dict, errors: dict) -> dict:
    """Check the caregiver fields present in `fields`; returns them looked up and parsed."""

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    found: dict = {}
    if "categories" in fields:
        codes = list(dict.fromkeys(fields["categories"] or []))
        offered = {c.code: c for c in provider.categories}
        outside = [code for code in codes if code not in offered]
        if outside:
            fail("categories", _l("Your organisation does not offer: %(codes)s.", codes=", ".join(outside)))
        elif not codes:
            fail("categories", _l("Choose at least one service category."))
        found["categories"] = [offered[c] for c in codes if c in offered]
    if "daily_limit" in fields:
        limit = fields["daily_limit"]
        if limit is None or not DAILY_LIMIT[0] <= limit <= DAILY_LIMIT[1]:
            fail("daily_limit", _l("The daily limit must be from 1 to 20 orders."))
    if "certificates" in fields:
        for n, cert in enumerate(fields["certificates"] or []):
            if cert.get("kind") not in CERTIFICATE_KINDS:
                fail(f"certificates.{n}.kind", _l("Unknown kind of certificate."))
            if cert.get("expires_on") is None:
                fail(f"certificates.{n}.expires_on", _l("Give the expiry date."))
        found["certificates"] = fields["certificates"] or []
    if "availability" in fields:
        windows = []
        for n, window in enumerate(fields["availability"] or []):
            start, end = _parse_time(window.get("start")), _parse_time(window.get("end"))
            weekday = window.get("weekday")
            if weekday is None or not 0 <= weekday <= 6:
                fail(f"availability.{n}.weekday", _l("The weekday is 0 (Monday) to 6 (Sunday)."))
            if start is None:
                fail(f"availability.{n}.start", _l("Give the time as HH:MM."))
            if end is None:
                fail(f"availability.{n}.end", _l("Give the time as HH:MM."))
            if start is not None and end is not None:
                if start >= end:
                    fail(f"availability.{n}.end", _l("The end must be after the start."))
                else:
                    windows.append((n, weekday, start, end))
        by_day: dict = {}
        for n, weekday, start, end in sorted(windows, key=lambda w: (w[1], w[2])):
            previous = by_day.get(weekday)
            if previous is not None and start < previous[3]:
                fail(f"availability.{n}", _l("This window overlaps another on the same day."))
            if previous is None or end > previous[3]:
                by_day[weekday] = (n, weekday, start, end)
        found["availability"] = [(w, s, e) for _n, w, s, e in sorted(windows, key=lambda w: (w[1], w[2]))]
    return found


def _set_certificates(caregiver: Caregiver, certificates: list[dict]) -> None:
    for row in list(caregiver.certificates):
        db.session.delete(row)
    db.session.flush()
    db.session.expire(caregiver, ["certificates"])
    for cert in certificates:
        db.session.add(Certificate(caregiver_id=caregiver.id, kind=cert["kind"], level=cert.get("level") or None,
                                   expires_on=cert["expires_on"]))


def _set_availability(caregiver: Caregiver, windows: list[tuple]) -> None:
    for row in list(caregiver.availability):
        db.session.delete(row)
    db.session.flush()
    db.session.expire(caregiver, ["availability"])
    for weekday, start, end in windows:
        db.session.add(Availability(caregiver_id=caregiver.id, weekday=weekday, start_time=start, end_time=end))


def _describe(caregiver: Caregiver) -> dict:
    return {"categories": [c.code for c in caregiver.categories], "daily_limit": caregiver.daily_limit,
            "active": caregiver.active,
            "certificates": [{"kind": c.kind, "expires_on": c.expires_on.isoformat()} for c in caregiver.certificates],
            "availability": len(caregiver.availability)}


def add_caregiver(actor: User, provider: Provider, fields: dict) -> Caregiver:
    """Give a caregiver a login and put them on the roster; without a rota they work every day 08:00-18:00."""
    require_own_admin(actor, provider)
    fields = dict(fields)
    fields.setdefault("categories", [])
    fields.setdefault("certificates", [])
    if fields.get("availability") is None:
        fields["availability"] = DEFAULT_AVAILABILITY
    if fields.get("daily_limit") is None:
        fields["daily_limit"] = DEFAULT_DAILY_LIMIT
    name = (fields.get("name") or "").strip()
    errors: dict = {}
    if not name:
        errors["name"] = [_l("Give the caregiver's name.")]
    found = _check(provider, fields, errors)
    if errors:
        raise Invalid(_l("The caregiver's details are not valid."), errors)
    phone = (fields.get("phone") or "").strip() or None
    user = create_user(username=fields.get("username") or "", password=fields.get("password") or "",
                       role="caregiver", phone=phone, display_name=name, provider_id=provider.id, actor=actor)
    caregiver = Caregiver(provider_id=provider.id, user_id=user.id, name=name, phone=phone,
                          daily_limit=fields["daily_limit"], active=True)
    caregiver.categories = found["categories"]
    db.session.add(caregiver)
    db.session.flush()
    _set_certificates(caregiver, found["certificates"])
    _set_availability(caregiver, found["availability"])
    db.session.flush()
    record("caregiver.added", caregiver, actor=actor, provider_id=provider.id, user_id=user.id,
           **_describe(caregiver))
    return caregiver


def update_caregiver(actor: User, caregiver: Caregiver, changes: dict) -> Caregiver:
    """Change a caregiver's status, daily limit, categories, or replace their certificates or rota."""
    provider = caregiver.provider
    require_own_admin(actor, provider)
    changes = {k: v for k, v in changes.items()
               if k in ("active", "daily_limit", "categories", "certificates", "availability", "name", "phone")}
    errors: dict = {}
    if "name" in changes and not (changes["name"] or "").strip():
        errors["name"] = [_l("Give the caregiver's name.")]
    found = _check(provider, changes, errors)
    if "phone" in changes and changes["phone"]:
        if not MOBILE_RE.match(changes["phone"]):
            errors["phone"] = [_l("A mainland mobile number has 11 digits and starts with 13 to 19.")]
    if errors:
        raise Invalid(_l("The caregiver's details are not valid."), errors)
    before = _describe(caregiver)
    if "active" in changes and changes["active"] is not None:
        caregiver.active = bool(changes["active"])
    if "daily_limit" in changes:
        caregiver.daily_limit = changes["daily_limit"]
    if "name" in changes:
        caregiver.name = changes["name"].strip()
    if "phone" in changes:
        caregiver.phone = changes["phone"] or None
    if "categories" in changes:
        caregiver.categories = found["categories"]
    if "certificates" in changes:
        _set_certificates(caregiver, found["certificates"])
    if "availability" in changes:
        _set_availability(caregiver, found["availability"])
    db.session.flush()
    db.session.expire(caregiver, ["certificates", "availability"])
    record("caregiver.updated", caregiver, actor=actor, provider_id=provider.id, before=before,
           after=_describe(caregiver))
    return caregiver


def get_caregiver(provider: Provider, caregiver_id: int) -> Caregiver:
    """The provider's caregiver, or NotFound."""
    caregiver = db.session.scalar(select(Caregiver).where(Caregiver.id == caregiver_id,
                                                          Caregiver.provider_id == provider.id))
    if caregiver is None:
        raise NotFound(_l("No such caregiver."))
    return caregiver


def category_choices() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)))
