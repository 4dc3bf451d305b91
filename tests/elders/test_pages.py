"""The operator's elder pages: list and search, registration with inline Chinese errors, the profile, and
recording a death from it."""
from datetime import timedelta

from sqlalchemy import select

from eldercare import clock
from eldercare.elders.models import Elder
from eldercare.orders.models import WorkOrder

from ..factories import ElderFactory, ItemFactory, UserFactory
from .conftest import payload


def form_from(data: dict, token: str) -> dict:
    form = {k: str(v) for k, v in data.items() if k not in ("emergency_contacts", "lives_alone", "lat", "lng")}
    form.update(csrf_token=token, lives_alone="yes", contact_name="王强", contact_relation="儿子",
                contact_phone="13800001111")
    return form


def test_list_shows_masked_elders_in_scope_and_searches(pages, place):
    ElderFactory(community_id=place.community_a.id, name="张桂英")
    outside = ElderFactory(community_id=place.community_b.id, name="李凤兰")
    pages.login(place.operator_a.username)
    html = pages.client.get("/elders").get_data(as_text=True)
    assert "张桂英" in html and "李凤兰" not in html
    assert "**********" in html
    assert "张桂英" not in pages.client.get("/elders?q=李").get_data(as_text=True)
    assert "张桂英" in pages.client.get("/elders?q=幸福").get_data(as_text=True)  # the community's name
    assert pages.client.get(f"/elders/{outside.id}").status_code == 404


def test_registration_form_shows_inline_errors_in_chinese_and_keeps_the_input(pages, place, db):
    pages.login(place.operator_a.username)
    token = pages.token("/elders/new")
    data = payload(place.community_a.id)
    bad = form_from(data, token) | {"id_number": data["id_number"][:17] + "0" if data["id_number"][17] != "0"
                                    else data["id_number"][:17] + "1", "phone": "12345"}
    response = pages.client.post("/elders/new", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "校验位错误" in html  # the check digit
    assert "手机号码为11位" in html
    assert 'id="id_number" name="id_number" type="text" value="' + bad["id_number"] in html
    assert 'aria-invalid="true" aria-describedby="id_number-hint id_number-error"' in html
    assert db.session.scalar(select(Elder)) is None


def test_registration_form_names_missing_fields(pages, place):
    pages.login(place.operator_a.username)
    response = pages.client.post("/elders/new", data={"csrf_token": pages.token("/elders/new")})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count("必填") >= 5  # name, ID number, birth date, gender, address, community


def test_registering_through_the_form_uses_the_community_point_and_shows_the_profile(pages, place, db):
    pages.login(place.operator_a.username)
    data = payload(place.community_a.id)
    response = pages.client.post("/elders/new", data=form_from(data, pages.token("/elders/new")))
    assert response.status_code == 302
    elder = db.session.scalar(select(Elder))
    assert (elder.lat, elder.lng) == (place.community_a.lat, place.community_a.lng)
    assert elder.emergency_contacts == [{"name": "王强", "relation": "儿子", "phone": "13800001111"}]
    html = pages.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "王秀英已登记" in html and "低保" in html and "138****1111" in html


def test_a_recorded_death_shows_on_the_profile(pages, place, db):
    elder = ElderFactory(community_id=place.community_a.id)
    pages.login(place.operator_a.username)
    path = f"/elders/{elder.id}"
    order = WorkOrder(elder_id=elder.id, item_id=ItemFactory().id, status="escalated",
                      scheduled_start=clock.now() + timedelta(days=2), scheduled_end=clock.now() + timedelta(days=2),
                      price_fen=1500, voucher_fen=0, copay_fen=1500, pay_with="self", ranking=[])
    db.session.add(order)
    db.session.commit()
    event = {"csrf_token": pages.token(path), "kind": "death", "occurred_on": clock.today().isoformat(),
             "note": "家属告知"}
    asked = pages.client.post(f"{path}/events", data=event)  # one tap asks first, saying what it will do
    assert asked.status_code == 200
    confirm = asked.get_data(as_text=True)
    assert "确认" in confirm and "1 个未完成的工单将被取消" in confirm and 'name="confirmed" value="yes"' in confirm
    db.session.refresh(elder)
    assert elder.status == "active" and db.session.get(WorkOrder, order.id).status == "escalated"  # nothing yet
    response = pages.client.post(f"{path}/events", data=event | {"confirmed": "yes"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(WorkOrder, order.id).status == "cancelled"
    html = pages.client.get(path).get_data(as_text=True)
    assert "状态：已故" in html and "不能再为这位老人预约服务" in html
    assert "在册 → 已故" in html
    again = pages.client.post(f"{path}/events", data={
        "csrf_token": pages.token(path), "kind": "hospital_admission", "occurred_on": clock.today().isoformat(),
        "confirmed": "yes"})
    assert again.status_code == 422 and "老人已故，无法办理" in again.get_data(as_text=True)


def test_family_sees_a_linked_profile_without_the_event_form_and_no_list(pages, place, db):
    from eldercare.elders.models import FamilyLink

    elder = ElderFactory(community_id=place.community_a.id)
    db.session.add(FamilyLink(elder_id=elder.id, user_id=place.family.id, relation="女儿"))
    db.session.commit()
    pages.login(place.family.username)
    html = pages.client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert elder.name in html and "登记事件" not in html
    assert pages.client.get("/elders").status_code == 403
    assert pages.client.get("/elders/new").status_code == 403
    other = ElderFactory(community_id=place.community_a.id)
    assert pages.client.get(f"/elders/{other.id}").status_code == 404


def test_pages_need_a_login(client):
    response = client.get("/elders")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_caregiver_cannot_use_the_registry_pages(pages):
    user = UserFactory(role="caregiver")
    pages.login(user.username)
    assert pages.client.get("/elders").status_code == 403
