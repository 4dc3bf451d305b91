"""Ending or amending a voucher policy (PATCH /voucher-policies/{id}, the policies page): only in months it has
not paid anything in, so that a district whose policy runs "until replaced" can set the next one."""
import re
from datetime import date

from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.vouchers.models import VoucherPolicy

from ..factories import DistrictFactory, UserFactory
from ..pages import csrf_token
from .issuing import issue
from .test_api import policy_body

TIERS = [dict(care_level="moderate", hardship="low_income", monthly_fen=35000, copay_percent=20)]


def test_an_open_ended_policy_is_ended_and_the_next_one_follows(api, town):
    assert api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town)).status_code == 409
    ended = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}", json={"valid_to": "2026-12"})
    assert ended.status_code == 200, ended.json
    assert ended.json["valid_to"] == "2026-12"
    assert api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town)).status_code == 201
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "voucher_policy.amended"))
    assert event.detail["before"]["valid_to"] is None and event.detail["after"]["valid_to"] == "2026-12"
    # Made open-ended again it would overlap the new one.
    reopened = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}", json={"valid_to": None})
    assert reopened.status_code == 409 and "valid_to" in reopened.json["errors"]


def test_a_policy_cannot_end_before_a_month_it_paid_nor_change_tiers_it_paid_with(api, town):
    town.elder()
    tiers_before = [(t.care_level, t.hardship) for t in town.policy.tiers]
    issue("2026-03")
    too_soon = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}", json={"valid_to": "2026-02"})
    assert too_soon.status_code == 409 and "2026-03" in too_soon.json["errors"]["valid_to"][0]
    retiered = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}", json={"tiers": TIERS})
    assert retiered.status_code == 409 and "tiers" in retiered.json["errors"]
    db.session.expire_all()
    policy = db.session.get(VoucherPolicy, town.policy.id)
    assert policy.valid_to is None and [(t.care_level, t.hardship) for t in policy.tiers] == tiers_before
    assert api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}",
                                      json={"valid_to": "2026-03"}).status_code == 200


def test_tiers_change_while_nothing_was_paid_and_bad_changes_name_the_field(api, town):
    changed = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}", json={"tiers": TIERS})
    assert changed.status_code == 200 and changed.json["tiers"] == TIERS
    empty = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}", json={})
    assert empty.status_code == 422 and empty.json["errors"]  # every empty PATCH is refused before the service
    before_start = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}",
                                              json={"valid_to": "2025-12"})
    assert before_start.status_code == 422 and "valid_to" in before_start.json["errors"]
    digits = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}", json={"valid_to": "２０２６-12"})
    assert digits.status_code == 422 and "valid_to" in digits.json["errors"]
    outsider = UserFactory(role="bureau", scope_region_id=DistrictFactory().id)
    assert api.as_(outsider).patch(f"/api/v1/voucher-policies/{town.policy.id}",
                                   json={"valid_to": "2026-12"}).status_code == 404


def test_the_bureau_ends_the_policy_from_its_page_and_the_grid_has_low_income(pages, town):
    pages.login(town.bureau.username)
    html = pages.client.get("/bureau/voucher-policies").get_data(as_text=True)
    assert "低收入" in html and not re.search(r'aria-label="[^"]*(dibao|tekun|low_income)', html)  # no codes
    pages.client.post(f"/bureau/voucher-policies/{town.policy.id}/end",
                      data={"valid_to": "2026-12", "csrf_token": csrf_token(html)})
    db.session.expire_all()
    assert db.session.get(VoucherPolicy, town.policy.id).valid_to == date(2026, 12, 1)
    bad = pages.client.post("/bureau/voucher-policies", follow_redirects=True, data={
        "csrf_token": csrf_token(html), "region_id": town.district.id, "name": "新政策", "valid_from": "2027-01",
        "fen_moderate_any": "nan", "categories": ["meal"]})
    assert bad.status_code == 422 and "金额请填元数" in bad.get_data(as_text=True)  # nan is no amount: no 500
