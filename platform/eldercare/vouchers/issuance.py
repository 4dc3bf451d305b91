"""Monthly issuance and lapse.

Issuing is idempotent per elder and month: a VoucherGrant keyed by (month, elder) is inserted with ON CONFLICT
DO NOTHING, so a rerun, a second scheduler racing the first, or a restart after a crash grants exactly what is
missing. Work goes in batches, each its own database transaction: the batch's grants, then the money as one
balanced movement (the district's budget account against each elder granted in it) through `ledger.post_many`,
the one ledger call. Lapse is set-based the same way: a district's balances read in one query, a batch of
movements posted in one call. Both run the same code on PostgreSQL and SQLite.
"""
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select

from .. import clock, sql
from ..audit.services import record
from ..clock import Month
from ..elders.models import CARE_LEVELS, Elder
from ..elders.scope import community_ids
from ..errors import Invalid
from ..extensions import db
from ..regions.models import Region
from ..regions.services import descendant_ids
from . import ledger
from .eligibility import MIN_AGE, period_start, policy_for, previous_periods, tier_for
from .models import LedgerAccount, LedgerEntry, LedgerTransaction, VoucherGrant, VoucherPolicy

BATCH = 25_000  # grants or lapses in one database transaction: each batch is one JSON document per table
WORKERS = 3  # districts worked at once, each on its own connection, where the database takes writers side by
# side: one more than the 2 cores, to keep both busy while a connection waits on its commit or on Python
NEEDIEST_FIRST = {"tekun": 0, "dibao": 1, "low_income": 2, "none": 3}


@dataclass
class IssueReport:
    period: str
    eligible: int = 0
    issued: int = 0
    already: int = 0
    total_fen: int = 0
    left_out: list[int] = field(default_factory=list)  # elder ids the budget did not reach
    districts: list[str] = field(default_factory=list)


def districts_in(region_id: int | None) -> list[int]:
    stmt = select(Region.id).where(Region.level == "district")
    if region_id is not None:
        stmt = stmt.where(Region.id.in_(descendant_ids(region_id)))
    return list(db.session.scalars(stmt.order_by(Region.id)))


def only_the_current_month(month: Month) -> str:
    """The month as the key it is stored under ("2026-12"), if it is the current month; Invalid (422) naming
    `period` otherwise. A month that has not begun would pay out ahead of time, one that is over would pay
    again what has lapsed; the scheduler's catch-up after a missed 1st is in the month too."""
    if not isinstance(month, Month):  # parsed once, where it came in (MonthField, month_from): never text here
        raise TypeError(f"a clock.Month, not {month!r}")
    current = Month.current()
    if month != current:
        message = _l("Only the current month, %(current)s, can be issued or lapsed: not %(month)s.",
                     current=str(current), month=str(month))
        raise Invalid(message, {"period": [message]})
    return str(month)


def issue_period(month: Month, *, region_id: int | None = None, actor=None,
                 progress: Callable[[int], None] | None = None) -> IssueReport:
    """Issue the month's vouchers to every eligible elder in the districts under `region_id` (all if None);
    only the current month. Commits batch by batch."""
    period = only_the_current_month(month)
    start = period_start(period)
    work = [(d, policy.id) for d in districts_in(region_id) if (policy := policy_for(d, period)) is not None]
    actor_id = getattr(actor, "id", None)
    lock = threading.Lock()  # `progress` is called from each district's thread
    parts = _by_district(lambda district_id, policy_id: _issue_district(
        district_id, policy_id, period, start, actor_id, progress, lock), work)
    report = IssueReport(period)
    for (district_id, _), part in zip(work, parts, strict=True):
        report.eligible += part.eligible
        report.issued += part.issued
        report.already += part.already
        report.total_fen += part.total_fen
        report.left_out += part.left_out
        report.districts.append(str(district_id))
    record("vouchers.issued", actor=actor, period=period, eligible=report.eligible, issued=report.issued,
           already=report.already, total_fen=report.total_fen, left_out=len(report.left_out))
    db.session.commit()
    return report


def _by_district(work_on: Callable, work: list[tuple]) -> list:
    """`work_on(*item)` for each district's item, committing as it goes. Where the database takes several
    writers at once (PostgreSQL) the districts go side by side, each on its own connection: each has its own
    budget and lapse accounts and its own elders, so they never wait for each other and both cores work."""
    db.session.commit()  # the districts' sessions must not wait on anything this one holds
    if not sql.writers_side_by_side() or len(work) < 2:
        return [work_on(*item) for item in work]
    app = current_app._get_current_object()

    def in_own_session(item):
        with app.app_context():
            try:
                return work_on(*item)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(in_own_session, work))


def _issue_district(district_id, policy_id, period, start, actor_id, progress, lock) -> IssueReport:
    """One district's grants, batch by batch, in the current session."""
    policy = db.session.get(VoucherPolicy, policy_id)
    report = IssueReport(period)
    oldest_birth = start.replace(year=start.year - MIN_AGE)
    # The elders with their available accounts (opened at registration), as plain Core rows: not the ORM's
    # per-row loading of 357,000 of them, nor a second query for their accounts.
    elders, available = Elder.__table__, LedgerAccount.__table__
    rows = db.session.execute(
        select(elders.c.id, elders.c.care_level, elders.c.hardship, elders.c.community_id, available.c.id)
        .outerjoin(available, and_(available.c.kind == "elder_available", available.c.owner_id == elders.c.id))
        .where(elders.c.community_id.in_(community_ids(district_id)), elders.c.status == "active",
               elders.c.birth_date <= oldest_birth, elders.c.care_level.is_not(None))).all()
    # The policy's tier for each (care level, hardship) once: a district's elders fall into a dozen such pairs.
    tiers = {pair: tier_for(policy, *pair) for pair in {(level, hardship) for _, level, hardship, _, _ in rows}}
    grants, homes, accounts = [], {}, {}
    for elder_id, level, hardship, community_id, account_id in rows:
        homes[elder_id] = community_id
        tier = tiers[level, hardship]
        if tier is not None:
            grants.append((elder_id, tier.monthly_fen, level, hardship))
            if account_id is not None:
                accounts["elder_available", elder_id] = account_id
    report.eligible += len(grants)
    # Every grant of the month, city-wide (one row per elder at most): cheaper than asking about a district's
    # elders by id, and no parameter limit to hit.
    grants_table = VoucherGrant.__table__
    month = set(db.session.scalars(select(grants_table.c.elder_id).where(grants_table.c.period == period)))
    already = [g for g in grants if g[0] in month]
    report.already += len(already)
    grants = [g for g in grants if g[0] not in month]
    # The neediest first, so that a budget that runs out leaves out those best able to wait.
    grants.sort(key=lambda g: (-CARE_LEVELS.index(g[2]), NEEDIEST_FIRST[g[3]], g[0]))
    accounts |= ledger.accounts([("bureau_budget", district_id), *(
        ("elder_available", g[0]) for g in grants if ("elder_available", g[0]) not in accounts)])
    bureau_id = accounts["bureau_budget", district_id]
    if policy.monthly_budget_fen is not None:
        used = -(db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerEntry.account_id == bureau_id, LedgerTransaction.period == period,
                   LedgerTransaction.kind == "issue")) or 0)
        room, within = policy.monthly_budget_fen - used, []
        for g in grants:
            if g[1] <= room:
                within.append(g)
                room -= g[1]
            else:
                report.left_out.append(g[0])
        grants = within
    db.session.commit()  # the accounts opened: every batch below only grants and moves money
    now = clock.now()
    memo = f"{policy.name}: {period}"
    for begin in range(0, len(grants), BATCH):
        batch = grants[begin:begin + BATCH]
        issued, total = _write(batch, period, memo, actor_id, now, bureau_id, accounts, homes)
        db.session.commit()  # each batch stands on its own: a crash later loses nothing done here
        report.issued += issued
        report.already += len(batch) - issued  # issued by a concurrent run a moment ago
        report.total_fen += total
        if progress:
            with lock:
                progress(len(batch))
    return report


def _write(batch, period, memo, actor_id, now, bureau_id, accounts, homes) -> tuple[int, int]:
    """Grant the batch's (elder, fen, care level, hardship) (skipping elders granted a moment ago by a
    concurrent run) and move the money as one balanced movement from the district's budget, uncommitted:
    (grants made, fen issued). The movement's key names the batch by its first elder granted; `homes` ({elder
    id: community id}) sums it by community for the reports in the same call."""
    granted = sql.insert_rows(VoucherGrant.__table__, [
        dict(period=period, elder_id=elder_id, amount_fen=fen, care_level=level, hardship=hardship)
        for elder_id, fen, level, hardship in batch],
        conflict=["period", "elder_id"], returning=("elder_id", "amount_fen"))
    if not granted:
        return 0, 0
    total = sum(fen for _, fen in granted)
    movement = ledger.Movement(
        "issue", f"issue:{period}:{bureau_id}:{min(elder_id for elder_id, _ in granted)}",
        ((bureau_id, -total), *((accounts["elder_available", elder_id], fen) for elder_id, fen in granted)),
        period=period, memo=memo, actor_id=actor_id)
    communities = {accounts["elder_available", elder_id]: homes[elder_id] for elder_id, _ in granted}
    # Its key was taken: never commit a grant without money.
    if not ledger.post_many([movement], now=now, communities=communities).posted:
        raise RuntimeError(f"{movement.key} was posted before, yet its {len(granted)} grants are new")
    return len(granted), total


def lapse_period(month: Month, *, region_id: int | None = None, actor=None) -> int:
    """At the start of the month (only the current one), return to the bureau every available fen older than
    the policy lets carry over (spending uses the oldest money first). Idempotent by state: what an elder holds
    beyond the kept months' grants lapses, so a rerun finds nothing over. Commits batch by batch."""
    period = only_the_current_month(month)
    actor_id = getattr(actor, "id", None)
    work = [(d, policy.carry_over_months) for d in districts_in(region_id)
            if (policy := policy_for(d, period)) is not None]
    lapsed = sum(_by_district(lambda district_id, carry_over: _lapse_district(
        district_id, carry_over, period, actor_id), work))
    record("vouchers.lapsed", actor=actor, period=period, region_id=region_id, lapsed_fen=lapsed)
    return lapsed


def _lapse_district(district_id: int, carry_over: int, period: str, actor_id: int | None) -> int:
    """One district's lapse, batch by batch: each batch one balanced movement (the elders' accounts against the
    district's lapsed account), one ledger call and one commit. A batch's balances are read again once the
    district's lapsed account is locked, so two lapse runs of a district (a second scheduler, a retry) take
    turns and the second finds nothing over; a booking that holds money between that read and the post makes
    the post overdraw, and the batch is read again with its accounts locked."""
    keep = [period, *previous_periods(period, carry_over)]
    candidates = _holding(district_id)  # what is over the kept months is read batch by batch, below
    if not candidates:
        return 0
    bin_id = ledger.accounts([("lapsed", district_id)])["lapsed", district_id]
    memo = f"Unused vouchers older than {carry_over} month(s) lapse"
    db.session.commit()  # the lapsed account opened; each batch below is its own transaction
    lapsed = 0

    def post(part):
        over = _over_kept(keep, part)
        movement = lapse_movement(period, bin_id, [row[:3] for row in over], memo, actor_id)
        # The elders' communities, read with their balances, sum the lapse by community in the same call.
        return ledger.post_many([movement] if movement else [], communities={row[0]: row[3] for row in over})

    for begin in range(0, len(candidates), BATCH):
        part = candidates[begin:begin + BATCH]
        _lock([bin_id])
        try:
            posted = post(part)
        except ledger.Overdrawn:
            db.session.rollback()
            _lock([bin_id, *part])
            posted = post(part)
        db.session.commit()  # each batch stands on its own: a rerun lapses only what is left
        lapsed += posted.total_fen
    return lapsed


def lapse_movement(period: str, bin_id: int, rows: list[tuple], memo: str, actor_id: int | None):
    """A batch's lapse: each (account id, elder id, fen) from the elder's available account to the district's
    lapsed account, as one movement (a city's month is a few dozen transactions, not one per elder); None when
    nothing is over. Its key names the batch by its first account and the moment, since the balances, read
    under the district's lock, and not the key, keep a lapse from happening twice."""
    rows = [row for row in rows if row[2] > 0]
    if not rows:
        return None
    total = sum(fen for _, _, fen in rows)
    return ledger.Movement("lapse", f"lapse:{period}:{bin_id}:{rows[0][0]}:{clock.now():%Y%m%d%H%M%S%f}",
                           ((bin_id, total), *((account_id, -fen) for account_id, _, fen in rows)),
                           period=period, memo=memo, actor_id=actor_id)


def _lock(account_ids: list[int]) -> None:
    """Lock these ledger accounts for the rest of the transaction, in id order (as every writer moves them)."""
    for part in sql.chunks(sorted(account_ids), ledger.CHUNK):
        db.session.execute(sql.locked(select(LedgerAccount.id).where(sql.any_of(LedgerAccount.id, part))
                                      .order_by(LedgerAccount.id))).all()


def _holding(district_id: int) -> list[int]:
    """The available accounts of the district's elders that hold anything, in id order."""
    return list(db.session.scalars(
        select(LedgerAccount.id).join(Elder, Elder.id == LedgerAccount.owner_id)
        .where(LedgerAccount.kind == "elder_available", LedgerAccount.balance_fen > 0,
               Elder.community_id.in_(community_ids(district_id)))
        .order_by(LedgerAccount.id)))


def _over_kept(keep: list[str], account_ids: list[int]) -> list[tuple]:
    """(account id, elder id, fen, community id) of these elders' available accounts whose balance is more than
    their grants of the `keep` months: the fen beyond them are older and lapse. In account id order."""
    kept = (select(func.coalesce(func.sum(VoucherGrant.amount_fen), 0))
            .where(VoucherGrant.elder_id == LedgerAccount.owner_id, VoucherGrant.period.in_(keep))
            .scalar_subquery())
    rows = []
    for part in sql.chunks(account_ids, ledger.CHUNK):
        rows += db.session.execute(
            select(LedgerAccount.id, LedgerAccount.owner_id, LedgerAccount.balance_fen - kept, Elder.community_id)
            .join(Elder, Elder.id == LedgerAccount.owner_id)
            .where(sql.any_of(LedgerAccount.id, part), LedgerAccount.balance_fen > kept)
            .order_by(LedgerAccount.id)).all()
    return rows


def issue_now_if_eligible(elder, *, actor=None, month: Month | None = None) -> int | None:
    """Give an elder who has just become eligible this month's vouchers the same day (once, like any grant)."""
    from .eligibility import district_of, explain

    period = only_the_current_month(month or Month.current())
    eligibility = explain(elder, period)
    if not eligibility.eligible:
        return None
    district_id = district_of(elder.community_id)
    accounts = ledger.accounts([("bureau_budget", district_id), ("elder_available", elder.id)])
    # A batch of one, through the same grant and ledger call as the month's issuance.
    _, fen = _write([(elder.id, eligibility.monthly_fen, elder.care_level, elder.hardship)], period,
                    f"{eligibility.policy.name}: {elder.care_level}/{elder.hardship} (became eligible)",
                    getattr(actor, "id", None), clock.now(), accounts["bureau_budget", district_id], accounts,
                    {elder.id: elder.community_id})
    return fen or None  # the fen issued; None when this month's were issued already
