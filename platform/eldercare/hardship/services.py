"""Applying a roster: valid rows update the elders' hardship status, each change in the audit log; rows naming
nobody, or somebody outside the importer's region, are rejected with their line. Importing the same file twice
changes nothing the second time.

One transaction: this function only sends statements; the caller (the command, the page) commits once at the
end or rolls everything back, so a failure half-way leaves nothing applied.

Written for 100,000-row rosters: elders are looked up in chunks, updated with one executemany, and the audit
rows inserted in bulk; no ORM object per row."""
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, update

from ..audit.models import AuditEvent
from ..audit.services import record
from ..db import utcnow
from ..elders.models import Elder
from ..extensions import db
from ..regions.services import descendant_ids
from . import roster
from .roster import Rejected

CHUNK = 5_000
UPDATE = (update(Elder.__table__).where(Elder.__table__.c.id == bindparam("b_id"))
          .values(hardship=bindparam("b_hardship"), hardship_since=bindparam("b_since"),
                  hardship_source=bindparam("b_source")))


@dataclass
class ImportReport:
    total: int = 0  # data rows in the file
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)  # (line, id_number, reason), by line

    @property
    def rows(self) -> int:
        return self.total


def import_roster(stream_or_text, *, scope_region_id: int | None, actor=None, source: str,
                  progress: Callable[[int], None] | None = None, today: date | None = None) -> ImportReport:
    """Apply the roster (text, a text or binary stream, or lines) as `actor`, limited to the elders under
    `scope_region_id` (None: the whole city). `progress(n)` hears of rows as they are done. Raises Invalid on
    `file` when the file is no roster. The caller commits, or rolls back on any exception."""
    today = today or date.today()
    source = source[:80]
    parsed = roster.parse(_lines(stream_or_text), today=today)
    rejected = list(parsed.rejected)
    report = ImportReport(total=parsed.total)
    if progress and parsed.total > len(parsed.rows):
        progress(parsed.total - len(parsed.rows))  # rejected while reading, and repeated lines
    allowed = descendant_ids(scope_region_id) if scope_region_id is not None else None
    table = Elder.__table__
    lookup = select(table.c.id, table.c.id_number, table.c.hardship, table.c.hardship_since, table.c.community_id)
    actor_id = getattr(actor, "id", None)
    now = utcnow()
    changes, audit = [], []
    for start in range(0, len(parsed.rows), CHUNK):
        chunk = parsed.rows[start:start + CHUNK]
        found = {e.id_number: e for e in db.session.execute(
            lookup.where(table.c.id_number.in_([row.id_number for row in chunk])))}
        for row in chunk:
            elder = found.get(row.id_number)
            if elder is None:
                rejected.append(Rejected(row.line, row.id_number, str(_l("No registered elder has this ID number."))))
                continue
            if allowed is not None and elder.community_id not in allowed:
                rejected.append(Rejected(row.line, row.id_number, str(_l("The elder lives outside your region."))))
                continue
            # As on the registry form: "none" has no date and no source.
            since, row_source = (None, None) if row.status == "none" else (row.since, source)
            if (elder.hardship, elder.hardship_since) == (row.status, since):
                report.unchanged += 1
                continue
            changes.append({"b_id": elder.id, "b_hardship": row.status, "b_since": since, "b_source": row_source})
            audit.append({"at": now, "actor_id": actor_id, "action": "elder.hardship_changed",
                          "target_type": "elders", "target_id": elder.id, "detail": {
                              "from": elder.hardship, "to": row.status, "since": row.since.isoformat(),
                              "source": source, "line": row.line}})
        if progress:
            progress(len(chunk))
    if changes:
        db.session.execute(UPDATE, changes, execution_options={"synchronize_session": False})
        db.session.execute(insert(AuditEvent.__table__), audit)
    report.updated = len(changes)
    report.rejected = sorted(rejected, key=lambda r: r.line)
    record("hardship.imported", actor=actor, source=source, rows=report.total, updated=report.updated,
           unchanged=report.unchanged, rejected=len(report.rejected))
    db.session.flush()
    return report


def _lines(stream_or_text) -> Iterable[str]:
    """Text lines from whatever the caller has: a str, bytes, a binary or text stream, or lines. A UTF-8 BOM
    is dropped (the header's first name is also stripped of one, for streams opened without utf-8-sig)."""
    if isinstance(stream_or_text, bytes):
        stream_or_text = stream_or_text.decode("utf-8-sig")
    if isinstance(stream_or_text, str):
        return io.StringIO(stream_or_text.removeprefix("\ufeff"), newline="")
    if isinstance(stream_or_text, io.BufferedIOBase | io.RawIOBase) or "b" in getattr(stream_or_text, "mode", ""):
        return io.TextIOWrapper(stream_or_text, encoding="utf-8-sig", newline="")
    return stream_or_text
