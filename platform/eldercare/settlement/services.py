"""Settlement: a month's statements, their reconciliation with the voucher ledger, and their approval.

Generating is set-based and per provider. The provider's row is locked (so two runs of one month, two
schedulers, a CLI beside the API, take a provider one after the other), its month's candidates are read (orders
confirmed or disputed whose visit ended in the month and that are on no statement), the hold-back rules
(held_back.py) say which stay off, and the lines are written with one INSERT ... SELECT from the orders. An order
is on one line at most (a unique constraint), so a run that was killed half-way and run again, or a second run
later in the month (a supplementary statement), settles each order exactly once. The callers commit: a request
once at its end, the scheduler's job and `flask settle` after each provider (the `each` callback), so a kill
keeps the providers done.

Approval is the bureau's, by an officer of the provider's district who did not generate the statement. It locks
the statement, takes off the lines of orders that left `confirmed` since (held back, for a later statement),
refuses (409) while the lines do not reconcile with the ledger's captures fen for fen, then moves every order to
`settled` through the one status path (dispatch.set_statuses) and the provider's payable to paid through the
ledger's one call (holds.settle). An approved statement never changes again."""
from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, delete, exists, func, insert, literal, select, update

from .. import clock, sql
from ..audit.services import record
from ..clock import Month
from ..errors import Conflict, Forbidden, Invalid
from ..extensions import db
from ..orders.dispatch import set_statuses
from ..orders.models import WorkOrder
from ..providers.models import Provider
from ..vouchers import holds
from ..vouchers.models import LedgerAccount, LedgerEntry, LedgerTransaction
from . import held_back
from .models import Statement, StatementLine
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
                   orders.provider_id.is_not(None), ~exists().where(lines.order_id == orders.id))
            .order_by(orders.provider_id))
    if within is not None:
        stmt = stmt.where(orders.provider_id.in_(within))
    return list(db.session.scalars(stmt))


def generate(month: Month, *, actor=None, within=None,
             each: Callable[[Statement | None], None] | None = None) -> list[Statement]:
    """One statement per provider for the month's confirmed visits not on a statement yet (the provider's first
    of the month is `regular`, a later one `supplementary`), with the disputed ones held back and listed. A
    provider with nothing new gets no statement, so a second run makes nothing. `each` is called after each
    provider (with its statement, or None), for a job to commit as it goes. `within`: only those providers (a
    select of ids; the caller's scope), all when None."""
    period = settleable(month)
    made = []
    for provider_id in providers_to_settle(month, within=within):
        statement = _generate_one(provider_id, month, period, actor)
        if statement is not None:
            made.append(statement)
        if each is not None:
            each(statement)
    return made


def _generate_one(provider_id: int, month: Month, period: str, actor) -> Statement | None:
    # The provider's row, locked (FOR NO KEY UPDATE: bookings that name the provider are not held up), so that
    # two runs take this provider one after the other and the second sees what the first wrote.
    db.session.execute(select(Provider.id).where(Provider.id == provider_id).with_for_update(key_share=True))
    start, end = month.bounds()
    orders, lines = WorkOrder.__table__.c, StatementLine.__table__.c
    in_month = (orders.provider_id == provider_id, orders.check_out_at >= start, orders.check_out_at < end,
                ~exists().where(lines.order_id == orders.id))
    candidates = db.session.execute(select(orders.id, orders.status).where(
        orders.status.in_(SETTLING), *in_month)).all()
    held = held_back.reasons([order_id for order_id, _ in candidates])
    settling = sum(1 for order_id, status in candidates if status == "confirmed" and order_id not in held)
    sequence = (db.session.scalar(select(func.max(Statement.sequence)).where(
        Statement.provider_id == provider_id, Statement.period == period)) or 0) + 1
    if not settling and (not held or sequence > 1):
        return None  # nothing new: a rerun makes no empty statement
    statement = Statement(provider_id=provider_id, period=period, sequence=sequence,
                          kind="regular" if sequence == 1 else "supplementary", status="draft",
                          held_back=[held[order_id] for order_id in sorted(held)],
                          generated_by_id=getattr(actor, "id", None), generated_at=clock.now())
    db.session.add(statement)
    db.session.flush()
    collected = orders.copay_paid_fen - orders.copay_refunded_fen
    source = select(literal(statement.id), orders.id, orders.item_id, orders.elder_id, orders.caregiver_id,
                    orders.check_in_at, orders.check_out_at, orders.check_in_distance_m,
                    orders.check_out_distance_m, orders.voucher_fen, orders.copay_fen,
                    case((collected > 0, collected), else_=0)).where(orders.status == "confirmed", *in_month)
    if held:
        source = source.where(orders.id.not_in(sorted(held)))
    db.session.execute(insert(StatementLine).from_select(
        ["statement_id", "order_id", "item_id", "elder_id", "caregiver_id", "check_in_at", "check_out_at",
         "check_in_distance_m", "check_out_distance_m", "voucher_fen", "copay_fen", "copay_collected_fen"],
        source))
    _count(statement)
    record("settlement.generated", statement, actor=actor, provider_id=provider_id, period=period,
           kind=statement.kind, lines=statement.line_count, voucher_total_fen=statement.voucher_total_fen,
           held_back=len(held))
    return statement


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
           held_back=len(held))
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
