"""Sampled follow-up calls (回访): a random, reproducible sample of a provider's orders of a month, the call
centre's calls to the elders, the sample's failure rate with its Wilson 95% interval, and the deduction it
proposes for the provider's unreviewed orders, which the bureau confirms or rejects.

The draw: `random.Random(seed)` over the ids of the provider's confirmed and settled orders checked out in
the month (in the drawing officer's region), sorted by id, so the same seed over the same orders draws the same
sample on any machine. PERCENT of them (5% by default, as openIMIS samples claims), at least MIN_ORDERS, or
all when there are fewer.

The deduction applies the interval's LOWER bound: with 95% confidence (97.5% one-sided) the provider's true
failure rate is at least that, so the bureau deducts only what the calls prove; the point estimate would
overcharge a provider about half the time, the upper bound almost always."""
import math
import random
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock, sql
from ..clock import Month
from ..db import UTCDateTime, utcnow
from ..errors import Conflict, Forbidden, NotFound, invalid
from ..extensions import db
from ..orders.models import WorkOrder
from ..orders.scope import visible_condition as order_visible
from ..regions.services import below
from .findings import AuditCase
from .services import event, record, record_many

PERCENT = 5
MIN_ORDERS = 10
Z = 1.96  # 95%
SEED_LIMIT = 2**31 - 1
FRAME = ("confirmed", "settled")  # the orders a sample is drawn from
DEDUCTION_STATUSES = ("open", "confirmed", "rejected")


class FollowUpSample(db.Model):
    """A drawn sample of one provider's orders of one month, to be checked by calling the elders."""

    __tablename__ = "audit_samples"
    __table_args__ = (CheckConstraint("percent >= 1 AND percent <= 100", name="percent_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))  # the frame: orders of elders here
    percent: Mapped[int] = mapped_column(default=PERCENT)
    seed: Mapped[int]
    frame_size: Mapped[int] = mapped_column(default=0)  # the orders drawn from
    drawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deduction_status: Mapped[str] = mapped_column(String(10), default="open")
    deduction_fen: Mapped[int | None]  # fixed when the bureau decides
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(String(400))

    provider = relationship("Provider")
    orders: Mapped[list["SampleOrder"]] = relationship(order_by="SampleOrder.order_id")
    calls: Mapped[list["FollowUpCall"]] = relationship(order_by="FollowUpCall.id")

    @property
    def order_ids(self) -> list[int]:
        return [o.order_id for o in self.orders]


class SampleOrder(db.Model):
    __tablename__ = "audit_sample_orders"

    sample_id: Mapped[int] = mapped_column(ForeignKey("audit_samples.id"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"), primary_key=True)

    order = relationship(WorkOrder)


class FollowUpCall(db.Model):
    """One call to the elder about one sampled order: the script's answers, or not reached."""

    __tablename__ = "audit_follow_up_calls"
    __table_args__ = (CheckConstraint("satisfaction IS NULL OR (satisfaction >= 1 AND satisfaction <= 5)",
                                      name="satisfaction_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("audit_samples.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    reached: Mapped[bool]
    service_happened: Mapped[bool | None]  # on the day and at the time recorded
    asked_to_pay_extra: Mapped[bool | None]  # more than the co-pay
    satisfaction: Mapped[int | None]  # 1-5
    note: Mapped[str | None] = mapped_column(String(400))  # anything else
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    called_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def failed(self) -> bool:
        return bool(self.reached and (self.service_happened is False or self.asked_to_pay_extra is True))


# The draw


def sample_size(frame: int, percent: int) -> int:
    """PERCENT of the frame rounded up, at least MIN_ORDERS, at most the whole frame."""
    return min(frame, max(math.ceil(frame * percent / 100), MIN_ORDERS))


def draw_ids(frame_ids: list[int], percent: int, seed: int) -> list[int]:
    """The sample of `frame_ids` that `seed` draws (sorted), the same on every machine and run."""
    population = sorted(frame_ids)
    chosen = random.Random(seed).sample(population, sample_size(len(population), percent))  # nosec B311
    return sorted(chosen)  # reproducible by design: an auditor repeats the draw from the seed shown


def _frame(provider_id: int, month: Month, region_id: int | None):
    lo, hi = month.bounds()
    stmt = select(WorkOrder.id).where(WorkOrder.provider_id == provider_id, WorkOrder.status.in_(FRAME),
                                      WorkOrder.check_out_at >= lo, WorkOrder.check_out_at < hi)
    if region_id is not None:
        from ..elders.models import Elder

        stmt = stmt.where(WorkOrder.elder_id.in_(select(Elder.id).where(Elder.community_id.in_(below(region_id)))))
    return stmt


def draw(actor, *, provider_id: int, period: Month, percent: int = PERCENT, seed: int | None = None) -> FollowUpSample:
    """Draw a sample of the provider's confirmed and settled orders of `period` in the officer's region."""
    from ..providers.scope import visible_provider

    if actor.role == "bureau" and actor.scope_region_id is None:
        raise Forbidden(_l("Your account has no area."))
    provider = visible_provider(provider_id, actor)
    if not 1 <= percent <= 100:
        raise invalid("percent", _l("A percentage from 1 to 100."))
    if period > Month.current():
        raise invalid("period", _l("That month has not begun."))
    if seed is None:
        seed = secrets.randbelow(SEED_LIMIT)
    elif not 0 <= seed <= SEED_LIMIT:
        raise invalid("seed", _l("A whole number from 0 to 2147483647."))
    region_id = actor.scope_region_id if actor.role != "admin" else None
    frame = list(db.session.scalars(_frame(provider.id, period, region_id)))
    chosen = draw_ids(frame, percent, seed)
    sample = FollowUpSample(provider_id=provider.id, period=str(period), region_id=region_id, percent=percent,
                            seed=seed, frame_size=len(frame), drawn_by_id=actor.id, drawn_at=clock.now())
    db.session.add(sample)
    db.session.flush()
    sql.insert_rows(SampleOrder.__table__, [dict(sample_id=sample.id, order_id=o) for o in chosen])
    db.session.expire(sample, ["orders"])
    record("audit.sample_drawn", sample, actor=actor, provider_id=provider.id, period=str(period), percent=percent,
           seed=seed, frame=len(frame), drawn=len(chosen))
    return sample


# Who sees a sample


def visible_sample(sample_id: int, user) -> FollowUpSample:
    """A bureau officer sees the samples drawn in their region (or below it); an operator, the samples with an
    order of an elder in theirs (the call list); an admin all."""
    sample = db.session.get(FollowUpSample, sample_id)
    if sample is None or not _sees(user, sample):
        raise NotFound(_l("No such sample."))
    return sample


def _sees(user, sample: FollowUpSample) -> bool:
    if user.role == "admin":
        return True
    if user.scope_region_id is None:
        return False
    if user.role == "bureau":
        return sample.region_id is not None and sample.region_id in set(db.session.scalars(
            below(user.scope_region_id)))
    if user.role == "operator":
        return bool(callable_orders(user, sample))
    return False


def visible_samples(user):
    """A select of the samples `user` may see, newest first."""
    stmt = select(FollowUpSample).order_by(FollowUpSample.id.desc())
    if user.role == "admin":
        return stmt
    if user.role == "bureau" and user.scope_region_id is not None:
        return stmt.where(FollowUpSample.region_id.in_(below(user.scope_region_id)))
    if user.role == "operator" and user.scope_region_id is not None:
        mine = select(SampleOrder.sample_id).join(WorkOrder, WorkOrder.id == SampleOrder.order_id).where(
            order_visible(user))
        return stmt.where(FollowUpSample.id.in_(mine))
    return stmt.where(FollowUpSample.id.is_(None))


def callable_orders(user, sample: FollowUpSample) -> list[WorkOrder]:
    """The sample's orders whose elders `user` may call (their region's)."""
    return list(db.session.scalars(
        select(WorkOrder).join(SampleOrder, SampleOrder.order_id == WorkOrder.id)
        .where(SampleOrder.sample_id == sample.id, order_visible(user)).order_by(WorkOrder.id)))


# Calls


def record_call(actor, sample: FollowUpSample, *, order_id: int, reached: bool, service_happened: bool | None = None,
                asked_to_pay_extra: bool | None = None, satisfaction: int | None = None,
                note: str | None = None) -> FollowUpCall:
    """Record one call about a sampled order: the answers to the script, or that nobody was reached."""
    if actor.role not in ("operator", "bureau", "admin"):
        raise Forbidden(_l("Only the call centre and the bureau record follow-up calls."))
    if sample.deduction_status != "open":
        message = _l("The bureau has decided on this sample; no more calls are recorded.")
        raise Conflict(message, {"order_id": [message]})
    if order_id not in sample.order_ids:
        raise invalid("order_id", _l("This order is not in the sample."))
    if order_id not in {o.id for o in callable_orders(actor, sample)}:
        raise NotFound(_l("No such order."))
    errors = {}
    if reached:
        if service_happened is None:
            errors["service_happened"] = [_l("Ask whether the service happened on the day and time recorded.")]
        if asked_to_pay_extra is None:
            errors["asked_to_pay_extra"] = [_l("Ask whether anyone asked for more than the co-pay.")]
        if satisfaction is not None and not 1 <= satisfaction <= 5:
            errors["satisfaction"] = [_l("From 1 to 5.")]
    else:
        for name, value in (("service_happened", service_happened), ("asked_to_pay_extra", asked_to_pay_extra),
                            ("satisfaction", satisfaction)):
            if value is not None:
                errors[name] = [_l("Nobody was reached: leave the answers out.")]
    if errors:
        from ..errors import Invalid

        raise Invalid(_l("The call's answers are not complete."), errors)
    call = FollowUpCall(sample_id=sample.id, order_id=order_id, reached=reached,
                        service_happened=service_happened if reached else None,
                        asked_to_pay_extra=asked_to_pay_extra if reached else None,
                        satisfaction=satisfaction if reached else None, note=(note or "").strip()[:400] or None,
                        caller_id=actor.id, called_at=clock.now())
    db.session.add(call)
    db.session.flush()
    db.session.expire(sample, ["calls"])
    record("audit.follow_up_call", call, actor=actor, sample_id=sample.id, order_id=order_id, reached=reached,
           failed=call.failed)
    return call


# The result


def wilson(failed: int, n: int, z: float = Z) -> tuple[float, float] | tuple[None, None]:
    """Wilson's score interval for `failed` of `n`."""
    if n <= 0:
        return None, None
    p = failed / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Result:
    reviewed: int
    failed: int
    not_reached: int
    uncalled: int
    failure_rate: float | None
    ci_low: float | None
    ci_high: float | None
    unreviewed_orders: int
    unreviewed_fen: int
    proposed_deduction_fen: int


def outcomes(sample: FollowUpSample) -> dict[int, FollowUpCall]:
    """Each called order's outcome: its latest call that reached someone, else its latest call."""
    best: dict[int, FollowUpCall] = {}
    for call in sample.calls:  # in id order
        if call.reached or not (best.get(call.order_id) and best[call.order_id].reached):
            best[call.order_id] = call
    return best


def result(sample: FollowUpSample) -> Result:
    """The calls' tally, the failure rate with its Wilson interval, and the deduction it proposes: the lower
    bound times the voucher fen of the provider's orders of the month (same frame) that no call reviewed and no
    confirmed audit case has already given back, rounded down to the fen."""
    best = outcomes(sample)
    reached = [c for c in best.values() if c.reached]
    failed = sum(c.failed for c in reached)
    low, high = wilson(failed, len(reached))
    reviewed = {c.order_id for c in reached}
    frame = _frame(sample.provider_id, Month.parse(sample.period), sample.region_id).subquery()
    confirmed = select(AuditCase.order_id).where(AuditCase.status == "confirmed")
    count, fen = db.session.execute(
        select(func.count(WorkOrder.id), func.coalesce(func.sum(WorkOrder.voucher_fen), 0))
        .where(WorkOrder.id.in_(select(frame.c.id)), WorkOrder.id.not_in(confirmed),
               WorkOrder.id.not_in(reviewed) if reviewed else WorkOrder.id.is_not(None))).one()
    proposed = math.floor(low * int(fen)) if low is not None else 0
    return Result(reviewed=len(reached), failed=failed, not_reached=len(best) - len(reached),
                  uncalled=len(sample.order_ids) - len(best), failure_rate=failed / len(reached) if reached else None,
                  ci_low=low, ci_high=high, unreviewed_orders=int(count), unreviewed_fen=int(fen),
                  proposed_deduction_fen=proposed)


def decide(actor, sample: FollowUpSample, *, decision: str, note: str | None) -> FollowUpSample:
    """The bureau confirms the proposed deduction (fixed now, in fen) or rejects it; once."""
    if decision not in ("confirm", "reject"):
        raise invalid("decision", _l("Must be confirm or reject."))
    note = (note or "").strip()
    if not note:
        raise invalid("note", _l("Say why."))
    db.session.execute(sql.locked(select(FollowUpSample.id).where(FollowUpSample.id == sample.id)))
    db.session.refresh(sample)
    if sample.deduction_status != "open":
        message = _l("The deduction was decided already.")
        raise Conflict(message, {"decision": [message]})
    outcome = result(sample)
    sample.deduction_status = "confirmed" if decision == "confirm" else "rejected"
    sample.deduction_fen = outcome.proposed_deduction_fen if decision == "confirm" else 0
    sample.decided_by_id, sample.decided_at, sample.decision_note = actor.id, clock.now(), note[:400]
    db.session.flush()
    record_many([event(f"audit.deduction_{sample.deduction_status}", target_type="audit_samples",
                       target_id=sample.id, actor_id=actor.id, provider_id=sample.provider_id, period=sample.period,
                       deduction_fen=sample.deduction_fen, proposed_fen=outcome.proposed_deduction_fen,
                       ci_low=outcome.ci_low, reviewed=outcome.reviewed, failed=outcome.failed, note=note[:400])])
    return sample


def confirmed_deductions(provider_id: int, period: str) -> int:
    """The fen the bureau confirmed to deduct from the provider's statement for `period` (for settlement)."""
    return int(db.session.scalar(select(func.coalesce(func.sum(FollowUpSample.deduction_fen), 0)).where(
        FollowUpSample.provider_id == provider_id, FollowUpSample.period == period,
        FollowUpSample.deduction_status == "confirmed")) or 0)
