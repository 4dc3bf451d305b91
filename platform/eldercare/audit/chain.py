"""The audit log's hash chain: writing it never serialises the writers, and changing the log after the fact is
evident.

How it is kept
--------------
1. At write time (audit/services.py `rows`, inside the writer's own transaction) each row gets a random `nonce`
   and `mac` = HMAC-SHA256(key, canonical serialisation of the row's fields: nonce, moment, actor, action,
   target, address, detail with its before and after). Per row, no shared state: a booking takes no lock it
   would not take anyway, so bookings run side by side as before. The key is AUDIT_KEY from the configuration
   (or one derived from SECRET_KEY); it is never in the repository or the database.
2. A sealer (`seal_batch`, run every minute by the scheduler and before every `flask verify-audit-log`) links
   the committed rows into the chain in the order it first sees them: under one lock (the head row,
   `audit_chain_head`: only sealers take it, never writers) each unsealed row with a valid MAC gets the next
   `seq`, `prev_hash` = the hash before it and `hash` = SHA-256(prev_hash || mac || seq). A row committed late
   by a slow transaction (a lower id than rows already sealed) is simply sealed in a later pass.
3. Each day `export_head` appends the chain's head (date, seq, hash) to a file the bureau keeps elsewhere.

Why it is tamper-evident (what `verify` finds)
----------------------------------------------
- A changed row fails its MAC (the chain still vouches for the MAC it was sealed with): "changed". Changing the
  MAC or the chain columns too breaks the link from the row before: "changed".
- A removed row leaves a gap in `seq`, or, if the later rows were renumbered, a `prev_hash` naming a row that is
  not there; removing the last rows leaves the chain short of its head: "removed".
- An inserted row lacks a valid MAC (without the key none can be made): unsealed, the sealer never links it;
  given a seq, it repeats one, lies beyond the head, or fails its MAC where it claims to be: "inserted" (or
  "changed" where it took a place in the middle and every later row was renumbered). A copy of a real row
  (with its MAC) is refused by the unique index on `mac`.
- Rewriting the whole chain consistently (every MAC and hash recomputed, which needs the key, and the head row)
  passes the checks above, but not the check against a head exported before: the hash at that seq differs.

Writers never wait on the chain; only the sealer serialises, and only with other sealers.
"""
import functools
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from .. import clock, sql
from ..extensions import db
from .models import AuditChainHead, AuditEvent

log = logging.getLogger(__name__)

GENESIS = "0" * 64  # the hash before the first event
HEAD_ID = 1
SEAL_BATCH = 5_000
FIELDS = (AuditEvent.id, AuditEvent.nonce, AuditEvent.at, AuditEvent.actor_id, AuditEvent.action,
          AuditEvent.target_type, AuditEvent.target_id, AuditEvent.ip, AuditEvent.detail, AuditEvent.mac,
          AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)


# --- the per-row MAC, at write time -------------------------------------------------------------------------

def key() -> bytes:
    """The MAC key: AUDIT_KEY, or one derived from SECRET_KEY (so a deployment that sets no AUDIT_KEY still has a
    secret one). Set AUDIT_KEY to keep the log's key apart from the cookies': a new SECRET_KEY would otherwise make
    every earlier event fail its MAC (there is no key rotation yet)."""
    config = current_app.config
    cached = current_app.extensions.get("audit_key")
    if cached is None or cached[0] != (config.get("AUDIT_KEY"), config["SECRET_KEY"]):
        given = config.get("AUDIT_KEY")
        value = given.encode() if given else hmac.new(config["SECRET_KEY"].encode(), b"yiyang audit log",
                                                      hashlib.sha256).digest()
        cached = current_app.extensions["audit_key"] = ((given, config["SECRET_KEY"]), value)
    return cached[1]


@functools.lru_cache(maxsize=256)  # a batch's rows share their moment
def _moment(at: datetime) -> str:
    """The moment in UTC to the microsecond, e.g. 2026-11-28T12:00:00.000000Z (isoformat: strftime is slower)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical(row) -> bytes:
    """The row's fields as the MAC covers them, in one fixed form: the same bytes from the dict a writer inserts
    and from the row read back on either database (JSON with sorted keys, the moment in UTC to the microsecond)."""
    if isinstance(row, dict):
        get = row.get
    elif hasattr(row, "_mapping"):  # a Row of selected columns
        get = row._mapping.get
    else:  # an AuditEvent
        def get(name):
            return getattr(row, name)
    fields = [get("nonce"), _moment(get("at")), get("actor_id"), get("action"), get("target_type"),
              get("target_id"), get("ip"), get("detail") or {}]
    return _CANONICAL(fields).encode()


# json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=sql._plain) (sql._plain: a
# moment inside `detail` as PostgreSQL's insert stores it), with the encoder built once rather than per row: the
# same bytes, at two thirds of the cost (a day of care plans signs a hundred thousand rows). The fields hold no
# cycles, so the check for them is left out.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=sql._plain,
                              check_circular=False).encode


def mac_of(row, secret: bytes | None = None) -> str:
    return hmac.digest(secret or key(), canonical(row), "sha256").hex()


def sign(rows: list[dict]) -> list[dict]:
    """`rows` (audit_events rows about to be inserted), each with its nonce and MAC. A batch of orders writes
    thousands: the key is looked up and the random bytes drawn once for all of them."""
    secret = key()
    nonces = secrets.token_hex(16 * len(rows))
    for k, row in enumerate(rows):
        row["nonce"] = nonces[32 * k:32 * k + 32]
        row["mac"] = hmac.digest(secret, canonical(row), "sha256").hex()
    return rows


def link(prev_hash: str, mac: str, seq: int) -> str:
    """An event's place in the chain: SHA-256 over the hash before it, its MAC and its number."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + bytes.fromhex(mac) + seq.to_bytes(8, "big")).hexdigest()


def _links(row, prev_hash: str) -> bool:
    """Whether the chain vouches for this row: its hash is the link from `prev_hash` through its MAC and seq."""
    try:
        return row.hash == link(prev_hash, row.mac, row.seq)
    except (TypeError, ValueError):
        return False


def _valid(row, secret: bytes) -> bool:
    try:
        return row.mac is not None and hmac.compare_digest(mac_of(row, secret), row.mac)
    except (TypeError, ValueError, AttributeError):
        return False


# --- the sealer -----------------------------------------------------------------------------------------------

def _head() -> AuditChainHead:
    """The head row, locked for this transaction (the sealers' one lock); made from the last sealed row if it is
    missing (a new database)."""
    head_table = AuditChainHead.__table__
    if db.session.get(AuditChainHead, HEAD_ID) is None:
        last = db.session.execute(select(AuditEvent.seq, AuditEvent.hash).where(AuditEvent.seq.is_not(None))
                                  .order_by(AuditEvent.seq.desc()).limit(1)).first()
        sql.insert_rows(head_table, [dict(id=HEAD_ID, seq=last.seq if last else 0,
                                          hash=last.hash if last else GENESIS, sealed_at=None, legacy_max_id=None)],
                        conflict=["id"])
    return db.session.scalar(sql.locked(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID))
                             .execution_options(populate_existing=True))


def seal_batch(after_id: int = 0, size: int = SEAL_BATCH) -> tuple[int, int | None]:
    """Link up to `size` committed, unsealed rows with ids above `after_id` into the chain, in id order, under the
    head's lock. Returns (how many were sealed, the last id looked at, or None when nothing was left). Rows whose
    MAC is wrong are left out (and reported by `verify` as inserted). Flushes; the caller commits the batch."""
    secret = key()
    head = _head()
    if head.legacy_max_id is not None:
        _adopt_legacy(head, secret, size)
    rows = db.session.execute(select(*FIELDS).where(AuditEvent.seq.is_(None), AuditEvent.id > after_id)
                              .order_by(AuditEvent.id).limit(size)).all()
    if not rows:
        return 0, None
    seq, prev, links = head.seq, head.hash, []
    for row in rows:
        if not _valid(row, secret):
            log.warning("audit event %s has no valid MAC: left out of the chain", row.id)
            continue
        seq += 1
        this = link(prev, row.mac, seq)
        links.append(dict(id=row.id, seq=seq, prev_hash=prev, hash=this))
        prev = this
    if links:
        sql.update_rows(AuditEvent, links)
        head.seq, head.hash, head.sealed_at = seq, prev, clock.now()
    db.session.flush()
    return len(links), rows[-1].id


def _adopt_legacy(head: AuditChainHead, secret: bytes, size: int) -> None:
    """Rows written before the chain existed (no MAC, ids up to legacy_max_id, set by the migration) get their MAC
    now, once: from the first seal on they are protected like any other. Afterwards a row without a MAC is never
    adopted again."""
    while True:
        rows = db.session.execute(select(*FIELDS).where(AuditEvent.mac.is_(None), AuditEvent.seq.is_(None),
                                                        AuditEvent.id <= head.legacy_max_id)
                                  .order_by(AuditEvent.id).limit(size)).all()
        if not rows:
            break
        signed = []
        for row in rows:
            nonce = secrets.token_hex(16)
            signed.append(dict(id=row.id, nonce=nonce, mac=mac_of(dict(row._mapping, nonce=nonce), secret)))
        sql.update_rows(AuditEvent, signed)
    head.legacy_max_id = None
    db.session.flush()


# --- verification ---------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    first_bad_seq: int | None = None
    sealed: int = 0
    pending: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    last_hash: str = GENESIS

    def as_dict(self) -> dict:
        return dict(ok=self.ok, checked=self.checked, first_bad_id=self.first_bad_id, reason=self.reason,
                    first_bad_seq=self.first_bad_seq, sealed=self.sealed, pending=self.pending,
                    head_seq=self.head_seq, head_hash=self.head_hash)


@dataclass(frozen=True)
class ExportedHead:
    day: str
    seq: int
    hash: str

    @property
    def line(self) -> str:
        return f"{self.day} {self.seq} {self.hash}"


class BadHead(ValueError):
    pass


def parse_heads(text: str) -> list[ExportedHead]:
    """Exported heads from a file's text or a single line: `YYYY-MM-DD <seq> <hash>` per line."""
    heads = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if (len(parts) != 3 or not parts[1].isascii() or not parts[1].isdigit() or len(parts[2]) != 64
                or any(c not in "0123456789abcdef" for c in parts[2])):
            raise BadHead(f"line {number} is not 'YYYY-MM-DD seq hash': {line[:100]!r}")
        try:
            date.fromisoformat(parts[0])
        except ValueError:
            raise BadHead(f"line {number} does not start with a date: {line[:100]!r}") from None
        heads.append(ExportedHead(parts[0], int(parts[1]), parts[2]))
    if not heads:
        raise BadHead("no exported head given")
    return heads


def verify(heads: list[ExportedHead] = ()) -> Verdict:
    """Re-check the whole log: every sealed row against its MAC and the chain, the chain against its head row and
    against each exported head given, and every row not yet sealed against its MAC. Reads only."""
    secret = key()
    head = db.session.get(AuditChainHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    verdict = Verdict(ok=True, checked=0, head_seq=head_seq, head_hash=head_hash)
    sealed = db.session.execute(select(*FIELDS).where(AuditEvent.seq.is_not(None)).order_by(AuditEvent.seq)
                                .execution_options(yield_per=SEAL_BATCH))
    try:
        found = _walk(sealed, verdict, head is not None, secret, {h.seq: h for h in heads})
    finally:
        sealed.close()
    if found:
        return _bad(verdict, *found)
    if verdict.sealed < head_seq:
        first = verdict.sealed + 1
        missing = f"{first}" if head_seq == first else f"{first} to {head_seq}"
        return _bad(verdict, None, first, f"removed: event {missing} at the end of the chain is missing")
    if verdict.sealed and verdict.last_hash != head_hash:
        return _bad(verdict, None, head_seq, "changed: the chain's last hash is not its head's")
    for e in heads:
        if e.seq > verdict.sealed:
            return _bad(verdict, None, e.seq, f"removed: the head exported on {e.day} reaches event {e.seq}, "
                                              f"the chain only {verdict.sealed}")
    legacy = head.legacy_max_id if head else None
    pending = db.session.execute(select(*FIELDS).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id)
                                 .execution_options(yield_per=SEAL_BATCH))
    try:
        for row in pending:
            verdict.checked += 1
            verdict.pending += 1
            if row.mac is None and legacy is not None and row.id <= legacy:
                continue  # written before the chain existed; the next seal gives it its MAC
            if not _valid(row, secret):
                return _bad(verdict, row.id, None,
                            "inserted: not in the chain, and no valid MAC (written without the key)")
    finally:
        pending.close()
    return verdict


def _bad(verdict: Verdict, row_id: int | None, seq: int | None, reason: str) -> Verdict:
    verdict.ok, verdict.first_bad_id, verdict.first_bad_seq, verdict.reason = False, row_id, seq, reason
    return verdict


def _walk(rows, verdict: Verdict, has_head: bool, secret: bytes, exported: dict) -> tuple | None:
    """Follow the sealed rows in seq order; the first bad one as (id, seq, reason), or None."""
    expected, prev = 1, GENESIS
    for row in rows:
        verdict.checked += 1
        if not has_head:
            return row.id, row.seq, "removed: the chain's head row is missing"
        if row.seq > verdict.head_seq:
            return row.id, row.seq, f"inserted: numbered {row.seq}, beyond the chain's head ({verdict.head_seq})"
        if row.seq < expected:
            return row.id, row.seq, f"inserted: a second event numbered {row.seq}"
        if row.seq > expected:
            missing = f"{expected}" if row.seq == expected + 1 else f"{expected} to {row.seq - 1}"
            return row.id, row.seq, f"removed: event {missing} of the chain, just before this one, is missing"
        if row.prev_hash != prev:
            return row.id, row.seq, ("removed: the event this one follows in the chain is not there (its "
                                     "prev_hash names another)")
        if not _links(row, prev):
            return row.id, row.seq, "changed: its MAC or chain hash is not what was sealed"
        if not _valid(row, secret):
            return row.id, row.seq, ("changed: its content does not match its MAC (changed after it was written, "
                                     "or written without the key)")
        if row.seq in exported and exported[row.seq].hash != row.hash:
            day = exported[row.seq].day
            return row.id, row.seq, (f"rewritten: event {row.seq} does not hash to the head exported on {day}: "
                                     "the chain up to it was rewritten")
        prev, expected = row.hash, expected + 1
        verdict.sealed, verdict.last_hash = row.seq, row.hash
    return None


# --- the exported head ----------------------------------------------------------------------------------------

def head_file() -> Path:
    configured = current_app.config.get("AUDIT_HEAD_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "audit-heads.txt"


def current_head() -> ExportedHead:
    """Today's (Beijing) line for the chain's head as it stands (seal first)."""
    head = db.session.get(AuditChainHead, HEAD_ID)
    seq, digest = (head.seq, head.hash) if head else (0, GENESIS)
    return ExportedHead(clock.today().isoformat(), seq, digest)


def append_head(head: ExportedHead, path: Path | None = None) -> Path:
    path = path or head_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(head.line + "\n")
    return path


def count_unsealed() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None)))
