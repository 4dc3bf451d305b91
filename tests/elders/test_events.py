"""Registry events change the elder's status at once, keep a history, and stop bookings."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from eldercare import clock
from eldercare.audit.models import AuditEvent
from eldercare.elders.registry import elder_status_changed, ensure_bookable
from eldercare.errors import Conflict

from ..factories import ElderFactory


@pytest.fixture
def elder(place):
    return ElderFactory(community_id=place.community_a.id)


def record(api, user, elder, kind, occurred_on=None, note=None):
    return api.as_(user).post(f"/api/v1/elders/{elder.id}/events", json={
        "kind": kind, "occurred_on": (occurred_on or clock.today()).isoformat(), "note": note})


def test_a_death_takes_effect_at_once_and_blocks_bookings(api, place, elder, db):
    heard = []

    def listener(sender, **kw):
        heard.append((sender.id, kw["from_status"], kw["to_status"]))

    elder_status_changed.connect(listener)
    try:
        response = record(api, place.operator_a, elder, "death", note="家属来电告知")
    finally:
        elder_status_changed.disconnect(listener)
    assert response.status_code == 201, response.json
    assert response.json["status"] == "deceased"
    assert heard == [(elder.id, "active", "deceased")]
    db.session.refresh(elder)
    with pytest.raises(Conflict) as refused:
        ensure_bookable(elder)
    assert "deceased" in refused.value.message
    profile = api.as_(place.operator_a).get(f"/api/v1/elders/{elder.id}").json
    assert profile["status"] == "deceased"
    history = api.as_(place.operator_a).get(f"/api/v1/elders/{elder.id}/status-history").json
    assert [(h["from_status"], h["to_status"]) for h in history] == [("active", "deceased")]
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == elder.id)))
    assert {"elder.event_recorded", "elder.status_changed"} <= actions
    # Nothing follows a death.
    assert record(api, place.operator_a, elder, "hospital_admission").status_code == 409


def test_an_active_elder_is_bookable(elder):
    ensure_bookable(elder)  # raises if not


def test_hospital_admission_then_discharge_restores_the_elder(api, place, elder, db):
    assert record(api, place.operator_a, elder, "hospital_admission", clock.today() - timedelta(days=3)).json[
        "status"] == "hospitalized"
    db.session.refresh(elder)
    with pytest.raises(Conflict):
        ensure_bookable(elder)
    assert record(api, place.operator_a, elder, "hospital_discharge").json["status"] == "active"
    db.session.refresh(elder)
    ensure_bookable(elder)
    events = api.as_(place.bureau).get(f"/api/v1/elders/{elder.id}/events").json
    assert [e["kind"] for e in events] == ["hospital_admission", "hospital_discharge"]


def test_a_discharge_without_an_admission_is_a_conflict(api, place, elder):
    response = record(api, place.operator_a, elder, "hospital_discharge")
    assert response.status_code == 409 and "kind" in response.json["errors"]


def test_institution_admission_stops_bookings(api, place, elder):
    assert record(api, place.bureau, elder, "institution_admission").json["status"] == "institutionalized"
    assert api.as_(place.bureau).get("/api/v1/elders?status=institutionalized").json[0]["id"] == elder.id


@pytest.mark.parametrize("body, field", [
    ({"kind": "wedding", "occurred_on": "2026-01-01"}, "kind"),
    ({"kind": "death"}, "occurred_on"),
    ({"kind": "death", "occurred_on": "not-a-date"}, "occurred_on"),
])
def test_bad_events_name_the_field(api, place, elder, body, field):
    response = api.as_(place.operator_a).post(f"/api/v1/elders/{elder.id}/events", json=body)
    assert response.status_code == 422 and field in response.json["errors"]


def test_future_or_before_birth_dates_are_refused_and_change_nothing(api, place, elder, db):
    future = record(api, place.operator_a, elder, "death", clock.today() + timedelta(days=1))
    assert future.status_code == 422 and "occurred_on" in future.json["errors"]
    before_birth = record(api, place.operator_a, elder, "death", elder.birth_date - timedelta(days=1))
    assert before_birth.status_code == 422
    db.session.refresh(elder)
    assert elder.status == "active" and elder.events == []


def test_family_cannot_record_events(api, place, elder):
    assert record(api, place.family, elder, "death").status_code == 403


# 19:30 UTC on 29 November is 03:30 on the 30th in Beijing. The zone given to time_machine also sets the
# process's zone to UTC, as on a server, so this fails on a machine set to Beijing time too.
SERVER_STILL_ON_YESTERDAY = datetime(2026, 11, 29, 19, 30, tzinfo=ZoneInfo("UTC"))


def test_a_death_today_in_beijing_is_recorded_while_a_utc_server_is_still_on_yesterday(api, place, elder):
    with time_machine.travel(SERVER_STILL_ON_YESTERDAY, tick=False):
        assert clock.today() == date(2026, 11, 30)
        died = record(api, place.operator_a, elder, "death", date(2026, 11, 30), note="凌晨去世")
        assert died.status_code == 201, died.json
        assert died.json["status"] == "deceased"
        # The next Beijing day is still the future.
        other = ElderFactory(community_id=place.community_a.id)
        tomorrow = record(api, place.operator_a, other, "death", date(2026, 12, 1))
        assert tomorrow.status_code == 422 and "occurred_on" in tomorrow.json["errors"]
