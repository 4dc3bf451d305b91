from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, utcnow
from ..extensions import db

TIER_HARDSHIP = ("any", "none", "low_income", "dibao", "tekun")
# Ledger accounts. The bureau's budget account is the source of every voucher fen: issuing moves money from
# it (its balance goes negative: what the district has granted) to an elder's available account. A confirmed
# visit's voucher share waits in the provider's payable account until an approved settlement statement moves it to
# the provider's paid account.
ACCOUNT_KINDS = ("bureau_budget", "elder_available", "elder_held", "provider_payable", "provider_paid", "lapsed")
NEVER_NEGATIVE = ("elder_available", "elder_held", "provider_payable", "provider_paid", "lapsed")
TRANSACTION_KINDS = ("issue", "hold", "release", "capture", "lapse", "reversal", "settlement")
# A month as it is stored: YYYY-MM in ASCII digits, month 01 to 12. The once-per-elder-and-month key is this
# text, so "２０２６-１２" must never reach it as another December. One expression for SQLite and PostgreSQL (no
# GLOB in one, no regular expressions in the other): seven characters, the dash fifth, the other six ASCII digits.
CANONICAL_PERIOD = ("length(period) = 7 AND substr(period, 5, 1) = '-' "
                    "AND trim(substr(period, 1, 4) || substr(period, 6, 2), '0123456789') = '' "
                    "AND substr(period, 6, 2) BETWEEN '01' AND '12'")

policy_categories = Table(
    "voucher_policy_categories",
    db.metadata,
    Column("policy_id", ForeignKey("voucher_policies.id"), primary_key=True),
    Column("category_id", ForeignKey("categories.id"), primary_key=True),
)


class VoucherPolicy(db.Model):
    """A district's voucher policy for a run of months: who gets how much, for what."""

    __tablename__ = "voucher_policies"
    __table_args__ = (
        CheckConstraint("carry_over_months >= 0", name="carry_over_not_negative"),
        CheckConstraint("monthly_budget_fen IS NULL OR monthly_budget_fen >= 0", name="budget_not_negative"),
        CheckConstraint("meals_a_day >= 0", name="meals_a_day_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)  # a district
    name: Mapped[str] = mapped_column(String(80))
    valid_from: Mapped[date]  # the first day of the first month
    valid_to: Mapped[date | None]  # the first day of the last month; None: until replaced
    carry_over_months: Mapped[int] = mapped_column(default=0)
    monthly_budget_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Meals at a service point's counter the vouchers pay a share of, a day: at most one a meal slot (by default
    # one lunch and one supper).
    meals_a_day: Mapped[int] = mapped_column(default=2, server_default="2")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    tiers: Mapped[list["VoucherTier"]] = relationship(back_populates="policy", order_by="VoucherTier.id",
                                                      cascade="all, delete-orphan")
    categories = relationship("Category", secondary=policy_categories)
    region = relationship("Region")


class VoucherTier(db.Model):
    """One row of a policy: elders at this care level with this hardship get this much a month."""

    __tablename__ = "voucher_tiers"
    __table_args__ = (
        CheckConstraint("monthly_fen > 0", name="monthly_positive"),
        CheckConstraint("copay_percent >= 0 AND copay_percent <= 100", name="copay_percent_range"),
        UniqueConstraint("policy_id", "care_level", "hardship", name="uq_voucher_tiers_policy_level_hardship"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("voucher_policies.id"), index=True)
    care_level: Mapped[str] = mapped_column(String(16))
    hardship: Mapped[str] = mapped_column(String(16))  # or "any"
    monthly_fen: Mapped[int]
    copay_percent: Mapped[int]

    policy: Mapped[VoucherPolicy] = relationship(back_populates="tiers")


class LedgerAccount(db.Model):
    """A balance in the voucher ledger. `balance_fen` is a cache of the sum of its entries, kept in the same
    transaction as every entry and checked by `flask check-ledger`; the database refuses to let an elder's or
    provider's balance go below zero, so two racing bookings cannot overspend."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        UniqueConstraint("kind", "owner_id", name="uq_ledger_accounts_kind_owner"),
        CheckConstraint("kind = 'bureau_budget' OR balance_fen >= 0", name="balance_not_negative"),
        # Room on each page for a row's next version: a balance moves with every booking and twice at the month's
        # turn, and an update that fits its page (HOT) rewrites no index entry.
        {"postgresql_with": {"fillfactor": 80}},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int]  # the district, elder or provider the account belongs to
    # BIGINT: a district's budget account passes 2^31 fen (21 million yuan) within a year.
    balance_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerTransaction(db.Model):
    """One movement of voucher money: a balanced set of entries. `key` makes retried movements harmless:
    'issue:<elder>:<period>' can exist once."""

    __tablename__ = "ledger_transactions"
    __table_args__ = (CheckConstraint(CANONICAL_PERIOD, name="period_canonical"),)  # NULL: no month, passes

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    key: Mapped[str] = mapped_column(String(80), unique=True)
    period: Mapped[str | None] = mapped_column(String(7), index=True)  # YYYY-MM
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elders.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(default=0)  # the money moved, for reports; entries are the truth
    memo: Mapped[str | None] = mapped_column(String(200))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list["LedgerEntry"]] = relationship(back_populates="transaction", order_by="LedgerEntry.id")


class LedgerEntry(db.Model):
    """One side of a movement. Never updated or deleted: a mistake is undone by a reversal."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="amount_not_zero"),
        Index("ix_ledger_entries_account_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount_fen: Mapped[int]

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account = relationship("LedgerAccount")


class VoucherGrant(db.Model):
    """An elder's vouchers for a month, with the tier that decided them: at most one per elder and month (the
    key), which makes issuing idempotent. The money itself moves in the ledger: a month's batch of grants is
    one balanced transaction, the district's budget account on one side and each elder's account on the other."""

    __tablename__ = "voucher_grants"
    __table_args__ = (CheckConstraint(CANONICAL_PERIOD, name="period_canonical"),)

    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM; first, for a month's grants
    elder_id: Mapped[int] = mapped_column(ForeignKey("elders.id"), primary_key=True)
    amount_fen: Mapped[int]
    care_level: Mapped[str | None] = mapped_column(String(16))
    hardship: Mapped[str | None] = mapped_column(String(16))



class VoucherCommunityMonth(db.Model):
    """What the ledger moved into (issued) and out of (lapsed) the available accounts of a community's elders,
    by the movement's month: a summary the reports read instead of a year of per-elder entries (a month's issue
    is one entry per elder). Added to by `ledger.post_many` in the same transaction as every issue and lapse
    movement, grouped by the community each elder lived in when the money moved; `flask check-ledger` compares
    it with the districts' own accounts, which every issue and lapse moves."""

    __tablename__ = "voucher_community_months"

    community_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), primary_key=True)
    # The movement's period, as its transaction has it (which the database keeps YYYY-MM).
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    issued_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    lapsed_fen: Mapped[int] = mapped_column(BigInteger, default=0)
