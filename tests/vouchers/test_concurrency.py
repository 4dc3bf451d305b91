"""The ledger under pressure: racing holds never overspend, racing issuances issue once, and a crash halfway
through issuance followed by a rerun issues exactly the right total."""
import threading
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import func, select

from eldercare.clock import LOCAL, Month
from eldercare.extensions import db
from eldercare.vouchers import issuance, ledger
from eldercare.vouchers.models import LedgerAccount, VoucherGrant

DECEMBER = Month(2026, 12)
IN_DECEMBER = time_machine.travel(datetime(2026, 12, 15, 10, 0, tzinfo=LOCAL))  # only the current month is issued


def balance(kind, owner):
    return db.session.scalar(select(LedgerAccount.balance_fen).where(
        LedgerAccount.kind == kind, LedgerAccount.owner_id == owner)) or 0


def run_at_once(app, count, work):
    barrier = threading.Barrier(count)
    results = []

    def one(i):
        with app.app_context():
            barrier.wait()
            try:
                results.append(work(i))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.mark.postgres
@IN_DECEMBER
def test_fifty_concurrent_holds_never_overspend(app, town, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    elder_id = town.elder().id  # threads must not touch the test's own session's objects
    issuance.issue_period(DECEMBER)  # 30,000 fen available

    def hold(i):
        available = ledger.account("elder_available", elder_id)
        held = ledger.account("elder_held", elder_id)
        try:
            ledger.post("hold", f"hold:race:{i}", [(available, -1000), (held, 1000)], elder_id=elder_id)
            db.session.commit()
            return True
        except ledger.Overdrawn:
            db.session.rollback()
            return False

    results = run_at_once(app, 50, hold)
    assert results.count(True) == 30 and results.count(False) == 20
    db.session.expire_all()
    assert (balance("elder_available", elder_id), balance("elder_held", elder_id)) == (0, 30000)
    assert ledger.check().ok


@pytest.mark.postgres
@IN_DECEMBER
def test_two_issuances_of_one_month_racing_issue_once(app, town, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    elders = [town.elder("moderate").id for _ in range(40)] + [town.elder("severe", "dibao").id for _ in range(10)]
    reports = run_at_once(app, 2, lambda i: issuance.issue_period(DECEMBER))
    assert sum(r.issued for r in reports) == 50
    assert sum(r.total_fen for r in reports) == 40 * 30000 + 10 * 50000
    db.session.expire_all()
    grants = select(func.count()).select_from(VoucherGrant).where(VoucherGrant.period == "2026-12")
    assert db.session.scalar(grants) == 50
    assert sum(balance("elder_available", e) for e in elders) == 40 * 30000 + 10 * 50000
    assert ledger.check().ok


@IN_DECEMBER
def test_a_crash_halfway_then_a_rerun_issues_exactly_the_right_total(town, monkeypatch):
    elders = [town.elder() for _ in range(7)]
    monkeypatch.setattr(issuance, "BATCH", 2)
    real = issuance._write
    calls = []

    def crash_in_third_batch(*args):
        written = real(*args)  # the batch's rows are written, not yet committed, when the power goes
        calls.append(written)
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return written

    monkeypatch.setattr(issuance, "_write", crash_in_third_batch)
    with pytest.raises(RuntimeError):
        issuance.issue_period(DECEMBER)
    db.session.rollback()
    assert calls[2] == (2, 2 * 30000)
    assert sum(balance("elder_available", e.id) for e in elders) == 4 * 30000  # two batches landed
    monkeypatch.setattr(issuance, "_write", real)
    report = issuance.issue_period(DECEMBER)
    assert (report.issued, report.already) == (3, 4)
    assert sum(balance("elder_available", e.id) for e in elders) == 7 * 30000
    assert ledger.check().ok


@pytest.mark.postgres
def test_two_lapses_of_one_month_racing_lapse_once(app, town, is_postgres, monkeypatch):
    """Lapse is idempotent by state, not by a key per elder: the second run waits on the district's lapsed
    account, then reads balances with nothing over the kept months. With a month carried over, a lapse taken
    twice would not overdraw (the CHECK would not see it): only that lock keeps it once."""
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    town.policy.carry_over_months = 1
    db.session.commit()
    elders = [town.elder("moderate").id for _ in range(40)]
    for month in (10, 11, 12):
        with time_machine.travel(datetime(2026, month, 2, 10, 0, tzinfo=LOCAL)):
            issuance.issue_period(Month(2026, month))
    monkeypatch.setattr(issuance, "BATCH", 3)  # many batches, which the two runs may share out
    with IN_DECEMBER:
        lapsed = run_at_once(app, 2, lambda i: issuance.lapse_period(DECEMBER))
    assert len(lapsed) == 2 and sum(lapsed) == 40 * 30000  # October's money, once
    db.session.expire_all()
    assert all(balance("elder_available", e) == 60000 for e in elders)  # November's and December's kept
    assert balance("lapsed", town.district.id) == 40 * 30000
    assert ledger.check().ok
