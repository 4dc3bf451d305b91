"""The elder registry: registration and edits with the rules that make a record trustworthy, family links,
elders' own logins, and looking at whole personal data (which is always logged)."""
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..accounts.models import User
from ..accounts.services import MOBILE_RE as MOBILE
from ..accounts.services import create_user
from ..audit.services import record
from ..db import utcnow
from ..errors import Conflict, Forbidden, Invalid, invalid
from ..extensions import db
from ..geo import CHINA_LAT, CHINA_LNG
from ..regions.models import Region
from ..sealed import ID_LAST4, ID_LAST6, ID_NUMBER, lookup
from . import idnumber
from .masking import mask_phone
from .models import Elder, FamilyLink
from .registry import elder_registered, eligibility_may_have_changed
from .scope import officer_covers

MIN_AGE = 60
REGISTERING_ROLES = ("operator", "bureau", "family", "admin")
EDITABLE = ("name", "phone", "address", "community_id", "lat", "lng", "hardship", "hardship_since",
            "hardship_source", "lives_alone", "emergency_contacts")


def id_number_search(term: str):
    """The condition that finds elders by a whole ID number or its last six or last four characters. The number
    is sealed (sealed.py), so these are the lookups there are: each matches its keyed hash."""
    term = term.strip().upper()
    column = {18: (Elder.id_number_hash, ID_NUMBER), 6: (Elder.id_last6_hash, ID_LAST6),
              4: (Elder.id_last4_hash, ID_LAST4)}.get(len(term))
    if column is None:
        return false()
    return column[0] == lookup(column[1], term)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _check(fields: dict, *, today: date | None = None) -> dict[str, list[str]]:
    """Every rule broken by a complete set of elder fields, by field name."""
    today = today or clock.today()
    errors: dict[str, list[str]] = {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    number, birth = fields["id_number"], fields["birth_date"]
    if len(number) != 18:
        fail("id_number", _l("A resident ID number has 18 characters."))
    elif not idnumber.ascii_digits(number[:17]) or number[17] not in "0123456789X":
        fail("id_number", _l("A resident ID number is 17 digits and a digit or X."))
    elif idnumber.check_digit(number[:17]) != number[17]:
        fail("id_number", _l("The check digit is wrong: the number was mistyped."))
    else:
        try:
            embedded = idnumber.birth_date_of(number)
        except ValueError:
            fail("id_number", _l("The birth date inside the ID number is not a real date."))
        else:
            if embedded != birth:
                fail("id_number", _l("The ID number says born %(embedded)s, not %(given)s.",
                                     embedded=embedded.isoformat(), given=birth.isoformat()))
            elif idnumber.gender_of(number) != fields["gender"]:
                fail("gender", _l("The gender does not match the ID number."))
    if birth > today:
        fail("birth_date", _l("The birth date is in the future."))
    elif age_on(birth, today) < MIN_AGE:
        fail("birth_date", _l("Elders are %(age)d or older.", age=MIN_AGE))
    phone = fields.get("phone")
    if phone and not MOBILE.match(phone):
        fail("phone", _l("A mainland mobile number has 11 digits and starts with 13 to 19."))
    if not CHINA_LAT[0] <= fields["lat"] <= CHINA_LAT[1]:
        fail("lat", _l("The home is not in China: latitude must be from 3.8 to 53.6."))
    if not CHINA_LNG[0] <= fields["lng"] <= CHINA_LNG[1]:
        fail("lng", _l("The home is not in China: longitude must be from 73.5 to 135.1."))
    community = db.session.get(Region, fields["community_id"])
    if community is None or community.level != "community":
        fail("community_id", _l("No such community."))
    if fields.get("hardship", "none") != "none" and not fields.get("hardship_since"):
        fail("hardship_since", _l("Give the date the hardship status took effect."))
    elif fields.get("hardship_since") and fields["hardship_since"] > today:
        fail("hardship_since", _l("The date is in the future."))
    for i, contact in enumerate(fields.get("emergency_contacts") or []):
        if contact.get("phone") and not MOBILE.match(contact["phone"]) and not re.match(
                r"^0[0-9]{2,3}-?[0-9]{7,8}\Z", contact["phone"]):  # ASCII digits: `\d` takes any script's
            fail(f"emergency_contacts.{i}.phone", _l("Not a mainland mobile or landline number."))
    return errors


def _normalise(fields: dict) -> dict:
    fields = dict(fields)
    if isinstance(fields.get("id_number"), str):
        fields["id_number"] = fields["id_number"].strip().upper()
    if isinstance(fields.get("name"), str):
        fields["name"] = fields["name"].strip()
    if fields.get("hardship") == "none":
        fields["hardship_since"] = fields["hardship_source"] = None
    return fields


def register_elder(actor: User, fields: dict, *, relation: str | None = None) -> Elder:
    """Register an elder. Officers register in their own region; a family account registers its own relative
    and is linked to them."""
    if actor.role not in REGISTERING_ROLES:
        raise Forbidden(_l("Your role cannot register elders."))
    family = actor.role == "family"
    claimed = None
    if family and fields.get("hardship", "none") != "none":
        # Hardship raises the voucher tier: it comes from the civil-affairs roster or an officer who has seen
        # the papers, never from the family's word. The claim is not refused (the rest of the registration is
        # good) but kept only in the log, for the officer who checks the record; the answer shows "none".
        claimed = {k: _plain(fields.get(k)) for k in ("hardship", "hardship_since", "hardship_source")}
        fields = fields | {"hardship": "none"}
    fields = _normalise(fields)
    errors = _check(fields)
    if not errors and not family and not officer_covers(actor, fields["community_id"]):
        errors["community_id"] = [_l("This community is outside your region.")]
    if family and not relation:
        errors["relation"] = [_l("Say how you are related to the elder.")]
    if errors:
        raise Invalid(_l("The elder's details are not valid."), errors)
    number_hash = lookup(ID_NUMBER, fields["id_number"])
    if db.session.scalar(select(Elder.id).where(Elder.id_number_hash == number_hash)) is not None:
        raise _duplicate(actor)
    elder = Elder(**fields)
    if family:
        elder.verification_pending = True
    else:
        elder.verified_at, elder.verified_by_id = utcnow(), actor.id
    db.session.add(elder)
    try:
        db.session.flush()
    except IntegrityError:  # registered by someone else a moment ago; the refusal ends the request's transaction
        raise _duplicate(actor) from None
    if family:
        db.session.add(FamilyLink(elder_id=elder.id, user_id=actor.id, relation=relation))
    record("elder.registered", elder, actor=actor, community_id=elder.community_id, hardship=elder.hardship,
           verification_pending=elder.verification_pending, hardship_claimed=claimed)
    elder_registered.send(elder, actor=actor)
    return elder


def _duplicate(actor: User) -> Conflict:
    """The answer to an ID number already in the registry. Officers are told plainly (they can see the record).
    A family account is not: anyone can sign up as family, and "already registered" would tell them who lives
    in the city. Its answer sends it to the community office without confirming anything about the number.
    (It still differs from a success: only a number already registered is refused, and the whole valid number
    with its birth date must be known to ask. Answering every family registration alike would mean no family
    could register online at all.)"""
    if actor.role != "family":
        return Conflict(_l("This ID number is already registered."), {"id_number": [_l("Already registered.")]})
    message = _l("This elder cannot be registered online. Please ask your community office, who will check the "
                 "details and link your account to the elder.")
    return Conflict(message, {"id_number": [message]})


def verify_elder(actor: User, elder: Elder, *, via: str = "check") -> Elder:
    """An officer of the elder's region has checked a record a family registered (identity, address, papers):
    from now on the elder may get vouchers."""
    if actor.role not in ("operator", "bureau", "admin") or not officer_covers(actor, elder.community_id):
        raise Forbidden(_l("Only officers of the elder's region can verify the record."))
    if not elder.verification_pending:
        raise Conflict(_l("The record is already verified."), {"elder": [_l("Already verified.")]})
    elder.verification_pending = False
    elder.verified_at, elder.verified_by_id = utcnow(), actor.id
    db.session.flush()
    record("elder.verified", elder, actor=actor, via=via)
    eligibility_may_have_changed.send(elder, actor=actor)
    return elder


def update_elder(actor: User, elder: Elder, changes: dict) -> Elder:
    """Edit what may change after registration; the ID number and birth date are fixed (a mistake there
    means a new registration by the bureau). The log keeps old and new values."""
    if not (officer_covers(actor, elder.community_id)):
        raise Forbidden(_l("Only officers of the elder's region can edit the record."))
    changes = _normalise({k: v for k, v in changes.items() if k in EDITABLE})
    merged = {c: getattr(elder, c) for c in ("id_number", "birth_date", "gender", *EDITABLE)} | changes
    errors = _check(merged)
    if "community_id" in changes and not errors and not officer_covers(actor, changes["community_id"]):
        errors["community_id"] = [_l("This community is outside your region.")]
    if errors:
        raise Invalid(_l("The elder's details are not valid."), errors)
    before = {k: _logged(k, getattr(elder, k)) for k in changes if getattr(elder, k) != changes[k]}
    for key, value in changes.items():
        setattr(elder, key, value)
    if before:
        db.session.flush()
        if {"hardship", "hardship_since", "community_id"} & set(before):
            eligibility_may_have_changed.send(elder, actor=actor)
        record("elder.updated", elder, actor=actor, before=before,
               after={k: _logged(k, changes[k]) for k in before})
    return elder


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def _logged(key: str, value):
    """A value as the audit log keeps it: phones masked, since the elder's are sealed in their table."""
    if key == "phone":
        return mask_phone(value)
    if key == "emergency_contacts":
        return [dict(c, phone=mask_phone(c.get("phone"))) for c in value or []]
    return _plain(value)


def reveal(actor: User, elder: Elder, reason: str | None) -> None:
    """Allow and log one look at the whole ID number and phone. Only officers in scope, and only with a reason."""
    if actor.role not in ("bureau", "operator") or not officer_covers(actor, elder.community_id):
        raise Forbidden(_l("Only bureau officers and operators of the elder's region may see whole personal data."))
    if not reason or not reason.strip():
        raise invalid("reason", _l("Say why you need the whole ID number and phone."))
    record("elder.personal_data_revealed", elder, actor=actor, reason=reason.strip()[:200])


def link_family(actor: User, elder: Elder, user_id: int, relation: str) -> FamilyLink:
    """Let a family account see and act for the elder."""
    if actor.role not in ("bureau", "operator", "admin") or not officer_covers(actor, elder.community_id):
        raise Forbidden(_l("Only officers of the elder's region can link family."))
    user = db.session.get(User, user_id)
    if user is None or user.role != "family":
        raise invalid("user_id", _l("No family account with this id."))
    if not relation or not relation.strip():
        raise invalid("relation", _l("Say how they are related."))
    if db.session.scalar(select(FamilyLink.id).where(FamilyLink.elder_id == elder.id,
                                                     FamilyLink.user_id == user_id)) is not None:
        raise Conflict(_l("This family account is already linked."), {"user_id": [_l("Already linked.")]})
    link = FamilyLink(elder_id=elder.id, user_id=user_id, relation=relation.strip())
    db.session.add(link)
    db.session.flush()
    record("elder.family_linked", elder, actor=actor, user_id=user_id, relation=link.relation)
    return link


def create_elder_login(actor: User, elder: Elder, username: str, password: str) -> User:
    """Give the elder a login of their own."""
    if not officer_covers(actor, elder.community_id):
        raise Forbidden(_l("Only officers of the elder's region can create the elder's login."))
    if elder.user_id is not None:
        raise Conflict(_l("This elder already has a login."), {"username": [_l("The elder already has a login.")]})
    user = create_user(username=username, password=password, role="elder", display_name=elder.name,
                       phone=elder.phone, actor=actor)
    elder.user_id = user.id
    db.session.flush()
    record("elder.login_created", elder, actor=actor, user_id=user.id)
    return user
