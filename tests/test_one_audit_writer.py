"""One audit writer: every audit_events row is built by audit/services.py (`record`, `record_many`, `rows`), so
what the log keeps of an event, and next its hash chain, is decided in one place."""
import re
from pathlib import Path

from eldercare import audit

PACKAGE = Path(audit.__file__).resolve().parents[1]
WRITES = re.compile(r"insert\s+into\s+audit_events|AuditEvent\.__table__|(?<!class )\bAuditEvent\(", re.IGNORECASE)
# The order writer inserts the rows audit.rows() built, in its one statement beside the orders they describe.
ROWS_FROM_THE_WRITER = {"orders/new_orders.py": "audit.rows("}


def test_only_the_audit_writer_writes_audit_events():
    writers = {}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if WRITES.search(text):
            writers[path.relative_to(PACKAGE).as_posix()] = text
    assert set(writers) - {"audit/services.py", "audit/models.py", *ROWS_FROM_THE_WRITER} == set()
    for name, call in ROWS_FROM_THE_WRITER.items():
        assert call in writers[name], f"{name} inserts audit rows it did not get from {call}"


def test_the_guard_sees_a_direct_write():
    assert WRITES.search("db.session.execute(insert(AuditEvent.__table__), rows)")
    assert WRITES.search("db.session.add(AuditEvent(action='x'))")
    assert not WRITES.search("class AuditEvent(db.Model):")
