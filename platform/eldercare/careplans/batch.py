"""A batch of planned orders for plans kept by a provider, written set-based: a few statements per batch
rather than twenty per order, so that a city's day of plans is made in seconds.

What one order through the booking service gets, each of these gets too, from the same rules: the elder must
be bookable (elders/registry.py); the visit's time, price, voucher share and duplicate check come from
orders/booking.py; the voucher hold is the ledger movement holds.hold writes (kind "hold", key "hold:<order>",
available to held), refused when the balance is short; the order is offered to the provider that keeps the
plan with the category's time to answer (dispatch.accept_minutes), and taken at once for the kept caregiver
when that caregiver is free then, by the same tests matching applies (serves the category, certified, works
then, no overlapping visit, under the daily limit). The status history, the audit events and the
notifications are the ones dispatch.set_status and the notification subscribers write for a booked, offered
and taken order."""
import json
from collections import defaultdict, namedtuple
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from ..accounts.models import User
from ..audit.models import AuditEvent
from ..catalog.models import Category, Item
from ..db import UTCDateTime, utcnow
from ..elders.models import Elder, FamilyLink
from ..elders.registry import ensure_bookable
from ..errors import ServiceError
from ..extensions import db
from ..i18n import N_
from ..notifications.models import Notification
from ..notifications.services import visit_facts
from ..orders import booking
from ..orders.dispatch import BOOKED, accept_minutes
from ..orders.matching import BUSY_STATUSES, LOAD_STATUSES, LOCAL
from ..orders.models import OrderOffer, OrderStatusChange, WorkOrder
from ..providers.models import (
    CATEGORY_CERTIFICATE,
    Availability,
    Caregiver,
    Certificate,
    Provider,
    caregiver_categories,
)
from ..regions.models import Region
from ..vouchers import ledger
from ..vouchers.eligibility import MIN_AGE, age_on, district_of, explain, period_start
from ..vouchers.holds import HOLD_MEMO
from ..vouchers.models import LedgerAccount, LedgerEntry, LedgerTransaction

KEPT = N_("The provider that keeps the care plan.")
SHORT = N_("Not enough voucher balance.")


def make_batch(chunk, day: date, now: datetime, report, eligibility: "Eligibility | None" = None) -> list:
    """Write the orders of `chunk` (plans kept by an approved provider offering the category), uncommitted.
    Returns the plans left for the one-by-one path (two plans of the elder for the same service and time:
    booking refuses the second with the first's order number)."""
    elders = {e.id: e for e in map(_ElderFacts._make, db.session.execute(
        select(*(getattr(Elder, f) for f in _ElderFacts._fields)).where(Elder.id.in_({d.elder_id for d in chunk}))))}
    items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_({d.item_id for d in chunk})))}
    codes = dict(db.session.execute(select(Category.id, Category.code)
                                    .where(Category.id.in_({i.category_id for i in items.values()}))).all())
    eligibility = eligibility or Eligibility(day)
    eligibility.know({e.community_id for e in elders.values()})
    rows, leftover, seen = [], [], set()
    for d in chunk:
        elder, item = elders[d.elder_id], items.get(d.item_id)
        try:
            ensure_bookable(elder)
            booking.check_visit(item, d.start, d.quantity, now=now)
            price = booking.price_of(item, d.quantity)
            voucher = booking.voucher_part(eligibility.of(elder), item, price) if d.pay_with == "voucher" else 0
        except ServiceError as refusal:
            report.refused.append((d.id, str(refusal.message)))
            continue
        key = (d.elder_id, d.item_id, d.start)
        if key in seen:
            leftover.append(d)
            continue
        seen.add(key)
        rows.append(_Row(d, elder, item, codes[item.category_id], price, voucher))
    booked = booking.booked_already([(r.plan.elder_id, r.plan.item_id, r.plan.start) for r in rows])
    # The plan's own order, made a moment ago by a concurrent run, is "already made", not a refusal.
    own = dict(db.session.execute(select(WorkOrder.id, WorkOrder.care_plan_id).where(
        WorkOrder.id.in_(set(booked.values())), WorkOrder.plan_date == day)).all()) if booked else {}
    for r in rows:
        if (order_id := booked.get((r.plan.elder_id, r.plan.item_id, r.plan.start))) is not None:
            if own.get(order_id) == r.plan.id:
                report.already += 1
            else:
                report.refused.append((r.plan.id, str(booking.already_booked(order_id).message)))
    rows = [r for r in rows if (r.plan.elder_id, r.plan.item_id, r.plan.start) not in booked]
    rows, accounts = _hold_accounts(rows, report)
    _Caregivers(rows, day).keep()
    made = _insert_orders(rows, day, now)
    report.already += len(rows) - len(made)
    rows = [r for r in rows if r.plan.id in made]
    for r in rows:
        r.order_id = made[r.plan.id]
    _hold(rows, accounts, now)
    _offers_history_audit(rows, now)
    _notify(rows, now)
    report.made += len(rows)
    report.batched += len(rows)
    report.kept_caregiver += sum(1 for r in rows if r.caregiver_id)
    return leftover


_ELDER_FIELDS = "id status birth_date community_id care_level hardship name address user_id"


class _ElderFacts(namedtuple("_ElderFacts", _ELDER_FIELDS)):
    """What the batch needs of an elder, without loading the whole row; the registry's and the vouchers' rules
    (ensure_bookable, explain) read it as they read an Elder."""

    __slots__ = ()
    bookable = Elder.bookable


class _Row:
    __slots__ = ("plan", "elder", "item", "category_code", "price", "voucher", "end", "caregiver_id", "order_id",
                 "minutes")

    def __init__(self, plan, elder, item, category_code, price, voucher):
        self.plan, self.elder, self.item, self.category_code = plan, elder, item, category_code
        self.price, self.voucher = price, voucher
        self.end = booking.end_of(item, plan.start, plan.quantity)
        self.caregiver_id = None  # set when the kept caregiver takes the order
        self.order_id = None
        self.minutes = accept_minutes(category_code)


class Eligibility:
    """`explain` once per kind of elder: its answer depends only on the status, being 60 or more at the start of
    the month, the district, the care level and the hardship, so elders alike share one call. One per run of the
    job, shared by its batches."""

    def __init__(self, day: date):
        self.period = day.strftime("%Y-%m")
        self.start = period_start(self.period)
        self.districts: dict[int, int | None] = {}
        self.answers: dict[tuple, object] = {}

    def know(self, community_ids: set[int]) -> None:
        """The districts of these communities, in one query (community -> street -> district)."""
        community_ids = community_ids - set(self.districts)
        if not community_ids:
            return
        street, district = aliased(Region), aliased(Region)
        self.districts.update(db.session.execute(
            select(Region.id, district.id).join(street, street.id == Region.parent_id)
            .join(district, district.id == street.parent_id).where(Region.id.in_(community_ids))).all())

    def of(self, elder: Elder):
        if elder.community_id not in self.districts:
            self.districts[elder.community_id] = district_of(elder.community_id)
        key = (elder.status, age_on(elder.birth_date, self.start) >= MIN_AGE, self.districts[elder.community_id],
               elder.care_level, elder.hardship)
        if key not in self.answers:
            self.answers[key] = explain(elder, self.period)
        return self.answers[key]


def _hold_accounts(rows: list[_Row], report) -> tuple[list[_Row], dict[tuple[str, int], int]]:
    """Lock the elders' available vouchers (PostgreSQL: FOR UPDATE, in id order, as a booking's hold would
    wait on the row), and drop the orders the balance does not cover, in plan order. Returns the rows kept and
    the account ids."""
    owners = sorted({r.plan.elder_id for r in rows if r.voucher > 0})
    if not owners:
        return rows, {}
    ledger.open_elder_accounts(owners)  # for elders registered before both were opened at registration
    table = LedgerAccount.__table__
    ids, balance = {}, {}
    for begin in range(0, len(owners), 5_000):
        chunk = owners[begin:begin + 5_000]
        for account_id, kind, owner, fen in db.session.execute(
                select(table.c.id, table.c.kind, table.c.owner_id, table.c.balance_fen)
                .where(table.c.kind.in_(ledger.ELDER_ACCOUNTS), table.c.owner_id.in_(chunk))
                .order_by(table.c.id).with_for_update()):
            ids[(kind, owner)] = account_id
            if kind == "elder_available":
                balance[owner] = fen
    kept = []
    for r in rows:
        if r.voucher > 0 and balance[r.plan.elder_id] < r.voucher:
            report.refused.append((r.plan.id, SHORT))
            continue
        if r.voucher > 0:
            balance[r.plan.elder_id] -= r.voucher
        kept.append(r)
    return kept, ids


class _Caregivers:
    """The kept caregivers, and whether each is free for the visit: the tests matching.rank applies to a
    caregiver (matching.py), on the facts of the whole batch loaded at once, counting the visits given out in
    this batch as well."""

    def __init__(self, rows: list[_Row], day: date):
        self.rows = [r for r in rows if r.plan.caregiver_id]
        self.day = day
        ids = sorted({r.plan.caregiver_id for r in self.rows})
        self.people = {c.id: c for c in db.session.execute(
            select(Caregiver.id, Caregiver.provider_id, Caregiver.daily_limit, Caregiver.active, Caregiver.user_id,
                   Caregiver.name).where(Caregiver.id.in_(ids)))}
        self.serves = set(db.session.execute(select(caregiver_categories.c.caregiver_id,
                                                    caregiver_categories.c.category_id)
                                             .where(caregiver_categories.c.caregiver_id.in_(ids))).all())
        self.certified = set(db.session.execute(select(Certificate.caregiver_id, Certificate.kind).where(
            Certificate.caregiver_id.in_(ids), Certificate.expires_on >= day)).all())
        self.hours = defaultdict(list)
        for cid, t0, t1 in db.session.execute(select(Availability.caregiver_id, Availability.start_time,
                                                     Availability.end_time)
                                              .where(Availability.caregiver_id.in_(ids),
                                                     Availability.weekday == day.weekday())):
            self.hours[cid].append((t0, t1))
        day_start = datetime.combine(day, time(0), LOCAL).astimezone(UTC)
        day_end = day_start + timedelta(days=1)
        self.load = defaultdict(int)  # visits that day
        self.busy = defaultdict(list)  # (start, end) of visits accepted or in service
        for cid, status, start, end in db.session.execute(
                select(WorkOrder.caregiver_id, WorkOrder.status, WorkOrder.scheduled_start, WorkOrder.scheduled_end)
                .where(WorkOrder.caregiver_id.in_(ids), WorkOrder.status.in_(LOAD_STATUSES),
                       WorkOrder.scheduled_start < day_end, WorkOrder.scheduled_end > day_start - timedelta(days=1))):
            if day_start <= start < day_end:
                self.load[cid] += 1
            if status in BUSY_STATUSES:
                self.busy[cid].append((start, end))

    def keep(self) -> None:
        for r in self.rows:
            cid = r.plan.caregiver_id
            if self.free(r, cid):
                r.caregiver_id = cid
                self.load[cid] += 1
                self.busy[cid].append((r.plan.start, r.end))

    def free(self, r: _Row, cid: int) -> bool:
        person = self.people.get(cid)
        if person is None or not person.active or person.provider_id != r.plan.provider_id:
            return False
        if (cid, r.item.category_id) not in self.serves:
            return False
        kind = CATEGORY_CERTIFICATE.get(r.category_code)
        if kind is not None and (cid, kind) not in self.certified:
            return False
        start, end = r.plan.start.astimezone(LOCAL), r.end.astimezone(LOCAL)
        if end.date() != start.date() and end.time() != time(0):
            return False  # runs past midnight: nobody is matched for it
        t1 = end.time() if end.date() == start.date() else time(23, 59, 59)
        if not any(a <= start.time() and b >= t1 for a, b in self.hours[cid]):
            return False
        if any(s < r.end and e > r.plan.start for s, e in self.busy[cid]):
            return False
        return self.load[cid] < person.daily_limit


def _insert_orders(rows: list[_Row], day: date, now: datetime) -> dict[int, int]:
    """Insert the orders, skipping any plan whose order for the day exists (a concurrent run's, committed or
    not: the unique key waits for it). Returns {plan id: order id} of those inserted."""
    if not rows:
        return {}
    table = WorkOrder.__table__
    providers = dict(db.session.execute(select(Provider.id, Provider.name)
                                        .where(Provider.id.in_({r.plan.provider_id for r in rows}))).all())
    values = []
    for r in rows:
        p = r.plan
        values.append(dict(
            elder_id=p.elder_id, item_id=p.item_id, status="accepted" if r.caregiver_id else "dispatched",
            scheduled_start=p.start, scheduled_end=r.end, quantity=p.quantity, price_fen=r.price,
            voucher_fen=r.voucher, copay_fen=r.price - r.voucher, pay_with=p.pay_with, note=p.note,
            provider_id=p.provider_id, caregiver_id=r.caregiver_id, preferred_provider_id=p.provider_id,
            booked_by_id=p.created_by_id, care_plan_id=p.id, plan_date=day, created_at=now,
            accepted_at=now if r.caregiver_id else None,
            ranking=[dict(provider_id=p.provider_id, name=providers.get(p.provider_id), preferred=True,
                          explanation=KEPT)]))
    return dict(_bulk_insert(table, values, returning=("care_plan_id", "id"), conflict=["care_plan_id", "plan_date"]))


def _hold(rows: list[_Row], accounts: dict, now: datetime) -> None:
    """Each voucher order's hold: one balanced ledger transaction keyed by the order, as holds.hold posts it,
    and the balances moved by their sums (checked not to go below zero by the database)."""
    held = [r for r in rows if r.voucher > 0]
    if not held:
        return
    txns = LedgerTransaction.__table__
    ids = dict(_bulk_insert(txns, [
        dict(kind="hold", key=f"hold:{r.order_id}", elder_id=r.plan.elder_id, order_id=r.order_id,
             amount_fen=r.voucher, memo=HOLD_MEMO, actor_id=None, created_at=now) for r in held],
        returning=("order_id", "id")))
    entries, delta = [], defaultdict(int)
    for r in held:
        available, on_hold = accounts[("elder_available", r.plan.elder_id)], accounts[("elder_held", r.plan.elder_id)]
        entries += [dict(transaction_id=ids[r.order_id], account_id=available, amount_fen=-r.voucher),
                    dict(transaction_id=ids[r.order_id], account_id=on_hold, amount_fen=r.voucher)]
        delta[available] -= r.voucher
        delta[on_hold] += r.voucher
    _bulk_insert(LedgerEntry.__table__, entries)
    moves = sorted(delta.items())
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(
            "UPDATE ledger_accounts a SET balance_fen = a.balance_fen + u.delta "
            "FROM unnest(CAST(:ids AS integer[]), CAST(:deltas AS integer[])) AS u(id, delta) WHERE a.id = u.id"),
            dict(ids=[a for a, _ in moves], deltas=[d for _, d in moves]))
        return
    table = LedgerAccount.__table__
    db.session.execute(update(table).where(table.c.id == bindparam("account"))
                       .values(balance_fen=table.c.balance_fen + bindparam("delta"))
                       .execution_options(synchronize_session=False),
                       [dict(account=a, delta=d) for a, d in moves])


def _offers_history_audit(rows: list[_Row], now: datetime) -> None:
    """The offer to the kept provider (taken at once for the kept caregiver), and the history and audit events
    of pending, dispatched and, when taken, accepted."""
    if not rows:
        return
    offers, history, audit = [], [], []
    written = utcnow()  # when the history and the audit log were written, as for any order
    for r in rows:
        taken = r.caregiver_id is not None
        offers.append(dict(order_id=r.order_id, provider_id=r.plan.provider_id, rank=0,
                           status="accepted" if taken else "open", offered_at=now,
                           expires_at=now + timedelta(minutes=r.minutes), answered_at=now if taken else None))
        changes = [(None, "pending", BOOKED, {}),
                   ("pending", "dispatched", KEPT, dict(provider_id=r.plan.provider_id,
                                                        accept_within_minutes=r.minutes))]
        if taken:
            changes.append(("dispatched", "accepted", None, dict(caregiver_id=r.caregiver_id)))
        for before, after, reason, detail in changes:
            history.append(dict(order_id=r.order_id, from_status=before, to_status=after, actor_id=None,
                                reason=reason, detail=detail, at=written))
            audit.append(dict(action="order.status_changed", actor_id=None, target_type="work_orders",
                              target_id=r.order_id, ip=None, at=written,
                              detail=dict(before=before, after=after, reason=reason, **detail)))
    _bulk_insert(OrderOffer.__table__, offers)
    _bulk_insert(OrderStatusChange.__table__, history)
    _bulk_insert(AuditEvent.__table__, audit)


def _notify(rows: list[_Row], now: datetime) -> None:
    """What the notification subscribers send for these changes: the offer to the provider's administrators;
    once taken, 'accepted' to the elder and the family and 'assigned' to the caregiver."""
    if not rows:
        return
    admins = defaultdict(list)
    for user_id, provider_id in db.session.execute(select(User.id, User.provider_id).where(
            User.role == "provider_admin", User.active.is_(True),
            User.provider_id.in_({r.plan.provider_id for r in rows}))):
        admins[provider_id].append(user_id)
    providers = dict(db.session.execute(select(Provider.id, Provider.name)
                                        .where(Provider.id.in_({r.plan.provider_id for r in rows}))).all())
    taken = [r for r in rows if r.caregiver_id]
    elder_side, carers = defaultdict(set), {}
    if taken:
        elder_ids = {r.plan.elder_id for r in taken}
        for r in taken:
            if r.elder.user_id:
                elder_side[r.plan.elder_id].add(r.elder.user_id)
        for elder_id, user_id in db.session.execute(select(FamilyLink.elder_id, FamilyLink.user_id)
                                                    .where(FamilyLink.elder_id.in_(elder_ids))):
            elder_side[elder_id].add(user_id)
        carers = {c.id: c for c in db.session.execute(select(Caregiver.id, Caregiver.user_id, Caregiver.name)
                                                      .where(Caregiver.id.in_({r.caregiver_id for r in taken})))}
    out, written = [], utcnow()
    for r in rows:
        facts = dict(order=r.order_id) | visit_facts(r.item, r.elder, r.plan.start,
                                                     provider=providers.get(r.plan.provider_id) or "")
        for user_id in sorted(set(admins[r.plan.provider_id])):
            out.append(dict(user_id=user_id, kind="offered", order_id=r.order_id, facts=facts | dict(minutes=r.minutes),
                            created_at=written))
        if r.caregiver_id:
            carer = carers[r.caregiver_id]
            with_carer = facts | dict(caregiver=carer.name)
            out += [dict(user_id=u, kind="accepted", order_id=r.order_id, facts=with_carer, created_at=written)
                    for u in sorted(elder_side[r.plan.elder_id])]
            if carer.user_id:
                out.append(dict(user_id=carer.user_id, kind="assigned", order_id=r.order_id, facts=with_carer,
                                created_at=written))
    _bulk_insert(Notification.__table__, out)


# PostgreSQL takes each table's rows as one JSON document (INSERT ... SELECT FROM json_to_recordset): one short
# statement and one parameter per table and batch, where thousands of bound rows, or arrays of quoted text,
# cost several times more to send and parse. SQLite takes them as an executemany.
_PG_TYPES = {"INTEGER": "integer", "BOOLEAN": "boolean", "DATE": "date", "TIME": "time", "JSON": "json",
             "FLOAT": "double precision"}


def _pg_type(column) -> str:
    if isinstance(column.type, UTCDateTime):
        return "timestamp"
    name = column.type.compile(dialect=postgresql.dialect()).split("(")[0].upper()
    return _PG_TYPES.get(name, "text")


@lru_cache(maxsize=4096)  # a batch repeats a few moments (now, the day's start times) thousands of times
def _plain(value):
    """A datetime as PostgreSQL's naive UTC text, a date or time as ISO text (json.dumps' `default`)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    raise TypeError(type(value))


def _bulk_insert(table, rows: list[dict], *, returning=(), conflict: list[str] | None = None) -> list:
    """Insert `rows` (dicts with the same keys) into `table`; skip conflicts on `conflict` when given; return
    the `returning` columns of the rows inserted."""
    if not rows:
        return []
    if db.engine.dialect.name != "postgresql":
        stmt = sqlite.insert(table)
        if conflict:
            stmt = stmt.on_conflict_do_nothing(index_elements=conflict)
        if returning:
            return db.session.execute(stmt.returning(*(table.c[r] for r in returning)), rows).all()
        db.session.execute(stmt, rows)
        return []
    names = list(rows[0])
    defaults = {}  # the model's Python-side defaults, which a Core insert would apply
    for column in table.columns:
        if column.name not in names and column.default is not None and not column.primary_key:
            value = column.default.arg(None) if column.default.is_callable else column.default.arg
            defaults[column.name] = value
    names += list(defaults)
    document = json.dumps([row | defaults for row in rows] if defaults else rows, default=_plain,
                          ensure_ascii=False, separators=(",", ":"))
    shape = ", ".join(f"{n} {_pg_type(table.c[n])}" for n in names)
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(names)} "
           f"FROM json_to_recordset(CAST(:rows AS json)) AS x({shape})")
    if conflict:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
        return db.session.execute(text(sql), dict(rows=document)).all()
    db.session.execute(text(sql), dict(rows=document))
    return []
