"""Only the bureau of the district a provider is registered in reviews it (issue 19, medium): not a street
officer of one of the streets it serves, nor another district's bureau that one of its streets belongs to."""
import re

from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.providers.models import Provider

from ..factories import UserFactory
from ..providers.conftest import application, place  # noqa: F401  the providers' district, streets and people

URL = "/api/v1/providers"


def _apply(api, place, **overrides):  # noqa: F811
    applicant = UserFactory(role="provider_admin", provider_id=None)
    response = api.as_(applicant).post(URL, json=application(place, **overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def review(api, user, pid, decision, note=None):
    return api.as_(user).post(f"{URL}/{pid}/review", json={"decision": decision, "note": note})


def test_a_street_officer_cannot_approve_or_suspend_a_provider_serving_their_street(api, place, db):  # noqa: F811
    pid = _apply(api, place)  # serves street_a and street_b, registered in place.district
    street_officer = UserFactory(role="bureau", scope_region_id=place.street_a.id)
    assert api.as_(street_officer).get(f"{URL}/{pid}").status_code == 200  # may look: it serves their street
    assert review(api, street_officer, pid, "approve").status_code == 403
    assert review(api, place.bureau, pid, "approve").status_code == 201
    assert review(api, street_officer, pid, "suspend", "投诉").status_code == 403
    assert db.session.get(Provider, pid).status == "approved"


def test_another_district_cannot_review_a_provider_that_serves_one_of_its_streets(api, place, db):  # noqa: F811
    # Registered in place.district (its first street), also serving a street of the other district.
    pid = _apply(api, place, service_areas=[place.street_a.id, place.other_street.id])
    assert api.as_(place.other_bureau).get(f"{URL}/{pid}").status_code == 200
    assert review(api, place.other_bureau, pid, "approve").status_code == 403
    assert db.session.get(Provider, pid).status == "pending"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider.reviewed")) is None
    assert review(api, place.bureau, pid, "approve").status_code == 201
    assert review(api, place.admin, pid, "suspend", "调查").status_code == 201


def test_the_review_page_refuses_a_street_officer(pages, api, place, db):  # noqa: F811
    pid = _apply(api, place)
    street_officer = UserFactory(role="bureau", scope_region_id=place.street_b.id)
    pages.login(street_officer.username)
    token = pages.token(f"/bureau/providers/{pid}")
    response = pages.client.post(f"/bureau/providers/{pid}/review", data={"csrf_token": token, "decision": "approve"})
    assert response.status_code == 403
    assert db.session.get(Provider, pid).status == "pending"


def _decision_buttons(html: str) -> list[str]:
    return re.findall(r'<button[^>]*name="decision" value="([a-z_]+)"', html)


def test_the_review_page_shows_no_decisions_to_an_officer_who_cannot_review_and_says_why(pages, api, place):  # noqa: F811
    """Before: a street officer, and another district's bureau, were shown 批准/驳回 buttons that could only fail."""
    pid = _apply(api, place, service_areas=[place.street_a.id, place.other_street.id])
    street_officer = UserFactory(role="bureau", scope_region_id=place.street_a.id)
    for outsider in (street_officer, place.other_bureau):
        pages.login(outsider.username)
        response = pages.client.get(f"/bureau/providers/{pid}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert _decision_buttons(html) == []
        assert 'action="/bureau/providers/' not in html
        why = re.search(r'<p class="not-yours">(.*?)</p>', html, re.S).group(1)
        assert place.district.name in why and "民政" in why
        pages.logout()
    for reviewer in (place.bureau, place.admin):
        pages.login(reviewer.username)
        html = pages.client.get(f"/bureau/providers/{pid}").get_data(as_text=True)
        assert "approve" in _decision_buttons(html) and 'class="not-yours"' not in html
        pages.logout()
