"""Documents sent with an application, and the caregiver roster."""
import io
from datetime import timedelta

from sqlalchemy import select

from eldercare import clock
from eldercare.audit.models import AuditEvent
from eldercare.providers.models import Availability, Caregiver

from ..factories import UserFactory
from .conftest import application

URL = "/api/v1/providers"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(api, user, pid, data, name="licence.png", kind="营业执照"):
    return api.as_(user).post(f"{URL}/{pid}/documents", data={"kind": kind, "file": (io.BytesIO(data), name)},
                              content_type="multipart/form-data")


def test_a_png_is_stored_by_its_hash_and_downloaded_by_admin_and_bureau(api, place, applied, uploads, db):
    pid = applied["id"]
    response = upload(api, place.applicant, pid, PNG)
    assert response.status_code == 201, response.get_json()
    doc = response.get_json()
    assert doc["content_type"] == "image/png" and doc["size_bytes"] == len(PNG)
    assert (uploads / "uploads" / "providers" / str(pid) / doc["sha256"]).read_bytes() == PNG
    assert api.as_(place.applicant).get(f"{URL}/{pid}").get_json()["documents"][0]["id"] == doc["id"]
    for user in (place.applicant, place.bureau):
        got = api.as_(user).get(f"{URL}/{pid}/documents/{doc['id']}")
        assert got.status_code == 200 and got.data == PNG
    assert api.as_(place.other_bureau).get(f"{URL}/{pid}/documents/{doc['id']}").status_code == 404
    assert api.as_(place.applicant).get(f"{URL}/{pid}/documents/999").status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider.document_added"))


def test_a_text_file_and_a_too_big_file_are_refused(api, place, applied, uploads):
    pid = applied["id"]
    text = upload(api, place.applicant, pid, b"just some text", name="licence.png")
    assert text.status_code == 422 and "file" in text.get_json()["errors"]
    big = upload(api, place.applicant, pid, b"%PDF-" + b"0" * (5 * 1024 * 1024))
    assert big.status_code == 422 and "file" in big.get_json()["errors"]
    missing = api.as_(place.applicant).post(f"{URL}/{pid}/documents", data={"kind": "x"},
                                            content_type="multipart/form-data")
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    assert upload(api, place.bureau, pid, PNG).status_code == 403
    assert not (uploads / "uploads" / "providers" / str(pid)).exists()


def caregiver(**overrides):
    data = dict(username="zhang.hg", password="caregiver-pass-1", name="张护工", phone="13912345678",
                categories=["meal"])
    data.update(overrides)
    return data


def test_adding_a_caregiver_with_defaults(api, place, applied, db):
    pid = applied["id"]
    response = api.as_(place.applicant).post(f"{URL}/{pid}/caregivers", json=caregiver())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["daily_limit"] == 8 and body["active"] is True and body["categories"] == ["meal"]
    assert body["phone"] == "13912345678" and body["username"] == "zhang.hg"
    assert [(a["weekday"], a["start"], a["end"]) for a in body["availability"]] == [
        (d, "08:00", "18:00") for d in range(7)]
    row = db.session.get(Caregiver, body["id"])
    assert row.user.role == "caregiver" and row.user.provider_id == pid
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "caregiver.added"))
    listed = api.as_(place.bureau).get(f"{URL}/{pid}/caregivers").get_json()
    assert listed[0]["phone"] == "139****5678"
    # The caregiver can log in and sees their own provider.
    assert api.as_(row.user).get(f"{URL}/{pid}").status_code == 200


def test_caregiver_rules(api, place, applied):
    pid = applied["id"]
    post = lambda **kw: api.as_(place.applicant).post(f"{URL}/{pid}/caregivers", json=caregiver(**kw))  # noqa: E731
    for kw, field in [
        ({"categories": ["cleaning"]}, "categories"),
        ({"daily_limit": 21}, "daily_limit"),
        ({"availability": [{"weekday": 0, "start": "10:00", "end": "09:00"}]}, "availability.0.end"),
        ({"availability": [{"weekday": 7, "start": "08:00", "end": "09:00"}]}, "availability.0.weekday"),
        ({"availability": [{"weekday": 0, "start": "8am", "end": "09:00"}]}, "availability.0.start"),
        ({"availability": [{"weekday": 1, "start": "08:00", "end": "12:00"},
                           {"weekday": 1, "start": "11:00", "end": "15:00"}]}, "availability.1"),
        ({"certificates": [{"kind": "wizard", "expires_on": "2030-01-01"}]}, "certificates.0.kind"),
        ({"username": "x"}, "username"),
        ({"password": "short"}, "password"),
    ]:
        response = post(**kw)
        assert response.status_code == 422, (kw, response.get_json())
        assert field in response.get_json()["errors"], (kw, response.get_json())
    assert api.as_(place.bureau).post(f"{URL}/{pid}/caregivers", json=caregiver()).status_code == 403


def test_an_expired_certificate_is_allowed_but_flagged_and_updates_replace(api, place, applied, db):
    pid = applied["id"]
    old = (clock.today() - timedelta(days=1)).isoformat()
    body = api.as_(place.applicant).post(f"{URL}/{pid}/caregivers", json=caregiver(
        certificates=[{"kind": "health", "level": None, "expires_on": old}],
        availability=[{"weekday": 0, "start": "08:00", "end": "12:00"},
                      {"weekday": 0, "start": "13:00", "end": "17:00"}], daily_limit=3)).get_json()
    assert body["certificates"][0]["expired"] is True
    assert len(body["availability"]) == 2 and body["daily_limit"] == 3
    cid = body["id"]
    later = (clock.today() + timedelta(days=365)).isoformat()
    response = api.as_(place.applicant).patch(f"{URL}/{pid}/caregivers/{cid}", json={
        "active": False, "daily_limit": 5, "categories": ["meal", "bathing"],
        "certificates": [{"kind": "health", "level": "A", "expires_on": later}],
        "availability": [{"weekday": 2, "start": "09:00", "end": "17:00"}]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["active"] is False and body["daily_limit"] == 5 and body["categories"] == ["meal", "bathing"]
    assert [c["expired"] for c in body["certificates"]] == [False]
    assert [(a["weekday"], a["start"]) for a in body["availability"]] == [(2, "09:00")]
    assert len(db.session.scalars(select(Availability)).all()) == 1
    assert api.as_(place.applicant).patch(f"{URL}/{pid}/caregivers/{cid}", json={
        "categories": ["cleaning"]}).status_code == 422
    stranger = UserFactory(role="provider_admin")
    assert api.as_(stranger).patch(f"{URL}/{pid}/caregivers/{cid}", json={"active": True}).status_code == 404
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "caregiver.updated"))


def test_another_provider_cannot_see_the_roster(api, place, applied):
    other = UserFactory(role="provider_admin", provider_id=None)
    api.as_(other).post(URL, json=application(place, license_no="91321202MA1XYZ0002"))
    assert api.as_(other).get(f"{URL}/{applied['id']}/caregivers").status_code == 404
    assert api.as_(place.other_bureau).get(f"{URL}/{applied['id']}/caregivers").status_code == 404
