"""One writer of new orders (orders/new_orders.py): a booking writes its one order through it, the care plans
a batch of thousands. An order written alone and the same order written inside a batch must give the same rows
(orders, history, offers, ledger transaction and entries, audit events, notifications; ids and moments
aside), on SQLite and on PostgreSQL; and the writer tells the rest of the platform once per write."""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.notifications.models import Notification
from eldercare.orders import new_orders
from eldercare.orders.models import OrderOffer, OrderStatusChange, WorkOrder
from eldercare.orders.signals import orders_written
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerAccount, LedgerEntry, LedgerTransaction, VoucherPolicy, VoucherTier

from ..factories import UserFactory
from ..vouchers.issuing import issue
from .conftest import next_monday
from .flows import leave_available

MOMENTS = {"id", "scheduled_start", "scheduled_end", "created_at", "escalated_at", "accepted_at", "plan_date"}


@pytest.fixture
def voucher_city(api, city):
    db.session.add(VoucherPolicy(region_id=city.district.id, name="券", valid_from=date(2026, 1, 1),
                                 tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=30000,
                                                    copay_percent=30)], categories=[city.meal]))
    city.elder.care_level = "moderate"
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=city.elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    for week in (0, 1, 2):
        issue(f"{next_monday() + timedelta(weeks=week):%Y-%m}")  # in its month: only the current one is issued
    city.provider("一", caregivers=1, categories=[city.meal])  # offers meals only: a cleaning is escalated
    return city, family


@pytest.fixture
def drafts(monkeypatch):
    """Every draft the writer is given, and every orders_written heard, in order."""
    seen, heard = [], []
    write = new_orders.write

    def keep(given, **kw):
        seen.extend(given)
        return write(given, **kw)

    def hear(_sender, *, written, **_):
        heard.append([w.id for w in written])

    monkeypatch.setattr(new_orders, "write", keep)
    orders_written.connect(hear)
    yield seen, heard
    orders_written.disconnect(hear)


def moved(draft: new_orders.Draft, weeks: int) -> new_orders.Draft:
    """The same order, `weeks` later (a live order's slot is unique), as a new order: without the id a booking's
    draft took beforehand (sql.next_id)."""
    later = timedelta(weeks=weeks)
    values = {k: v for k, v in draft.values.items() if k != "id"}
    return replace(draft, values=values | dict(scheduled_start=draft.values["scheduled_start"] + later,
                                                     scheduled_end=draft.values["scheduled_end"] + later))


def alone_and_in_a_batch(api, city, family, drafts, **body) -> tuple[int, int]:
    """The order booked alone through the API, then the same draft written a week later between two others."""
    seen, heard = drafts
    r = api.as_(family).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "scheduled_start": next_monday().isoformat(), **body})
    assert r.status_code == 201, r.json
    [draft] = seen
    assert heard == [[r.json["id"]]]  # one signal, with the one order
    with current_app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):  # as the booking's
        result = new_orders.write([moved(draft, 2), moved(draft, 1), moved(replace(draft, values=draft.values | dict(
            note="another")), 3)], actor=family)
    assert [len(result.written), result.already, result.short] == [3, [], []]
    assert heard[1] == [w.id for w in result.written]  # once more, with the three
    db.session.commit()
    return r.json["id"], result.written[1].id


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


def test_an_offered_voucher_order_writes_the_same_rows_alone_and_in_a_batch(api, voucher_city, drafts):
    city, family = voucher_city
    alone, batched = alone_and_in_a_batch(api, city, family, drafts, item_id=city.lunch.id, pay_with="voucher",
                                          note="少盐")
    a, b = rows_of(alone), rows_of(batched)
    assert a["order"]["status"] == "dispatched" and a["order"]["voucher_fen"] == 1050
    assert [k for k, *_ in a["ledger"]] == ["hold"] and a["offers"] and a["notifications"]
    assert [h[:2] for h in a["history"]] == [(None, "pending"), ("pending", "dispatched")]
    assert a == b
    check = ledger.check()
    assert check.ok, check


def test_an_escalated_order_writes_the_same_rows_alone_and_in_a_batch(api, voucher_city, drafts):
    city, family = voucher_city
    alone, batched = alone_and_in_a_batch(api, city, family, drafts, item_id=city.tidy.id)
    a, b = rows_of(alone), rows_of(batched)
    assert a["order"]["status"] == "escalated" and a["offers"] == [] and a["ledger"] == []
    assert {kind for _, kind, *_ in a["notifications"]} == {"escalated"} and len(a["notifications"]) >= 2
    assert a == b


def test_an_order_taken_at_once_writes_the_same_rows_alone_and_in_a_batch(api, voucher_city, drafts):
    """A care plan's order taken by its kept caregiver: written alone, and among others."""
    city, family = voucher_city
    seen, heard = drafts
    provider = city.provider("二", caregivers=1, categories=[city.meal])
    carer = provider.team[0]
    start = next_monday()
    end = start + timedelta(minutes=city.lunch.duration_minutes)
    values = dict(elder_id=city.elder.id, item_id=city.lunch.id, scheduled_start=start, scheduled_end=end,
                  quantity=1, price_fen=1500, voucher_fen=1050, copay_fen=450, pay_with="voucher", note=None,
                  preferred_provider_id=provider.id, booked_by_id=family.id,
                  ranking=[dict(provider_id=provider.id, preferred=True)])
    draft = new_orders.booked(values, facts=dict(item=city.lunch.name, elder=city.elder.name, when="",
                                                 address="", provider=provider.name, caregiver=carer.name),
                              community_id=city.elder.community_id, now=start - timedelta(days=2),
                              offer=new_orders.Offer(provider.id, 30), reason="kept", caregiver_id=carer.id)
    [alone] = new_orders.write([draft]).written
    batch = new_orders.write([moved(draft, 1), moved(draft, 2)]).written
    db.session.commit()
    assert heard == [[alone.id], [w.id for w in batch]]
    a, b = rows_of(alone.id), rows_of(batch[0].id)
    assert a["order"]["status"] == "accepted" and a["order"]["caregiver_id"] == carer.id
    assert [o[2] for o in a["offers"]] == ["accepted"]
    assert [h[1] for h in a["history"]] == ["pending", "dispatched", "accepted"]
    assert {kind for _, kind, *_ in a["notifications"]} == {"offered", "accepted"}
    assert a == b
    assert ledger.check().ok


def test_a_short_balance_in_a_batch_refuses_that_order_only(api, voucher_city, drafts):
    city, family = voucher_city
    seen, heard = drafts
    r = api.as_(family).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat(),
        "pay_with": "voucher"})
    assert r.status_code == 201
    leave_available(city.elder.id, 1_500)  # one more share of 1,050 fits, not two
    first, second = moved(seen[0], 1), moved(seen[0], 2)
    result = new_orders.write([first, second], short="skip")
    assert [w.draft for w in result.written] == [first] and result.short == [second]
    assert heard[-1] == [result.written[0].id]
    db.session.commit()
    assert db.session.scalar(select(WorkOrder.id).where(WorkOrder.scheduled_start == second.values[
        "scheduled_start"])) is None
    assert ledger.account("elder_available", city.elder.id).balance_fen == 450
    assert ledger.check().ok


def test_a_short_balance_refuses_the_booking_and_writes_nothing(api, voucher_city):
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


def test_concurrent_voucher_bookings_hold_only_what_the_balance_covers(api, voucher_city, is_postgres):
    """Forty bookings of one elder at once, each holding 1,050 fen, against 11,000 fen: ten are booked and
    held, thirty refused with 409, and the ledger balances."""
    import threading

    if not is_postgres:
        pytest.skip("real concurrent connections need PostgreSQL")
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
