"""Junk in every field of the new forms and endpoints answers 4xx, never 500, and changes nothing."""
import pytest
from sqlalchemy import func, select

from eldercare.extensions import db
from eldercare.orders.models import WorkOrder

JUNK = ["", "x", "-1", "99999999999999999999", "2026-13-45", "<script>", "１２"]


def orders() -> int:
    return db.session.scalar(select(func.count(WorkOrder.id)))


@pytest.mark.parametrize("junk", JUNK)
def test_booking_pages_refuse_junk(flow, pages, junk):
    f = flow
    pages.login(f["family"].username)
    token = pages.token("/book")
    good = dict(elder_id=f["city"].elder.id, item_id=f["city"].lunch.id, day=f["start"].date().isoformat(),
                time="11:00", quantity="1", pay_with="voucher")
    for field in good:
        before = orders()
        r = pages.client.post("/book/confirm", data=good | {field: junk, "csrf_token": token})
        # Taken as self-pay, as one, or as the full-width digits an IME types (１２ is 12).
        defaulted = field == "pay_with" or (field == "quantity" and junk in ("", "１２"))
        assert r.status_code < 500 and (r.status_code >= 400 or defaulted), (field, r.status_code)
        if not defaulted:
            assert orders() == before
    for path in (f"/book/when?elder_id={junk}&item_id={f['city'].lunch.id}", f"/book?elder_id={junk}",
                 f"/book/confirm?elder_id={f['city'].elder.id}&item_id={junk}"):
        assert pages.client.get(path).status_code in (200, 404, 422)


@pytest.mark.parametrize("junk", JUNK)
def test_work_pages_and_api_refuse_junk(flow, pages, api, junk):
    f = flow
    pages.login(f["provider"].admin.username)
    token = pages.token("/provider/orders")
    assert pages.client.post(f"/provider/orders/{f['order']['id']}/accept",
                             data={"caregiver_id": junk, "csrf_token": token}).status_code == 302
    pages.logout()
    pages.login(f["carer"].username)
    token = pages.token("/caregiver/today")
    r = pages.client.post(f"/caregiver/orders/{f['order']['id']}/check-in",
                          data={"lat": junk, "lng": junk, "csrf_token": token})
    assert r.status_code == 302 and db.session.get(WorkOrder, f["order"]["id"]).status == "accepted"
    body = {"elder_id": junk, "item_id": junk, "rule": {"freq": junk, "time": junk}, "start_date": junk}
    assert api.as_(f["family"]).post("/api/v1/care-plans", json=body).status_code == 422
    assert api.as_(f["family"]).get(f"/api/v1/care-plans/forecast?elder_id={junk}").status_code in (404, 422)
    assert api.as_(f["family"]).get(f"/api/v1/notifications?unread={junk}").status_code in (200, 422)
