"""Recording ability assessments. The scoring itself is in assessment.py; here are who may assess, the
12-month rule, and keeping the elder's current care level in step with the latest assessment."""
from datetime import date

from flask_babel import lazy_gettext as _l

from .. import clock
from ..accounts.models import User
from ..audit.services import record
from ..errors import Forbidden, Invalid, invalid
from ..extensions import db
from .assessment import score
from .models import ASSESSMENT_REASONS, Assessment, Elder
from .registry import eligibility_may_have_changed
from .scope import officer_covers

DIAGNOSES = ("coma", "dementia", "mental_disorder")


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: its anniversary is 28 February
        return day.replace(year=day.year + 1, day=28)


def record_assessment(actor: User, elder: Elder, *, assessed_on: date, reason: str, items: dict,
                      diagnoses: dict | None = None, risk_events_30d: int = 0, today: date | None = None) -> Assessment:
    """Score and keep an assessment by `actor`; the elder's care level becomes its level.

    A second assessment within 12 months of the last is refused unless the elder's condition changed:
    assessments decide voucher tiers, and re-assessing until the level suits is what the rule prevents."""
    if not officer_covers(actor, elder.community_id):
        raise Forbidden(_l("Only officers of the elder's region can assess."))
    if reason not in ASSESSMENT_REASONS:
        raise invalid("reason", _l("Must be one of: %(choices)s.", choices=", ".join(ASSESSMENT_REASONS)))
    diagnoses = diagnoses or {}
    unknown = set(diagnoses) - set(DIAGNOSES)
    if unknown:
        allowed = _l("Must be one of: %(choices)s.", choices=", ".join(DIAGNOSES))
        raise Invalid(_l("Unknown diagnoses."), {f"diagnoses.{k}": [allowed] for k in sorted(unknown)})
    if assessed_on > (today or clock.today()):  # Beijing's date, not the server's
        raise invalid("assessed_on", _l("The date is in the future."))
    total, level = score(items, diagnoses, risk_events_30d)  # raises Invalid naming each bad item

    latest = elder.assessments[-1] if elder.assessments else None
    if latest is None and reason != "initial":
        raise invalid("reason", _l("The elder has never been assessed: this is the initial assessment."))
    if latest is not None:
        if reason == "initial":
            raise invalid("reason", _l("The elder was already assessed on %(day)s.",
                                       day=latest.assessed_on.isoformat()))
        if assessed_on < latest.assessed_on:
            raise invalid("assessed_on", _l("Earlier than the latest assessment (%(day)s).",
                                                day=latest.assessed_on.isoformat()))
        if assessed_on < one_year_after(latest.assessed_on) and reason != "condition_changed":
            raise invalid("reason", _l("The elder was assessed on %(day)s, less than 12 months ago: assess again "
                                       "only if the condition changed (condition_changed).",
                                       day=latest.assessed_on.isoformat()))
    if elder.verification_pending:  # registered by family: the assessor has now seen the elder in person
        from .services import verify_elder

        verify_elder(actor, elder, via="assessment")
    assessment = Assessment(elder=elder, assessed_on=assessed_on, reason=reason, items=dict(items),
                            diagnoses={k: bool(v) for k, v in diagnoses.items()}, risk_events_30d=risk_events_30d,
                            total_score=total, care_level=level, assessor_id=actor.id)
    db.session.add(assessment)
    before = elder.care_level
    elder.care_level = level
    db.session.flush()
    eligibility_may_have_changed.send(elder, actor=actor)
    record("elder.assessed", elder, actor=actor, assessment_id=assessment.id, reason=reason, total_score=total,
           care_level=level, previous_level=before)
    return assessment
