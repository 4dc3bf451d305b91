"""Registry events and the elder's status. A death, a hospital admission or a move into a care institution
takes effect at once: the elder can no longer be booked for, and whatever else depends on the status (open
orders, vouchers) hears of it through `elder_status_changed` and acts in the same transaction."""
from datetime import date

from blinker import signal
from flask_babel import lazy_gettext as _l

from .. import clock
from ..accounts.models import User
from ..audit.services import record
from ..errors import Conflict, Forbidden, invalid
from ..extensions import db
from ..i18n import N_
from .models import STATUS_LABELS, Elder, ElderEvent, StatusChange
from .scope import officer_covers

# send(elder, from_status=..., to_status=..., reason=..., actor=...): subscribers cancel orders, suspend vouchers.
elder_status_changed = signal("elder-status-changed")
# send(elder, actor=...): the care level, hardship or status changed, so voucher eligibility may have; vouchers
# issue the month at once to an elder who has just become eligible.
eligibility_may_have_changed = signal("elder-eligibility-may-have-changed")
# send(elder, actor=...) once a new elder is in the registry: vouchers open the elder's account.
elder_registered = signal("elder-registered")

# kind -> (statuses it may follow, the status it leads to)
TRANSITIONS = {
    "death": (("active", "hospitalized", "institutionalized", "suspended"), "deceased"),
    "hospital_admission": (("active",), "hospitalized"),
    "hospital_discharge": (("hospitalized",), "active"),
    "institution_admission": (("active", "hospitalized"), "institutionalized"),
}
# Kept in the history in English, translated when shown.
REASONS = {
    "death": N_("Died"),
    "hospital_admission": N_("Admitted to hospital"),
    "hospital_discharge": N_("Discharged from hospital"),
    "institution_admission": N_("Moved into a care institution"),
}


def record_event(actor: User | None, elder: Elder, kind: str, occurred_on: date, note: str | None = None,
                 *, imported: bool = False, today: date | None = None) -> ElderEvent:
    """Record the event and change the elder's status at once. `imported`: from a bulk file run by the
    system's operators on the command line, where no person's region applies. `today` is Beijing's date
    unless given: a death at 03:00 Beijing time happened today even where the server's date is yesterday."""
    if not imported and not officer_covers(actor, elder.community_id):
        raise Forbidden(_l("Only officers of the elder's region can record registry events."))
    if kind not in TRANSITIONS:
        raise invalid("kind", _l("Must be one of: %(choices)s.", choices=", ".join(TRANSITIONS)))
    if occurred_on > (today or clock.today()):
        raise invalid("occurred_on", _l("The date is in the future."))
    if occurred_on < elder.birth_date:
        raise invalid("occurred_on", _l("The date is before the elder was born."))
    allowed_from, to_status = TRANSITIONS[kind]
    if elder.status not in allowed_from:
        message = _l("Not possible while the elder is %(status)s.", status=STATUS_LABELS[elder.status])
        raise Conflict(message, {"kind": [message]})
    event = ElderEvent(elder_id=elder.id, kind=kind, occurred_on=occurred_on, note=note,
                       recorded_by_id=getattr(actor, "id", None))
    db.session.add(event)
    db.session.flush()
    change_status(elder, to_status, reason=REASONS[kind], actor=actor, event=event)
    record("elder.event_recorded", elder, actor=actor, kind=kind, occurred_on=occurred_on.isoformat(), note=note)
    return event


def change_status(elder: Elder, to_status: str, *, reason: str, actor: User | None, event: ElderEvent | None = None):
    """Move the elder to `to_status`, keep the history, and tell the subscribers."""
    from_status = elder.status
    elder.status = to_status
    db.session.add(StatusChange(elder_id=elder.id, from_status=from_status, to_status=to_status, reason=reason,
                                event_id=event.id if event else None, actor_id=actor.id if actor else None))
    db.session.flush()
    record("elder.status_changed", elder, actor=actor, before=from_status, after=to_status, reason=reason)
    elder_status_changed.send(elder, from_status=from_status, to_status=to_status, reason=reason, actor=actor)
    eligibility_may_have_changed.send(elder, actor=actor)


def ensure_bookable(elder: Elder) -> None:
    """Raise Conflict unless care can be booked for the elder now. Booking calls this first."""
    if not elder.bookable:
        message = _l("The elder is %(status)s: no care can be booked.", status=STATUS_LABELS[elder.status])
        raise Conflict(message, {"elder_id": [message]})
