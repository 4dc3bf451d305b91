"""The voucher ledger: double entry, append only, balances that never go below zero.

Every movement is one LedgerTransaction whose entries sum to zero. Each entry also moves its account's cached
balance with a single conditional UPDATE (`balance + amount`, refused by a CHECK when it would go negative),
so two bookings racing for the last fen cannot both win: the database serialises them on the account row.
`check()` proves, from the entries alone, that every transaction balances and every cached balance is right, and
that the reports' summary of what was issued and lapsed by community and month (kept by `post_many`) is what the
districts' accounts moved.
"""
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import clock, sql
from ..elders.models import Elder
from ..errors import Conflict
from ..extensions import db
from ..regions.models import Region
from .models import (
    NEVER_NEGATIVE,
    TRANSACTION_KINDS,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    VoucherCommunityMonth,
    VoucherGrant,
)

CHUNK = 5_000  # ids in one IN (...): well under SQLite's and psycopg's parameter limits


def accounts(pairs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The ids of the (kind, owner) accounts, opening in bulk those that do not exist yet (safely when two
    transactions open the same one at once): the one way an account is opened."""
    wanted = sorted(set(pairs))
    table = LedgerAccount.__table__
    found: dict[tuple[str, int], int] = {}
    for attempt in range(2):
        # One query for every kind asked (a booking's available and held accounts cost one round trip); rows of
        # a kind not asked for this owner are left out below.
        owners = sorted({owner for kind, owner in wanted if (kind, owner) not in found})
        kinds = sorted({kind for kind, _ in wanted})
        for chunk in sql.chunks(owners, CHUNK):
            for kind, owner, account_id in db.session.execute(
                    select(table.c.kind, table.c.owner_id, table.c.id).where(
                        table.c.kind.in_(kinds), sql.any_of(table.c.owner_id, chunk))).all():  # not row by row
                found[kind, owner] = account_id
        missing = [pair for pair in wanted if pair not in found]
        if not missing or attempt:
            break
        sql.insert_rows(table, [dict(kind=k, owner_id=o, balance_fen=0) for k, o in missing],
                        conflict=["kind", "owner_id"])
    return {pair: found[pair] for pair in wanted if pair in found}


def account(kind: str, owner_id: int) -> LedgerAccount:
    """One account as an object (opened on first use)."""
    return db.session.get(LedgerAccount, accounts([(kind, owner_id)])[(kind, owner_id)])


ELDER_ACCOUNTS = ("elder_available", "elder_held")  # what vouchers pay from; money held for booked visits


def open_elder_accounts(elder_ids: list[int]) -> None:
    """An elder's voucher accounts, opened at registration, so issuance and booking only move money."""
    accounts((kind, elder_id) for elder_id in elder_ids for kind in ELDER_ACCOUNTS)


class Overdrawn(Conflict):
    """The movement would take an account below zero."""


def overdrawn() -> Overdrawn:
    return Overdrawn(_l("Not enough voucher balance."), {"pay_with": [_l("Not enough voucher balance.")]})


def is_overdraft(error: IntegrityError) -> bool:
    """The accounts' CHECK that a balance is not negative (named on PostgreSQL, not on SQLite)."""
    return "balance_not_negative" in str(error.orig) or "CHECK constraint failed" in str(error.orig)


@dataclass(frozen=True)
class Movement:
    """One balanced movement of voucher money: `moves` are (account id, fen) pairs that sum to zero. `key`
    makes it happen once ('hold:<order>', 'issue:<period>:<budget account>:<first elder>',
    'lapse:<period>:<lapsed account>:<first account>:<moment>')."""

    kind: str
    key: str
    moves: tuple[tuple[int, int], ...]
    period: str | None = None
    elder_id: int | None = None
    order_id: int | None = None
    memo: str | None = None
    actor_id: int | None = None

    def __post_init__(self):
        if self.kind not in TRANSACTION_KINDS:
            raise ValueError(f"unknown movement kind {self.kind}")
        if sum(amount for _, amount in self.moves) != 0:
            raise ValueError(f"unbalanced movement {self.key}: {self.moves}")

    @property
    def amount_fen(self) -> int:
        return sum(amount for _, amount in self.moves if amount > 0)


@dataclass
class Posted:
    posted: list[Movement] = field(default_factory=list)  # written now
    already: list[Movement] = field(default_factory=list)  # their key was posted before: nothing written
    short: list[Movement] = field(default_factory=list)  # refused for a short balance (short="skip")

    @property
    def total_fen(self) -> int:
        return sum(m.amount_fen for m in self.posted)


def post_many(movements: list[Movement], *, short: str = "raise", now: datetime | None = None,
              communities: dict[int, int] | None = None, fresh: bool = False) -> Posted:
    """Record balanced movements, set-based: every voucher fen moves through here (issue, hold, release,
    capture, lapse, reversal, settlement). A key posted before is skipped (idempotent retries). What issue and
    lapse movements move on elders' available accounts is added to the month's summary by community
    (`VoucherCommunityMonth`) in the same transaction: `communities` ({available account id: the elder's
    community id}) when the caller read them with its elders (issuance, lapse), else read here.

    A short balance is refused one way, by the accounts' CHECK that a balance never goes below zero, which
    the database applies even to racing writers. `short="raise"`: Overdrawn (409), and the caller's
    transaction must roll back. `short="skip"` (a batch that refuses some and writes the rest): the debited
    accounts are locked first, in id order, and the movements that their balances cannot cover, taken in the
    order given, are left out and returned in `short`.

    `fresh`: the keys are new (they name orders written in the same transaction), so nothing needs reading back:
    the transactions and their entries are written as one statement, held by sql.together with the order
    writer's, and a key posted before raises rather than being skipped."""
    result = Posted()
    if not movements:
        return result
    unique = {}  # a key twice in one call: the first is the movement, the second a retry of it
    for m in movements:
        if m.key in unique:
            result.already.append(m)
        else:
            unique[m.key] = m
    movements = list(unique.values())
    if short == "skip":
        movements, result.short = _affordable(movements)
    elif short != "raise":
        raise ValueError(short)
    now = now or clock.now()
    transactions = [dict(kind=m.kind, key=m.key, period=m.period, elder_id=m.elder_id, order_id=m.order_id,
                         amount_fen=m.amount_fen, memo=m.memo, actor_id=m.actor_id, created_at=now) for m in movements]
    if fresh:
        ids = None
        result.posted = movements
    else:
        ids = dict(sql.insert_rows(LedgerTransaction.__table__, transactions, returning=("key", "id"),
                                   conflict=["key"]))
        for m in movements:
            (result.posted if m.key in ids else result.already).append(m)
    entries, deltas = [], defaultdict(int)
    for m in result.posted:
        for account_id, amount in m.moves:
            if amount:
                # Fresh: the entry names its transaction by key, and the statement finds the id.
                entries.append(dict(transaction_id=m.key if ids is None else ids[m.key], account_id=account_id,
                                    amount_fen=amount))
                deltas[account_id] += amount
    if fresh:
        sql.insert_linked(LedgerTransaction.__table__, transactions, key="key",
                          children={LedgerEntry.__table__: ("transaction_id", entries)})
    else:
        sql.insert_rows(LedgerEntry.__table__, entries)
    try:
        sql.add_to_balances(LedgerAccount.__table__, deltas)
    except IntegrityError as error:
        if is_overdraft(error):
            raise overdrawn() from None
        raise
    _add_to_community_months(result.posted, communities)
    _expire_moved(deltas)
    return result


SUMMED = {"issue": "issued_fen", "lapse": "lapsed_fen"}  # the movements summed by community and month


def _add_to_community_months(posted: list[Movement], communities: dict[int, int] | None) -> None:
    """Add the issue and lapse movements' fen on elders' available accounts to their communities' months: one
    grouped upsert (a batch of 25,000 elders is a few dozen rows), nothing for other movements."""
    summed = [m for m in posted if m.kind in SUMMED and m.period is not None]
    if not summed:
        return
    if communities is None:
        communities = {}
        table, elders = LedgerAccount.__table__, Elder.__table__
        wanted = sorted({account_id for m in summed for account_id, _ in m.moves})
        for chunk in sql.chunks(wanted, CHUNK):
            communities.update(db.session.execute(
                select(table.c.id, elders.c.community_id).join(elders, elders.c.id == table.c.owner_id)
                .where(table.c.kind == "elder_available", sql.any_of(table.c.id, chunk))).all())
    sums = defaultdict(int)
    for m in summed:
        sign = 1 if m.kind == "issue" else -1  # into the elder's account (an issue), out of it (a lapse)
        for account_id, amount in m.moves:
            if account_id in communities:
                sums[communities[account_id], m.period, SUMMED[m.kind]] += sign * amount
    rows = [dict(community_id=c, period=p, issued_fen=fen if column == "issued_fen" else 0,
                 lapsed_fen=fen if column == "lapsed_fen" else 0) for (c, p, column), fen in sums.items()]
    sql.add_to_rows(VoucherCommunityMonth.__table__, rows, key=["community_id", "period"])


def _expire_moved(deltas) -> None:
    """The balances moved by a Core UPDATE are stale on any account object this session has loaded: reload
    them on next use (jobs hold none; a request may hold one or two)."""
    loaded = db.session.identity_map
    for key in [key for key in loaded.keys() if key[0] is LedgerAccount and key[1][0] in deltas]:
        db.session.expire(loaded[key], ["balance_fen"])  # by its key: reading obj.id may load an expired object


def _affordable(movements: list[Movement]) -> tuple[list[Movement], list[Movement]]:
    """Of `movements`, in order, those the debited accounts cover; the debited accounts stay locked."""
    debited = sorted({account_id for m in movements for account_id, amount in m.moves if amount < 0})
    table = LedgerAccount.__table__
    balance, kinds = {}, {}
    for chunk in sql.chunks(debited, CHUNK):
        for account_id, kind, fen in db.session.execute(sql.locked(
                select(table.c.id, table.c.kind, table.c.balance_fen)
                .where(sql.any_of(table.c.id, chunk)).order_by(table.c.id))):
            balance[account_id], kinds[account_id] = fen, kind
    kept, short = [], []
    for m in movements:
        if any(kinds.get(a) in NEVER_NEGATIVE and balance[a] + amount < 0 for a, amount in m.moves if amount < 0):
            short.append(m)
            continue
        for account_id, amount in m.moves:
            if account_id in balance:
                balance[account_id] += amount
        kept.append(m)
    return kept, short


def post(kind: str, key: str, moves: list[tuple[LedgerAccount, int]], *, period: str | None = None,
         elder_id: int | None = None, order_id: int | None = None, memo: str | None = None,
         actor=None) -> Movement | None:
    """One movement between account objects; None (and nothing written) if `key` was already posted;
    Overdrawn (409) when an account would go negative."""
    movement = Movement(kind, key, tuple((acct.id, amount) for acct, amount in moves), period=period,
                        elder_id=elder_id, order_id=order_id, memo=memo, actor_id=getattr(actor, "id", None))
    posted = post_many([movement]).posted
    return posted[0] if posted else None


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
    # (district id, month, "issue" or "lapse", fen in the summary by community, fen on the district's account)
    # where the reports' summary differs from the ledger
    summary_unmatched: list[tuple[int, str, str, int, int]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unbalanced or self.wrong_balances or self.negative or self.grants_unmatched
                    or self.double_grants or self.odd_periods or self.summary_unmatched)


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
        double_grants=doubles, odd_periods=odd, summary_unmatched=_summary_unmatched())


def _summary_unmatched() -> list[tuple[int, str, str, int, int]]:
    """The reports' summary by community and month against the ledger, district by district: every issue moves
    money out of the district's budget account and every lapse into its lapsed account, each to or from elders
    of the district's communities, so a district's month sums the same both ways. (By community the ledger tells
    only where an elder lives now, not where he lived when the money moved.) Set-based: the summary's rows and
    the districts' accounts' entries, grouped by the database."""
    regions = {r.id: r for r in db.session.execute(select(Region.id, Region.level, Region.parent_id))}

    def district(region_id):
        node = regions.get(region_id)
        while node is not None and node.level != "district":
            node = regions.get(node.parent_id)
        return node.id if node is not None else None

    summary = defaultdict(int)
    for community_id, period, issued, lapsed in db.session.execute(select(
            VoucherCommunityMonth.community_id, VoucherCommunityMonth.period, VoucherCommunityMonth.issued_fen,
            VoucherCommunityMonth.lapsed_fen)):
        summary[district(community_id), period, "issue"] += int(issued)
        summary[district(community_id), period, "lapse"] += int(lapsed)
    ledger = defaultdict(int)
    for owner_id, account_kind, kind, period, fen in db.session.execute(
            select(LedgerAccount.owner_id, LedgerAccount.kind, LedgerTransaction.kind, LedgerTransaction.period,
                   func.sum(LedgerEntry.amount_fen))
            .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerAccount.kind.in_(("bureau_budget", "lapsed")), LedgerTransaction.kind.in_(tuple(SUMMED)),
                   LedgerTransaction.period.is_not(None))
            .group_by(LedgerAccount.owner_id, LedgerAccount.kind, LedgerTransaction.kind, LedgerTransaction.period)):
        if (account_kind, kind) in (("bureau_budget", "issue"), ("lapsed", "lapse")):
            ledger[owner_id, period, kind] += int(fen) if kind == "lapse" else -int(fen)
    return [(d, p, k, summary.get((d, p, k), 0), ledger.get((d, p, k), 0))
            for d, p, k in sorted(set(summary) | set(ledger), key=lambda x: (x[0] or 0, x[1], x[2]))
            if summary.get((d, p, k), 0) != ledger.get((d, p, k), 0)]


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
