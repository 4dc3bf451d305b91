"""The audit pages through the test client: the bureau's queue with its filters and scan form, a case with the
visit drawn from its coordinates and its decision form, a sample's result, and the operator's call list, where
seeing the whole phone number is a logged reveal."""
from sqlalchemy import select

from eldercare.audit import rules, samples
from eldercare.audit.findings import AuditCase
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db

from ..factories import UserFactory
from .conftest import DAY, at


def test_queue_case_and_decision(pages, world):
    order = world.visit(start=at(DAY, 8), minutes=5, in_m=450)
    world.visit(start=at(DAY, 12), minutes=30, in_m=500, elder=world.elder(1),
                caregiver=world.caregiver("刘", provider=world.other_provider))
    rules.scan(DAY, DAY)
    db.session.commit()
    pages.login(world.street_officer.username)

    def rows(path):
        html = pages.client.get(path).get_data(as_text=True)
        return html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""

    everything = rows("/audit/findings")
    assert "服务时长过短" in everything and "远离老人住址" in everything
    assert "服务只持续了 5.0 分钟，不到预约时长 30 分钟的一半。" in everything
    only_short = rows("/audit/findings?rule=too_short")
    assert "服务时长过短" in only_short and "远离老人住址" not in only_short
    other = rows(f"/audit/findings?provider_id={world.other_provider.id}")
    assert other.count('class="finding ') == 1 and "城西护理站" in other
    case = db.session.scalar(select(AuditCase).where(AuditCase.order_id == order.id))
    page = pages.client.get(f"/audit/cases/{case.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "签到 450 m" in html
    refused = pages.client.post(f"/audit/cases/{case.id}", data={"decision": "confirm", "note": "",
                                                                 "csrf_token": pages.token(f"/audit/cases/{case.id}")})
    assert refused.status_code == 422
    done = pages.client.post(f"/audit/cases/{case.id}", data={"decision": "clear", "note": "家属要求提前结束",
                                                              "csrf_token": pages.token(f"/audit/cases/{case.id}")})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(AuditCase, case.id).status == "cleared"
    other = world.other_street_officer
    pages.logout()
    pages.login(other.username)
    assert pages.client.get(f"/audit/cases/{case.id}").status_code == 404


def test_scan_from_the_queue_page(pages, world):
    world.visit(start=at(DAY, 8), minutes=5)
    pages.login(world.bureau.username)
    answer = pages.client.post("/audit/scans", data={"from": DAY.isoformat(), "to": DAY.isoformat(),
                                                     "csrf_token": pages.token("/audit/findings")})
    assert answer.status_code == 302
    assert "1" in pages.client.get("/audit/findings").get_data(as_text=True)
    bad = pages.client.post("/audit/scans", data={"from": "２０２６-11-01", "to": DAY.isoformat(),
                                                  "csrf_token": pages.token("/audit/findings")})
    assert bad.status_code == 302 and db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "audit.scan", AuditEvent.actor_id == world.bureau.id)) is not None


def test_sample_and_call_list_with_a_logged_reveal(pages, world):
    carer = world.caregiver("刘")
    for n in range(12):
        world.visit(carer, start=at(DAY, 6 + n), minutes=30, status="confirmed", elder=world.elder(n % 3))
    pages.login(world.bureau.username)
    drawn = pages.client.post("/audit/samples", data={"provider_id": world.provider.id, "period": "2026-11",
                                                      "percent": "5", "seed": "42",
                                                      "csrf_token": pages.token("/audit/samples")})
    assert drawn.status_code == 302
    sample = db.session.scalar(select(samples.FollowUpSample))
    assert sample.seed == 42 and len(sample.order_ids) == 10
    assert "种子 42" in pages.client.get(f"/audit/samples/{sample.id}").get_data(as_text=True)
    pages.logout()

    operator = UserFactory(role="operator", scope_region_id=world.street.id)
    pages.login(operator.username)
    assert f"/audit/samples/{sample.id}/calls" in pages.client.get("/audit/calls").get_data(as_text=True)
    path = f"/audit/samples/{sample.id}/calls"
    listing = pages.client.get(path).get_data(as_text=True)
    assert "139****5678" in listing and "13912345678" not in listing
    order_id = sample.order_ids[0]
    shown = pages.client.post(path, data={"order_id": order_id, "action": "reveal", "csrf_token": pages.token(path)})
    assert "13912345678" in shown.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "elder.personal_data_revealed",
                                                      AuditEvent.actor_id == operator.id)) is not None
    recorded = pages.client.post(path, data={"order_id": order_id, "reached": "yes", "service_happened": "no",
                                             "asked_to_pay_extra": "no", "satisfaction": "2", "note": "没来",
                                             "csrf_token": pages.token(path)})
    assert recorded.status_code == 302
    incomplete = pages.client.post(path, data={"order_id": order_id, "reached": "yes",
                                               "csrf_token": pages.token(path)})
    assert incomplete.status_code == 422
    calls = db.session.scalars(select(samples.FollowUpCall)).all()
    assert [(c.order_id, c.failed, c.satisfaction) for c in calls] == [(order_id, True, 2)]
