"""A provider sees an order only while it is offered to it or doing it; the ranking at booking (rivals' names,
distances, ratings and load) is for officers only, through the API and on the page (issue 19, medium)."""
import re
from datetime import timedelta

import pytest
import time_machine

from eldercare.elders.models import FamilyLink
from eldercare.extensions import db
from eldercare.orders.dispatch import expire_offers

from ..factories import UserFactory
from ..orders.conftest import city, next_monday  # noqa: F401  the small city of the order tests


@pytest.fixture
def taken(api, city):  # noqa: F811
    """An order declined by 一 and taken by 二, who names its caregiver and writes a note."""
    first, second = city.provider("一", km=0.5), city.provider("二", km=2.0)
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=city.elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    order = api.as_(family).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat()}).json
    assert order["provider_id"] == first.id
    r = api.as_(first.admin).post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "人手不够"})
    assert r.status_code == 200
    r = api.as_(second.admin).post(f"/api/v1/orders/{order['id']}/accept", json={"caregiver_id": second.team[0].id})
    assert r.status_code == 200, r.json
    return dict(order=order, first=first, second=second, family=family, city=city)


def test_a_provider_that_declined_gets_404_once_another_took_the_order(api, pages, taken):
    oid, first = taken["order"]["id"], taken["first"]
    assert api.as_(first.admin).get(f"/api/v1/orders/{oid}").status_code == 404
    listed = api.as_(first.admin).get("/api/v1/orders").json
    assert oid not in [o["id"] for o in listed]
    pages.login(first.admin.username)
    assert pages.client.get(f"/orders/{oid}").status_code == 404
    # The provider that took it still sees it.
    assert api.as_(taken["second"].admin).get(f"/api/v1/orders/{oid}").status_code == 200


def test_a_provider_whose_offer_expired_gets_404(api, city):  # noqa: F811
    slow, other = city.provider("慢", km=0.5), city.provider("快", km=2.0)
    start = next_monday()
    order = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": start.isoformat()}).json
    assert order["provider_id"] == slow.id
    assert api.as_(slow.admin).get(f"/api/v1/orders/{order['id']}").status_code == 200  # offered: it may look
    with time_machine.travel(timedelta(minutes=31)):
        expire_offers()
        db.session.commit()
    assert api.as_(other.admin).get(f"/api/v1/orders/{order['id']}").status_code == 200
    assert api.as_(slow.admin).get(f"/api/v1/orders/{order['id']}").status_code == 404


def test_the_ranking_is_left_out_for_providers_and_families(api, taken):
    oid = taken["order"]["id"]
    assert "ranking" not in taken["order"]  # the family's own booking answer
    for who in (taken["family"], taken["second"].admin):
        body = api.as_(who).get(f"/api/v1/orders/{oid}").json
        assert "ranking" not in body and "status" in body
    listed = api.as_(taken["family"]).get("/api/v1/orders").json
    assert listed and all("ranking" not in o for o in listed)


def test_officers_see_the_ranking(api, taken):
    oid, town = taken["order"]["id"], taken["city"]
    for who in (town.operator, town.bureau, UserFactory(role="admin")):
        ranking = api.as_(who).get(f"/api/v1/orders/{oid}").json["ranking"]
        assert [c["name"] for c in ranking] == ["一", "二"]


def test_the_order_page_shows_no_rival_scores_to_the_provider_or_family(pages, taken):
    oid = taken["order"]["id"]
    for who in (taken["second"].admin, taken["family"]):
        pages.login(who.username)
        html = pages.client.get(f"/orders/{oid}").get_data(as_text=True)
        assert 'class="data ranking"' not in html
        history = re.search(r'<ul class="plain-list history">(.*?)</ul>', html, re.S).group(1)
        assert "公里" not in history and "km" not in history  # no distance of whoever was offered it
        pages.logout()


def test_offers_and_history_name_no_rival_provider_to_a_provider_or_family(api, taken):
    """Before: `offers` listed every provider asked, with its answer and its reason for declining ("人手不够"), and
    the history's dispatch entries carried each provider's id and its ranking ("0.5 km, 96% on time, ...")."""
    oid, first, second = taken["order"]["id"], taken["first"], taken["second"]
    for who in (second.admin, taken["family"]):
        for body in (api.as_(who).get(f"/api/v1/orders/{oid}").json,
                     next(o for o in api.as_(who).get("/api/v1/orders").json if o["id"] == oid)):
            assert [o["provider_id"] for o in body["offers"]] == [second.id]
            assert all(o["reason"] != "人手不够" for o in body["offers"])
            ids_named = [c["detail"].get("provider_id") for c in body["history"]]
            assert first.id not in ids_named
            assert all(c["reason"] is None for c in body["history"] if c["to_status"] == "dispatched")
            assert "km" not in str(body["history"]) and "人手不够" not in str(body)


def test_officers_see_every_offer_and_the_full_history(api, taken):
    oid, first, second = taken["order"]["id"], taken["first"], taken["second"]
    body = api.as_(taken["city"].operator).get(f"/api/v1/orders/{oid}").json
    assert [(o["provider_id"], o["status"], o["reason"]) for o in body["offers"]] == [
        (first.id, "rejected", "人手不够"), (second.id, "accepted", None)]
    dispatched = [c for c in body["history"] if c["to_status"] == "dispatched"]
    assert [c["detail"]["provider_id"] for c in dispatched] == [first.id, second.id]
    assert all("km" in c["reason"] for c in dispatched)


def test_a_familys_booking_answer_shows_no_ranking_reason(api, city):  # noqa: F811
    first = city.provider("一", km=0.5)
    city.provider("二", km=2.0)
    family = UserFactory(role="family")
    db.session.add(FamilyLink(elder_id=city.elder.id, user_id=family.id, relation="女儿"))
    db.session.commit()
    body = api.as_(family).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat()}).json
    assert [o["provider_id"] for o in body["offers"]] == [first.id]
    assert [c["reason"] for c in body["history"] if c["to_status"] == "dispatched"] == [None]


def test_the_answer_to_a_declined_offer_does_not_name_who_is_asked_next(api, city):  # noqa: F811
    """Before: the reject answer carried the next provider's id as `provider_id`, its open offer and its dispatch."""
    first, second = city.provider("一", km=0.5), city.provider("二", km=2.0)
    order = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat()}).json
    body = api.as_(first.admin).post(f"/api/v1/orders/{order['id']}/reject", json={"reason": "人手不够"}).json
    assert body["status"] == "dispatched" and body["provider_id"] is None
    assert [(o["provider_id"], o["status"]) for o in body["offers"]] == [(first.id, "rejected")]
    assert second.id not in [c["detail"].get("provider_id") for c in body["history"]]
