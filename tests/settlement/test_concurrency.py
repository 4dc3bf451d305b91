"""Exactly once, with real processes and connections (PostgreSQL): `flask settle` killed (SIGKILL) after its
first provider's statement is committed and run again settles each order on exactly one line; two officers
approving one statement at once: one wins, the other gets 409, and the money and the orders move once."""
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import time as clock_time
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, func, select, text

from eldercare import clock
from eldercare.clock import Month
from eldercare.extensions import db
from eldercare.orders.models import OrderStatusChange, WorkOrder
from eldercare.settlement.models import Statement, StatementLine
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerTransaction

from .. import real_clock
from ..factories import UserFactory, make_token
from .conftest import at
from .test_statements import generate

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres
# The child runs on the real clock (see tests/real_clock.py): a month long over, whatever the real date.
LONG_AGO = Month(2025, 12)


def _wait_for(condition, seconds: float = 60) -> bool:
    """Poll `condition` without time.sleep (which fails under CI's moved clock, see real_clock)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        threading.Event().wait(0.1)
    return False


def test_settle_killed_after_the_first_provider_and_run_again_settles_each_order_once(app, town, is_postgres):
    if not is_postgres:
        pytest.skip("a second process on the same database needs PostgreSQL")
    a, b = town.providers
    with time_machine.travel(at(20, month=12, year=2025), tick=False):
        for day in (3, 4, 5):
            town.visit(a, at(day, month=12, year=2025))
            town.visit(b, at(day, month=12, year=2025))
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    watcher = create_engine(uri)
    blocker = watcher.connect()
    child = None
    try:
        # Hold the second provider's row: the child commits the first provider's statement, then waits here.
        blocker.execute(text("SELECT id FROM providers WHERE id = :id FOR UPDATE"), {"id": b.id})
        child = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "settle", "--period", str(LONG_AGO)], cwd=ROOT,
            env=real_clock.environment(DATABASE_URL=uri), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def committed():
            with watcher.connect() as look:
                return look.execute(text("SELECT provider_id FROM settlement_statements")).scalars().all()

        assert _wait_for(lambda: committed() == [a.id]), "the child never committed the first provider"
        assert child.poll() is None  # waiting on the second provider, in the middle of its work
        os.kill(child.pid, signal.SIGKILL)
        assert _wait_for(lambda: child.poll() is not None)
        assert child.returncode == -signal.SIGKILL
    finally:
        blocker.rollback()
        blocker.close()
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
    assert db.session.scalar(select(func.count(StatementLine.id))) == 3  # the first provider's, and only them

    with time_machine.travel(clock.at_local(Month(2026, 1).first_day, clock_time(9)), tick=False):
        rerun = app.test_cli_runner().invoke(args=["settle", "--period", str(LONG_AGO)])
    assert rerun.exit_code == 0, rerun.output
    assert "1 statements, 3 orders" in rerun.output
    watcher.dispose()
    statements = db.session.execute(select(Statement.provider_id, Statement.kind, Statement.line_count)
                                    .order_by(Statement.provider_id)).all()
    assert statements == [(a.id, "regular", 3), (b.id, "regular", 3)]
    on_lines = db.session.execute(select(StatementLine.order_id, func.count()).group_by(StatementLine.order_id)).all()
    assert sorted(order_id for order_id, _ in on_lines) == sorted(o.id for o in town.orders)
    assert {n for _, n in on_lines} == {1}


def test_two_officers_approving_at_once_one_wins(app, december, town, api, is_postgres):
    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
    a, _ = town.providers
    for day in range(1, 21):
        town.visit(a, at(day))
    statement_id = generate(api, town.officer).json[0]["id"]
    officers = [town.second, UserFactory(role="bureau", scope_region_id=town.district.id)]
    tokens = [make_token(officer) for officer in officers]
    barrier = threading.Barrier(2)
    codes = []

    def approve(i):
        client = app.test_client()
        barrier.wait()
        codes.append(client.post(f"/api/v1/settlements/{statement_id}/approve",
                                 headers={"Authorization": f"Bearer {tokens[i]}"}).status_code)

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [200, 409]
    db.session.expire_all()
    assert db.session.get(Statement, statement_id).status == "approved"
    assert set(db.session.scalars(select(WorkOrder.status))) == {"settled"}
    assert db.session.scalar(select(func.count(OrderStatusChange.id)).where(
        OrderStatusChange.to_status == "settled")) == 20
    assert db.session.scalar(select(func.count(LedgerTransaction.id)).where(
        LedgerTransaction.kind == "settlement")) == 1
    assert ledger.account("provider_paid", a.id).balance_fen == 20 * 1050
    assert ledger.check().ok
