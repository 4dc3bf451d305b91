"""The case flow: open → reviewed → cleared or confirmed, each step with who, when and a note. Confirming gives the
elder back exactly the fen the order's capture moved to the provider, through the ledger, and the ledger still
proves every balance; clearing moves no money; a closed case answers 409; the open ones hold their orders back
from settlement."""
from datetime import date

import pytest
from sqlalchemy import func, select

from eldercare.audit import findings, rules
from eldercare.audit.findings import AuditCase, Finding
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.vouchers import holds, ledger
from eldercare.vouchers.models import LedgerTransaction, VoucherPolicy, VoucherTier

from ..vouchers.issuing import issue
from .conftest import DAY, at


@pytest.fixture
def captured(world):
    """A too-short visit whose 1,050 fen of vouchers were held at booking and captured at check-out."""
    policy = VoucherPolicy(region_id=world.district.id, name="券", valid_from=date(2026, 1, 1),
                           tiers=[VoucherTier(care_level="moderate", hardship="any", monthly_fen=30_000,
                                              copay_percent=30)], categories=[world.meal])
    elder = world.elder(0)
    elder.care_level = "moderate"
    db.session.add(policy)
    db.session.commit()
    issue("2026-11")
    order = world.visit(start=at(DAY, 10), minutes=5, voucher_fen=1050, commit=False)
    db.session.flush()
    holds.hold(order, 1050)
    holds.capture(order)
    db.session.commit()
    rules.scan(DAY, DAY)
    db.session.commit()
    return order


def balances(order):
    return (ledger.account("elder_available", order.elder_id).balance_fen,
            ledger.account("provider_payable", order.provider_id).balance_fen)


def finding_of(order) -> Finding:
    return db.session.scalar(select(Finding).where(Finding.order_id == order.id))


def review(api, user, finding, decision, note="核实"):
    return api.as_(user).post(f"/api/v1/audit/anomalies/{finding.id}/review", json={"decision": decision, "note": note})


def test_confirming_gives_back_exactly_the_captured_fen(api, world, captured):
    available, payable = balances(captured)
    assert payable == 1050
    finding = finding_of(captured)
    answer = review(api, world.bureau, finding, "confirm", "电话核实：护理员只停留5分钟")
    assert answer.status_code == 200, answer.json
    assert answer.json["status"] == "confirmed" and answer.json["reversed_fen"] == 1050
    db.session.expire_all()
    assert balances(captured) == (available + 1050, payable - 1050)
    reversal = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.kind == "reversal"))
    assert (reversal.order_id, reversal.amount_fen, reversal.key) == (captured.id, 1050, f"reversal:{captured.id}")
    assert reversal.memo == findings.AUDIT_REVERSAL_MEMO and reversal.actor_id == world.bureau.id
    assert ledger.check().ok
    steps = answer.json["steps"]
    assert [(s["from_status"], s["to_status"]) for s in steps] == [(None, "open"), ("open", "confirmed")]
    assert steps[1]["actor_id"] == world.bureau.id and steps[1]["note"] == "电话核实：护理员只停留5分钟"
    assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "audit.case_confirmed")) \
        ["reversed_fen"] == 1050


def test_a_case_confirmed_twice_is_409_and_moves_nothing_more(api, world, captured):
    finding = finding_of(captured)
    assert review(api, world.bureau, finding, "confirm").status_code == 200
    before = balances(captured)
    again = review(api, world.bureau, finding, "confirm")
    assert again.status_code == 409
    assert review(api, world.bureau, finding, "clear").status_code == 409
    db.session.expire_all()
    assert balances(captured) == before
    assert db.session.scalar(select(func.count()).where(LedgerTransaction.kind == "reversal")) == 1
    assert ledger.check().ok


def test_review_then_clear_moves_no_money(api, world, captured):
    finding = finding_of(captured)
    before = balances(captured)
    transactions = db.session.scalar(select(func.count(LedgerTransaction.id)))
    assert review(api, world.bureau, finding, "review", "已调取签到记录").json["status"] == "reviewed"
    assert review(api, world.bureau, finding, "review").status_code == 409  # reviewed already
    cleared = review(api, world.bureau, finding, "clear", "老人确认服务正常，提前结束系家属要求")
    assert cleared.status_code == 200
    assert [s["to_status"] for s in cleared.json["steps"]] == ["open", "reviewed", "cleared"]
    assert cleared.json["reversed_fen"] == 0
    db.session.expire_all()
    assert balances(captured) == before
    assert db.session.scalar(select(func.count(LedgerTransaction.id))) == transactions
    assert review(api, world.bureau, finding, "confirm").status_code == 409


def test_a_dispute_upheld_before_leaves_nothing_to_give_back(api, world, captured):
    holds.reverse(captured)  # a dispute ended in cancellation already gave the vouchers back
    db.session.commit()
    before = balances(captured)
    answer = review(api, world.bureau, finding_of(captured), "confirm")
    assert answer.status_code == 200 and answer.json["reversed_fen"] == 0
    db.session.expire_all()
    assert balances(captured) == before
    assert ledger.check().ok


def test_a_decision_needs_a_note_and_a_known_decision(api, world, captured):
    finding = finding_of(captured)
    for body, field in (({"decision": "confirm", "note": ""}, "note"), ({"decision": "approve", "note": "x"},
                                                                         "decision"), ({"note": "x"}, "decision")):
        answer = api.as_(world.bureau).post(f"/api/v1/audit/anomalies/{finding.id}/review", json=body)
        assert answer.status_code == 422 and field in answer.json["errors"]
    assert db.session.scalar(select(AuditCase.status)) == "open"


def test_open_and_confirmed_cases_hold_orders_back_from_settlement(world):
    orders = [world.visit(start=at(DAY, 8 + n), minutes=5, elder=world.elder(n)) for n in range(4)]
    clean = world.visit(start=at(DAY, 20), minutes=30, elder=world.elder(5))
    rules.scan(DAY, DAY)
    db.session.commit()
    cases = {c.order_id: c for c in db.session.scalars(select(AuditCase))}
    findings.decide(world.bureau, cases[orders[1].id], decision="review", note="看")
    findings.decide(world.bureau, cases[orders[2].id], decision="clear", note="正常")
    findings.decide(world.bureau, cases[orders[3].id], decision="confirm", note="虚假")
    db.session.commit()
    reasons = findings.open_case_reasons([o.id for o in orders] + [clean.id])
    assert set(reasons) == {orders[0].id, orders[1].id, orders[3].id}
    assert "open" in reasons[orders[0].id][0] and "reviewed" in reasons[orders[1].id][0]
    assert "confirmed" in reasons[orders[3].id][0]
    assert reasons[orders[3].id][1] == dict(case_id=cases[orders[3].id].id, case_status="confirmed")
