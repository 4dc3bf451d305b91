"""The service points' pages: the provider registers and edits its points (with inline errors) and sees the
bureau's review; the bureau reviews them from its home; the printable elder card."""
from sqlalchemy import select

from eldercare.extensions import db
from eldercare.servicepoints.models import ServicePoint

from ..factories import ProviderFactory, UserFactory


def point_form(counter, token, **overrides):
    form = {"csrf_token": token, "name": "城东社区老年食堂", "kind": "canteen",
            "community_id": str(counter.elder.community_id), "address": "城东街道2号", "lat": "", "lng": "",
            "days": ["0", "1", "2", "3", "4"], "opens": "10:30", "closes": "13:30",
            f"price_{counter.lunch.id}": "12.00", "daily_capacity": "80", "second_meal": "full_price"}
    form.update(overrides)
    return form


def test_the_provider_registers_a_point_with_inline_errors_and_sees_it_wait(pages, counter):
    admin = UserFactory(role="provider_admin", provider_id=counter.point.provider_id)
    pages.login(admin.username)
    home = pages.client.get("/").get_data(as_text=True)
    assert "/provider/points" in home
    token = pages.token("/provider/points/new")
    refused = pages.client.post("/provider/points/new", data=point_form(
        counter, token, name="", days=[], **{f"price_{counter.lunch.id}": "99.00"}))
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="days-error"' in html
    assert db.session.scalar(select(ServicePoint).where(ServicePoint.name == "城东社区老年食堂")) is None
    over_guide = pages.client.post("/provider/points/new", data=point_form(
        counter, token, **{f"price_{counter.lunch.id}": "99.00"}))
    assert over_guide.status_code == 422
    assert f'id="price_{counter.lunch.id}-error"' in over_guide.get_data(as_text=True)
    response = pages.client.post("/provider/points/new", data=point_form(counter, token))
    assert response.status_code == 302
    point = db.session.scalar(select(ServicePoint).where(ServicePoint.name == "城东社区老年食堂"))
    assert point.status == "pending" and point.daily_capacity == 80
    assert [(h["weekday"], h["start"], h["end"]) for h in point.hours] == [(d, "10:30", "13:30") for d in range(5)]
    assert [(pi.item_id, pi.price_fen) for pi in point.items] == [(counter.lunch.id, 1200)]
    assert point.lat is not None  # the community's centre stands in
    listing = pages.client.get("/provider/points").get_data(as_text=True)
    assert "城东社区老年食堂" in listing and "东风社区老年食堂" in listing


def test_the_provider_edits_a_point_and_a_new_name_goes_back_to_review(pages, counter):
    admin = UserFactory(role="provider_admin", provider_id=counter.point.provider_id)
    pages.login(admin.username)
    path = f"/provider/points/{counter.point.id}"
    form_page = pages.client.get(path).get_data(as_text=True)
    assert 'value="12.00"' in form_page and 'value="10:30"' in form_page
    token = pages.token(path)
    same_place = dict(lat=str(counter.point.lat), lng=str(counter.point.lng), address="")
    assert pages.client.post(path, data=point_form(counter, token, name="东风社区老年食堂", daily_capacity="300",
                                                   **same_place)).status_code == 302
    point = db.session.get(ServicePoint, counter.point.id)
    db.session.refresh(point)
    assert (point.daily_capacity, point.status) == (300, "approved")
    renamed = point_form(counter, token, name="东风长者食堂", **same_place)
    assert pages.client.post(path, data=renamed).status_code == 302
    db.session.refresh(point)
    assert (point.name, point.status) == ("东风长者食堂", "pending")
    other = ProviderFactory(name="乙", district_id=counter.city.district.id, status="approved")
    outsider = UserFactory(role="provider_admin", provider_id=other.id)
    pages.logout()
    pages.login(outsider.username)
    assert pages.client.get(path).status_code == 404


def test_the_bureau_reviews_a_point_from_its_home(pages, counter):
    point = db.session.get(ServicePoint, counter.point.id)
    point.status = "pending"
    db.session.commit()
    bureau = UserFactory(role="bureau", scope_region_id=counter.city.district.id)
    pages.login(bureau.username)
    assert "/bureau/points" in pages.client.get("/").get_data(as_text=True)
    queue = pages.client.get("/bureau/points").get_data(as_text=True)
    assert "东风社区老年食堂" in queue
    path = f"/bureau/points/{point.id}"
    detail = pages.client.get(path).get_data(as_text=True)
    assert 'value="approve"' in detail and "12.00" in detail
    refused = pages.client.post(path + "/review", data={"csrf_token": pages.token(path), "decision": "reject"})
    assert refused.status_code == 422 and 'id="note-error"' in refused.get_data(as_text=True)
    response = pages.client.post(path + "/review", data={"csrf_token": pages.token(path), "decision": "reject",
                                                          "note": "厨房没有卫生许可证"})
    assert response.status_code == 302
    db.session.refresh(point)
    assert (point.status, point.review_note) == ("rejected", "厨房没有卫生许可证")
    assert 'value="approve"' not in pages.client.get(path).get_data(as_text=True)
    admin = UserFactory(role="provider_admin", provider_id=point.provider_id)
    pages.logout()
    pages.login(admin.username)
    assert "厨房没有卫生许可证" in pages.client.get("/provider/points").get_data(as_text=True)


def test_the_elder_card_prints_the_name_the_masked_id_and_the_signed_code(pages, api, counter):
    operator = UserFactory(role="operator", scope_region_id=counter.city.district.id)
    payload = api.as_(operator).get(f"/api/v1/elders/{counter.elder.id}/card").json["payload"]
    pages.login(operator.username)
    response = pages.client.get(f"/elders/{counter.elder.id}/card")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    elder = counter.elder
    assert elder.name in html and '<section class="elder-card"' in html and "<svg" in html
    assert elder.id_number not in html and elder.id_number[-4:] in html
    assert payload not in html  # in the code only, not as text to copy
    profile = pages.client.get(f"/elders/{elder.id}").get_data(as_text=True)
    assert f"/elders/{elder.id}/card" in profile
    stranger = UserFactory(role="family")
    pages.logout()
    pages.login(stranger.username)
    assert pages.client.get(f"/elders/{elder.id}/card").status_code == 404
