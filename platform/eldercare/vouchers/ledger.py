"""The voucher ledger: double entry, append only, balances that never go below zero.

Every movement is one LedgerTransaction whose entries sum to zero. Each entry also moves its account's cached
balance with a single conditional UPDATE (`balance + amount`, refused by a CHECK when it would go negative),
so two bookings racing for the last fen cannot both win: the database serialises them on the account row.
`check()` proves, from the entries alone, that every transaction balances and every cached balance is right.
"""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict
from ..extensions import db
from .models import LedgerAccount, LedgerEntry, LedgerTransaction, VoucherGrant


def account(kind: str, owner_id: int) -> LedgerAccount:
    """The account, created on first use (safely when two transactions create it at once)."""
    found = db.session.scalar(select(LedgerAccount).where(LedgerAccount.kind == kind,
                                                          LedgerAccount.owner_id == owner_id))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            created = LedgerAccount(kind=kind, owner_id=owner_id, balance_fen=0)
            db.session.add(created)
        return created
    except IntegrityError:
        return db.session.scalar(select(LedgerAccount).where(LedgerAccount.kind == kind,
                                                             LedgerAccount.owner_id == owner_id))


ELDER_ACCOUNTS = ("elder_available", "elder_held")  # what vouchers pay from; money held for booked visits


def open_elder_accounts(elder_ids: list[int]) -> None:
    """An elder's voucher accounts, opened at registration, so issuance and booking only move money."""
    for kind in ELDER_ACCOUNTS:
        open_accounts(kind, elder_ids)


def open_accounts(kind: str, owner_ids: list[int], chunk: int = 5_000) -> None:
    """Create the owners' accounts that do not exist yet, in bulk (an elder's when registered, so that the
    monthly issuance finds them all and only moves money)."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(LedgerAccount.__table__).on_conflict_do_nothing(index_elements=["kind", "owner_id"])
    for start in range(0, len(owner_ids), chunk):
        db.session.execute(stmt, [dict(kind=kind, owner_id=o, balance_fen=0) for o in owner_ids[start:start + chunk]])


class Overdrawn(Conflict):
    """The movement would take an account below zero."""


def overdrawn() -> Overdrawn:
    return Overdrawn(_l("Not enough voucher balance."), {"pay_with": [_l("Not enough voucher balance.")]})


def is_overdraft(error: IntegrityError) -> bool:
    """The accounts' CHECK that a balance is not negative (named on PostgreSQL, not on SQLite)."""
    return "balance_not_negative" in str(error.orig) or "CHECK constraint failed" in str(error.orig)


def post(kind: str, key: str, moves: list[tuple[LedgerAccount, int]], *, period: str | None = None,
         elder_id: int | None = None, order_id: int | None = None, memo: str | None = None,
         actor=None) -> LedgerTransaction | None:
    """Record one balanced movement; None (and nothing written) if `key` was already posted.

    Raises Overdrawn when an account would go negative: the caller's transaction must then roll back (the
    savepoint here already undid this movement)."""
    if sum(amount for _, amount in moves) != 0:
        raise ValueError(f"unbalanced movement {key}: {moves}")
    if db.session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.key == key)) is not None:
        return None
    try:
        with db.session.begin_nested():
            txn = LedgerTransaction(kind=kind, key=key, period=period, elder_id=elder_id, order_id=order_id,
                                    amount_fen=sum(a for _, a in moves if a > 0), memo=memo,
                                    actor_id=getattr(actor, "id", None))
            db.session.add(txn)
            db.session.flush()
            for acct, amount in moves:
                if amount == 0:
                    continue
                db.session.add(LedgerEntry(transaction_id=txn.id, account_id=acct.id, amount_fen=amount))
                db.session.execute(update(LedgerAccount).where(LedgerAccount.id == acct.id)
                                   .values(balance_fen=LedgerAccount.balance_fen + amount)
                                   .execution_options(synchronize_session=False))
            db.session.flush()
    except IntegrityError as error:
        if is_overdraft(error):
            raise overdrawn() from None
        if db.session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.key == key)) is not None:
            return None  # posted by a concurrent transaction a moment ago
        raise
    for acct, _ in moves:
        db.session.expire(acct, ["balance_fen"])
    return txn


@dataclass
class LedgerCheck:
    transactions: int
    entries: int
    unbalanced: list[int]  # transaction ids
    wrong_balances: list[tuple[int, int, int]]  # (account id, cached, from entries)
    negative: list[int]  # account ids that may not be negative but are
    # (month, fen granted, fen the ledger moved to elders for it) where the two differ
    grants_unmatched: list[tuple[str, int, int]] = field(default_factory=list)
    # (month, elder id, its spellings) for an elder granted one month more than once, however it was spelled
    double_grants: list[tuple[str, int, list[str]]] = field(default_factory=list)
    # (table, elder id for a grant or transaction id, period) for a month not written YYYY-MM in ASCII digits
    odd_periods: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unbalanced or self.wrong_balances or self.negative or self.grants_unmatched
                    or self.double_grants or self.odd_periods)


def check() -> LedgerCheck:
    """Recompute everything from the entries."""
    unbalanced = list(db.session.scalars(
        select(LedgerEntry.transaction_id).group_by(LedgerEntry.transaction_id)
        .having(func.sum(LedgerEntry.amount_fen) != 0)))
    sums = dict(db.session.execute(select(LedgerEntry.account_id, func.sum(LedgerEntry.amount_fen))
                                   .group_by(LedgerEntry.account_id)).all())
    wrong, negative = [], []
    for acct in db.session.scalars(select(LedgerAccount)):
        derived = sums.get(acct.id, 0)
        if derived != acct.balance_fen:
            wrong.append((acct.id, acct.balance_fen, derived))
        if acct.kind != "bureau_budget" and derived < 0:
            negative.append(acct.id)
    # Every grant's money reached the elder's account, and nothing else was issued: month by month.
    granted = dict(db.session.execute(select(VoucherGrant.period, func.sum(VoucherGrant.amount_fen))
                                      .group_by(VoucherGrant.period)).all())
    moved = dict(db.session.execute(
        select(LedgerTransaction.period, func.sum(LedgerEntry.amount_fen))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerTransaction.kind == "issue", LedgerAccount.kind == "elder_available")
        .group_by(LedgerTransaction.period)).all())
    unmatched = [(p, granted.get(p, 0), moved.get(p, 0)) for p in sorted(set(granted) | set(moved))
                 if granted.get(p, 0) != moved.get(p, 0)]
    odd, doubles = _odd_periods()
    return LedgerCheck(
        transactions=db.session.scalar(select(func.count(LedgerTransaction.id))),
        entries=db.session.scalar(select(func.count(LedgerEntry.id))),
        unbalanced=unbalanced, wrong_balances=wrong, negative=negative, grants_unmatched=unmatched,
        double_grants=doubles, odd_periods=odd)


def _read_month(period: str) -> str | None:
    """The month a period means whatever digits spell it ("２０２６-１２" and "٢٠٢٦-١٢" mean 2026-12), or None."""
    import unicodedata

    from ..clock import BadMonth, Month

    try:
        return str(Month.parse("".join(str(unicodedata.digit(c)) if unicodedata.digit(c, None) is not None else c
                                       for c in period)))
    except BadMonth:
        return None


def _odd_periods() -> tuple[list[tuple[str, int, str]], list[tuple[str, int, list[str]]]]:
    """Periods not written YYYY-MM in ASCII digits (rows from before the database refused them), and the elders
    granted one month twice under two spellings: the once-per-elder-and-month key was the raw string. Only the
    odd rows are read (the database finds them), then their elders' grants of the same month."""
    # Imported here, not at the top, to keep this check apart from the ledger's writers while they are rewritten.
    from collections import defaultdict

    from sqlalchemy import text

    from .models import CANONICAL_PERIOD

    # The database's own test (the CHECK's expression, on the one table each query reads), so only odd rows come.
    canonical, odd_period = text(f"({CANONICAL_PERIOD})"), text(f"NOT ({CANONICAL_PERIOD})")
    chunk = 5_000  # ids in one IN (...): under every database's parameter limit
    grants = db.session.execute(select(VoucherGrant.period, VoucherGrant.elder_id).where(odd_period)).all()
    txns = db.session.execute(select(LedgerTransaction.id, LedgerTransaction.period).where(
        LedgerTransaction.period.is_not(None), odd_period)).all()
    odd = [("voucher_grants", g.elder_id, g.period) for g in grants]
    odd += [("ledger_transactions", t.id, t.period) for t in txns]
    spellings = defaultdict(set)  # (month, elder) -> the periods it was granted under
    for g in grants:
        month = _read_month(g.period)
        if month is not None:
            spellings[(month, g.elder_id)].add(g.period)
    for start in range(0, len(grants), chunk):
        elder_ids = list({g.elder_id for g in grants[start:start + chunk]})
        for period, elder_id in db.session.execute(select(VoucherGrant.period, VoucherGrant.elder_id).where(
                VoucherGrant.elder_id.in_(elder_ids), canonical)):
            if (period, elder_id) in spellings:
                spellings[(period, elder_id)].add(period)
    doubles = sorted((month, elder_id, sorted(periods)) for (month, elder_id), periods in spellings.items()
                     if len(periods) > 1)
    return odd, doubles
