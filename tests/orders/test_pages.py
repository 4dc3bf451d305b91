"""The officers' order pages: the queue of escalated orders (scoped to the officer's area, the longest waiting
first) and one order's page with its ranking at booking, the offers and the status history."""
import re
from datetime import timedelta

from flask_babel import format_datetime
from sqlalchemy import select

from eldercare.extensions import db
from eldercare.orders.models import WorkOrder
from eldercare.providers.models import Provider

from ..factories import UserFactory
from ..pages import csrf_token
from .conftest import next_monday
from .test_dispatch import book


def escalate_after_rejections(api, city, start=None):
    """Book an order that both providers turn down, so it lands in the queue."""
    providers = [city.provider(n, km=k) for n, k in (("近护", 0.5), ("远护", 2.0))]
    order = book(api, city, start=start)
    for provider in providers:
        response = api.as_(provider.admin).post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "人手不够"})
        assert response.status_code == 200
    assert response.json["status"] == "escalated"
    return db.session.get(WorkOrder, order["id"])


def local(app, moment):
    """How the pages show a time: Asia/Shanghai, in the default (Chinese) locale."""
    with app.test_request_context("/"):
        return format_datetime(moment, "short")


def rows(html):
    return re.findall(r'<tr class="order-row[^"]*">(.*?)</tr>', html, re.S)


def test_an_escalated_order_is_in_the_queues_of_the_street_and_the_district(api, app, pages, city):
    order = escalate_after_rejections(api, city)
    for officer in (city.operator, city.bureau):
        pages.login(officer.username)
        response = pages.client.get("/orders/queue")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        [row] = rows(html)
        assert f'href="/orders/{order.id}"' in row
        assert city.elder.name in row and city.lunch.name in row
        assert local(app, order.scheduled_start) in row
        assert local(app, order.escalated_at) in row
        assert '<td class="number">2</td>' in row  # both providers were asked
        assert '<html lang="zh' in html
        pages.logout()


def test_the_queue_shows_the_longest_waiting_first_and_only_escalated_orders(api, pages, city, db):
    later = book(api, city, start=next_monday(11))  # nobody can come: escalated at once, no offers
    sooner = book(api, city, start=next_monday(14))
    city.provider("在岗", km=0.5)
    dispatched = book(api, city, start=next_monday(9))
    assert dispatched["status"] == "dispatched"
    first, second = db.session.get(WorkOrder, sooner["id"]), db.session.get(WorkOrder, later["id"])
    first.escalated_at = second.escalated_at - timedelta(hours=1)
    db.session.commit()
    pages.login(city.operator.username)
    found = rows(pages.client.get("/orders/queue").get_data(as_text=True))
    assert [int(re.search(r'href="/orders/(\d+)"', r).group(1)) for r in found] == [sooner["id"], later["id"]]
    assert all('<td class="number">0</td>' in r for r in found)


def test_an_operator_of_another_street_does_not_see_the_order(api, pages, city):
    order = escalate_after_rejections(api, city)
    elsewhere = UserFactory(role="operator", scope_region_id=city.far_street.id)
    pages.login(elsewhere.username)
    html = pages.client.get("/orders/queue").get_data(as_text=True)
    assert rows(html) == [] and city.elder.name not in html
    assert pages.client.get(f"/orders/{order.id}").status_code == 404


def test_the_queue_is_for_officers_only(pages, client, city):
    assert client.get("/orders/queue").status_code == 302
    assert "/login" in client.get("/orders/queue").headers["Location"]
    pages.login(UserFactory(role="family").username)
    assert pages.client.get("/orders/queue").status_code == 403


def test_the_order_page_shows_details_ranking_offers_and_history(api, app, pages, city):
    order = escalate_after_rejections(api, city)
    pages.login(city.operator.username)
    response = pages.client.get(f"/orders/{order.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert city.elder.name in html and city.lunch.name in html
    assert "15.00" in html  # 1500 fen
    assert local(app, order.scheduled_start) in html
    ranking = re.search(r'<table class="data ranking">(.*?)</table>', html, re.S).group(1)
    assert ranking.index("近护") < ranking.index("远护")
    assert "0.5 公里" in ranking and "2.0 公里" in ranking  # the explanation's distances
    offers = re.search(r'<table class="data offers">(.*?)</table>', html, re.S).group(1)
    assert offers.count("人手不够") == 2
    history = re.search(r'<ul class="plain-list history">(.*?)</ul>', html, re.S).group(1)
    assert history.count("<li>") == len(order.history) == 4  # pending, dispatched, dispatched, escalated
    assert local(app, order.history[-1].at) in history


def test_the_order_page_in_english_names_statuses_and_reasons(api, pages, city):
    order = escalate_after_rejections(api, city)
    pages.login(city.bureau.username)
    html = pages.client.get(f"/orders/{order.id}?lang=en").get_data(as_text=True)
    history = re.search(r'<ul class="plain-list history">(.*?)</ul>', html, re.S).group(1)
    assert "Offered to a provider → Needs an operator (No provider could take the order.)" in history
    assert "no visits yet" in html and "Declined" in html


def test_an_order_the_visitor_cannot_see_is_not_found(api, pages, city):
    order = escalate_after_rejections(api, city)
    pages.login(UserFactory(role="family").username)
    assert pages.client.get(f"/orders/{order.id}").status_code == 404
    assert pages.client.get("/orders/999999").status_code == 404


def test_an_operator_calls_a_provider_and_offers_it_the_escalated_order_from_its_page(api, pages, city):
    order = escalate_after_rejections(api, city)
    near = next(p for p in db.session.scalars(select(Provider)) if p.name == "近护")
    near.phone = "0523-86001234"
    db.session.commit()
    pages.login(city.operator.username)
    html = pages.client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "派给服务商" in html and 'href="tel:0523-86001234"' in html  # who to call, and how
    assert "派给近护" in html and "改约服务时间" in html and "取消工单" in html
    response = pages.client.post(f"/orders/{order.id}/assign",
                                 data={"provider_id": near.id, "csrf_token": csrf_token(html)})
    assert response.status_code == 302 and response.location.endswith(f"/orders/{order.id}")
    db.session.expire_all()
    assigned = db.session.get(WorkOrder, order.id)
    assert assigned.status == "dispatched" and assigned.provider_id == near.id
    after = pages.client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "已派给该服务商" in after and "派给服务商" not in after  # no longer escalated: nothing to assign


def test_an_operator_moves_and_then_cancels_an_order_from_its_page_and_a_refusal_says_why(api, pages, city):
    order = escalate_after_rejections(api, city)
    pages.login(city.operator.username)
    token = csrf_token(pages.client.get(f"/orders/{order.id}").get_data(as_text=True))
    later = next_monday(15)
    bad = pages.client.post(f"/orders/{order.id}/reschedule", data={"day": "２０３０-01-07", "time": "15:00",
                                                                    "csrf_token": token}, follow_redirects=True)
    assert "请选择日期" in bad.get_data(as_text=True)  # fullwidth digits are not a day
    moved = pages.client.post(f"/orders/{order.id}/reschedule", data={
        "day": later.date().isoformat(), "time": "15:00", "csrf_token": token}, follow_redirects=True)
    assert "服务时间已改约" in moved.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).scheduled_start == later
    no_reason = pages.client.post(f"/orders/{order.id}/cancel", data={"reason": " ", "csrf_token": token,
                                                                     "confirmed": "yes"}, follow_redirects=True)
    assert "取消原因" in no_reason.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status != "cancelled"
    asked = pages.client.post(f"/orders/{order.id}/cancel", data={"reason": "家属已自行安排", "csrf_token": token})
    asked = asked.get_data(as_text=True)  # cancelling cannot be undone: the page asks again, the reason kept
    assert "是的，取消这个工单" in asked and 'value="家属已自行安排"' in asked
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status != "cancelled"
    pages.client.post(f"/orders/{order.id}/cancel", data={"reason": "家属已自行安排", "csrf_token": token,
                                                          "confirmed": "yes"})
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "cancelled"
    html = pages.client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "改约服务时间" not in html  # a cancelled order offers nothing more


def test_the_order_actions_are_for_officers_only(api, pages, city):
    order = escalate_after_rejections(api, city)
    family = UserFactory(role="family")
    pages.login(family.username)
    token = pages.token("/")
    assert pages.client.post(f"/orders/{order.id}/cancel", data={"reason": "x", "csrf_token": token}).status_code == 403
    assert pages.client.post(f"/orders/{order.id}/nonsense", data={"csrf_token": token}).status_code == 404
