"""Audit: the log of who changed what, and the hash chain that makes changing the log after the fact evident
(audit/chain.py says how)."""
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, utcnow
from ..extensions import db

SEALED = "seq IS NOT NULL"
UNSEALED = "seq IS NULL"


class AuditEvent(db.Model):
    """One state change that matters, or one look at whole personal data: who, when, what, from where, why.

    `nonce` and `mac` are written with the row (a keyed MAC over its fields, no shared state); `seq`,
    `prev_hash` and `hash` are its place in the chain, given later by the sealer."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_target", "target_type", "target_id"),
        # A copy of a row (its MAC with it) is refused: an event is in the log once.
        Index("uq_audit_events_mac", "mac", unique=True),
        Index("uq_audit_events_seq", "seq", unique=True, postgresql_where=text(SEALED), sqlite_where=text(SEALED)),
        # What the sealer has still to link: a small index, rows leave it as they are sealed.
        Index("ix_audit_events_unsealed", "id", postgresql_where=text(UNSEALED), sqlite_where=text(UNSEALED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(String(40))
    target_id: Mapped[int | None]
    ip: Mapped[str | None] = mapped_column(String(45))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    nonce: Mapped[str | None] = mapped_column(String(32))
    mac: Mapped[str | None] = mapped_column(String(64))
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(db.Model):
    """The end of the sealed chain (one row, id 1): the sealer's lock, and what the last event must hash to.
    `legacy_max_id`: rows written before the chain existed (no MAC) up to this id, adopted by the first seal."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    legacy_max_id: Mapped[int | None]
