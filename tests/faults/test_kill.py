"""Faults on PostgreSQL (issue 19): a process killed with SIGKILL in the middle of issuance, of the month's
lapse and of a burst of bookings leaves no half-made change, and after a restart the work completes exactly
once and `flask check-ledger` passes. The victim (victim.py) is a real process on its own connections; it dies
inside a batch whose rows are written and not committed, as a power cut would find it."""
import json
import signal
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select, text

from eldercare.accounts.services import issue_token
from eldercare.clock import LOCAL, Month
from eldercare.extensions import db
from eldercare.providers.models import Availability, Caregiver, Certificate
from eldercare.vouchers import issuance, ledger
from eldercare.vouchers.models import LedgerAccount, VoucherGrant

from ..factories import ItemFactory, ProviderFactory, StreetFactory, UserFactory
from ..real_clock import environment
from ..vouchers.conftest import town  # noqa: F401  the district, its policy and its elders
from .victim import BATCH, MOMENT, STOP_IN

ROOT = Path(__file__).resolve().parents[2]
ELDERS = 10  # four batches of three: the victim dies in the third
pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("a process killed on its own connections: PostgreSQL")


def kill_when_ready(database_uri: str, *args: str) -> str:
    """Start the victim, wait for its "ready", kill it with SIGKILL; what it printed."""
    victim = subprocess.Popen([sys.executable, "-m", "tests.faults.victim", *args[:1], database_uri, *args[1:]],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env=environment(PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}"))
    said = victim.stdout.readline()  # no timeout: a timed wait fails under CI's libfaketime (real_clock.py)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    said += victim.stdout.read()
    assert said.startswith("ready"), said
    assert "finished" not in said, said
    return said


def check_ledger(app) -> None:
    db.session.expire_all()
    assert ledger.check().ok, ledger.check()
    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output


def available(elder_ids) -> dict[int, int]:
    return dict(db.session.execute(select(LedgerAccount.owner_id, LedgerAccount.balance_fen).where(
        LedgerAccount.kind == "elder_available", LedgerAccount.owner_id.in_(elder_ids))).all())


def test_issuance_killed_inside_a_batch_keeps_whole_batches_and_a_rerun_issues_the_rest_once(
        app, town, database_uri):  # noqa: F811
    elders = [town.elder().id for _ in range(ELDERS)]
    kill_when_ready(database_uri, "issue")
    db.session.expire_all()
    grants = db.session.scalar(select(func.count()).select_from(VoucherGrant))
    assert grants == (STOP_IN - 1) * BATCH  # the batches committed; nothing of the one it died in
    check_ledger(app)  # every grant has its money, and no money has no grant
    with time_machine.travel(MOMENT):
        report = issuance.issue_period(Month(2026, 12))
    assert (report.issued, report.already) == (ELDERS - grants, grants)
    assert available(elders) == {e: 30000 for e in elders}
    check_ledger(app)


def test_lapse_killed_inside_a_batch_and_rerun_lapses_each_elder_once(app, town, database_uri):  # noqa: F811
    town.policy.carry_over_months = 1  # October lapses in December; November and December are kept
    db.session.commit()
    elders = [town.elder().id for _ in range(ELDERS)]
    for month in (10, 11, 12):
        with time_machine.travel(datetime(2026, month, 2, 10, 0, tzinfo=LOCAL)):
            issuance.issue_period(Month(2026, month))
    kill_when_ready(database_uri, "lapse")
    db.session.expire_all()
    lapsed_so_far = sorted(available(elders).values())
    assert lapsed_so_far == [60000] * ((STOP_IN - 1) * BATCH) + [90000] * (ELDERS - (STOP_IN - 1) * BATCH)
    check_ledger(app)
    with time_machine.travel(MOMENT):
        assert issuance.lapse_period(Month(2026, 12)) == (ELDERS - (STOP_IN - 1) * BATCH) * 30000
        assert issuance.lapse_period(Month(2026, 12)) == 0  # and again: nothing more
    assert available(elders) == {e: 60000 for e in elders}
    check_ledger(app)


def test_a_burst_of_bookings_killed_midway_leaves_only_whole_orders(app, town, database_uri, tmp_path):  # noqa: F811
    street = StreetFactory(parent_id=town.district.id)
    town.community.parent_id = street.id
    lunch = ItemFactory(code="meal.lunch", category=town.meal, price_fen=1500, duration_minutes=30)
    provider = ProviderFactory(status="approved", district_id=town.district.id, base_lat=32.49, base_lng=119.93)
    provider.categories, provider.service_areas = [town.meal], [street]
    for i in range(3):
        caregiver = Caregiver(provider_id=provider.id, name=f"护理员{i}", daily_limit=8)
        caregiver.categories = [town.meal]
        caregiver.availability = [Availability(weekday=d, start_time=time(8), end_time=time(18)) for d in range(7)]
        caregiver.certificates = [Certificate(kind="health", level="A", expires_on=date(2099, 1, 1)),
                                  Certificate(kind="elderly_care", level="3", expires_on=date(2099, 1, 1))]
        db.session.add(caregiver)
    UserFactory(role="provider_admin", provider_id=provider.id)
    operator = UserFactory(role="operator", scope_region_id=town.district.id)
    elders = [town.elder(lat=32.49, lng=119.93).id for _ in range(ELDERS)]
    db.session.commit()
    with time_machine.travel(MOMENT):
        issuance.issue_period(Month(2026, 12))
        token, _ = issue_token(operator)
    db.session.commit()
    bodies = tmp_path / "bodies.jsonl"
    first_day = MOMENT.date() + timedelta(days=1)
    bodies.write_text("\n".join(json.dumps(dict(
        elder_id=elders[n % ELDERS], item_id=lunch.id, pay_with="voucher" if n % 3 else "self",
        scheduled_start=datetime.combine(first_day + timedelta(days=n // 80), time(8 + n // ELDERS % 8),
                                         LOCAL).isoformat())) for n in range(400)), encoding="utf-8")
    kill_when_ready(database_uri, "book", token, str(bodies), "40")
    db.session.expire_all()
    orders = db.session.scalar(text("SELECT count(*) FROM work_orders"))
    assert 40 <= orders < 400
    # Nothing half-made: each order has its history, its audit, its offer when offered, its hold when paid by
    # vouchers; every fen held belongs to a live order.
    for name, query in {
        "without history": "SELECT count(*) FROM work_orders o WHERE NOT EXISTS "
                           "(SELECT 1 FROM order_status_changes h WHERE h.order_id = o.id)",
        "without audit": "SELECT count(*) FROM work_orders o WHERE NOT EXISTS (SELECT 1 FROM audit_events a "
                         "WHERE a.target_type = 'work_orders' AND a.target_id = o.id)",
        "offered without an offer": "SELECT count(*) FROM work_orders o WHERE o.status = 'dispatched' AND NOT "
                                    "EXISTS (SELECT 1 FROM order_offers f WHERE f.order_id = o.id)",
        "voucher share not held": "SELECT count(*) FROM work_orders o WHERE o.voucher_fen > 0 AND NOT EXISTS "
                                  "(SELECT 1 FROM ledger_transactions t WHERE t.key = 'hold:' || o.id)",
    }.items():
        assert db.session.scalar(text(query)) == 0, name
    held = db.session.scalar(text("SELECT coalesce(sum(balance_fen), 0) FROM ledger_accounts WHERE kind = "
                                  "'elder_held'"))
    assert held == db.session.scalar(text("SELECT coalesce(sum(voucher_fen), 0) FROM work_orders"))
    check_ledger(app)
    # After the restart bookings go on.
    with time_machine.travel(MOMENT):
        answer = app.test_client().post("/api/v1/orders", headers={"Authorization": f"Bearer {token}"}, json=dict(
            elder_id=elders[0], item_id=lunch.id, pay_with="self",
            scheduled_start=datetime.combine(first_day + timedelta(days=9), time(9), LOCAL).isoformat()))
    assert answer.status_code == 201, answer.get_json()

