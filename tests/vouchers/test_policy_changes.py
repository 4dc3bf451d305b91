"""Ending or amending a voucher policy (PATCH /voucher-policies/{id}, the policies page): only in months it has
not paid anything in, so that a district whose policy runs "until replaced" can set the next one."""
import re
from datetime import date

from sqlalchemy import func, select

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
    same_tier = [TIERS[0] | {"monthly_fen": 40000}]  # a tier kept with a new amount replaces its old row
    again = api.as_(town.bureau).patch(f"/api/v1/voucher-policies/{town.policy.id}", json={"tiers": same_tier})
    assert again.status_code == 200 and again.json["tiers"] == same_tier
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


def test_a_new_policy_supersedes_the_open_ended_one_from_a_later_month(api, town):
    # Without asking to, a new policy over the open-ended one is still refused, naming the first month.
    refused = api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town, valid_to=None))
    assert refused.status_code == 409 and "valid_from" in refused.json["errors"]
    made = api.as_(town.bureau).post("/api/v1/voucher-policies",
                                     json=policy_body(town, valid_to=None, supersede=True))
    assert made.status_code == 201, made.json
    assert made.json["valid_from"] == "2027-01" and made.json["valid_to"] is None
    db.session.expire_all()
    assert db.session.get(VoucherPolicy, town.policy.id).valid_to == date(2026, 12, 1)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "voucher_policy.amended"))
    assert event.detail["after"]["valid_to"] == "2026-12"
    # The new one is open-ended in turn: a later one supersedes it too, and the district's months never overlap.
    later = api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(
        town, name="2028年养老服务券", valid_from="2028-01", valid_to=None, supersede=True))
    assert later.status_code == 201, later.json
    listed = api.as_(town.bureau).get("/api/v1/voucher-policies").json
    assert [(p["valid_from"], p["valid_to"]) for p in listed] == [
        ("2026-01", "2026-12"), ("2027-01", "2027-12"), ("2028-01", None)]


def test_superseding_refuses_a_month_already_paid_and_a_district_with_nothing_open(api, town):
    town.elder()
    issue("2026-03")
    paid = api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(
        town, valid_from="2026-03", valid_to=None, supersede=True))
    assert paid.status_code == 409 and "2026-03" in paid.json["errors"]["valid_from"][0]
    db.session.expire_all()
    assert db.session.get(VoucherPolicy, town.policy.id).valid_to is None  # nothing written
    assert db.session.scalar(select(func.count()).select_from(VoucherPolicy)) == 1
    town.policy.valid_to = date(2026, 12, 1)
    db.session.commit()
    nothing_open = api.as_(town.bureau).post("/api/v1/voucher-policies", json=policy_body(town, supersede=True))
    assert nothing_open.status_code == 409 and "supersede" in nothing_open.json["errors"]


def test_the_bureau_supersedes_and_edits_from_the_pages(pages, town):
    pages.login(town.bureau.username)
    page = "/bureau/voucher-policies"
    form = {"csrf_token": pages.token(page), "region_id": str(town.district.id), "name": "2027年服务券",
            "valid_from": "2027-01", "valid_to": "", "carry_over_months": "0", "fen_moderate_low_income": "350",
            "copay_moderate_low_income": "20", "categories": ["meal"]}
    overlap = pages.client.post(page, data=form)
    assert overlap.status_code == 422 and 'id="valid_from-error"' in overlap.get_data(as_text=True)
    assert pages.client.post(page, data=form | {"supersede": "yes"}).status_code == 302
    new = db.session.scalar(select(VoucherPolicy).where(VoucherPolicy.name == "2027年服务券"))
    assert [(t.care_level, t.hardship, t.monthly_fen) for t in new.tiers] == [("moderate", "low_income", 35000)]
    # The new one has paid nothing: its tiers can be changed; its form shows the tiers it has.
    edit = f"/bureau/voucher-policies/{new.id}/edit"
    html = pages.client.get(edit).get_data(as_text=True)
    assert 'value="350.00"' in html and "低收入" in html
    bad = pages.client.post(edit, data={"csrf_token": pages.token(edit), "fen_severe_dibao": "abc"})
    assert bad.status_code == 422 and 'id="tiers-error"' in bad.get_data(as_text=True)
    done = pages.client.post(edit, data={"csrf_token": pages.token(edit), "fen_severe_dibao": "500",
                                         "copay_severe_dibao": "10"})
    assert done.status_code == 302
    db.session.expire_all()
    assert [(t.care_level, t.hardship, t.monthly_fen, t.copay_percent)
            for t in db.session.get(VoucherPolicy, new.id).tiers] == [("severe", "dibao", 50000, 10)]


def test_a_policy_that_paid_is_not_offered_for_editing(pages, town):
    town.elder()
    issue("2026-03")
    pages.login(town.bureau.username)
    edit = f"/bureau/voucher-policies/{town.policy.id}/edit"
    assert edit not in pages.client.get("/bureau/voucher-policies").get_data(as_text=True)
    html = pages.client.get(edit).get_data(as_text=True)
    assert "2026-03" in html and 'name="fen_moderate_any"' not in html
    refused = pages.client.post(edit, data={"csrf_token": csrf_token(html), "fen_mild_any": "100"})
    assert refused.status_code == 422
    db.session.expire_all()
    assert [t.hardship for t in db.session.get(VoucherPolicy, town.policy.id).tiers] == ["any", "any", "dibao"]
