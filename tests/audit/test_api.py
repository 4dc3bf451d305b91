"""The audit API: a scan over a span answers the new findings; the findings list filters by rule, provider and
severity and shows each officer only their region's (a street officer their street's); other roles get 403."""
import json
from datetime import timedelta

from sqlalchemy import select

from eldercare.audit.findings import AuditCase, Finding
from eldercare.extensions import db

from .conftest import DAY, at


def test_scan_answers_the_new_findings_and_none_twice(api, world):
    world.visit(start=at(DAY, 8), minutes=5)
    world.visit(start=at(DAY, 9), in_m=500, elder=world.elder(1))
    body = {"from": (DAY - timedelta(days=1)).isoformat(), "to": DAY.isoformat()}
    first = api.as_(world.bureau).post("/api/v1/audit/scans", json=body)
    assert first.status_code == 201, first.json
    assert first.json["findings"] == 2 and first.json["by_rule"] == {"too_short": 1, "far_from_home": 1}
    again = api.as_(world.bureau).post("/api/v1/audit/scans", json=body)
    assert again.status_code == 201 and again.json["findings"] == 0


def test_scan_input_is_checked(api, world):
    for body, field in (({"from": "2026-11-20", "to": "2026-11-19"}, "to"),
                        ({"from": "２０２６-11-01", "to": "2026-11-02"}, "from"),
                        ({"from": "2026-13-01", "to": "2026-11-02"}, "from"),
                        ({"from": "2025-01-01", "to": "2026-11-02"}, "to"),
                        ({"to": "2026-11-02"}, "from")):
        answer = api.as_(world.bureau).post("/api/v1/audit/scans", json=body)
        assert answer.status_code == 422 and field in answer.json["errors"], (body, answer.json)
    operator = world.street_officer
    operator.role = "operator"
    assert api.as_(operator).post("/api/v1/audit/scans", json={"from": "2026-11-01", "to": "2026-11-02"}) \
        .status_code == 403


def test_a_street_officer_sees_only_their_streets_findings(api, world):
    here = world.visit(start=at(DAY, 8), minutes=5)
    there_elder = world.elder(1, community=world.other_community)
    there = world.visit(start=at(DAY, 9), minutes=5, elder=there_elder, caregiver=world.caregiver("刘"))
    api.as_(world.bureau).post("/api/v1/audit/scans", json={"from": DAY.isoformat(), "to": DAY.isoformat()})

    def seen(user, query=""):
        answer = api.as_(user).get(f"/api/v1/audit/anomalies{query}")
        assert answer.status_code == 200
        return {f["order_id"] for f in answer.json}, answer

    assert seen(world.bureau)[0] == {here.id, there.id}
    mine, answer = seen(world.street_officer)
    assert mine == {here.id}
    assert json.loads(answer.headers["X-Pagination"])["total"] == 1
    assert seen(world.other_street_officer)[0] == {there.id}
    finding = answer.json[0]
    assert finding["rule"] == "too_short" and finding["severity"] == "medium" and finding["case_status"] == "open"
    assert "5" in finding["explanation"] and finding["provider_id"] == world.provider.id
    # Another street's finding is not there to review or read.
    not_mine = api.as_(world.other_street_officer)
    assert not_mine.post(f"/api/v1/audit/anomalies/{finding['id']}/review",
                         json={"decision": "clear", "note": "x"}).status_code == 404
    assert not_mine.get(f"/api/v1/audit/anomalies/{finding['id']}").status_code == 404


def test_a_street_officers_scan_opens_nothing_on_another_streets_orders(api, world):
    """The rules read the whole city, but an officer's scan keeps only the findings on orders they may see: it
    neither opens cases on another street's orders (which would hold them back from settlement) nor counts them."""
    here = world.visit(start=at(DAY, 8), minutes=5)
    there = world.visit(start=at(DAY, 9), minutes=5, elder=world.elder(1, community=world.other_community),
                        caregiver=world.caregiver("刘"))
    span = {"from": DAY.isoformat(), "to": DAY.isoformat()}
    answer = api.as_(world.street_officer).post("/api/v1/audit/scans", json=span)
    assert answer.status_code == 201 and answer.json["findings"] == 1, answer.json
    assert set(db.session.scalars(select(Finding.order_id))) == {here.id}
    assert set(db.session.scalars(select(AuditCase.order_id))) == {here.id}
    # The district's officer, over both streets, finds the other one.
    assert api.as_(world.bureau).post("/api/v1/audit/scans", json=span).json["findings"] == 1
    assert set(db.session.scalars(select(Finding.order_id))) == {here.id, there.id}


def test_findings_filter_by_rule_provider_severity_and_day(api, world):
    short = world.visit(start=at(DAY, 8), minutes=5)
    far = world.visit(start=at(DAY + timedelta(days=1), 9), in_m=500, elder=world.elder(1),
                      caregiver=world.caregiver("刘", provider=world.other_provider))
    api.as_(world.bureau).post("/api/v1/audit/scans", json={"from": DAY.isoformat(),
                                                            "to": (DAY + timedelta(days=1)).isoformat()})

    def ids(query):
        answer = api.as_(world.bureau).get(f"/api/v1/audit/anomalies?{query}")
        assert answer.status_code == 200, answer.json
        return {f["order_id"] for f in answer.json}

    assert ids("rule=too_short") == {short.id}
    assert ids(f"provider_id={world.other_provider.id}") == {far.id}
    assert ids("severity=medium") == {short.id, far.id}
    assert ids("severity=high") == set()
    assert ids(f"from={(DAY + timedelta(days=1)).isoformat()}") == {far.id}
    assert ids(f"to={DAY.isoformat()}") == {short.id}
    assert ids("case_status=open") == {short.id, far.id}
    assert api.as_(world.bureau).get("/api/v1/audit/anomalies?rule=nonsense").status_code == 422
