"""The pages of a work order's life: booking in three steps (elder, family, operator), "my orders" with
cancel, confirm-and-rate and complaint, the provider's queue, and the caregiver's day with check-in and
check-out by position. Driven through the test client with CSRF tokens, like a browser."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from eldercare import clock
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.vouchers import ledger

from ..factories import UserFactory

RATE_1_TO_5 = "请打1到5分"


def text(response) -> str:
    return response.get_data(as_text=True)


def choices(f, hour=11, **extra):
    start = f["start"].replace(hour=hour)
    return dict(elder_id=f["city"].elder.id, item_id=f["city"].lunch.id, day=start.date().isoformat(),
                time=start.strftime("%H:%M"), quantity="1", note=extra.pop("note", "少放盐"), **extra)


def book(pages, f, **form):
    data = choices(f, **form) | {"csrf_token": pages.token("/book")}
    return pages.client.post("/book/confirm", data=data)


def latest_order(elder_id) -> WorkOrder:
    return db.session.scalar(select(WorkOrder).where(WorkOrder.elder_id == elder_id).order_by(WorkOrder.id.desc()))


def test_the_family_books_in_three_steps_and_vouchers_pay_their_share(flow, pages):
    f = flow
    pages.login(f["family"].username)
    step1 = pages.client.get("/book")  # one linked elder: straight to the services
    assert step1.status_code == 200 and f["city"].lunch.name in text(step1) and "第 1 步" in text(step1)
    step2 = pages.client.get(f"/book/when?elder_id={f['city'].elder.id}&item_id={f['city'].lunch.id}")
    assert step2.status_code == 200 and "第 2 步" in text(step2) and 'value="10:00"' in text(step2)
    query = "&".join(f"{k}={v}" for k, v in choices(f).items())
    step3 = pages.client.get(f"/book/confirm?{query}")
    assert step3.status_code == 200 and "服务券支付 10.50 元，您自付 4.50 元" in text(step3)
    before = ledger.account("elder_available", f["city"].elder.id).balance_fen
    done = book(pages, f, pay_with="voucher")
    assert done.status_code == 302 and done.headers["Location"].endswith("/my/orders")
    order = latest_order(f["city"].elder.id)
    assert (order.pay_with, order.voucher_fen, order.copay_fen, order.note) == ("voucher", 1050, 450, "少放盐")
    assert order.booked_by_id == f["family"].id and order.status in ("dispatched", "escalated")
    db.session.expire_all()
    assert ledger.account("elder_available", f["city"].elder.id).balance_fen == before - 1050
    mine = text(pages.client.get("/my/orders"))
    assert "已预约" in mine and f"工单 {order.id} 详情" in mine


def test_a_refused_booking_goes_back_to_step_two_with_the_reason_and_the_choices_kept(flow, pages):
    f = flow
    pages.login(f["family"].username)
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    data = choices(f, note="下午来") | {"day": yesterday, "csrf_token": pages.token("/book")}
    refused = pages.client.post("/book/confirm", data=data)
    assert refused.status_code == 422
    page = text(refused)
    assert "第 2 步" in page and "这个时间已经过去了" in page and "下午来" in page
    assert latest_order(f["city"].elder.id).id == f["order"]["id"]  # nothing booked
    missing = pages.client.post("/book/confirm", data=data | {"time": ""})
    assert missing.status_code == 422 and "请选择时间" in text(missing)


def test_a_duplicate_booking_is_refused_with_its_reason_on_the_confirm_step(flow, pages):
    f = flow
    pages.login(f["family"].username)
    assert book(pages, f, pay_with="self").status_code == 302
    again = book(pages, f, pay_with="self")
    assert again.status_code == 422 and "已经预约" in text(again)


def test_nobody_books_for_or_acts_on_an_elder_they_cannot_see(flow, pages):
    f = flow
    stranger = UserFactory(role="family")
    pages.login(stranger.username)
    assert pages.client.get(f"/book?elder_id={f['city'].elder.id}").status_code == 404
    assert book(pages, f, pay_with="self").status_code == 404
    cancel = pages.client.post(f"/my/orders/{f['order']['id']}/cancel",
                               data={"reason": "x", "csrf_token": pages.token("/my/orders")})
    assert cancel.status_code == 404
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "accepted"
    pages.logout()
    pages.login(f["carer"].username)
    assert pages.client.get("/book").status_code == 403 and pages.client.get("/my/orders").status_code == 403


def test_an_operator_books_by_phone_from_the_elders_record(flow, pages):
    f = flow
    pages.login(f["city"].operator.username)
    profile = text(pages.client.get(f"/elders/{f['city'].elder.id}"))
    assert f"/book?elder_id={f['city'].elder.id}" in profile
    done = book(pages, f, hour=15, pay_with="self")
    order = latest_order(f["city"].elder.id)
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/orders/{order.id}")
    assert order.booked_by_id == f["city"].operator.id and order.pay_with == "self"


def test_my_orders_cancels_confirms_rates_and_complains(flow, pages):
    f = flow
    pages.login(f["family"].username)
    page = text(pages.client.get("/my/orders"))
    assert "取消这个工单" in page and f["provider"].team[0].name in page
    from .flows import visit
    visit(f)
    page = text(pages.client.get("/my/orders"))
    assert "确认服务" in page and "投诉" in page
    token = pages.token("/my/orders")
    no_rating = pages.client.post(f"/my/orders/{f['order']['id']}/confirm", data={"csrf_token": token})
    assert no_rating.status_code == 302 and RATE_1_TO_5 in text(pages.client.get("/my/orders"))
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "completed"
    rated = pages.client.post(f"/my/orders/{f['order']['id']}/confirm",
                              data={"rating": "4", "comment": "准时", "csrf_token": token})
    assert rated.status_code == 302
    order = db.session.get(WorkOrder, f["order"]["id"])
    db.session.refresh(order)
    assert (order.status, order.rating, order.rating_comment) == ("confirmed", 4, "准时")
    complaint = pages.client.post(f"/my/orders/{f['order']['id']}/dispute",
                                  data={"reason": "饭菜凉了", "csrf_token": token})
    assert complaint.status_code == 302
    db.session.refresh(order)
    assert order.status == "disputed" and order.dispute_reason == "饭菜凉了"


def test_cancelling_from_my_orders_asks_first_then_releases_the_vouchers(flow, pages):
    f = flow
    pages.login(f["family"].username)
    before = ledger.account("elder_available", f["city"].elder.id).balance_fen
    form = {"reason": "住院了", "csrf_token": pages.token("/my/orders")}
    asked = pages.client.post(f"/my/orders/{f['order']['id']}/cancel", data=form,
                              headers={"Referer": "http://localhost/my/orders?lang=zh"})
    assert asked.status_code == 200  # the first press only asks, saying what cancelling does
    # Its header's switches cannot fetch the answer to a form again: they open the page the form was on.
    assert 'href="/my/orders?lang=zh&amp;text=large"' in text(asked)
    elsewhere = pages.client.post(f"/my/orders/{f['order']['id']}/cancel", data=form,
                                  headers={"Referer": "https://example.com/my/orders"})
    assert 'href="/?text=large"' in text(elsewhere) and "/cancel?text" not in text(elsewhere)
    assert "要取消这个工单吗" in text(asked) and "10.50 元服务券会退回余额" in text(asked)
    assert 'name="confirmed" value="yes"' in text(asked) and "住院了" in text(asked)
    db.session.expire_all()
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "accepted"
    assert ledger.account("elder_available", f["city"].elder.id).balance_fen == before
    r = pages.client.post(f"/my/orders/{f['order']['id']}/cancel", data=form | {"confirmed": "yes"})
    assert r.status_code == 302
    assert "工单已取消" in text(pages.client.get("/my/orders"))
    db.session.expire_all()
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "cancelled"
    assert ledger.account("elder_available", f["city"].elder.id).balance_fen == before + 1050
    assert ledger.check().ok


def test_the_provider_accepts_with_a_free_caregiver_or_declines_with_a_reason(flow, api, pages):
    f = flow
    second = api.as_(f["family"]).post("/api/v1/orders", json={
        "elder_id": f["city"].elder.id, "item_id": f["city"].lunch.id,
        "scheduled_start": f["start"].replace(hour=14).isoformat()}).json
    third = api.as_(f["family"]).post("/api/v1/orders", json={
        "elder_id": f["city"].elder.id, "item_id": f["city"].lunch.id,
        "scheduled_start": f["start"].replace(hour=16).isoformat()}).json
    assert second["status"] == third["status"] == "dispatched"
    pages.login(f["provider"].admin.username)
    queue = text(pages.client.get("/provider/orders"))
    assert f"工单 {second['id']}" in queue and f["provider"].team[0].name in queue and "请在" in queue
    token = pages.token("/provider/orders")
    accepted = pages.client.post(f"/provider/orders/{second['id']}/accept",
                                 data={"caregiver_id": f["provider"].team[0].id, "csrf_token": token})
    assert accepted.status_code == 302
    assert db.session.get(WorkOrder, second["id"]).status == "accepted"
    no_reason = pages.client.post(f"/provider/orders/{third['id']}/reject", data={"csrf_token": token})
    assert no_reason.status_code == 302 and db.session.get(WorkOrder, third["id"]).status == "dispatched"
    declined = pages.client.post(f"/provider/orders/{third['id']}/reject",
                                 data={"reason": "人手不够", "csrf_token": token})
    assert declined.status_code == 302
    order = db.session.get(WorkOrder, third["id"])
    db.session.refresh(order)
    assert order.status == "escalated" and order.offers[0].reason == "人手不够"  # nobody else in this city
    pages.logout()
    pages.login(f["family"].username)
    assert pages.client.get("/provider/orders").status_code == 403


def test_the_caregiver_sets_out_checks_in_and_out_with_a_position(flow, pages):
    f = flow
    with time_machine.travel(f["start"] - timedelta(minutes=30)):
        pages.login(f["carer"].username)
        today = text(pages.client.get("/caregiver/today"))
        assert f["city"].elder.address in today and "我已出发" in today and "签到：我已到达" in today
        token = pages.token("/caregiver/today")
        oid = f["order"]["id"]
        assert pages.client.post(f"/caregiver/orders/{oid}/on-the-way", data={"csrf_token": token}).status_code == 302
        assert db.session.get(WorkOrder, oid).on_the_way_at is not None
        blind = pages.client.post(f"/caregiver/orders/{oid}/check-in", data={"csrf_token": token, "lat": ""})
        assert blind.status_code == 302 and "需要您的位置" in text(pages.client.get("/caregiver/today"))
        assert db.session.get(WorkOrder, oid).status == "accepted"
        arrived = pages.client.post(f"/caregiver/orders/{oid}/check-in",
                                    data={"csrf_token": token, "lat": "32.4901", "lng": "119.9301"})
        assert arrived.status_code == 302
    with time_machine.travel(f["start"] + timedelta(minutes=40)):
        assert "签退：服务已完成" in text(pages.client.get("/caregiver/today"))
        token = pages.token("/caregiver/today")
        left = pages.client.post(f"/caregiver/orders/{oid}/check-out", data={
            "csrf_token": token, "lat": "32.4901", "lng": "119.9301", "service_note": "送餐到家"})
        assert left.status_code == 302
    order = db.session.get(WorkOrder, oid)
    db.session.refresh(order)
    assert order.status == "completed" and order.service_note == "送餐到家" and order.check_in_distance_m < 50


def test_another_caregiver_cannot_record_the_visit(flow, pages):
    f = flow
    other = UserFactory(role="caregiver", provider_id=f["provider"].id)
    from eldercare.providers.models import Caregiver
    db.session.add(Caregiver(provider_id=f["provider"].id, name="别人", user_id=other.id))
    db.session.commit()
    pages.login(other.username)
    r = pages.client.post(f"/caregiver/orders/{f['order']['id']}/check-in",
                          data={"csrf_token": pages.token("/caregiver/today"), "lat": "32.49", "lng": "119.93"})
    assert r.status_code == 404
    assert db.session.get(WorkOrder, f["order"]["id"]).status == "accepted"


def test_the_order_page_leads_back_and_shows_the_ranking_to_officers_only(flow, pages):
    f = flow
    oid = f["order"]["id"]
    pages.login(f["family"].username)
    page = text(pages.client.get(f"/orders/{oid}"))
    assert 'href="/my/orders"' in page and "状态变更记录" in page and "预约时的服务商排序" not in page
    pages.logout()
    pages.login(f["provider"].admin.username)
    page = text(pages.client.get(f"/orders/{oid}"))
    assert 'href="/provider/orders"' in page and "预约时的服务商排序" not in page
    pages.logout()
    pages.login(f["city"].operator.username)
    assert "预约时的服务商排序" in text(pages.client.get(f"/orders/{oid}"))


def test_the_caregiver_can_call_and_find_the_elder_sees_the_week_and_hears_of_a_check_in_far_from_home(flow, pages):
    f = flow
    f["city"].elder.phone = "13812345678"
    db.session.commit()
    later = f["api"].as_(f["family"]).post("/api/v1/orders", json={
        "elder_id": f["city"].elder.id, "item_id": f["city"].lunch.id,
        "scheduled_start": (f["start"] + timedelta(days=2)).isoformat()}).json
    assert f["api"].as_(f["provider"].admin).post(f"/api/v1/orders/{later['id']}/accept", json={
        "caregiver_id": f["provider"].team[0].id}).status_code == 200
    oid = f["order"]["id"]
    with time_machine.travel(f["start"] - timedelta(minutes=30)):
        pages.login(f["carer"].username)
        page = text(pages.client.get("/caregiver/today"))
        assert 'href="tel:13812345678"' in page and 'href="geo:32.49,119.93' in page
        later_day = f["start"] + timedelta(days=2)
        assert "接下来 7 天" in page and f"{later_day.month}月{later_day.day}日" in page
        # The week's visits too: whom to call and where to go (the phone's map app, or Amap's page on a desktop).
        assert page.count('href="tel:13812345678"') == 2 and page.count('href="geo:32.49,119.93') == 2
        assert page.count('href="https://uri.amap.com/marker?position=119.93,32.49&amp;coordinate=wgs84') == 2
        token = pages.token("/caregiver/today")
        pages.client.post(f"/caregiver/orders/{oid}/on-the-way", data={"csrf_token": token})
        assert "已出发，正在路上" in text(pages.client.get("/caregiver/today"))  # not "accepted" any more
        far = pages.client.post(f"/caregiver/orders/{oid}/check-in",  # 0.06 degrees north: about 6.7 km
                                data={"csrf_token": token, "lat": "32.5500", "lng": "119.9300"}, follow_redirects=True)
    assert "公里" in text(far) and "民政局会核查" in text(far)
    assert db.session.get(WorkOrder, oid).status == "in_service"  # recorded all the same
    logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "order.far_from_home"))
    assert logged is not None and logged.detail["step"] == "check_in" and logged.detail["distance_m"] > 6000


def test_a_check_in_at_the_door_says_nothing_of_distance(flow, pages):
    f = flow
    with time_machine.travel(f["start"] - timedelta(minutes=5)):
        pages.login(f["carer"].username)
        near = pages.client.post(f"/caregiver/orders/{f['order']['id']}/check-in", follow_redirects=True, data={
            "csrf_token": pages.token("/caregiver/today"), "lat": "32.4901", "lng": "119.9301"})
    assert "已签到，服务开始" in text(near)
    assert "民政局会核查" not in text(near)


def test_the_elders_side_reads_the_status_in_plain_words_and_can_cancel_from_the_order_page(flow, pages):
    f = flow
    oid = f["order"]["id"]
    pages.login(f["family"].username)
    page = text(pages.client.get(f"/orders/{oid}"))
    assert "已安排好护理员" in page and "已接单" not in page
    assert f'action="/my/orders/{oid}/cancel"' in page and 'name="came_from" value="order"' in page
    with time_machine.travel(f["start"] - timedelta(minutes=30)):
        assert f["api"].as_(f["carer"]).post(f"/api/v1/orders/{oid}/on-the-way").status_code == 200
    assert "护理员已出发，正在路上" in text(pages.client.get(f"/orders/{oid}"))
    assert "护理员已出发，正在路上" in text(pages.client.get("/my/orders"))
    token = pages.token(f"/orders/{oid}")
    asked = pages.client.post(f"/my/orders/{oid}/cancel", data={"reason": "计划有变", "came_from": "order",
                                                                  "csrf_token": token})
    assert asked.status_code == 200 and f'href="/orders/{oid}"' in text(asked)  # back where it was asked
    done = pages.client.post(f"/my/orders/{oid}/cancel", data={"reason": "计划有变", "came_from": "order",
                                                                 "confirmed": "yes", "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/orders/{oid}")
    page = text(pages.client.get(f"/orders/{oid}"))
    assert "已取消" in page and f'action="/my/orders/{oid}/cancel"' not in page
    pages.logout()
    pages.login(f["city"].operator.username)
    assert "已取消" in text(pages.client.get(f"/orders/{oid}"))  # the officers' words stay the workflow's


def test_a_booking_nobody_could_take_says_the_service_centre_arranges_it(flow, pages):
    f = flow
    pages.login(f["family"].username)
    # The provider's one caregiver is at the flow's lunch then: nobody can come, the order goes to the staff.
    data = choices(f, hour=10, pay_with="self") | {"item_id": f["city"].tidy.id, "csrf_token": pages.token("/book")}
    done = pages.client.post("/book/confirm", data=data)
    assert done.status_code == 302
    assert latest_order(f["city"].elder.id).status == "escalated"
    mine = text(pages.client.get("/my/orders"))
    assert "服务中心会为您安排" in mine and "正在为您安排护理员" not in mine
    assert "服务中心正在为您安排" in mine  # the order's status, in plain words
