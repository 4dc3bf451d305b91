"""The co-pay on the pages: the family sees what is due and paid, with "pay online" when Stripe is on (to
Stripe's checkout) or the words that it is paid at the door; the caregiver records co-pay received from the
visit page after a confirmation step; the provider reverses a record made by mistake. Chinese by default."""
import re
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.payments.models import Payment

from ..orders.flows import visit
from ..pages import csrf_token


def text(response) -> str:
    return response.get_data(as_text=True)


def order_of(f) -> WorkOrder:
    db.session.expire_all()
    return db.session.get(WorkOrder, f["order"]["id"])


def test_the_family_sees_the_co_pay_due_and_that_it_is_paid_at_the_door(flow, pages):
    pages.login(flow["family"].username)
    page = text(pages.client.get(f"/orders/{flow['order']['id']}"))
    assert "自付" in page and "4.50 元" in page and "上门时" in page
    assert "在线支付" not in page


def test_with_stripe_the_family_pays_online_through_the_checkout(flow, pages, stripe_on):
    pages.login(flow["family"].username)
    page = text(pages.client.get(f"/orders/{flow['order']['id']}"))
    assert "在线支付 4.50 元" in page
    answer = pages.client.post(f"/orders/{flow['order']['id']}/pay-online", data={"csrf_token": csrf_token(page)})
    assert answer.status_code == 302 and answer.location.startswith("https://checkout.stripe.com/")
    assert len(stripe_on.calls_to("/v1/checkout/sessions")) == 1


def test_the_booking_confirm_page_says_how_the_co_pay_is_paid(flow, pages):
    f = flow
    pages.login(f["family"].username)
    start = f["start"] + timedelta(days=1)
    page = text(pages.client.get("/book/confirm", query_string={
        "elder_id": f["city"].elder.id, "item_id": f["city"].lunch.id, "day": start.date().isoformat(),
        "time": "11:00"}))
    assert "上门时" in page


def test_the_caregiver_records_the_co_pay_after_confirming(flow, pages):
    f = flow
    visit(f)
    with time_machine.travel(f["start"] + timedelta(minutes=40), tick=False):
        pages.login(f["carer"].username)
        today = text(pages.client.get("/caregiver/today"))
        assert "记录收到的自付款" in today
        assert re.search(r'name="amount"[^>]*value="4.50"', today)  # prefilled with what is due
        token = csrf_token(today)
        ask = pages.client.post(f"/orders/{f['order']['id']}/copay",
                                data={"csrf_token": token, "amount": "4.50", "method": "cash"})
        assert ask.status_code == 200 and "确认" in text(ask)
        assert db.session.scalar(select(func.count()).select_from(Payment)) == 0  # nothing until confirmed
        done = pages.client.post(f"/orders/{f['order']['id']}/copay", data={
            "csrf_token": csrf_token(text(ask)), "amount": "4.50", "method": "cash", "confirmed": "1"})
        assert done.status_code == 302 and done.location.endswith("/caregiver/today")
        assert order_of(f).copay_status == "paid"
        over = pages.client.post(f"/orders/{f['order']['id']}/copay", data={
            "csrf_token": token, "amount": "0.01", "method": "cash", "confirmed": "1"})
        assert over.status_code == 422 and db.session.scalar(select(func.count()).select_from(Payment)) == 1
        bad = pages.client.post(f"/orders/{f['order']['id']}/copay", data={
            "csrf_token": token, "amount": "４.50", "method": "cash", "confirmed": "1"})  # full-width digit
        assert bad.status_code == 422


def test_the_provider_records_and_reverses_on_the_order_page(flow, pages):
    f = flow
    visit(f)
    with time_machine.travel(f["start"] + timedelta(minutes=40), tick=False):
        pages.login(f["provider"].admin.username)
        page = text(pages.client.get(f"/orders/{f['order']['id']}"))
        assert "记录收到的自付款" in page
        pages.client.post(f"/orders/{f['order']['id']}/copay", data={
            "csrf_token": csrf_token(page), "amount": "4.50", "method": "wechat", "confirmed": "1"})
        page = text(pages.client.get(f"/orders/{f['order']['id']}"))
        assert "微信转账" in page and "撤销这笔付款" in page
        payment = db.session.scalar(select(Payment))
        answer = pages.client.post(f"/payments/{payment.id}/reverse",
                                   data={"csrf_token": csrf_token(page), "reason": "记错了"})
        assert answer.status_code == 302
        assert order_of(f).copay_status == "due"
        page = text(pages.client.get(f"/orders/{f['order']['id']}"))
        assert "撤销这笔付款" not in page and "-4.50" in page


def test_english_is_available(flow, pages):
    pages.login(flow["family"].username)
    page = text(pages.client.get(f"/orders/{flow['order']['id']}?lang=en"))
    assert "Co-pay" in page and "at the door" in page


def test_the_provider_records_money_given_back_on_a_cancelled_order_after_confirming(flow, pages):
    f = flow
    assert f["api"].as_(f["city"].operator).post(f"/api/v1/orders/{f['order']['id']}/payments/offline",
                                                 json={"amount_fen": 450, "method": "cash"}).status_code == 201
    assert f["api"].as_(f["family"]).post(f"/api/v1/orders/{f['order']['id']}/cancel",
                                          json={"reason": "住院"}).status_code == 200
    pages.login(f["provider"].admin.username)
    page = text(pages.client.get(f"/orders/{f['order']['id']}"))
    assert "记录已退还的款项" in page and "需退还给家属" in page
    assert re.search(r'name="amount"[^>]*value="4.50"', page)  # prefilled with what is owed back
    ask = pages.client.post(f"/orders/{f['order']['id']}/refund",
                            data={"csrf_token": csrf_token(page), "amount": "4.50", "method": "cash"})
    assert ask.status_code == 200 and "确认退还的款项" in text(ask)
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.kind == "refund")) == 0
    done = pages.client.post(f"/orders/{f['order']['id']}/refund", data={
        "csrf_token": csrf_token(text(ask)), "amount": "4.50", "method": "cash", "confirmed": "1"})
    assert done.status_code == 302 and done.location.endswith(f"/orders/{f['order']['id']}")
    assert order_of(f).copay_status == "refunded"
    page = text(pages.client.get(f"/orders/{f['order']['id']}"))
    assert "已退还" in page and "记录已退还的款项" not in page and "撤销这笔付款" in page
    over = pages.client.post(f"/orders/{f['order']['id']}/refund", data={
        "csrf_token": csrf_token(page), "amount": "0.01", "method": "cash", "confirmed": "1"})
    assert over.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Payment).where(Payment.kind == "refund")) == 1
