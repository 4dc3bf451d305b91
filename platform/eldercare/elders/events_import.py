"""Registry events in bulk (`flask import-events FILE.csv`): the civil-affairs death register, hospital
admission and discharge lists. Columns id_number, kind, occurred_on, note. Each row is recorded exactly as an
operator's would be (status change, open orders cancelled); a row that cannot be is reported with its line and
reason, and leaves the others alone. Importing the same file again finds every event already recorded."""
import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from ..errors import ServiceError
from ..extensions import db
from ..sealed import ID_NUMBER, lookup
from . import idnumber
from .models import EVENT_KINDS, Elder, ElderEvent
from .registry import record_event


@dataclass
class EventsReport:
    rows: int = 0
    recorded: int = 0
    already: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, id_number, reason)


def import_events(lines: Iterable[str]) -> EventsReport:
    """Record each row's event; the caller commits."""
    reader = csv.DictReader(lines)
    if not reader.fieldnames or not {"id_number", "kind", "occurred_on"} <= {
            f.strip().lstrip("\ufeff") for f in reader.fieldnames}:
        raise ServiceError("The first line must name the columns id_number, kind, occurred_on (and note).",
                           {"file": ["Missing columns."]}, code=422)
    report = EventsReport()
    for raw in reader:
        row = {k.strip().lstrip("\ufeff"): (v or "").strip() for k, v in raw.items() if k}
        line, number = reader.line_num, row["id_number"].upper()
        report.rows += 1
        reason = _check(row, number)
        elder = None if reason else db.session.scalar(select(Elder).where(
            Elder.id_number_hash == lookup(ID_NUMBER, number)))
        if not reason and elder is None:
            reason = "No registered elder has this ID number."
        if reason:
            report.rejected.append((line, number, reason))
            continue
        occurred_on = date.fromisoformat(row["occurred_on"])
        if db.session.scalar(select(ElderEvent.id).where(ElderEvent.elder_id == elder.id, ElderEvent.kind == row[
                "kind"], ElderEvent.occurred_on == occurred_on)) is not None:
            report.already += 1
            continue
        try:
            with db.session.begin_nested():  # a refused row leaves the rows before it in place
                record_event(None, elder, row["kind"], occurred_on, row.get("note") or None, imported=True)
        except ServiceError as error:
            report.rejected.append((line, number, str(error.message)))
            continue
        report.recorded += 1
    return report


def _check(row: dict, number: str) -> str | None:
    if not idnumber.is_valid(number):
        return "Not a valid resident ID number."
    if row["kind"] not in EVENT_KINDS:
        return f"Unknown kind: use {', '.join(EVENT_KINDS)}."
    try:
        date.fromisoformat(row["occurred_on"])
    except ValueError:
        return "The date is not a date (YYYY-MM-DD)."
    return None
