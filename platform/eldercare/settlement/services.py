"""Settlement: a month's statements, their reconciliation with the voucher ledger, and their approval.

Generating is set-based for the whole month. The providers' rows are locked (so two runs of one month, two
schedulers, a CLI beside the API, take a provider one after the other), the month's candidates are read once
(orders confirmed or disputed whose visit ended in the month and that are on no statement), the hold-back rules
(held_back.py) are asked once which stay off, the statements are written in one statement and all their lines in
another (one INSERT ... SELECT from the orders, whose RETURNING gives the totals), with the provider's waiting
deductions (deductions.py) attached in one more (what an approved statement could not take back among them: a
statement pays nothing, never less, and carries the rest forward). An order is on one line at most
(a unique constraint), so a run that was killed half-way and run again, or a second run later in the month (a
supplementary statement), settles each order exactly once. The callers commit: a request once at its end; the
scheduler's job and `flask settle` after each pass (the `each` callback): first the providers no other
transaction holds, then, once they are free, the others, so a kill keeps the pass committed.

Approval is the bureau's, by an officer of the provider's district who did not generate the statement. It locks
the statement, takes off the lines of orders that left `confirmed` since (held back, for a later statement),
refuses (409) while the lines do not reconcile with the ledger's captures fen for fen, then moves every order to
`settled` through the one status path (dispatch.set_statuses) and the provider's payable to paid through the
ledger's one call (holds.settle); what its deductions take back beyond its voucher total is carried forward, a
new deduction for the provider's next statement (deductions.carry). An approved statement never changes again."""
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, exists, func, insert, select, update
from sqlalchemy.orm import selectinload

from .. import clock, sql
from ..audit.services import event, record, record_many
from ..clock import Month
from ..errors import Conflict, Forbidden, Invalid
from ..extensions import db
from ..orders.dispatch import set_statuses
from ..orders.models import WorkOrder
from ..providers.models import Provider
from ..vouchers import holds
from ..vouchers.models import LedgerAccount, LedgerEntry, LedgerTransaction
from . import deductions, held_back
from .models import Deduction, Statement, StatementLine
from .scope import visible_statement

SETTLING = ("confirmed", "disputed")  # the statuses a month's candidates are in: settled now, or held back


def settleable(month: Month) -> str:
    """The month as stored ("2026-11") if it may be settled: any month begun (the current one for what is
    confirmed so far); Invalid (422) naming `period` for a month that has not begun."""
    if not isinstance(month, Month):  # parsed once where it came in (MonthField, month_from)
        raise TypeError(f"a clock.Month, not {month!r}")
    current = Month.current()
    if month > current:
        message = _l("%(month)s has not begun: a month can be settled from its first day (now %(current)s).",
                     month=str(month), current=str(current))
        raise Invalid(message, {"period": [message]})
    return str(month)


def providers_to_settle(month: Month, *, within=None) -> list[int]:
    """The providers with orders of `month` on no statement yet (to settle or hold back), in id order; only
    those of `within` (a select of provider ids, as scope.providers_of gives) when given."""
    start, end = month.bounds()
    orders, lines = WorkOrder.__table__.c, StatementLine.__table__.c
    stmt = (select(orders.provider_id).distinct()
            .where(orders.status.in_(SETTLING), orders.check_out_at >= start, orders.check_out_at < end,
                   orders.provider_id.is_not(None), ~exists().where(lines.order_id == orders.id)))
    owing = deductions.pending_providers()
    if within is not None:
        stmt, owing = stmt.where(orders.provider_id.in_(within)), owing.where(Deduction.provider_id.in_(within))
    return sorted(set(db.session.scalars(stmt.union(owing))))


def generate(month: Month, *, actor=None, within=None,
             each: Callable[[list[Statement], int], None] | None = None) -> list[Statement]:
    """One statement per provider for the month's confirmed visits not on a statement yet (the provider's first
    of the month is `regular`, a later one `supplementary`), with the disputed ones held back and listed. A
    provider with nothing new gets no statement, so a second run makes nothing. The provider's deductions waiting
    for a statement (deductions.py: audit cases confirmed after their order was paid) go on it, and make one of
    their own when nothing else does. `within`: only those providers (a select of ids; the caller's scope), all
    when None.

    Without `each` (a request, which commits once at its end) every provider is locked in id order and the month
    is settled in one pass. With `each` (the monthly job, `flask settle`: it must commit) the providers no other
    transaction holds are taken at once and settled in one pass, `each(statements, providers)` commits them, and
    then the rest are waited for and settled in a second pass: a provider held elsewhere keeps no other waiting,
    and a kill keeps what was committed."""
    period = settleable(month)
    waiting = providers_to_settle(month, within=within)
    if each is None:
        return _settle(_lock(waiting, wait=True), month, period, actor)
    free = _lock(waiting, wait=False)
    made = _settle(free, month, period, actor)
    each(made, len(free))
    rest = sorted(set(waiting) - set(free))
    if rest:
        later = _settle(_lock(rest, wait=True), month, period, actor)
        each(later, len(rest))
        made += later
    return made


def _lock(provider_ids: list[int], *, wait: bool) -> list[int]:
    """Lock the providers' rows (FOR NO KEY UPDATE: bookings that name a provider are not held up), in id order,
    so that two runs take a provider one after the other and the second sees what the first wrote; those another
    transaction holds are skipped (and left out of the answer) unless `wait`."""
    locked = []
    for chunk in sql.chunks(provider_ids):
        locked += db.session.scalars(select(Provider.id).where(sql.any_of(Provider.id, chunk)).order_by(Provider.id)
                                     .with_for_update(key_share=True, skip_locked=not wait))
    return locked


def _settle(provider_ids: list[int], month: Month, period: str, actor) -> list[Statement]:
    """The statements of the (locked) providers, set-based: the month's candidates read once, the hold-back rules
    asked once, the statements written in one statement and their lines in another (INSERT ... SELECT from the
    orders), whose RETURNING gives the totals as written; then the totals and the audit events."""
    if not provider_ids:
        return []
    start, end = month.bounds()
    orders, lines = WorkOrder.__table__.c, StatementLine.__table__.c
    candidates = []
    for chunk in sql.chunks(provider_ids):
        candidates += db.session.execute(select(orders.id, orders.provider_id, orders.status).where(
            sql.any_of(orders.provider_id, chunk), orders.status.in_(SETTLING), orders.check_out_at >= start,
            orders.check_out_at < end, ~exists().where(lines.order_id == orders.id))).all()
    held = held_back.reasons([order_id for order_id, _, _ in candidates])
    settling: dict[int, list[int]] = {}
    holding: dict[int, list[dict]] = {}
    for order_id, provider_id, status in sorted(candidates):
        if order_id in held:
            holding.setdefault(provider_id, []).append(held[order_id])
        elif status == "confirmed":
            settling.setdefault(provider_id, []).append(order_id)
    owed: dict[int, list[Deduction]] = {}
    for deduction in deductions.pending(provider_ids):  # confirmed audit cases on orders paid before
        owed.setdefault(deduction.provider_id, []).append(deduction)
    last = dict(db.session.execute(
        select(Statement.provider_id, func.max(Statement.sequence))
        .where(Statement.period == period, sql.any_of(Statement.provider_id, sorted(provider_ids)))
        .group_by(Statement.provider_id)).all())
    now, actor_id = clock.now(), getattr(actor, "id", None)
    rows = []
    for provider_id in provider_ids:
        sequence = last.get(provider_id, 0) + 1
        fresh = [d for d in owed.get(provider_id, []) if d.carried_from_id is None]
        if not settling.get(provider_id) and not fresh and (not holding.get(provider_id) or sequence > 1):
            continue  # nothing new: a rerun makes no empty statement (a carry waits for the provider's next)
        rows.append(dict(provider_id=provider_id, period=period, sequence=sequence,
                         kind="regular" if sequence == 1 else "supplementary", status="draft",
                         line_count=0, voucher_total_fen=0, copay_total_fen=0, copay_collected_fen=0,
                         deduction_total_fen=sum(d.fen for d in owed.get(provider_id, [])),
                         held_back=holding.get(provider_id, []), generated_by_id=actor_id, generated_at=now))
    if not rows:
        return []
    statement_of = {provider_id: statement_id for statement_id, provider_id in
                    sql.insert_rows(Statement.__table__, rows, returning=("id", "provider_id"))}
    sql.update_rows(Deduction, [dict(id=d.id, statement_id=statement_of[d.provider_id])
                                for provider_id in sorted(owed) if provider_id in statement_of
                                for d in owed[provider_id]])
    for deduction in (d for ds in owed.values() for d in ds):
        db.session.expire(deduction)  # its statement_id, written above without the ORM
    totals = {statement_id: [0, 0, 0, 0] for statement_id in statement_of.values()}
    for written in _write_lines(statement_of, [order_id for provider_id in sorted(settling)
                                               for order_id in settling[provider_id]]):
        for statement_id, voucher_fen, copay_fen, collected_fen in written:
            total = totals[statement_id]
            total[0] += 1
            total[1] += voucher_fen
            total[2] += copay_fen
            total[3] += collected_fen
    sql.update_rows(Statement, [dict(id=statement_id, line_count=count, voucher_total_fen=voucher,
                                     copay_total_fen=copay, copay_collected_fen=collected)
                                for statement_id, (count, voucher, copay, collected) in sorted(totals.items())])
    record_many([event("settlement.generated", target_type=Statement.__tablename__, target_id=statement_of[p],
                       actor_id=actor_id, provider_id=p, period=period, kind=row["kind"],
                       lines=totals[statement_of[p]][0], voucher_total_fen=totals[statement_of[p]][1],
                       held_back=len(row["held_back"]), deduction_total_fen=row["deduction_total_fen"])
                 for row in rows for p in (row["provider_id"],)])
    made = db.session.scalars(select(Statement).where(Statement.id.in_(sorted(totals)))
                              .order_by(Statement.provider_id)).all()
    return list(made)


def _write_lines(statement_of: dict[int, int], order_ids: list[int]):
    """Each order of `order_ids` as a line of its provider's statement (`statement_of`: provider id -> statement
    id), as it stands: INSERT ... SELECT from the orders, joined to the new statements by provider; yields the
    (statement id, voucher, co-pay, co-pay collected) of the lines written, batch by batch."""
    orders, statements = WorkOrder.__table__.c, Statement.__table__.c
    collected = orders.copay_paid_fen - orders.copay_refunded_fen
    columns = ["statement_id", "order_id", "check_in_at", "check_out_at", "check_in_distance_m",
               "check_out_distance_m", "voucher_fen", "copay_fen", "copay_collected_fen"]
    new = sorted(statement_of.values())
    lines = StatementLine.__table__
    for chunk in sql.chunks(order_ids):
        source = (select(statements.id, orders.id, orders.check_in_at, orders.check_out_at,
                         orders.check_in_distance_m, orders.check_out_distance_m, orders.voucher_fen,
                         orders.copay_fen, case((collected > 0, collected), else_=0))
                  .select_from(WorkOrder.__table__.join(Statement.__table__,
                                                        statements.provider_id == orders.provider_id))
                  .where(sql.any_of(orders.id, chunk), sql.any_of(statements.id, new)))
        yield db.session.execute(insert(lines).from_select(columns, source).returning(
            lines.c.statement_id, lines.c.voucher_fen, lines.c.copay_fen, lines.c.copay_collected_fen)).all()


def lines_of(statement: Statement, *, limit: int | None = None) -> list[StatementLine]:
    """The statement's lines in order, each with its order's item, elder and caregiver (what the pages, the API
    and the downloads show of a line) loaded in a few queries, not one per line."""
    stmt = (select(StatementLine).where(StatementLine.statement_id == statement.id)
            .options(selectinload(StatementLine.order).options(
                selectinload(WorkOrder.item), selectinload(WorkOrder.elder), selectinload(WorkOrder.caregiver)))
            .order_by(StatementLine.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def _count(statement: Statement) -> None:
    """The statement's totals from its lines."""
    lines = StatementLine.__table__.c
    count, voucher, copay, collected = db.session.execute(select(
        func.count(), func.coalesce(func.sum(lines.voucher_fen), 0), func.coalesce(func.sum(lines.copay_fen), 0),
        func.coalesce(func.sum(lines.copay_collected_fen), 0)).where(lines.statement_id == statement.id)).one()
    statement.line_count, statement.voucher_total_fen = count, voucher
    statement.copay_total_fen, statement.copay_collected_fen = copay, collected


@dataclass
class Mismatch:
    order_id: int
    voucher_fen: int  # on the statement
    ledger_fen: int  # captured into the provider's payable account, less any reversal


@dataclass
class Reconciliation:
    voucher_total_fen: int = 0
    ledger_total_fen: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def reconcile(statement: Statement) -> Reconciliation:
    """The statement's voucher lines against the ledger, order by order: what each order's capture moved into
    the provider's payable account, less any reversal of it, must equal the line's voucher share, fen for fen."""
    lines = StatementLine.__table__.c
    payable = db.session.scalar(select(LedgerAccount.id).where(LedgerAccount.kind == "provider_payable",
                                                               LedgerAccount.owner_id == statement.provider_id))
    ledger_fen = (select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).select_from(LedgerEntry)
                  .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                  .where(LedgerTransaction.order_id == lines.order_id,
                         LedgerTransaction.kind.in_(("capture", "reversal")),
                         LedgerEntry.account_id == (payable if payable is not None else -1))
                  .scalar_subquery())
    result = Reconciliation()
    for order_id, voucher_fen, captured in db.session.execute(
            select(lines.order_id, lines.voucher_fen, ledger_fen).where(lines.statement_id == statement.id)
            .order_by(lines.order_id)):
        result.voucher_total_fen += voucher_fen
        result.ledger_total_fen += captured
        if voucher_fen != captured:
            result.mismatches.append(Mismatch(order_id, voucher_fen, captured))
    return result


def approve(actor, statement_id: int) -> Statement:
    """The bureau approves a draft statement: its orders become settled and the provider's payable is paid."""
    if actor.role != "bureau":
        raise Forbidden(_l("Only a bureau officer can approve a settlement."))
    statement = visible_statement(statement_id, actor, lock=True)
    if statement.generated_by_id == actor.id:
        raise Forbidden(_l("You generated this statement: another officer must approve it."))
    if statement.status != "draft":
        message = _l("The statement is already approved.")
        raise Conflict(message, {"status": [message]})
    orders = db.session.scalars(select(WorkOrder).where(WorkOrder.id.in_(
        select(StatementLine.order_id).where(StatementLine.statement_id == statement.id)))
        .order_by(WorkOrder.id).with_for_update()).all()
    held = held_back.reasons([order.id for order in orders])
    if held:  # left `confirmed` since the statement was made: off it, for a later statement
        for chunk in sql.chunks(sorted(held)):
            db.session.execute(delete(StatementLine).where(StatementLine.statement_id == statement.id,
                                                           sql.any_of(StatementLine.order_id, chunk)))
        statement.held_back = list(statement.held_back or []) + [held[order_id] for order_id in sorted(held)]
        _count(statement)
        orders = [order for order in orders if order.id not in held]
    check = reconcile(statement)
    if not check.ok:
        differ = [str(_l("order %(order)d: %(line)d fen on the statement, %(ledger)d fen in the ledger",
                         order=m.order_id, line=m.voucher_fen, ledger=m.ledger_fen)) for m in check.mismatches]
        raise Conflict(_l("The statement does not match the ledger for %(count)d orders: %(orders)s.",
                          count=len(differ), orders="; ".join(differ[:20])), {"orders": differ})
    now = clock.now()
    won = db.session.execute(update(Statement).where(Statement.id == statement.id, Statement.status == "draft")
                             .values(status="approved", approved_by_id=actor.id, approved_at=now)
                             .execution_options(synchronize_session=False)).rowcount
    if won != 1:
        message = _l("The statement is already approved.")
        raise Conflict(message, {"status": [message]})
    db.session.refresh(statement)
    set_statuses(orders, "settled", actor=actor, from_status="confirmed",
                 reason=f"Settled on statement {statement.id} ({statement.period}).", statement_id=statement.id)
    holds.settle(statement, actor=actor)
    record("settlement.approved", statement, actor=actor, provider_id=statement.provider_id,
           period=statement.period, lines=statement.line_count, voucher_total_fen=statement.voucher_total_fen,
           deduction_total_fen=statement.deduction_total_fen, payable_fen=statement.payable_fen,
           carried_forward_fen=statement.carried_forward_fen, held_back=len(held))
    deductions.carry(statement, actor=actor)  # what it could not take back: on the provider's next statement
    db.session.flush()
    return statement


def statements(user, *, period: str | None = None, provider_id: int | None = None):
    """A select of the statements `user` may see, newest month first."""
    from .scope import visible_condition

    stmt = select(Statement).where(visible_condition(user))
    if period is not None:
        stmt = stmt.where(Statement.period == period)
    if provider_id is not None:
        stmt = stmt.where(Statement.provider_id == provider_id)
    return stmt.order_by(Statement.period.desc(), Statement.provider_id, Statement.sequence)
