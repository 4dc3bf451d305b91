"""Approval: an officer of the provider's district who did not generate the statement approves it; the orders
become settled through the one status path (history, audit) and the provider's payable is paid in the ledger;
nothing on an approved statement changes again. Reconciliation with the ledger's captures, fen for fen, blocks
approval and names the orders that differ. A dispute opened after generation takes its order off the draft."""
import pytest
from sqlalchemy import select

from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.orders.models import OrderStatusChange, WorkOrder
from eldercare.settlement.models import Statement
from eldercare.vouchers import holds, ledger
from eldercare.vouchers.models import LedgerTransaction

from .conftest import at
from .test_statements import generate


def balances(provider_id):
    return (ledger.account("provider_payable", provider_id).balance_fen,
            ledger.account("provider_paid", provider_id).balance_fen)


def approve(api, who, statement_id):
    return api.as_(who).post(f"/api/v1/settlements/{statement_id}/approve")


@pytest.fixture
def statement(december, town, api):
    a, _ = town.providers
    town.visit(a, at(3))
    town.visit(a, at(4), voucher_fen=2000, copay_fen=0)
    made = generate(api, town.officer).json
    return made[0]


def test_the_generating_officer_cannot_approve_another_officer_can(town, api, statement):
    a, _ = town.providers
    refused = approve(api, town.officer, statement["id"])
    assert refused.status_code == 403 and "another officer" in refused.json["message"]
    assert approve(api, town.stranger, statement["id"]).status_code == 404  # another district's
    assert approve(api, a.admin, statement["id"]).status_code == 403  # providers read, never approve
    assert balances(a.id) == (3050, 0)

    approved = approve(api, town.second, statement["id"])
    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["approved_by_id"]) == ("approved", town.second.id)
    orders = db.session.scalars(select(WorkOrder).where(WorkOrder.provider_id == a.id)).all()
    assert {o.status for o in orders} == {"settled"}
    history = db.session.scalars(select(OrderStatusChange).where(OrderStatusChange.to_status == "settled")).all()
    assert len(history) == 2 and {h.actor_id for h in history} == {town.second.id}
    assert {h.detail["statement_id"] for h in history} == {statement["id"]}
    audit = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == town.second.id,
                                                               AuditEvent.action != "auth.login")).all()
    assert sorted(audit) == ["order.status_changed", "order.status_changed", "settlement.approved"]
    assert balances(a.id) == (0, 3050)
    movement = db.session.scalar(select(LedgerTransaction).where(LedgerTransaction.kind == "settlement"))
    assert (movement.key, movement.amount_fen, movement.period) == (f"settlement:{statement['id']}", 3050, "2026-11")
    assert ledger.check().ok

    again = approve(api, town.second, statement["id"])
    assert again.status_code == 409 and balances(a.id) == (0, 3050)
    assert api.as_(a.admin).get(f"/api/v1/settlements/{statement['id']}").json["status"] == "approved"


def test_a_ledger_capture_of_another_amount_blocks_approval_and_names_the_order(december, town, api):
    a, _ = town.providers
    right = town.visit(a, at(3))
    wrong = town.visit(a, at(5), capture=False)  # 1050 fen on the order, but 1000 captured below
    ids = ledger.accounts([("elder_held", wrong.elder_id), ("provider_payable", a.id)])
    ledger.post_many([holds.capture_movement(wrong.id, wrong.elder_id, 1000, ids["elder_held", wrong.elder_id],
                                             ids["provider_payable", a.id])])
    db.session.commit()
    made = generate(api, town.officer).json[0]
    shown = api.as_(town.second).get(f"/api/v1/settlements/{made['id']}").json["reconciliation"]
    assert shown == {"ok": False, "voucher_total_fen": 2100, "ledger_total_fen": 2050,
                     "mismatches": [{"order_id": wrong.id, "voucher_fen": 1050, "ledger_fen": 1000}]}
    refused = approve(api, town.second, made["id"])
    assert refused.status_code == 409
    assert refused.json["errors"]["orders"] == [f"order {wrong.id}: 1050 fen on the statement, 1000 fen in the ledger"]
    assert db.session.get(Statement, made["id"]).status == "draft"
    assert {db.session.get(WorkOrder, o.id).status for o in (right, wrong)} == {"confirmed"}
    assert balances(a.id) == (2050, 0)


def test_a_reversed_capture_counts_against_the_line(december, town, api):
    a, _ = town.providers
    order = town.visit(a, at(6))
    made = generate(api, town.officer).json[0]
    holds.reverse(order)  # the ledger gave the elder back what the statement still lists
    db.session.commit()
    refused = approve(api, town.second, made["id"])
    assert refused.status_code == 409 and str(order.id) in refused.json["errors"]["orders"][0]


def test_a_dispute_opened_after_generation_takes_the_order_off_the_draft(december, town, api):
    a, _ = town.providers
    kept = town.visit(a, at(3))
    later = town.visit(a, at(9))
    made = generate(api, town.officer).json[0]
    assert made["line_count"] == 2
    order = db.session.get(WorkOrder, later.id)
    order.status, order.dispute_reason = "disputed", "饭菜是凉的"
    db.session.commit()
    approved = approve(api, town.second, made["id"])
    assert approved.status_code == 200, approved.json
    body = approved.json
    assert (body["line_count"], body["voucher_total_fen"]) == (1, 1050)
    assert body["held_back"] == [{"order_id": later.id, "rule": "under_dispute", "reason": "Under dispute: 饭菜是凉的"}]
    assert db.session.get(WorkOrder, kept.id).status == "settled"
    assert db.session.get(WorkOrder, later.id).status == "disputed"
    assert balances(a.id) == (1050, 1050)
    # Resolved later, it is settled on a supplementary statement.
    order = db.session.get(WorkOrder, later.id)
    order.status = "confirmed"
    db.session.commit()
    supplement = generate(api, town.officer).json
    assert [(s["kind"], s["line_count"]) for s in supplement] == [("supplementary", 1)]
