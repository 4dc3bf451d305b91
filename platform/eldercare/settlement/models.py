"""Settlement statements: what the bureau owes each provider for a month's confirmed visits, line by line.

An order is on one statement line at most, ever (the unique `order_id`): that constraint, not the code that
generates statements, is what makes settlement exactly-once however often it runs or wherever it was stopped."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db
from ..vouchers.models import CANONICAL_PERIOD

KINDS = ("regular", "supplementary")  # the provider's first statement of a month, and any later one
STATUSES = ("draft", "approved")


class Statement(db.Model):
    """One provider's statement for a month: its lines, the orders held back and why, and who generated and
    approved it. `sequence` is 1 for the month's regular statement and counts the supplementary ones after it."""

    __tablename__ = "settlement_statements"
    __table_args__ = (
        CheckConstraint(CANONICAL_PERIOD, name="period_canonical"),
        CheckConstraint("kind IN ('regular', 'supplementary')", name="kind_known"),
        CheckConstraint("status IN ('draft', 'approved')", name="status_known"),
        CheckConstraint("voucher_total_fen >= 0 AND copay_total_fen >= 0 AND copay_collected_fen >= 0",
                        name="totals_not_negative"),
        UniqueConstraint("provider_id", "period", "sequence", name="uq_settlement_statements_provider_period_seq"),
        Index("ix_settlement_statements_period", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    sequence: Mapped[int] = mapped_column(default=1)
    kind: Mapped[str] = mapped_column(String(16), default="regular")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    line_count: Mapped[int] = mapped_column(default=0)
    voucher_total_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # owed by the bureau
    copay_total_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # due from the families
    copay_collected_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # of which paid when generated
    deduction_total_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # taken back for orders paid before
    held_back: Mapped[list] = mapped_column(JSON, default=list)  # [{"order_id", "reason"}]
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler or CLI
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    provider = relationship("Provider")
    generated_by = relationship("User", foreign_keys=[generated_by_id])
    approved_by = relationship("User", foreign_keys=[approved_by_id])
    lines: Mapped[list["StatementLine"]] = relationship(back_populates="statement", order_by="StatementLine.id")
    deductions: Mapped[list["Deduction"]] = relationship(back_populates="statement", order_by="Deduction.id",
                                                         foreign_keys="Deduction.statement_id")

    @property
    def payable_fen(self) -> int:
        """What the bureau pays for this statement: its voucher total less what it takes back, never below 0."""
        return max(self.voucher_total_fen - self.deduction_total_fen, 0)

    @property
    def carried_forward_fen(self) -> int:
        """What the statement's deductions take back beyond its voucher total: still owed by the provider, carried
        to its next statement (a deduction of its own, written when this statement is approved)."""
        return max(self.deduction_total_fen - self.voucher_total_fen, 0)


class StatementLine(db.Model):
    """One settled visit, as it stood when the statement was generated: its times and distances, the voucher
    share the bureau owes and the co-pay the family owed and had paid. Its item, elder and caregiver are its
    order's (a confirmed order's never change), read through `order`: a line carries two foreign keys, its
    statement's and its order's, and two indexes besides its key (the statement's lines; the order's one line)."""

    __tablename__ = "settlement_lines"
    __table_args__ = (
        UniqueConstraint("order_id", name="uq_settlement_lines_order"),  # exactly once, whoever runs it
        CheckConstraint("voucher_fen >= 0 AND copay_fen >= 0 AND copay_collected_fen >= 0", name="money_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("settlement_statements.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    check_in_distance_m: Mapped[int | None]
    check_out_distance_m: Mapped[int | None]
    voucher_fen: Mapped[int]
    copay_fen: Mapped[int]
    copay_collected_fen: Mapped[int] = mapped_column(default=0)  # paid less refunded, when generated

    statement: Mapped[Statement] = relationship(back_populates="lines")
    order = relationship("WorkOrder")

    @property
    def item_id(self) -> int:
        return self.order.item_id

    @property
    def item(self):
        return self.order.item

    @property
    def elder(self):
        return self.order.elder

    @property
    def caregiver_id(self) -> int | None:
        return self.order.caregiver_id

    @property
    def caregiver(self):
        return self.order.caregiver

    @property
    def copay_status(self) -> str:
        """Whether the co-pay was collected when the statement was made: none, due, paid."""
        if self.copay_fen == 0:
            return "none"
        return "paid" if self.copay_collected_fen >= self.copay_fen else "due"


class Deduction(db.Model):
    """Money taken back from a provider for an order already settled (its statement approved, the provider paid)
    whose audit case was confirmed afterwards. The vouchers went back to the elder when the case was confirmed
    (from the provider's paid account, through the ledger); the deduction is what the bureau withholds, as a line
    of the provider's next statement (`statement_id`, None until that statement is generated). One per order.

    Or what an approved statement could not take back (its deductions beyond its voucher total: it pays nothing,
    never less): carried forward (`carried_from_id`, no order) to the provider's next statement, once."""

    __tablename__ = "settlement_deductions"
    __table_args__ = (
        UniqueConstraint("order_id", name="uq_settlement_deductions_order"),
        UniqueConstraint("carried_from_id", name="uq_settlement_deductions_carried_from"),
        CheckConstraint("fen > 0", name="fen_positive"),
        CheckConstraint("(order_id IS NULL) <> (carried_from_id IS NULL)", name="an_order_or_a_carry"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_statements.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("audit_cases.id"))
    fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_statements.id"), index=True)

    statement: Mapped[Statement | None] = relationship(back_populates="deductions", foreign_keys=[statement_id])
    carried_from: Mapped[Statement | None] = relationship(foreign_keys=[carried_from_id])
