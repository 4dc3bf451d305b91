"""On PostgreSQL a booking is written in one statement (orders/writing.py). It must write exactly the rows the
ORM path writes for the same booking (dispatch.set_status with audit.record and the notification subscribers,
holds.hold), which SQLite runs: each case is booked both ways, a week apart, and every row compared, ids and
moments aside."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.notifications.models import Notification
from eldercare.orders import booking
from eldercare.orders.models import OrderOffer, OrderStatusChange, WorkOrder
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerAccount, LedgerEntry, LedgerTransaction, VoucherPolicy, VoucherTier

from ..factories import UserFactory
from ..vouchers.issuing import issue
from .conftest import next_monday
from .flows import leave_available

MOMENTS = {"id", "scheduled_start", "scheduled_end", "created_at", "escalated_at"}


@pytest.fixture
def voucher_city(api, city, is_postgres):
    if not is_postgres:
        pytest.skip("the one-statement write is PostgreSQL's")
    db.session.add(VoucherPolicy(region_id=city.district.id, name="券", valid_from=date(2026, 1, 1),
                                 tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000,
                                                    copay_percent=30)], categories=[city.meal]))
    city.elder.care_level = "moderate"
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=city.elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    for week in (0, 1):
        issue(f"{next_monday() + timedelta(weeks=week):%Y-%m}")  # in its month: only the current one is issued
    city.provider("一", caregivers=1, categories=[city.meal])  # offers meals only: a cleaning is escalated
    return city, family


def book_both_ways(api, city, family, monkeypatch, **body) -> tuple[int, int]:
    """The same booking through the ORM path and through the one-statement write, a week apart."""
    ids = []
    for week, one_statement in ((0, False), (1, True)):
        monkeypatch.setattr(booking, "writes_in_one_statement", lambda one=one_statement: one)
        r = api.as_(family).post("/api/v1/orders", json={
            "elder_id": city.elder.id, "scheduled_start": (next_monday() + timedelta(weeks=week)).isoformat(),
            **body})
        assert r.status_code == 201, r.json
        ids.append(r.json["id"])
    return ids[0], ids[1]


def rows_of(order_id: int) -> dict:
    """Everything a booking wrote, without ids and moments (the order's own id in a key as ORDER)."""
    db.session.expire_all()
    order = db.session.get(WorkOrder, order_id)

    def plain(key: str) -> str:
        return key.replace(f":{order_id}", ":ORDER")

    accounts = {a.id: (a.kind, a.owner_id) for a in db.session.scalars(select(LedgerAccount))}
    txns = db.session.scalars(select(LedgerTransaction).where(LedgerTransaction.order_id == order_id)).all()
    return dict(
        order={c.name: getattr(order, c.name) for c in WorkOrder.__table__.columns if c.name not in MOMENTS},
        history=[(h.from_status, h.to_status, h.actor_id, h.reason, h.detail) for h in db.session.scalars(
            select(OrderStatusChange).where(OrderStatusChange.order_id == order_id).order_by(OrderStatusChange.id))],
        audit=[(e.action, e.actor_id, e.target_type, e.ip, e.detail) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.target_type == "work_orders", AuditEvent.target_id == order_id)
            .order_by(AuditEvent.id))],
        offers=[(o.provider_id, o.rank, o.status, o.expires_at - o.offered_at, o.answered_at, o.reason)
                for o in db.session.scalars(select(OrderOffer).where(OrderOffer.order_id == order_id))],
        notifications=[(n.user_id, n.kind, n.facts["order"] == order_id,
                        {k: v for k, v in n.facts.items() if k not in ("order", "when")}, n.read_at)
                       for n in db.session.scalars(select(Notification).where(Notification.order_id == order_id)
                                                   .order_by(Notification.id))],
        ledger=[(t.kind, plain(t.key), t.period, t.elder_id, t.amount_fen, t.memo, t.actor_id,
                 [(accounts[e.account_id], e.amount_fen) for e in db.session.scalars(
                     select(LedgerEntry).where(LedgerEntry.transaction_id == t.id).order_by(LedgerEntry.id))])
                for t in txns])


def test_an_offered_voucher_booking_writes_the_same_rows_both_ways(api, voucher_city, monkeypatch):
    city, family = voucher_city
    orm, one = book_both_ways(api, city, family, monkeypatch, item_id=city.lunch.id, pay_with="voucher",
                              note="少盐")
    a, b = rows_of(orm), rows_of(one)
    assert a["order"]["status"] == "dispatched" and a["order"]["voucher_fen"] == 1050
    assert [k for k, *_ in a["ledger"]] == ["hold"] and a["offers"] and a["notifications"]
    assert a == b
    check = ledger.check()
    assert check.ok, check


def test_an_escalated_booking_writes_the_same_rows_both_ways(api, voucher_city, monkeypatch):
    city, family = voucher_city
    orm, one = book_both_ways(api, city, family, monkeypatch, item_id=city.tidy.id)
    a, b = rows_of(orm), rows_of(one)
    assert a["order"]["status"] == "escalated" and a["offers"] == [] and a["ledger"] == []
    assert {kind for _, kind, *_ in a["notifications"]} == {"escalated"} and len(a["notifications"]) >= 2
    assert a == b


def test_a_short_balance_refuses_the_one_statement_booking_and_writes_nothing(api, voucher_city):
    city, family = voucher_city
    leave_available(city.elder.id, 1_000)
    r = api.as_(family).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat(),
        "pay_with": "voucher"})
    assert r.status_code == 409 and "pay_with" in r.json["errors"]
    db.session.expire_all()
    assert db.session.scalars(select(WorkOrder)).all() == []
    assert db.session.scalars(select(Notification)).all() == []
    assert ledger.account("elder_available", city.elder.id).balance_fen == 1000
    check = ledger.check()
    assert check.ok, check


def test_concurrent_voucher_bookings_hold_only_what_the_balance_covers(api, voucher_city):
    """Forty bookings of one elder at once, each holding 1,050 fen, against 11,000 fen: ten are booked and
    held, thirty refused with 409, and the ledger balances."""
    import threading

    city, family = voucher_city
    leave_available(city.elder.id, 11_000)
    start, elder_id, item_id = next_monday(8), city.elder.id, city.lunch.id  # threads touch no session objects
    clients = [api.as_(family) for _ in range(40)]
    barrier, results = threading.Barrier(40), []

    def book(n):
        barrier.wait(timeout=30)
        r = clients[n].post("/api/v1/orders", json={
            "elder_id": elder_id, "item_id": item_id, "pay_with": "voucher",
            "scheduled_start": (start + timedelta(minutes=15 * n)).isoformat()})
        results.append((r.status_code, r.json))

    threads = [threading.Thread(target=book, args=(n,)) for n in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    codes = sorted(code for code, _ in results)
    assert codes == [201] * 10 + [409] * 30, results
    assert all("pay_with" in body["errors"] for code, body in results if code == 409)
    db.session.expire_all()
    assert len(db.session.scalars(select(WorkOrder)).all()) == 10
    assert ledger.account("elder_available", city.elder.id).balance_fen == 11000 - 10 * 1050
    check = ledger.check()
    assert check.ok, check
