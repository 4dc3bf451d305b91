"""An elder's voucher account as the elder, the family and the bureau see it."""
from sqlalchemy import select

from ..clock import Month
from ..extensions import db
from .eligibility import explain
from .models import LedgerAccount, LedgerEntry, LedgerTransaction


def summary(elder, month: Month | None = None, recent: int = 20) -> dict:
    """Balances, this month's allowance and why, and the recent history. `suspended` while the elder is not
    active (in hospital, in an institution, deceased...): the balance is kept but nothing can be spent from it,
    so it is not shown as available. `use_by`: the last day this month's vouchers can be spent (None without a
    policy)."""
    period = str(month or Month.current())
    balances = dict(db.session.execute(select(LedgerAccount.kind, LedgerAccount.balance_fen).where(
        LedgerAccount.owner_id == elder.id, LedgerAccount.kind.in_(("elder_available", "elder_held")))).all())
    eligibility = explain(elder, period)
    entries = db.session.execute(
        select(LedgerTransaction.created_at, LedgerTransaction.kind, LedgerEntry.amount_fen, LedgerTransaction.period,
               LedgerTransaction.order_id, LedgerTransaction.memo)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerAccount.kind == "elder_available", LedgerAccount.owner_id == elder.id)
        .order_by(LedgerEntry.id.desc()).limit(recent)).all()
    policy = eligibility.policy
    # This month's vouchers are kept for the months the policy carries them over, then lapse at a month's end.
    use_by = None
    if policy is not None:
        last = Month.parse(period)
        for _ in range(policy.carry_over_months):
            last = last.next()
        use_by = last.last_day
    return dict(elder_id=elder.id, balance_fen=balances.get("elder_available", 0), use_by=use_by,
                held_fen=balances.get("elder_held", 0), suspended=elder.status != "active", period=period,
                monthly_fen=eligibility.monthly_fen,
                eligible=eligibility.eligible, reasons=eligibility.reasons,
                entries=[dict(at=e.created_at, kind=e.kind, amount_fen=e.amount_fen, period=e.period,
                              order_id=e.order_id, memo=e.memo) for e in entries])
