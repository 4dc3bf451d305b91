"""Monthly issuance and lapse.

Issuing is idempotent per elder and month: a VoucherGrant keyed by (month, elder) is inserted with ON CONFLICT
DO NOTHING, so a rerun, a second scheduler racing the first, or a restart after a crash grants exactly what is
missing. Work goes in batches, each its own database transaction and one balanced ledger transaction (the
district's budget account against each elder granted in it), set-based: a city of 357,000 elders is issued in
seconds, not hours.
"""
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ..audit.services import record
from ..clock import Month
from ..db import utcnow
from ..elders.models import CARE_LEVELS, Elder
from ..elders.scope import community_ids
from ..errors import Invalid
from ..extensions import db
from ..regions.models import Region
from ..regions.services import descendant_ids
from . import ledger
from .eligibility import MIN_AGE, period_start, policy_for, previous_periods, tier_for
from .models import LedgerAccount, LedgerEntry, LedgerTransaction, VoucherGrant, VoucherPolicy

BATCH = 5_000
PG_BATCH = 25_000  # arrays carry a batch in one round trip: bigger batches, fewer commits
PG_WORKERS = 3  # districts issued at once, each on its own connection: one more than the 2 cores, to keep both
# busy while a connection waits on its commit or on Python (measured: 2 workers 21.7 s, 3 workers 17.5 s)
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


def _accounts(kind: str, owners: list[int]) -> dict[int, int]:
    """Account ids by owner, creating the missing accounts in bulk."""
    table = LedgerAccount.__table__
    found: dict[int, int] = {}
    for start in range(0, len(owners), BATCH):
        chunk = owners[start:start + BATCH]
        found.update(db.session.execute(select(table.c.owner_id, table.c.id).where(
            table.c.kind == kind, table.c.owner_id.in_(chunk))).all())
    missing = [o for o in owners if o not in found]
    if missing:
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=["kind", "owner_id"])
        db.session.execute(stmt, [dict(kind=kind, owner_id=o, balance_fen=0) for o in missing])
        for start in range(0, len(missing), BATCH):
            chunk = missing[start:start + BATCH]
            found.update(db.session.execute(select(table.c.owner_id, table.c.id).where(
                table.c.kind == kind, table.c.owner_id.in_(chunk))).all())
    return found


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
    only the current month. Commits batch by batch. On PostgreSQL districts are issued side by side on their
    own connections: each has its own budget account and elders, so they never wait for each other, and the
    database's cores all work."""
    period = only_the_current_month(month)
    start = period_start(period)
    work = [(d, policy.id) for d in districts_in(region_id) if (policy := policy_for(d, period)) is not None]
    actor_id = getattr(actor, "id", None)
    db.session.commit()  # the districts' sessions must not wait on anything this one holds
    workers = PG_WORKERS if db.engine.dialect.name == "postgresql" else 1
    if workers > 1 and len(work) > 1:
        app, lock = current_app._get_current_object(), threading.Lock()

        def in_own_session(district_id, policy_id):
            with app.app_context():
                try:
                    return _issue_district(district_id, policy_id, period, start, actor_id, progress, lock)
                finally:
                    db.session.remove()

        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda job: in_own_session(*job), work))
    else:
        parts = [_issue_district(d, p, period, start, actor_id, progress) for d, p in work]
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


def _issue_district(district_id, policy_id, period, start, actor_id, progress, lock=None) -> IssueReport:
    """One district's grants, batch by batch, in the current session; `lock` guards `progress` across threads."""
    policy = db.session.get(VoucherPolicy, policy_id)
    report = IssueReport(period)
    oldest_birth = start.replace(year=start.year - MIN_AGE)
    rows = db.session.execute(
        select(Elder.id, Elder.care_level, Elder.hardship)
        .where(Elder.community_id.in_(community_ids(district_id)), Elder.status == "active",
               Elder.birth_date <= oldest_birth, Elder.care_level.is_not(None))).all()
    grants = []
    for elder_id, level, hardship in rows:
        tier = tier_for(policy, level, hardship)
        if tier is not None:
            grants.append((elder_id, tier.monthly_fen, level, hardship))
    report.eligible += len(grants)
    # Every grant of the month, city-wide (one row per elder at most): cheaper than asking about a district's
    # elders by id, and no parameter limit to hit.
    month = set(db.session.scalars(select(VoucherGrant.elder_id).where(VoucherGrant.period == period)))
    already = [g for g in grants if g[0] in month]
    report.already += len(already)
    grants = [g for g in grants if g[0] not in month]
    # The neediest first, so that a budget that runs out leaves out those best able to wait.
    grants.sort(key=lambda g: (-CARE_LEVELS.index(g[2]), NEEDIEST_FIRST[g[3]], g[0]))
    bureau = ledger.account("bureau_budget", district_id)
    if policy.monthly_budget_fen is not None:
        used = -(db.session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0))
            .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
            .where(LedgerEntry.account_id == bureau.id, LedgerTransaction.period == period,
                   LedgerTransaction.kind == "issue")) or 0)
        room, within = policy.monthly_budget_fen - used, []
        for g in grants:
            if g[1] <= room:
                within.append(g)
                room -= g[1]
            else:
                report.left_out.append(g[0])
        grants = within
    bureau_id = bureau.id
    postgres = db.engine.dialect.name == "postgresql"
    accounts = {} if postgres else _accounts("elder_available", [g[0] for g in grants])
    db.session.commit()
    now = utcnow()
    memo = f"{policy.name}: {period}"
    size = PG_BATCH if postgres else BATCH
    for begin in range(0, len(grants), size):
        batch = grants[begin:begin + size]
        issued, total = _write(batch, period, memo, actor_id, now, bureau_id, accounts)
        db.session.commit()  # each batch stands on its own: a crash later loses nothing done here
        report.issued += issued
        report.already += len(batch) - issued  # issued by a concurrent run a moment ago
        report.total_fen += total
        if progress:
            with lock or nullcontext():
                progress(len(batch))
    return report


def _write(batch, period, memo, actor_id, now, bureau_id, accounts) -> tuple[int, int]:
    """Grant the batch (skipping elders granted a moment ago by a concurrent run) and move the money as one
    balanced transaction, balances included, uncommitted: (grants made, fen issued)."""
    if db.engine.dialect.name == "postgresql":
        return _write_batch_postgres(batch, period, memo, actor_id, now, bureau_id)
    grants = VoucherGrant.__table__
    inserted = db.session.execute(
        sqlite.insert(grants).on_conflict_do_nothing().returning(grants.c.elder_id, grants.c.amount_fen),
        [dict(period=period, elder_id=e, amount_fen=fen, care_level=level, hardship=hardship)
         for e, fen, level, hardship in batch]).all()
    if not inserted:
        return 0, 0
    total = sum(g.amount_fen for g in inserted)
    txns = LedgerTransaction.__table__
    txn_id = db.session.execute(txns.insert().returning(txns.c.id), dict(
        kind="issue", key=f"issue:{period}:{bureau_id}:{inserted[0].elder_id}", period=period, amount_fen=total,
        memo=memo, actor_id=actor_id, created_at=now)).scalar_one()
    db.session.execute(LedgerEntry.__table__.insert(), [
        *(dict(transaction_id=txn_id, account_id=accounts[g.elder_id], amount_fen=g.amount_fen) for g in inserted),
        dict(transaction_id=txn_id, account_id=bureau_id, amount_fen=-total)])
    _apply_entries([txn_id])
    return len(inserted), total


# PostgreSQL: the batch travels as arrays and one statement does the rest: insert the grants (skipping any
# already made), the batch's transaction, an entry per elder and one for the bureau, and move the balances,
# without reading anything back. Thousands of bound rows, or a statement per step re-finding the rows by id,
# cost several times more.
_PG_ACCOUNTS = text("""
    INSERT INTO ledger_accounts (kind, owner_id, balance_fen)
    SELECT 'elder_available', u.owner_id, 0 FROM unnest(CAST(:owners AS integer[])) AS u(owner_id)
    WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.kind = 'elder_available' AND a.owner_id = u.owner_id)
    ON CONFLICT (kind, owner_id) DO NOTHING""")
_PG_BATCH = text("""
    WITH granted AS (
        INSERT INTO voucher_grants (period, elder_id, amount_fen, care_level, hardship)
        SELECT :period, u.elder_id, u.fen, u.care_level, u.hardship
        FROM unnest(CAST(:elder_ids AS integer[]), CAST(:fens AS integer[]), CAST(:levels AS varchar[]),
                    CAST(:hardships AS varchar[])) AS u(elder_id, fen, care_level, hardship)
        ON CONFLICT DO NOTHING
        RETURNING elder_id, amount_fen),
    total AS (SELECT count(*) AS grants, coalesce(sum(amount_fen), 0) AS fen, min(elder_id) AS first FROM granted),
    journal AS (
        INSERT INTO ledger_transactions (kind, key, period, amount_fen, memo, actor_id, created_at)
        SELECT 'issue', 'issue:' || :period || ':' || :bureau || ':' || first, :period, fen, :memo, :actor, :now
        FROM total WHERE grants > 0
        RETURNING id, amount_fen),
    credited AS (
        UPDATE ledger_accounts a SET balance_fen = a.balance_fen + g.amount_fen FROM granted g
        WHERE a.kind = 'elder_available' AND a.owner_id = g.elder_id
        RETURNING a.id AS account_id, g.amount_fen),
    entries AS (
        INSERT INTO ledger_entries (transaction_id, account_id, amount_fen)
        SELECT j.id, c.account_id, c.amount_fen FROM credited c CROSS JOIN journal j
        UNION ALL SELECT id, :bureau, -amount_fen FROM journal),
    debited AS (
        UPDATE ledger_accounts a SET balance_fen = a.balance_fen - j.amount_fen FROM journal j WHERE a.id = :bureau)
    SELECT grants, fen, (SELECT count(*) FROM credited) AS credited FROM total""")


def _write_batch_postgres(batch, period, memo, actor_id, now, bureau_id) -> tuple[int, int]:
    db.session.execute(_PG_ACCOUNTS, dict(owners=[g[0] for g in batch]))
    issued, total, credited = db.session.execute(_PG_BATCH, dict(
        period=period, memo=memo, actor=actor_id, now=now.replace(tzinfo=None), bureau=bureau_id,
        elder_ids=[g[0] for g in batch], fens=[g[1] for g in batch], levels=[g[2] for g in batch],
        hardships=[g[3] for g in batch])).one()
    if credited != issued:  # cannot happen with the accounts made just above; never commit half a grant
        raise RuntimeError(f"{issued} grants but {credited} elder accounts credited")
    return issued, total


def _apply_entries(transaction_ids: list[int]) -> None:
    """Move the cached balances by the entries of these transactions, in one statement."""
    entries = LedgerEntry.__table__
    sums = (select(entries.c.account_id, func.sum(entries.c.amount_fen).label("delta"))
            .where(entries.c.transaction_id.in_(transaction_ids)).group_by(entries.c.account_id).subquery())
    accounts = LedgerAccount.__table__
    db.session.execute(update(accounts).where(accounts.c.id == sums.c.account_id)
                       .values(balance_fen=accounts.c.balance_fen + sums.c.delta))


def lapse_period(month: Month, *, region_id: int | None = None, actor=None) -> int:
    """At the start of the month (only the current one), return to the bureau every available fen older than
    the policy lets carry over (spending uses the oldest money first). Idempotent: 'lapse:<elder>:<period>'."""
    period = only_the_current_month(month)
    lapsed_total = 0
    for district_id in districts_in(region_id):
        policy = policy_for(district_id, period)
        if policy is None:
            continue
        keep_periods = [period, *previous_periods(period, policy.carry_over_months)]
        balances = db.session.execute(
            select(LedgerAccount, Elder.id).join(Elder, Elder.id == LedgerAccount.owner_id)
            .where(LedgerAccount.kind == "elder_available", LedgerAccount.balance_fen > 0,
                   Elder.community_id.in_(community_ids(district_id)))).all()
        if not balances:
            continue
        recent = dict(db.session.execute(
            select(VoucherGrant.elder_id, func.sum(VoucherGrant.amount_fen))
            .where(VoucherGrant.period.in_(keep_periods))
            .group_by(VoucherGrant.elder_id)).all())  # city-wide: no parameter limit to hit
        bin_ = ledger.account("lapsed", district_id)
        for acct, elder_id in balances:
            amount = acct.balance_fen - recent.get(elder_id, 0)
            if amount > 0 and ledger.post(
                    "lapse", f"lapse:{elder_id}:{period}", [(acct, -amount), (bin_, amount)], period=period,
                    elder_id=elder_id, actor=actor,
                    memo=f"Unused vouchers older than {policy.carry_over_months} month(s) lapse"):
                lapsed_total += amount
        db.session.commit()
    return lapsed_total


def issue_now_if_eligible(elder, *, actor=None, month: Month | None = None):
    """Give an elder who has just become eligible this month's vouchers the same day (once, like any grant)."""
    from .eligibility import district_of, explain

    period = only_the_current_month(month or Month.current())
    eligibility = explain(elder, period)
    if not eligibility.eligible:
        return None
    fen = eligibility.monthly_fen
    grants = VoucherGrant.__table__
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    granted = db.session.execute(dialect.insert(grants).on_conflict_do_nothing().returning(grants.c.elder_id), dict(
        period=period, elder_id=elder.id, amount_fen=fen, care_level=elder.care_level, hardship=elder.hardship))
    if granted.first() is None:
        return None  # this month's are already issued
    return ledger.post("issue", f"issue:{elder.id}:{period}",
                       [(ledger.account("bureau_budget", district_of(elder.community_id)), -fen),
                        (ledger.account("elder_available", elder.id), fen)],
                       period=period, elder_id=elder.id, actor=actor,
                       memo=f"{eligibility.policy.name}: {elder.care_level}/{elder.hardship} (became eligible)")
