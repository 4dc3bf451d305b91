"""Anomaly findings and the audit cases they open: open → reviewed → cleared or confirmed, each step with who,
when and a note. A confirmed case gives the elder back exactly the voucher fen its order captured for the
provider, through the ledger's one call; until a case is cleared its order is held back from settlement
(`open_case_reasons`).

A finding is one rule broken by one order (unique per rule and order, so a rescan adds none twice). Findings
about the same order share one case: the order is what the bureau clears or confirms."""
from dataclasses import replace
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from .. import clock, sql
from ..db import UTCDateTime, utcnow
from ..errors import Conflict, invalid
from ..extensions import db
from ..orders.models import WorkOrder
from ..orders.scope import visible_condition as order_visible
from ..vouchers import holds, ledger
from ..vouchers.models import LedgerTransaction
from .services import event, record, record_many

CASE_STATUSES = ("open", "reviewed", "cleared", "confirmed")
CLOSED = ("cleared", "confirmed")
DECISIONS = {"review": "reviewed", "clear": "cleared", "confirm": "confirmed"}
SEVERITIES = ("high", "medium", "low")
AUDIT_REVERSAL_MEMO = "Audit case confirmed: vouchers returned"
AUDIT_CLAWBACK_MEMO = "Audit case confirmed after settlement: vouchers returned, deducted from the next statement"

SEVERITY_LABELS = {"high": _l("high"), "medium": _l("medium"), "low": _l("low")}
CASE_STATUS_LABELS = {"open": _l("open"), "reviewed": _l("reviewed"), "cleared": _l("cleared"),
                      "confirmed": _l("confirmed")}


class Finding(db.Model):
    """One anomaly rule broken by one order, with the facts its explanation is read out from."""

    __tablename__ = "audit_findings"
    __table_args__ = (UniqueConstraint("rule", "order_id", name="uq_audit_findings_rule_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(30), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order = relationship(WorkOrder)
    case: Mapped["AuditCase"] = relationship(
        primaryjoin=lambda: foreign(Finding.order_id) == AuditCase.order_id, viewonly=True, uselist=False)

    @property
    def explanation(self) -> str:
        return explain(self.rule, self.facts)

    @property
    def case_status(self) -> str | None:
        return self.case.status if self.case else None

    @property
    def provider_id(self) -> int | None:
        return self.order.provider_id


class AuditCase(db.Model):
    """The bureau's case about one order, opened by its first finding."""

    __tablename__ = "audit_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What a confirmation gave back to the elder from the provider's payable (the captured fen, or 0).
    reversed_fen: Mapped[int] = mapped_column(default=0)

    order = relationship(WorkOrder)
    steps: Mapped[list["CaseStep"]] = relationship(back_populates="case", order_by="CaseStep.id")
    findings: Mapped[list[Finding]] = relationship(
        primaryjoin=lambda: foreign(Finding.order_id) == AuditCase.order_id, viewonly=True, order_by=Finding.id)


class CaseStep(db.Model):
    """One step of a case: opened by a scan, reviewed, cleared, confirmed or reopened; who, when and why."""

    __tablename__ = "audit_case_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("audit_cases.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(400))

    case: Mapped[AuditCase] = relationship(back_populates="steps")
    actor = relationship("User")


# Opening cases (the scan calls this with the findings it has just written)


def open_cases(order_ids: list[int], *, actor_id: int | None, note: str, now: datetime | None = None) -> int:
    """A case for each order that has none; a cleared case whose order has a new finding opens again (a
    confirmed one stays confirmed). Set-based: a few statements for any number of orders. Returns the cases
    opened or reopened."""
    order_ids = sorted(set(order_ids))
    if not order_ids:
        return 0
    now = now or clock.now()
    table, steps = AuditCase.__table__, CaseStep.__table__
    new = sql.insert_rows(table, [dict(order_id=o, status="open", opened_at=now, reversed_fen=0) for o in order_ids],
                          returning=("id", "order_id"), conflict=["order_id"])
    reopened = []
    for chunk in sql.chunks(order_ids):
        reopened += db.session.execute(select(table.c.id, table.c.order_id).where(
            sql.any_of(table.c.order_id, chunk), table.c.status == "cleared")).all()
    if reopened:
        ids = [case_id for case_id, _ in reopened]
        for chunk in sql.chunks(ids):
            db.session.execute(table.update().where(sql.any_of(table.c.id, chunk)).values(status="open"))
    rows = [dict(case_id=c, from_status=None, to_status="open", actor_id=actor_id, at=now, note=note) for c, _ in new]
    rows += [dict(case_id=c, from_status="cleared", to_status="open", actor_id=actor_id, at=now,
                  note=f"Reopened: {note}") for c, _ in reopened]
    sql.insert_rows(steps, rows)
    record_many([event("audit.case_opened", target_type="audit_cases", target_id=c, actor_id=actor_id, at=now,
                       order_id=o, reopened=False) for c, o in new]
                + [event("audit.case_opened", target_type="audit_cases", target_id=c, actor_id=actor_id, at=now,
                         order_id=o, reopened=True) for c, o in reopened])
    _expire_loaded(AuditCase)
    return len(new) + len(reopened)


def _expire_loaded(model) -> None:
    for key, obj in list(db.session.identity_map.items()):
        if key[0] is model:
            db.session.expire(obj)


# Who sees what: a bureau officer the findings about orders of elders in their region


def visible_condition(user):
    """A WHERE clause on Finding for the findings `user` may see (the orders they may see)."""
    return Finding.order_id.in_(select(WorkOrder.id).where(order_visible(user)))


def visible_finding(finding_id: int, user) -> Finding:
    from ..errors import NotFound

    finding = db.session.scalar(select(Finding).where(Finding.id == finding_id, visible_condition(user)))
    if finding is None:
        raise NotFound(_l("No such finding."))
    return finding


def visible_case(case_id: int, user) -> AuditCase:
    from ..errors import NotFound

    case = db.session.scalar(select(AuditCase).where(
        AuditCase.id == case_id, AuditCase.order_id.in_(select(WorkOrder.id).where(order_visible(user)))))
    if case is None:
        raise NotFound(_l("No such case."))
    return case


# The case flow


def decide(actor, case: AuditCase, *, decision: str, note: str | None) -> AuditCase:
    """One step of a case: `review` (open → reviewed), `clear` or `confirm` (open or reviewed → closed). A
    confirmation gives the elder back what the order's capture moved to the provider, exactly, through the
    ledger; a closed case answers 409."""
    if decision not in DECISIONS:
        raise invalid("decision", _l("Must be review, clear or confirm."))
    note = (note or "").strip()
    if not note:
        raise invalid("note", _l("Say what you found."))
    # The case's row locked, so two officers deciding at once are served one after the other; then its order's
    # (as approval locks a statement's orders), so a confirmation and an approval see each other's outcome.
    db.session.execute(sql.locked(select(AuditCase.id).where(AuditCase.id == case.id)))
    db.session.execute(sql.locked(select(WorkOrder.id).where(WorkOrder.id == case.order_id)))
    db.session.refresh(case)
    db.session.refresh(case.order)
    to_status = DECISIONS[decision]
    if case.status in CLOSED or (decision == "review" and case.status != "open"):
        message = _l("This case is %(status)s already.", status=CASE_STATUS_LABELS.get(case.status, case.status))
        raise Conflict(message, {"decision": [message]})
    from_status, now = case.status, clock.now()
    case.status = to_status
    db.session.add(CaseStep(case_id=case.id, from_status=from_status, to_status=to_status, actor_id=actor.id,
                            at=now, note=note[:400]))
    reversed_fen = 0
    if to_status == "confirmed":
        reversed_fen = _reverse_capture(case, actor)
        case.reversed_fen = reversed_fen
    db.session.flush()
    record(f"audit.case_{to_status}", case, actor=actor, order_id=case.order_id, note=note[:400],
           reversed_fen=reversed_fen)
    return case


def captured_fen(order_id: int) -> int:
    """What the order's capture moved to the provider and no reversal has given back yet."""
    kinds = dict(db.session.execute(
        select(LedgerTransaction.kind, func.sum(LedgerTransaction.amount_fen))
        .where(LedgerTransaction.order_id == order_id, LedgerTransaction.kind.in_(("capture", "reversal")))
        .group_by(LedgerTransaction.kind)).all())
    return max(int(kinds.get("capture") or 0) - int(kinds.get("reversal") or 0), 0)


def _reverse_capture(case: AuditCase, actor) -> int:
    """The elder's vouchers back: the captured fen, once (the reversal's key is the order's, so a dispute's
    reversal and an audit's are one and the same movement). From the provider's payable while the order is not
    settled; from its paid account once it is (the statement approved, the provider paid), with a deduction for
    the provider's next statement, so the bureau withholds what it paid for the order."""
    order = case.order
    fen = captured_fen(order.id)
    if fen <= 0:
        return 0
    settled = order.status == "settled"
    source = ("provider_paid" if settled else "provider_payable", order.provider_id)
    ids = ledger.accounts([source, ("elder_available", order.elder_id)])
    movement = holds.reversal_movement(order.id, order.elder_id, fen, ids[source],
                                       ids["elder_available", order.elder_id], getattr(actor, "id", None))
    posted = ledger.post_many([replace(movement, memo=AUDIT_CLAWBACK_MEMO if settled else AUDIT_REVERSAL_MEMO)]).posted
    if not posted:
        return 0
    if settled:
        from ..settlement.deductions import deduct

        deduct(order, fen, case_id=case.id, reason=f"Audit case {case.id} confirmed after settlement")
    return fen


# For settlement


def open_case_reasons(order_ids) -> dict[int, tuple[str, dict]]:
    """{order id: (why it is held back, the facts of it)} for the orders an audit case holds out of settlement:
    an open or reviewed case (not decided yet) or a confirmed one (its vouchers went back to the elder). Cleared
    cases hold nothing."""
    order_ids = sorted(set(order_ids))
    reasons: dict[int, tuple[str, dict]] = {}
    for chunk in sql.chunks(order_ids):
        for order_id, case_id, status in db.session.execute(
                select(AuditCase.order_id, AuditCase.id, AuditCase.status)
                .where(sql.any_of(AuditCase.order_id, chunk), AuditCase.status != "cleared")):
            reasons[order_id] = (f"Audit case {case_id} confirmed: vouchers returned to the elder"
                                 if status == "confirmed" else f"Audit case {case_id} is {status}",
                                 dict(case_id=case_id, case_status=status))
    return reasons


# Explanations, read out in the reader's language from the facts a rule stored


def _when(text: str | None, pattern: str = "%m-%d %H:%M") -> str:
    if not text:
        return ""
    return clock.local(datetime.fromisoformat(text)).strftime(pattern)


def _yuan(fen) -> str:
    return f"{int(fen) // 100:,}.{int(fen) % 100:02d}"


def _day(text: str | None) -> str:
    return date.fromisoformat(text).isoformat() if text else ""


def masked_name(name: str | None) -> str:
    """护理员张某: the surname and 某, as a finding is read out."""
    return (name[:1] + "某") if name else "?"


def explain(rule: str, f: dict) -> str:
    """The finding as a sentence a person can read out, in the current language."""
    if rule == "overlap":
        return _("Caregiver %(name)s was in two elders' homes at once, %(start)s–%(end)s (the other visit is "
                 "order %(other)s).", name=masked_name(f.get("caregiver")), start=_when(f.get("start")),
                 end=_when(f.get("end"), "%H:%M"), other=f.get("other_order_id"))
    if rule == "far_from_home":
        return _("Checked in %(check_in)s m and checked out %(check_out)s m from the elder's home; more than "
                 "%(limit)s m is too far.", check_in=f.get("check_in_m", "-"), check_out=f.get("check_out_m", "-"),
                 limit=f.get("limit_m"))
    if rule == "too_short":
        return _("The visit lasted %(minutes)s minutes, less than half of the %(booked)s minutes booked.",
                 minutes=f.get("minutes"), booked=f.get("booked_minutes"))
    if rule == "too_long":
        return _("The visit lasted %(hours)s hours, longer than %(limit)s hours.", hours=f.get("hours"),
                 limit=f.get("limit_hours"))
    if rule == "after_death":
        return _("Visit on %(day)s, on or after the elder's death on %(death)s.", day=_when(f.get("check_in"),
                                                                                          "%Y-%m-%d"),
                 death=_day(f.get("death_on")))
    if rule == "in_hospital":
        if f.get("until"):
            return _("Visit on %(day)s while the elder was in hospital (admitted %(admitted)s, out %(until)s).",
                     day=_when(f.get("check_in"), "%Y-%m-%d"), admitted=_day(f.get("admitted_on")),
                     until=_day(f.get("until")))
        return _("Visit on %(day)s while the elder was in hospital (admitted %(admitted)s, not discharged).",
                 day=_when(f.get("check_in"), "%Y-%m-%d"), admitted=_day(f.get("admitted_on")))
    if rule == "impossible_travel":
        return _("Caregiver %(name)s left order %(other)s at %(left)s and checked in here %(km)s km away at "
                 "%(arrived)s: %(speed)s km/h, faster than a car (%(limit)s km/h).",
                 name=masked_name(f.get("caregiver")), other=f.get("other_order_id"), left=_when(f.get("left")),
                 km=f.get("km"), arrived=_when(f.get("arrived"), "%H:%M"), speed=f.get("speed_kmh"),
                 limit=f.get("limit_kmh"))
    if rule == "future_time":
        return _("The %(field)s time %(at)s was in the future when scanned at %(scanned)s.",
                 field=_(FUTURE_FIELDS.get(f.get("field"), f.get("field") or "")),
                 at=_when(f.get("at"), "%Y-%m-%d %H:%M"), scanned=_when(f.get("scanned_at"), "%Y-%m-%d %H:%M"))
    if rule == "spend_spike":
        return _("%(provider)s had spent ¥%(spent)s of vouchers in %(month)s by this order, more than %(factor)s "
                 "times its monthly mean of ¥%(mean)s over the previous %(months)s months.",
                 provider=f.get("provider"), spent=_yuan(f.get("spent_fen", 0)), month=f.get("month"),
                 factor=f.get("factor"), mean=_yuan(f.get("mean_fen", 0)), months=f.get("months"))
    if rule == "frequent_booking":
        return _("Visit %(n)s of %(item)s for this elder in %(month)s; usually about %(usual)s a month.",
                 n=f.get("n"), item=f.get("item"), month=f.get("month"), usual=f.get("usual"))
    if rule == "certificate_expired":
        if f.get("expires_on"):
            return _("Caregiver %(name)s's certificate (%(kind)s) expired on %(expired)s, before this visit on "
                     "%(day)s.", name=masked_name(f.get("caregiver")), kind=_(CERTIFICATE_NAMES.get(f.get("kind"),
                                                                                                  "")),
                     expired=_day(f.get("expires_on")), day=_when(f.get("check_in"), "%Y-%m-%d"))
        return _("Caregiver %(name)s has no certificate (%(kind)s) for this visit on %(day)s.",
                 name=masked_name(f.get("caregiver")), kind=_(CERTIFICATE_NAMES.get(f.get("kind"), "")),
                 day=_when(f.get("check_in"), "%Y-%m-%d"))
    if rule == "meal_at_two_points":
        return _("The elder was served %(meal)s on %(day)s at %(point)s and also at %(other_point)s (order "
                 "%(other)s).", meal=_(MEAL_NAMES.get(f.get("slot"), f.get("slot") or "")), day=_day(f.get("day")),
                 point=f.get("point"), other_point=f.get("other_point"), other=f.get("other_order_id"))
    return rule


MEAL_NAMES = {"breakfast": "breakfast", "lunch": "lunch", "supper": "supper"}
FUTURE_FIELDS = {"check_in": "check-in", "check_out": "check-out", "confirmed": "confirmation"}
CERTIFICATE_NAMES = {"elderly_care": "elderly-care worker", "nurse": "nurse", "health": "health certificate",
                     "rehab_therapist": "rehabilitation therapist", "driver": "driver"}
