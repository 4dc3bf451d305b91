"""Notifications inside the platform: who hears of an order offered, accepted, on the way, arrived, done and
escalated, in their own language; reading them; nobody reads another's."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from eldercare.extensions import db
from eldercare.notifications.models import Notification

from ..factories import UserFactory
from .conftest import next_monday
from .flows import post, visit


def kinds(user) -> list[str]:
    return list(db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def test_each_step_of_an_order_tells_the_people_concerned(flow):
    f = flow
    provider, carer, family = f["provider"], f["carer"], f["family"]
    assert kinds(provider.admin) == ["offered"]
    assert kinds(family) == ["accepted"]
    assert kinds(carer) == ["assigned"]
    with time_machine.travel(f["start"] - timedelta(minutes=20)):
        assert post(f, carer, "on-the-way").json["on_the_way_at"] is not None
        assert post(f, carer, "on-the-way").status_code == 200  # said twice: one notification
    visit(f)
    assert kinds(family) == ["accepted", "on_the_way", "checked_in", "completed"]
    assert kinds(carer) == ["assigned"] and kinds(provider.admin) == ["offered"]


def test_the_text_is_in_the_readers_language_and_names_the_facts(flow):
    f = flow
    api = f["api"].as_(f["family"])
    zh = api.get("/api/v1/notifications", headers={"Accept-Language": "zh-CN"}).json
    en = api.get("/api/v1/notifications", headers={"Accept-Language": "en"}).json
    assert [n["kind"] for n in zh] == ["accepted"]
    assert f["provider"].name in zh[0]["text"] and f["city"].lunch.name in zh[0]["text"]
    assert "接单" in zh[0]["text"]
    assert "accepted" in en[0]["text"] and f["provider"].team[0].name in en[0]["text"]
    assert zh[0]["order_id"] == f["order"]["id"] and zh[0]["read_at"] is None


def test_an_escalated_order_reaches_the_officers_over_the_elder(api, city):
    family = UserFactory(role="family")
    from eldercare.elders.models import FamilyLink
    db.session.add(FamilyLink(elder_id=city.elder.id, user_id=family.id, relation="女儿"))
    outsider = UserFactory(role="operator", scope_region_id=city.far_street.id)
    retired = UserFactory(role="operator", scope_region_id=city.operator.scope_region_id, active=False)
    db.session.commit()
    order = api.as_(family).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat()}).json
    assert order["status"] == "escalated"  # no provider in this city
    assert kinds(city.operator) == ["escalated"] and kinds(city.bureau) == ["escalated"]
    assert kinds(family) == ["escalated"] and kinds(outsider) == [] and kinds(retired) == []


def test_cancelling_an_accepted_order_tells_the_provider_and_caregiver(flow):
    f = flow
    assert post(f, f["family"], "cancel", reason="住院了").status_code == 200
    assert kinds(f["provider"].admin) == ["offered", "cancelled"]
    assert kinds(f["carer"]) == ["assigned", "cancelled"]


def test_reading_marks_one_or_all_and_nobody_reads_anothers(flow):
    f = flow
    api = f["api"]
    with time_machine.travel(f["start"] - timedelta(minutes=20)):
        post(f, f["carer"], "on-the-way")
    mine = api.as_(f["family"]).get("/api/v1/notifications?unread=true").json
    assert len(mine) == 2
    assert api.as_(f["carer"]).post(f"/api/v1/notifications/{mine[0]['id']}/read").status_code == 404
    one = api.as_(f["family"]).post(f"/api/v1/notifications/{mine[0]['id']}/read")
    assert one.status_code == 200 and one.json["read_at"] is not None
    assert len(api.as_(f["family"]).get("/api/v1/notifications?unread=true").json) == 1
    assert api.as_(f["family"]).post("/api/v1/notifications/read-all").json == {"marked": 1}
    assert api.as_(f["family"]).get("/api/v1/notifications?unread=true").json == []
    assert len(api.as_(f["family"]).get("/api/v1/notifications").json) == 2


def test_only_the_assigned_caregiver_sets_out_and_only_before_the_visit(flow):
    f = flow
    stranger = UserFactory(role="caregiver", provider_id=f["provider"].id)
    assert post(f, stranger, "on-the-way").status_code in (403, 404)
    visit(f)
    late = post(f, f["carer"], "on-the-way")
    assert late.status_code == 409 and "status" in late.json["errors"]


def test_the_page_lists_them_with_a_count_in_the_header_and_opens_the_order(flow, pages):
    f = flow
    pages.login(f["family"].username)
    home = pages.client.get("/").get_data(as_text=True)
    assert "1 条新" in home or "1 new" in home
    inbox = pages.client.get("/notifications").get_data(as_text=True)
    assert f["provider"].name in inbox
    note = db.session.scalar(select(Notification).where(Notification.user_id == f["family"].id))
    opened = pages.client.post(f"/notifications/{note.id}/open", data={"csrf_token": pages.token("/notifications")})
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/orders/{f['order']['id']}")
    db.session.refresh(note)
    assert note.read_at is not None
    home = pages.client.get("/").get_data(as_text=True)
    assert "1 条新" not in home and "1 new" not in home
