"""GET /api/v1/audit/log and /audit/log/verify: the bureau's only; the log paginated per API.md and filtered by
action, actor, target and time; the check names the first bad event; and the bureau's page with its button."""
import json
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select, text

from eldercare.audit import chain
from eldercare.audit.cli import seal_all
from eldercare.audit.models import AuditEvent
from eldercare.audit.services import record
from eldercare.extensions import db

from ..factories import UserFactory

LOG, VERIFY = "/api/v1/audit/log", "/api/v1/audit/log/verify"
MONDAY = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 Beijing
TUESDAY = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
WEDNESDAY = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def logged(db):
    """A bureau officer, an admin, and events on two days."""
    bureau, admin = UserFactory(role="bureau"), UserFactory(role="admin")
    with time_machine.travel(MONDAY, tick=False):
        record("order.status_changed", bureau, actor=admin, before="pending", after="cancelled")
        record("user.updated", admin, actor=admin, before={"phone": None}, after={"phone": "13912345678"})
    with time_machine.travel(TUESDAY, tick=False):
        record("order.status_changed", bureau, actor=bureau, before="accepted", after="in_service")
    db.session.commit()
    return bureau, admin


@pytest.mark.parametrize("role", ["admin", "operator", "family", "provider_admin", "caregiver", "elder"])
def test_only_the_bureau_reads_or_checks_the_log(api, logged, role):
    other = UserFactory(role=role)
    for path in (LOG, VERIFY):
        assert api.as_(other).get(path).status_code == 403
        assert api.get(path).status_code == 401
    assert api.as_(logged[0]).get(LOG).status_code == 200


def test_the_log_is_paginated_newest_first_and_filtered(api, logged):
    # The officer's own login is logged when the token is made: on Wednesday, outside the days filtered below
    # (on the real clock it could fall on Monday, as in CI's run at 23:59 on 30 November).
    with time_machine.travel(WEDNESDAY, tick=False):
        bureau, admin = logged
        officer = api.as_(bureau)  # its token is logged too: an auth.login
        response = officer.get(LOG, query_string={"page_size": 2})
        assert response.status_code == 200 and len(response.json) == 2
        assert json.loads(response.headers["X-Pagination"])["total"] == 4
        assert response.json[0]["action"] == "auth.login"
        changed = officer.get(LOG, query_string={"action": "order.status_changed"}).json
        assert [(e["before"], e["after"]) for e in changed] == [("accepted", "in_service"), ("pending", "cancelled")]
        assert [e["action"] for e in officer.get(LOG, query_string={"action": "user."}).json] == ["user.updated"]
        by_admin = officer.get(LOG, query_string={"actor_id": admin.id}).json
        assert {e["action"] for e in by_admin} == {"order.status_changed", "user.updated"}
        on_admin = officer.get(LOG, query_string={"target_type": "users", "target_id": admin.id}).json
        assert [e["after"] for e in on_admin] == [{"phone": "13912345678"}]
        monday = officer.get(LOG, query_string={"from": "2026-11-30T00:00:00+08:00", "to": "2026-12-01T00:00:00+08:00"})
        assert [e["at"][:10] for e in monday.json] == ["2026-11-30", "2026-11-30"]
        assert monday.json[0]["seq"] is None and monday.json[0]["hash"] is None  # not sealed yet


@pytest.mark.parametrize("query", [{"from": "２０２６-11-30T00:00:00+08:00"}, {"from": "yesterday"},
                                   {"action": "DROP TABLE"}, {"actor_id": "0"}, {"target_id": "99999999999"}])
def test_bad_filters_answer_422_naming_the_field(api, logged, query):
    response = api.as_(logged[0]).get(LOG, query_string=query)
    assert response.status_code == 422 and set(response.json["errors"]) == set(query)


def test_verify_answers_ok_then_names_the_first_bad_event(api, logged):
    officer = api.as_(logged[0])
    seal_all()
    answer = officer.get(VERIFY).json
    assert {k: answer[k] for k in ("ok", "checked", "first_bad_id", "reason")} == {
        "ok": True, "checked": 4, "first_bad_id": None, "reason": None}
    victim = db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "user.updated"))
    db.session.execute(text("UPDATE audit_events SET actor_id = NULL WHERE id = :id"), {"id": victim})
    db.session.commit()
    answer = officer.get(VERIFY).json
    assert (answer["ok"], answer["first_bad_id"]) == (False, victim) and answer["reason"].startswith("changed")


def test_verify_checks_against_an_exported_head_given(api, logged):
    officer = api.as_(logged[0])
    seal_all()
    head = chain.current_head()
    assert officer.get(VERIFY, query_string={"head": head.line}).json["ok"] is True
    wrong = f"{head.day} {head.seq} {'0' * 64}"
    answer = officer.get(VERIFY, query_string={"head": wrong}).json
    assert answer["ok"] is False and answer["reason"].startswith("rewritten")
    refused = officer.get(VERIFY, query_string={"head": "today 3 abc"})
    assert refused.status_code == 422 and "head" in refused.json["errors"]


def test_the_bureau_page_lists_the_log_and_checks_the_chain(pages, logged):
    bureau, _ = logged
    pages.login(bureau.username)
    home = pages.client.get("/").get_data(as_text=True)
    assert "/bureau/audit-log" in home
    page = pages.client.get("/bureau/audit-log?action=order.")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and body.count("order.status_changed") == 2 and "审计日志" in body
    seal_all()
    checked = pages.client.get("/bureau/audit-log?verify=1").get_data(as_text=True)
    assert "日志完好" in checked
    db.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    db.session.commit()
    assert "日志已被篡改" in pages.client.get("/bureau/audit-log?verify=1").get_data(as_text=True)


def test_the_page_is_the_bureaus_only(pages):
    admin = UserFactory(role="admin")
    pages.login(admin.username)
    assert pages.client.get("/bureau/audit-log").status_code == 403


def test_the_page_shows_any_event_however_its_detail_is_shaped(pages, logged):
    bureau, admin = logged
    record("user.create", admin, actor=admin, after={"role": "bureau", "scope_region_id": None})  # no before
    record("elder.updated", admin, actor=admin, before={"phone": "139"}, after={"address": "城东街道 1 号"})
    record("demo.seeded", actor=admin, elders=3, names=["王秀英"])
    db.session.commit()
    pages.login(bureau.username)
    body = pages.client.get("/bureau/audit-log").get_data(as_text=True)
    assert "role: bureau; scope_region_id: —" in body and "城东街道 1 号" in body and "王秀英" in body
