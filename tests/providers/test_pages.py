"""The provider and bureau pages: applying with inline errors, the review queue, approving, the roster."""
import pytest
from sqlalchemy import select

from eldercare.errors import Invalid
from eldercare.providers import services
from eldercare.providers.models import Caregiver, Provider

from ..factories import ProviderFactory, UserFactory
from .conftest import LICENSE, application


def application_form(place, token, **overrides):
    form = {"csrf_token": token, "name": "安康居家养老服务中心", "license_no": LICENSE,
            "categories": ["meal", "bathing"], "service_areas": [str(place.street_a.id)],
            "service_radius_m": "3000", "phone": "", "address": "城东街道1号"}
    form.update(overrides)
    return form


def test_the_application_form_shows_errors_inline_and_keeps_the_input(pages, place, db):
    pages.login(place.applicant.username)
    token = pages.token("/provider/application")
    response = pages.client.post("/provider/application", data=application_form(
        place, token, license_no="123", categories=[], service_radius_m="10"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="license_no" name="license_no" type="text" value="123"' in html
    assert 'aria-invalid="true" aria-describedby="license_no-hint license_no-error"' in html
    assert 'id="categories-error"' in html and 'id="service_radius_m-error"' in html
    assert f'value="{place.street_a.id}" checked' in html
    assert db.session.scalar(select(Provider)) is None


def test_applying_from_the_page_uses_the_first_street_point_and_shows_the_profile(pages, place, db):
    pages.login(place.applicant.username)
    response = pages.client.post("/provider/application",
                                 data=application_form(place, pages.token("/provider/application")))
    assert response.status_code == 302
    provider = db.session.scalar(select(Provider))
    assert (provider.base_lat, provider.base_lng) == (32.49, 119.93) and provider.status == "pending"
    html = pages.client.get("/provider/application").get_data(as_text=True)
    assert "安康居家养老服务中心" in html and "城东街道" in html and "edit=1" in html


def test_the_review_queue_shows_waiting_applications_first_and_approving_works(pages, api, place, applied, db):
    approved = ProviderFactory(name="早已批准的服务商", district_id=place.district.id, status="approved")
    ProviderFactory(name="外区服务商", district_id=place.other_street.parent_id, status="pending")
    pages.login(place.bureau.username)
    html = pages.client.get("/bureau/providers").get_data(as_text=True)
    assert html.index("安康居家养老服务中心") < html.index("早已批准的服务商")
    assert "外区服务商" not in html
    only = pages.client.get("/bureau/providers?status=approved").get_data(as_text=True)
    assert "安康居家养老服务中心" not in only and "早已批准的服务商" in only
    path = f"/bureau/providers/{applied['id']}"
    refused = pages.client.post(path + "/review", data={"csrf_token": pages.token(path), "decision": "reject"})
    assert refused.status_code == 422 and 'id="note-error"' in refused.get_data(as_text=True)
    response = pages.client.post(path + "/review", data={"csrf_token": pages.token(path), "decision": "approve"})
    assert response.status_code == 302
    assert db.session.get(Provider, applied["id"]).status == "approved"
    html = pages.client.get(path).get_data(as_text=True)
    assert 'value="suspend"' in html and 'value="approve"' not in html
    assert pages.client.get(f"/bureau/providers/{approved.id + 1}").status_code == 404


def test_the_roster_shows_an_added_caregiver_with_masked_phone(pages, place, applied, db):
    pages.login(place.applicant.username)
    token = pages.token("/provider/caregivers")
    bad = pages.client.post("/provider/caregivers", data={"csrf_token": token, "name": "张护工",
                                                          "username": "zhang.hg", "password": "caregiver-pass-1"})
    assert bad.status_code == 422 and 'id="categories-error"' in bad.get_data(as_text=True)
    response = pages.client.post("/provider/caregivers", data={
        "csrf_token": token, "name": "张护工", "phone": "13912345678", "username": "zhang.hg",
        "password": "caregiver-pass-1", "categories": ["meal"], "daily_limit": "6",
        "cert_kind": "health", "cert_expires_on": "2020-01-01"})
    assert response.status_code == 302, response.get_data(as_text=True)
    html = pages.client.get("/provider/caregivers").get_data(as_text=True)
    assert "张护工" in html and "139****5678" in html and "cert-expired" in html
    assert db.session.scalar(select(Caregiver)).daily_limit == 6


def test_wrong_roles_get_403(pages, place):
    pages.login(place.bureau.username)
    assert pages.client.get("/provider/application").status_code == 403
    assert pages.client.get("/provider/caregivers").status_code == 403
    pages.logout()
    pages.login(place.applicant.username)
    assert pages.client.get("/bureau/providers").status_code == 403
    assert pages.client.get("/bureau/providers/1").status_code == 403
    pages.logout()
    worker = UserFactory(role="caregiver")
    pages.login(worker.username)
    assert pages.client.get("/provider/caregivers").status_code == 403


def test_home_pages_link_to_the_provider_pages(pages, api, place):
    pages.login(place.applicant.username)
    html = pages.client.get("/").get_data(as_text=True)
    assert 'href="/provider/application"' in html  # before applying, only the application leads anywhere
    api.as_(place.applicant).post("/api/v1/providers", json=application(place))
    html = pages.client.get("/").get_data(as_text=True)
    assert 'href="/provider/application"' in html and 'href="/provider/caregivers"' in html
    pages.logout()
    pages.login(place.bureau.username)
    assert 'href="/bureau/providers"' in pages.client.get("/").get_data(as_text=True)


def test_an_api_application_shows_on_the_page(pages, api, place):
    api.as_(place.applicant).post("/api/v1/providers", json=application(place))
    pages.login(place.applicant.username)
    assert "91321202MA1XYZ1234" in pages.client.get("/provider/application").get_data(as_text=True)


def test_the_roster_shows_working_hours_and_takes_a_caregiver_off_and_back(pages, place, applied, db):
    pages.login(place.applicant.username)
    token = pages.token("/provider/caregivers")
    pages.client.post("/provider/caregivers", data={
        "csrf_token": token, "name": "李护工", "username": "li.hg", "password": "caregiver-pass-1",
        "categories": ["meal"]})
    carer = db.session.scalar(select(Caregiver))
    html = pages.client.get("/provider/caregivers").get_data(as_text=True)
    assert html.count("08:00–18:00") == 7  # no rota given: every day
    off = pages.client.post(f"/provider/caregivers/{carer.id}/active",
                            data={"csrf_token": token, "active": "no", "confirmed": "yes"}, follow_redirects=True)
    assert "已停用" in off.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Caregiver, carer.id).active is False
    pages.client.post(f"/provider/caregivers/{carer.id}/active", data={"csrf_token": token, "active": "yes"})
    db.session.expire_all()
    assert db.session.get(Caregiver, carer.id).active is True
    assert pages.client.post(f"/provider/caregivers/{carer.id + 99}/active",
                             data={"csrf_token": token, "active": "no"}).status_code == 404


def test_rejecting_and_suspending_ask_for_a_confirmation_and_write_nothing_before_it(pages, place, applied, db):
    pages.login(place.bureau.username)
    path = f"/bureau/providers/{applied['id']}"
    token = pages.token(path)
    asked = pages.client.post(path + "/review", data={"csrf_token": token, "decision": "reject", "note": "资质不全"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "确认审核决定" in html and 'name="confirmed" value="yes"' in html
    assert "资质不全" in html
    db.session.expire_all()
    assert db.session.get(Provider, applied["id"]).status == "pending" and not db.session.get(
        Provider, applied["id"]).reviews
    # Asking for more information is no final step: it is recorded at once, its reason beside it.
    info = pages.client.post(path + "/review", data={"csrf_token": token, "decision": "needs_info",
                                                     "note": "请补充营业执照"})
    assert info.status_code == 302
    done = pages.client.post(path + "/review", data={"csrf_token": token, "decision": "reject", "note": "资质不全",
                                                     "confirmed": "yes"})
    assert done.status_code == 302
    db.session.expire_all()
    provider = db.session.get(Provider, applied["id"])
    assert provider.status == "rejected" and provider.review_note == "资质不全"
    assert [r.decision for r in provider.reviews] == ["needs_info", "reject"]
    # A decision the provider's status does not allow is refused before the confirmation page.
    late = pages.client.post(path + "/review", data={"csrf_token": token, "decision": "suspend", "note": "x"})
    assert late.status_code == 422 and "确认审核决定" not in late.get_data(as_text=True)


def test_check_review_writes_nothing_and_names_the_field(place, applied, db):
    provider = db.session.get(Provider, applied["id"])
    assert services.check_review(place.bureau, provider, "reject", "  资质不全 ") == "资质不全"
    with pytest.raises(Invalid) as refused:
        services.check_review(place.bureau, provider, "reject", " ")
    assert list(refused.value.errors) == ["note"]
    assert provider.status == "pending" and not provider.reviews
