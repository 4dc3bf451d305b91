"""New work orders, and the one writer of them: one booking, a day of care plans, next a canteen's lunch.

Every rule is decided while drafting (price, voucher share, duplicates and refusals, matching, or the provider
and caregiver a care plan keeps): a Draft is the order's columns as it ends up, the changes that brought it
there (booked, then offered, escalated or taken at once) and its offer. `write` only writes, set-based, the
same on SQLite and PostgreSQL (sql.py): the orders, then their voucher holds (ledger.post_many), then their
history, offers, audit events (rows built by audit/services.py) and notifications (notifications.tell, which
finds who hears itself) in one statement; then it sends orders_written once for what it
wrote. Every later change of an order goes through dispatch.set_status."""
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from .. import clock, sql
from ..audit import services as audit
from ..audit.models import AuditEvent
from ..extensions import db
from ..i18n import N_
from ..notifications.services import Step, tell
from ..vouchers import ledger
from ..vouchers.holds import capture_movement, hold_movement
from .dispatch import BOOKED, NOBODY
from .models import OrderOffer, OrderStatusChange, WorkOrder
from .signals import orders_written

# Statuses in which an order has no caregiver yet: what its notifications may not name.
_BEFORE_A_CAREGIVER = ("pending", "dispatched", "escalated")


@dataclass(frozen=True)
class Change:
    """One step of a new order's history, as dispatch.set_status records a later one."""

    from_status: str | None
    to_status: str
    reason: str | None = None
    detail: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Offer:
    """The order offered to a provider, who answers within `minutes`; `taken`: answered at once by a standing
    arrangement (a care plan's kept caregiver)."""

    provider_id: int
    minutes: int
    taken: bool = False


@dataclass
class Draft:
    """A new order with every rule decided: `values` are its work_orders columns as written (status where it
    ends up), `changes` its history, `facts` what its notifications say (notifications.visit_facts, with the
    provider and the caregiver it has), `community_id` the elder's (who hears of an escalation)."""

    values: dict
    changes: list[Change]
    facts: dict
    community_id: int | None
    offer: Offer | None = None

    @property
    def slot(self) -> tuple[int, int, datetime]:
        """(elder, item, start): a live order's unique key, which also finds its id among those written."""
        return self.values["elder_id"], self.values["item_id"], _naive_utc(self.values["scheduled_start"])


@dataclass
class Written:
    """An order as written: its id, and the draft it was written from."""

    id: int
    draft: Draft
    values: dict = field(init=False, repr=False)  # the draft's columns and the id

    def __post_init__(self):
        self.values = self.draft.values | dict(id=self.id)

    @property
    def changes(self) -> list[Change]:
        return self.draft.changes


@dataclass
class Result:
    written: list[Written] = field(default_factory=list)
    already: list[Draft] = field(default_factory=list)  # their care plan's order for the day is there already
    short: list[Draft] = field(default_factory=list)  # refused: the voucher balance is short (short="skip")
    at: datetime | None = None  # when the history, the log, the notifications and the holds were written


def booked(values: dict, *, facts: dict, community_id: int | None, now: datetime, offer: Offer | None,
           reason: str | None = None, caregiver_id: int | None = None) -> Draft:
    """A booked order (`values`: its columns) offered to `offer`'s provider for `reason`, and taken at once by
    `caregiver_id` when given; escalated to the operators when there is no offer."""
    values = dict(values, created_at=now)
    changes = [Change(None, "pending", BOOKED)]
    if offer is None:
        values |= dict(status="escalated", provider_id=None, escalated_at=now)
        changes.append(Change("pending", "escalated", NOBODY, dict(providers_asked=0)))
        return Draft(values, changes, facts, community_id)
    values |= dict(status="dispatched", provider_id=offer.provider_id)
    changes.append(Change("pending", "dispatched", reason, dict(provider_id=offer.provider_id,
                                                                 accept_within_minutes=offer.minutes)))
    if caregiver_id is not None:
        values |= dict(status="accepted", caregiver_id=caregiver_id, accepted_at=now)
        changes.append(Change("dispatched", "accepted", None, dict(caregiver_id=caregiver_id)))
        offer = replace(offer, taken=True)
    return Draft(values, changes, facts, community_id, offer)


SERVED = N_("Served at the counter")  # the reason in the history of an order written completed (servicepoints/)


def served(values: dict, *, facts: dict, community_id: int | None, now: datetime, provider_id: int) -> Draft:
    """An order born completed: a meal or bath served at a service point's counter, where the visit is the
    check-in itself. Its voucher share is held and captured for the provider as it is written."""
    values = dict(values, created_at=now, status="completed", provider_id=provider_id, accepted_at=now)
    changes = [Change(None, "pending", BOOKED), Change("pending", "completed", SERVED,
                                                         dict(service_point_id=values.get("service_point_id")))]
    return Draft(values, changes, facts, community_id)


BOOKED_AT_POINT = N_("Booked at a service point")  # the reason of a meal booked ahead (servicepoints/bookings.py)


def at_point(values: dict, *, facts: dict, community_id: int | None, now: datetime, provider_id: int) -> Draft:
    """A meal booked ahead at a service point: accepted at once by the point's provider (nobody is matched, no
    caregiver goes), waiting for the elder at the counter, which completes it. Its voucher share is held."""
    values = dict(values, created_at=now, status="accepted", provider_id=provider_id, accepted_at=now)
    changes = [Change(None, "pending", BOOKED), Change("pending", "accepted", BOOKED_AT_POINT,
                                                        dict(service_point_id=values.get("service_point_id")))]
    return Draft(values, changes, facts, community_id)


def write(drafts: list[Draft], *, actor=None, short: str = "raise") -> Result:
    """Write the drafted orders with everything that goes with them, uncommitted, and send orders_written once.

    A draft whose care plan has its order for the day already (a rerun, or a second scheduler) is skipped, in
    `already`. A voucher hold the balance cannot cover: `short="raise"`, Overdrawn (409), and the caller's
    transaction must roll back; `short="skip"`, that order is not written and comes back in `short`. A slot
    booked by a concurrent transaction raises the IntegrityError of the live orders' unique index."""
    result = Result(at=clock.now())
    if not drafts:
        return result
    # Opened before anything is held back: an account opened is read back at once.
    accounts = ledger.accounts({(kind, d.values["elder_id"]) for d in drafts if d.values.get("voucher_fen", 0) > 0
                                for kind in ledger.ELDER_ACCOUNTS}
                               | {("provider_payable", d.values["provider_id"]) for d in drafts
                                  if d.values.get("voucher_fen", 0) > 0 and d.values["status"] == "completed"})
    try:
        # On PostgreSQL one statement for everything (a booking's order took its id beforehand, a hold's entries
        # find their transaction by key); a batch's orders go first, their ids read back.
        with sql.together():
            written = _insert_orders(drafts, result, held=short == "raise")
            written = _hold(written, accounts, actor, result.at, short, result)
            rows, steps = _children(written, actor, result.at)
            sql.insert_many(rows)
            tell(steps, at=result.at)
    except IntegrityError as error:  # the balances' CHECK, met when the held statement ran
        if ledger.is_overdraft(error):
            raise ledger.overdrawn() from None
        raise
    result.written = written
    if written:
        orders_written.send(None, written=written, actor=actor)
    return result


def _children(written: list[Written], actor, at: datetime) -> tuple[dict, list[Step]]:
    """The rows that go with the orders written (history, offers, audit events), and their changes as the
    notifications read them."""
    actor_id, audit_actor = getattr(actor, "id", None), audit.actor_id(actor)
    history, events, offers, steps = [], [], [], []
    for w in written:
        v = w.values
        for c in w.changes:
            history.append(dict(order_id=w.id, from_status=c.from_status, to_status=c.to_status, actor_id=actor_id,
                                reason=c.reason, detail=c.detail, at=at))
            events.append(audit.event("order.status_changed", target_type="work_orders", target_id=w.id,
                                      actor_id=audit_actor, at=at, before=c.from_status, after=c.to_status,
                                      reason=c.reason, **c.detail))
            caregiver_id = None if c.to_status in _BEFORE_A_CAREGIVER else v.get("caregiver_id")
            steps.append(Step(w.id, v["elder_id"], w.draft.community_id, v.get("provider_id"), caregiver_id,
                              c.from_status, c.to_status, c.detail, dict(order=w.id) | w.draft.facts))
        if (offer := w.draft.offer) is not None:
            offers.append(dict(order_id=w.id, provider_id=offer.provider_id, rank=0,
                               status="accepted" if offer.taken else "open", offered_at=v["created_at"],
                               expires_at=v["created_at"] + timedelta(minutes=offer.minutes),
                               answered_at=v["created_at"] if offer.taken else None))
    return {OrderOffer.__table__: offers, OrderStatusChange.__table__: history,
            AuditEvent.__table__: audit.rows(events)}, steps


def _insert_orders(drafts: list[Draft], result: Result, *, held: bool) -> list[Written]:
    """The orders' rows, with their ids; a care plan's order for a day it has one already is skipped (the
    unique key waits for a concurrent run's, committed or not). Drafts that took their ids beforehand (a
    booking's, with its facts: sql.next_id) are `held` for the one statement of `together` (when no hold can be
    refused and its order taken out again), and a care plan's order made already raises its unique key's
    IntegrityError instead."""
    keys = list(dict.fromkeys(k for d in drafts for k in d.values))  # every row has the same columns
    defaults = {k: _default(k) for k in keys}  # for the drafts that leave a column out
    rows = [d.values if len(d.values) == len(keys) else defaults | d.values for d in drafts]
    if held and all(d.values.get("id") is not None for d in drafts):
        sql.insert_rows(WorkOrder.__table__, rows)
        return [Written(d.values["id"], d) for d in drafts]
    ids = {(elder_id, item_id, _naive_utc(start)): order_id for order_id, elder_id, item_id, start in sql.insert_rows(
        WorkOrder.__table__, rows, returning=("id", "elder_id", "item_id", "scheduled_start"),
        conflict=["care_plan_id", "plan_date"])}
    written = []
    for d in drafts:
        if (order_id := ids.get(d.slot)) is None:
            result.already.append(d)
        else:
            written.append(Written(order_id, d))
    return written


def _hold(written: list[Written], accounts: dict, actor, at: datetime, short: str, result: Result) -> list[Written]:
    """Post the voucher holds of the orders written, and the captures of those born completed (served at a
    counter: held and captured for the provider at once); an order whose hold is refused (short="skip") is taken
    out again. Returns the orders kept."""
    holding = [w for w in written if w.draft.values.get("voucher_fen", 0) > 0]
    if not holding:
        return written
    actor_id = getattr(actor, "id", None)
    holds = [hold_movement(w.id, w.values["elder_id"], w.values["voucher_fen"],
                           accounts["elder_available", w.values["elder_id"]],
                           accounts["elder_held", w.values["elder_id"]], actor_id=actor_id) for w in holding]
    served = [w for w in holding if w.values["status"] == "completed"]
    if short == "raise":  # all or nothing: the captures go in the same call
        ledger.post_many(holds + _captures(served, accounts, actor_id), now=at, fresh=True)
        return written
    if served:
        # Inside sql.together a second ledger call would move the same balances twice in one statement.
        raise ValueError("orders born completed are written with short='raise', their hold and capture in one call")
    posted = ledger.post_many(holds, short=short, now=at, fresh=True)
    refused = {m.order_id for m in posted.short}
    if not refused:
        return written
    # The ledger decides a short balance, and only once the orders exist (a hold names its order): the few it
    # refuses are taken out again, before anything else of them is written.
    table, ids = WorkOrder.__table__, sorted(refused)
    for begin in range(0, len(ids), ledger.CHUNK):
        db.session.execute(delete(table).where(table.c.id.in_(ids[begin:begin + ledger.CHUNK])))
    result.short = [w.draft for w in written if w.id in refused]
    return [w for w in written if w.id not in refused]


def _captures(served: list[Written], accounts: dict, actor_id: int | None) -> list[ledger.Movement]:
    """The captures of orders born completed, their holds posted: the voucher share owed to the provider."""
    return [capture_movement(w.id, w.values["elder_id"], w.values["voucher_fen"],
                             accounts["elder_held", w.values["elder_id"]],
                             accounts["provider_payable", w.values["provider_id"]], actor_id=actor_id) for w in served]


def _naive_utc(moment: datetime) -> datetime:
    """A stored moment as PostgreSQL's plain statements return it (naive UTC), whichever way it came."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment


def _default(name: str):
    """What a column that some drafts of a write leave out is written as for them: the model's default."""
    default = WorkOrder.__table__.c[name].default
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg
