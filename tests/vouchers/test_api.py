"""The voucher API: policies (overlaps refused), issuance, the elder's account, and booking with vouchers."""
from datetime import timedelta

import pytest

from eldercare import clock
from eldercare.extensions import db
from eldercare.vouchers import issuance, ledger

from ..factories import ItemFactory, UserFactory
from ..orders.conftest import next_monday


def policy_body(town, **overrides):
    body = dict(region_id=town.district.id, name="2027年养老服务券", valid_from="2027-01", valid_to="2027-12",
                tiers=[dict(care_level="moderate", hardship="any", monthly_fen=30000, copay_percent=30)],
                categories=["meal"], carry_over_months=0)
    body.update(overrides)
    return body


def test_the_bureau_sets_a_policy_and_an_overlapping_one_is_refused(api, town):
    # The fixture's policy runs from 2026-01 with no end: a 2027 policy overlaps it.
    assert api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town)).status_code == 409
    town.policy.valid_to = town.policy.valid_from.replace(year=2026, month=12)
    db.session.commit()
    created = api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town))
    assert created.status_code == 201, created.json
    assert created.json["valid_from"] == "2027-01" and created.json["categories"] == ["meal"]
    again = api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town, valid_from="2027-06",
                                                                                 valid_to=None))
    assert again.status_code == 409 and "valid_from" in again.json["errors"]
    listed = api.as_(town.bureau).get("/api/v1/voucher-policies").json
    assert [p["valid_from"] for p in listed] == ["2026-01", "2027-01"]


@pytest.mark.parametrize("overrides, field", [
    (dict(valid_from="2027-13"), "valid_from"),
    (dict(valid_from="January"), "valid_from"),
    (dict(tiers=[dict(care_level="tired", hardship="any", monthly_fen=1, copay_percent=0)]), "tiers.0.care_level"),
    (dict(tiers=[dict(care_level="mild", hardship="any", monthly_fen=1, copay_percent=101)]),
     "tiers.0.copay_percent"),
    (dict(categories=["juggling"]), "categories"),
    (dict(valid_to="2026-01"), "valid_to"),
])
def test_bad_policies_name_the_field(api, town, overrides, field):
    response = api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town, **overrides))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_another_district_cannot_set_this_districts_policy(api, town):
    from ..factories import DistrictFactory

    outsider = UserFactory(role="bureau", scope_region_id=DistrictFactory().id)
    assert api.as_(outsider).post("/api/v1/voucher-policies", json=policy_body(town)).status_code == 403
    assert api.as_(UserFactory(role="family")).post("/api/v1/voucher-policies",
                                                    json=policy_body(town)).status_code == 403


def test_issuance_through_the_api_and_the_elders_account(api, town):
    elder = town.elder("moderate")
    response = api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": "2026-12"})
    assert response.status_code == 201
    assert (response.json["issued"], response.json["total_fen"]) == (1, 30000)
    again = api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": "2026-12"})
    assert (again.json["issued"], again.json["already"]) == (0, 1)
    account = api.as_(town.bureau).get(f"/api/v1/elders/{elder.id}/voucher-account").json
    assert (account["balance_fen"], account["held_fen"]) == (30000, 0)
    assert account["entries"][0]["kind"] == "issue" and account["entries"][0]["amount_fen"] == 30000
    assert api.as_(UserFactory(role="family")).get(f"/api/v1/elders/{elder.id}/voucher-account").status_code == 404
    bad = api.as_(town.bureau).post("/api/v1/voucher-issuances", json={"period": "2026-1"})
    assert bad.status_code == 422 and "period" in bad.json["errors"]


@pytest.fixture
def bookable(town):
    """An elder with December's vouchers, a provider who can come, and a meal item of 50.00 yuan."""
    from ..orders.conftest import City

    elder = town.elder("moderate", lat=32.49, lng=119.93)
    street = db.session.get(type(town.community), town.community.parent_id)
    city = City(town.district, street, street, elder, town.meal, town.meal,
                ItemFactory(category=town.meal, price_fen=5000, duration_minutes=30), None,
                operator=UserFactory(role="operator", scope_region_id=street.id), bureau=town.bureau)
    city.provider("近", km=0.5, categories=[town.meal], caregivers=2)
    issuance.issue_period(f"{next_monday():%Y-%m}")  # the month of the visits booked below
    return city


def test_booking_with_vouchers_holds_the_policy_share(api, bookable):
    city = bookable
    response = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat(),
        "pay_with": "voucher"})
    assert response.status_code == 201, response.json
    # 50.00 yuan with a 30% co-payment: vouchers pay 35.00, the elder 15.00.
    assert (response.json["price_fen"], response.json["voucher_fen"], response.json["copay_fen"]) == (5000, 3500, 1500)
    account = api.as_(city.operator).get(f"/api/v1/elders/{city.elder.id}/voucher-account").json
    assert (account["balance_fen"], account["held_fen"]) == (30000 - 3500, 3500)
    assert ledger.check().ok


def test_booking_beyond_the_balance_is_a_conflict_and_writes_nothing(api, bookable):
    city = bookable
    start = next_monday(8)
    for i in range(8):  # 8 × 35.00 = 280.00 of 300.00
        r = api.as_(city.operator).post("/api/v1/orders", json={
            "elder_id": city.elder.id, "item_id": city.lunch.id, "pay_with": "voucher",
            "scheduled_start": (start + timedelta(minutes=40 * i)).isoformat()})
        assert r.status_code == 201, r.json
    short = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "pay_with": "voucher",
        "scheduled_start": (start + timedelta(hours=7)).isoformat()})
    assert short.status_code == 409 and "pay_with" in short.json["errors"]
    assert len(api.as_(city.operator).get("/api/v1/orders").json) == 8
    assert ledger.check().ok


def test_vouchers_do_not_pay_outside_the_policys_categories(api, bookable):
    from ..factories import CategoryFactory

    city = bookable
    other = ItemFactory(category=CategoryFactory(code="home_adaptation"), price_fen=100000)
    response = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": other.id, "pay_with": "voucher",
        "scheduled_start": next_monday().isoformat()})
    assert response.status_code == 422 and "item_id" in response.json["errors"]


def test_a_death_releases_held_vouchers(api, bookable):
    city = bookable
    order = api.as_(city.operator).post("/api/v1/orders", json={
        "elder_id": city.elder.id, "item_id": city.lunch.id, "scheduled_start": next_monday().isoformat(),
        "pay_with": "voucher"}).json
    api.as_(city.operator).post(f"/api/v1/elders/{city.elder.id}/events", json={
        "kind": "death", "occurred_on": "2026-01-02"})
    assert api.as_(city.operator).get(f"/api/v1/orders/{order['id']}").json["status"] == "cancelled"
    account = api.as_(city.operator).get(f"/api/v1/elders/{city.elder.id}/voucher-account").json
    assert (account["balance_fen"], account["held_fen"]) == (30000, 0)
    assert not account["eligible"] and "suspended" in account["reasons"][0]
    assert ledger.check().ok


def test_an_elder_assessed_mid_month_gets_this_months_vouchers_the_same_day(api, town):
    from ..elders.test_assessments import items_for_total

    elder = town.elder(None)
    officer = UserFactory(role="operator", scope_region_id=town.community.parent_id)
    assert api.as_(officer).get(f"/api/v1/elders/{elder.id}/voucher-account").json["balance_fen"] == 0
    response = api.as_(officer).post(f"/api/v1/elders/{elder.id}/assessments", json={
        "assessed_on": "2026-11-02", "reason": "initial", "items": items_for_total(60)})
    assert response.status_code == 201 and response.json["care_level"] == "moderate"
    account = api.as_(officer).get(f"/api/v1/elders/{elder.id}/voucher-account").json
    assert account["balance_fen"] == 30000 and account["eligible"]
    # The month's run later finds the grant already made.
    assert issuance.issue_period(str(clock.this_month())).already == 1
    assert ledger.check().ok
