"""Deductions: what the bureau takes back from a provider on its next statement, for an order already settled and
paid whose audit case was confirmed afterwards (audit.findings.decide). The elder's vouchers go back through the
ledger when the case is confirmed (from the provider's paid account); the deduction waits, with no statement, until
the provider's next statement is generated, which lists it and pays that much less (Statement.payable_fen)."""
from sqlalchemy import select

from .. import sql
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
    """A select of the providers with a deduction on no statement yet."""
    return select(Deduction.provider_id).where(Deduction.statement_id.is_(None))
