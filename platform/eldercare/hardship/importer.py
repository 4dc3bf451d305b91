"""Applying a roster: valid rows update the elders' hardship status in one transaction, each change in the
audit log; rows naming nobody, or somebody outside the importer's region, are rejected with their line.
Importing the same file twice changes nothing the second time.

Written for 100,000-row rosters: elders are looked up in chunks, updated with one executemany, and the audit
events written in bulk by the audit writer; no ORM object per row."""
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from .. import clock
from ..audit.services import event, record, record_many
from ..db import utcnow
from ..elders.models import Elder
from ..elders.scope import community_ids
from ..extensions import db
from ..sealed import ID_NUMBER, keyring
from . import roster
from .roster import Rejected

CHUNK = 5_000


@dataclass
class ImportReport:
    rows: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def import_roster(lines: Iterable[str], *, source: str, actor=None, scope_region_id: int | None = None,
                  progress: Callable[[int], None] | None = None, today: date | None = None) -> ImportReport:
    """Apply the roster; the caller commits (or rolls back) the whole import at once."""
    today = today or clock.today()
    rows, rejected = roster.read(lines, today=today)
    report = ImportReport(rows=len(rows) + len(rejected), rejected=rejected)
    allowed = set(community_ids(scope_region_id)) if scope_region_id is not None else None
    table, ring = Elder.__table__, keyring()
    changes, audit = [], []
    now = utcnow()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        # The numbers are sealed in the table (sealed.py): the roster's rows find theirs by its keyed hash.
        hashes = {row.id_number: ring.lookup(ID_NUMBER, row.id_number) for row in chunk}
        found = {r.id_number_hash: r for r in db.session.execute(
            select(table.c.id, table.c.id_number_hash, table.c.hardship, table.c.hardship_since, table.c.community_id)
            .where(table.c.id_number_hash.in_(list(hashes.values()))))}
        for row in chunk:
            elder = found.get(hashes[row.id_number])
            if elder is None:
                rejected.append(Rejected(row.line, row.id_number, str(_l("No registered elder has this ID number."))))
            elif allowed is not None and elder.community_id not in allowed:
                rejected.append(Rejected(row.line, row.id_number, str(_l("The elder lives outside your region."))))
            elif (elder.hardship, elder.hardship_since) == (row.status, _since(row)):
                report.unchanged += 1
            else:
                changes.append(dict(b_id=elder.id, hardship=row.status, hardship_since=_since(row),
                                    hardship_source=None if row.status == "none" else source[:80]))
                audit.append(event("elder.hardship_changed", at=now, actor_id=getattr(actor, "id", None),
                                   target_type="elders", target_id=elder.id, **{
                                       "from": elder.hardship, "to": row.status, "since": row.since.isoformat(),
                                       "source": source[:80], "line": row.line}))
        if progress:
            progress(len(chunk))
    if changes:
        db.session.execute(
            update(table).where(table.c.id == bindparam("b_id"))
            .values(hardship=bindparam("hardship"), hardship_since=bindparam("hardship_since"),
                    hardship_source=bindparam("hardship_source")),
            changes, execution_options={"synchronize_session": False})
        record_many(audit)
    report.updated = len(changes)
    report.rejected.sort(key=lambda r: r.line)
    record("hardship.imported", actor=actor, source=source[:80], rows=report.rows, updated=report.updated,
           unchanged=report.unchanged, rejected=len(report.rejected))
    return report


def _since(row) -> date | None:
    return None if row.status == "none" else row.since
