"""Reading a roster file: one row per person (ID number, status, effective date), every bad row kept with its
line number and the reason, so that the bureau can fix the file at its source."""
import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from ..elders import idnumber
from ..errors import invalid

# Column names the civil-affairs exports use, in English or Chinese.
COLUMNS = {"id_number": ("id_number", "身份证号", "身份证号码"), "status": ("status", "状态", "救助类别"),
           "effective_date": ("effective_date", "生效日期")}
STATUS_WORDS = {"none": "none", "无": "none", "low_income": "low_income", "低收入": "low_income",
                "dibao": "dibao", "低保": "dibao", "tekun": "tekun", "特困": "tekun"}


@dataclass(frozen=True)
class Row:
    line: int
    id_number: str
    status: str
    since: date


@dataclass(frozen=True)
class Rejected:
    line: int
    id_number: str
    reason: str


def read(lines: Iterable[str], *, today: date) -> tuple[list[Row], list[Rejected]]:
    """The valid rows and the rejected ones. Raises Invalid on `file` when the header is not a roster's."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise invalid("file", _l("The file is empty."))
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    try:
        at = {key: next(i for i, n in enumerate(names) if n in aliases) for key, aliases in COLUMNS.items()}
    except StopIteration:
        raise invalid("file", _l("The first line must name the columns id_number, status and effective_date.")) \
            from None
    rows, rejected = [], []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines at the end of a spreadsheet export
        if len(cells) < len(header):
            rejected.append(Rejected(line, "", str(_l("The row has too few columns."))))
            continue
        number = cells[at["id_number"]].strip().upper()
        status = STATUS_WORDS.get(cells[at["status"]].strip().lower())
        if not idnumber.is_valid(number):
            rejected.append(Rejected(line, number, str(_l("Not a valid resident ID number."))))
        elif status is None:
            rejected.append(Rejected(line, number, str(_l("Unknown status: use none, low_income, dibao or tekun."))))
        else:
            try:
                since = date.fromisoformat(cells[at["effective_date"]].strip())
            except ValueError:
                rejected.append(Rejected(line, number, str(_l("The effective date is not a date (YYYY-MM-DD)."))))
                continue
            if since > today:
                rejected.append(Rejected(line, number, str(_l("The effective date is in the future."))))
            else:
                rows.append(Row(line, number, status, since))
    return _drop_contradictions(rows, rejected)


def _drop_contradictions(rows: list[Row], rejected: list[Rejected]) -> tuple[list[Row], list[Rejected]]:
    """A person twice with different values: neither line can be trusted. Twice the same: once is enough."""
    seen: dict[str, Row] = {}
    conflicting: set[str] = set()
    for row in rows:
        first = seen.setdefault(row.id_number, row)
        if (first.status, first.since) != (row.status, row.since):
            conflicting.add(row.id_number)
    kept = []
    for row in rows:
        if row.id_number in conflicting:
            rejected.append(Rejected(row.line, row.id_number,
                                     str(_l("The same ID number appears again with different values."))))
        elif seen[row.id_number] is row:
            kept.append(row)
    rejected.sort(key=lambda r: r.line)
    return kept, rejected
