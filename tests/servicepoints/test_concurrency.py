"""Racing counters on PostgreSQL with real connections: the same elder's lunch recorded at once, twice (also a
lunch booked ahead)."""
import threading

import pytest
from sqlalchemy import func, select

from eldercare.orders.models import WorkOrder
from eldercare.servicepoints.models import CheckIn
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerTransaction

from ..conftest import ApiClient
from ..factories import UserFactory, make_token
from .conftest import make_point


def _race(app, requests):
    barrier = threading.Barrier(len(requests))
    codes = []

    def one(path, body, token):
        client = app.test_client()
        barrier.wait()
        codes.append(client.post(path, json=body, headers={"Authorization": f"Bearer {token}"}).status_code)

    threads = [threading.Thread(target=one, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(codes)


@pytest.mark.parametrize("where", ["one point", "two points"])
def test_two_check_ins_of_the_same_lunch_at_once_record_one_subsidised_meal(app, db, is_postgres, counter, where):
    if not is_postgres:
        pytest.skip("real concurrent connections: PostgreSQL")
    elder = counter.elder
    body = {"name": elder.name, "id_last6": elder.id_number[-6:], "item_id": counter.lunch.id, "pay_with": "voucher"}
    points = [counter.point.id, counter.point.id]
    if where == "two points":  # both refuse a second lunch: whichever counter is second must refuse it
        counter.point.second_meal = "refuse"
        provider = counter.point.provider
        points[1] = make_point(counter.city, provider, name="第二食堂", items=[(counter.lunch, 1200)],
                               second_meal="refuse").id
    other = UserFactory(role="point_staff", provider_id=counter.point.provider_id)
    tokens = [make_token(counter.staff), make_token(other)]
    codes = _race(app, [(f"/api/v1/service-points/{p}/check-ins", body, t) for p, t in zip(points, tokens,
                                                                                             strict=True)])
    assert codes == [201, 409]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == "capture")) == 1
    assert ledger.account("elder_available", elder.id).balance_fen == 30000 - 840
    assert ledger.check().ok


def test_a_meal_booked_ahead_served_twice_at_once_is_completed_and_captured_once(app, db, is_postgres, counter):
    if not is_postgres:
        pytest.skip("real concurrent connections: PostgreSQL")
    elder = counter.elder
    operator = counter.city.operator
    booked = ApiClient(app.test_client()).as_(operator).post(
        f"/api/v1/service-points/{counter.point.id}/bookings",
        json={"elder_id": elder.id, "item_id": counter.lunch.id, "day": "2026-12-02", "slot": "lunch"})
    assert booked.status_code == 201, booked.json
    body = {"name": elder.name, "id_last6": elder.id_number[-6:], "item_id": counter.lunch.id, "pay_with": "voucher"}
    other = UserFactory(role="point_staff", provider_id=counter.point.provider_id)
    path = f"/api/v1/service-points/{counter.point.id}/check-ins"
    codes = _race(app, [(path, body, make_token(counter.staff)), (path, body, make_token(other))])
    assert codes == [201, 409]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WorkOrder).where(WorkOrder.elder_id == elder.id)) == 1
    assert db.session.get(WorkOrder, booked.json["id"]).status == "completed"
    assert db.session.scalar(select(func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == "capture")) == 1
    assert ledger.account("elder_held", elder.id).balance_fen == 0
    assert ledger.check().ok
