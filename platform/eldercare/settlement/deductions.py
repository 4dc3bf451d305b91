"""Deductions: what the bureau takes back from a provider on its next statement, for an order already settled and
paid whose audit case was confirmed afterwards (audit.findings.decide). The elder's vouchers go back through the
ledger when the case is confirmed (from the provider's paid account); the deduction waits, with no statement, until
the provider's next statement is generated, which lists it and pays that much less (Statement.payable_fen).

A statement never pays less than nothing: what its deductions take back beyond its voucher total is carried
forward when it is approved (carry: a new deduction naming it, for the provider's next statement; the approved
statement itself is not touched). A carry alone makes no statement: it waits for the provider's next one."""
from sqlalchemy import select

from .. import clock, sql
from ..audit.services import record
from ..extensions import db
from .models import Deduction


def deduct(order, fen: int, *, case_id: int | None, reason: str) -> None:
    """A deduction of `fen` for `order` (settled), pending the provider's next statement; once per order."""
    sql.insert_rows(Deduction.__table__, [dict(provider_id=order.provider_id, order_id=order.id, case_id=case_id,
                                               fen=fen, reason=reason[:200])], conflict=["order_id"])


def pending(provider_ids: list[int]) -> list[Deduction]:
    """The deductions of these providers on no statement yet, by provider and id."""
    found = []
    for chunk in sql.chunks(provider_ids):
        found += db.session.scalars(select(Deduction).where(sql.any_of(Deduction.provider_id, chunk),
                                                            Deduction.statement_id.is_(None)))
    return sorted(found, key=lambda d: (d.provider_id, d.id))


def pending_providers():
    """A select of the providers with a deduction for an order on no statement yet (a carry waits for the
    provider's next statement, and makes none of its own)."""
    return select(Deduction.provider_id).where(Deduction.statement_id.is_(None), Deduction.order_id.is_not(None))


def carry(statement, *, actor=None) -> int:
    """The statement approved: what it could not take back (Statement.carried_forward_fen) becomes a deduction
    pending the provider's next statement, once per statement; its audit event. The fen carried (0: none)."""
    fen = statement.carried_forward_fen
    if fen <= 0:
        return 0
    written = sql.insert_rows(Deduction.__table__, [dict(
        provider_id=statement.provider_id, carried_from_id=statement.id, fen=fen,
        reason=f"Carried forward from statement {statement.id} ({statement.period})", created_at=clock.now())],
        conflict=["carried_from_id"], returning=("id",))
    for (deduction_id,) in written:
        record("settlement.carried_forward", statement, actor=actor, provider_id=statement.provider_id,
               period=statement.period, fen=fen, deduction_id=deduction_id)
    return fen
