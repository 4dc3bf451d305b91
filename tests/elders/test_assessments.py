"""Ability assessment by GB/T 42195-2022: the bands at every edge, the adjustments, the coma rule, bad items,
and the 12-month rule."""
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import select

from eldercare import clock
from eldercare.audit.models import AuditEvent
from eldercare.elders.assessment import item_specs, score

from ..factories import ElderFactory


def items_for_total(total: int) -> dict:
    """Item points adding up to `total`, taking points off items in file order."""
    items = {s.code: s.max_points for s in item_specs()}
    shortfall = 90 - total
    for spec in item_specs():
        cut = min(shortfall, spec.max_points)
        items[spec.code] -= cut
        shortfall -= cut
    assert sum(items.values()) == total
    return items


def test_the_standard_has_26_items_worth_90_points():
    assert len(item_specs()) == 26
    assert sum(s.max_points for s in item_specs()) == 90


@pytest.mark.parametrize("total, level", [
    (90, "intact"), (89, "mild"), (66, "mild"), (65, "moderate"), (46, "moderate"), (45, "severe"),
    (30, "severe"), (29, "total"), (0, "total"),
])
def test_band_edges(total, level):
    assert score(items_for_total(total)) == (total, level)


@pytest.mark.parametrize("diagnoses, risk_events, level", [
    ({"dementia": True}, 0, "moderate"),
    ({"mental_disorder": True}, 0, "moderate"),
    ({}, 2, "moderate"),
    ({}, 1, "mild"),  # one risk event is not enough
    ({"dementia": True, "mental_disorder": True}, 3, "moderate"),  # any of them: one level, not several
])
def test_adjustments_make_the_level_one_worse(diagnoses, risk_events, level):
    assert score(items_for_total(70), diagnoses, risk_events) == (70, level)


def test_adjustment_never_goes_below_total():
    assert score(items_for_total(10), {"dementia": True}, 5) == (10, "total")


def test_coma_is_rated_total_directly_whatever_the_points():
    assert score(items_for_total(90), {"coma": True}) == (90, "total")


@pytest.fixture
def elder(place):
    return ElderFactory(community_id=place.community_a.id)


def post(api, user, elder, **overrides):
    body = dict(assessed_on=(clock.today() - timedelta(days=400)).isoformat(), reason="initial",
                items=items_for_total(60), diagnoses={}, risk_events_30d=0) | overrides
    return api.as_(user).post(f"/api/v1/elders/{elder.id}/assessments", json=body)


def test_an_assessment_sets_the_care_level_and_keeps_the_assessor(api, place, elder, db):
    response = post(api, place.operator_a, elder)
    assert response.status_code == 201, response.json
    assert (response.json["total_score"], response.json["care_level"]) == (60, "moderate")
    assert response.json["assessor_id"] == place.operator_a.id
    assert api.as_(place.operator_a).get(f"/api/v1/elders/{elder.id}").json["care_level"] == "moderate"
    logged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.assessed"))
    assert logged.detail["care_level"] == "moderate" and logged.actor_id == place.operator_a.id


def test_an_out_of_range_item_is_named(api, place, elder):
    items = items_for_total(60) | {"eating": 9}
    response = post(api, place.operator_a, elder, items=items)
    assert response.status_code == 422
    assert "items.eating" in response.json["errors"]


def test_a_missing_item_is_named(api, place, elder):
    items = items_for_total(60)
    del items["eating"]
    response = post(api, place.operator_a, elder, items=items)
    assert response.status_code == 422
    assert response.json["errors"]["items.eating"] == ["Missing item."]


def test_an_unknown_item_and_an_unknown_diagnosis_are_named(api, place, elder):
    response = post(api, place.operator_a, elder, items=items_for_total(60) | {"juggling": 1})
    assert response.status_code == 422 and "items.juggling" in response.json["errors"]
    response = post(api, place.operator_a, elder, diagnoses={"flu": True})
    assert response.status_code == 422 and "diagnoses.flu" in response.json["errors"]


def test_a_second_assessment_within_12_months_needs_a_change_of_condition(api, place, elder):
    first = clock.today() - timedelta(days=200)
    assert post(api, place.operator_a, elder, assessed_on=first.isoformat()).status_code == 201
    refused = post(api, place.operator_a, elder, reason="periodic", assessed_on=clock.today().isoformat(),
                   items=items_for_total(40))
    assert refused.status_code == 422
    assert "12 months" in refused.json["errors"]["reason"][0]
    allowed = post(api, place.operator_a, elder, reason="condition_changed", assessed_on=clock.today().isoformat(),
                   items=items_for_total(40))
    assert allowed.status_code == 201
    assert api.as_(place.operator_a).get(f"/api/v1/elders/{elder.id}").json["care_level"] == "severe"
    history = api.as_(place.operator_a).get(f"/api/v1/elders/{elder.id}/assessments").json
    assert [a["care_level"] for a in history] == ["moderate", "severe"]


def test_a_periodic_assessment_after_12_months_is_fine(api, place, elder):
    first = date(2024, 2, 29)
    assert post(api, place.operator_a, elder, assessed_on=first.isoformat()).status_code == 201
    early = post(api, place.operator_a, elder, reason="periodic", assessed_on="2025-02-27")
    assert early.status_code == 422
    on_time = post(api, place.operator_a, elder, reason="periodic", assessed_on="2025-02-28")
    assert on_time.status_code == 201, on_time.json


def test_initial_means_the_first(api, place, elder):
    assert post(api, place.operator_a, elder, reason="periodic").status_code == 422
    assert post(api, place.operator_a, elder).status_code == 201
    again = post(api, place.operator_a, elder, assessed_on=clock.today().isoformat())
    assert again.status_code == 422 and "already assessed" in again.json["errors"]["reason"][0]


def test_future_dates_and_outsiders_are_refused(api, place, elder):
    future = post(api, place.operator_a, elder, assessed_on=(clock.today() + timedelta(days=1)).isoformat())
    assert future.status_code == 422 and "assessed_on" in future.json["errors"]
    assert post(api, place.operator_b, elder).status_code == 404
    assert post(api, place.family, elder).status_code == 403


def test_an_assessment_made_this_morning_in_beijing_is_not_in_the_future(api, place, elder):
    from .test_events import SERVER_STILL_ON_YESTERDAY

    with time_machine.travel(SERVER_STILL_ON_YESTERDAY, tick=False):
        today = post(api, place.operator_a, elder, assessed_on="2026-11-30")
        assert today.status_code == 201, today.json
        tomorrow = post(api, place.operator_a, elder, reason="condition_changed", assessed_on="2026-12-01")
        assert tomorrow.status_code == 422 and "assessed_on" in tomorrow.json["errors"]
