"""An audit case confirmed after its order was settled (statement approved, provider paid): the elder's vouchers
come back from the provider's paid account (never overdrawing its payable), and the provider's next statement
lists the order as a deduction and pays that much less, once; the ledger still checks out."""
from sqlalchemy import select

from eldercare.audit import findings
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.settlement.models import Deduction
from eldercare.vouchers import ledger

from .conftest import at
from .test_approval import approve
from .test_statements import generate


def settled_then_confirmed(town, api):
    """A November visit of the first provider, settled and paid, whose audit case is then confirmed."""
    a, _ = town.providers
    order = town.visit(a, at(3))
    first = generate(api, town.officer).json
    assert approve(api, town.second, first[0]["id"]).status_code == 200
    db.session.expire_all()
    assert db.session.get(type(order), order.id).status == "settled"
    findings.open_cases([order.id], actor_id=town.officer.id, note="签到离家 800 米")
    case = db.session.scalar(select(findings.AuditCase).where(findings.AuditCase.order_id == order.id))
    available = ledger.account("elder_available", order.elder_id).balance_fen
    findings.decide(town.second, case, decision="confirm", note="电话核实：没有上门")
    db.session.commit()
    db.session.expire_all()
    return order, case, available


def test_a_case_confirmed_after_settlement_comes_off_the_next_statement(december, town, api, app, pages):
    a, b = town.providers
    order, case, available = settled_then_confirmed(town, api)
    assert case.reversed_fen == 1050
    assert ledger.account("elder_available", order.elder_id).balance_fen == available + 1050
    assert (ledger.account("provider_payable", a.id).balance_fen,
            ledger.account("provider_paid", a.id).balance_fen) == (0, 0)  # paid 1050, taken back 1050

    later = town.visit(a, at(20), voucher_fen=2000, copay_fen=0)  # confirmed after the first statement
    made = generate(api, town.officer)
    assert made.status_code == 201, made.json
    assert [(s["provider_id"], s["kind"], s["line_count"]) for s in made.json] == [(a.id, "supplementary", 1)]
    statement = api.as_(town.officer).get(f"/api/v1/settlements/{made.json[0]['id']}").json
    assert [line["order_id"] for line in statement["lines"]] == [later.id]
    assert (statement["voucher_total_fen"], statement["deduction_total_fen"], statement["payable_fen"]) == \
        (2000, 1050, 950)
    assert statement["deductions"] == [{"order_id": order.id, "case_id": case.id, "carried_from_id": None, "fen": 1050,
                                        "reason": f"Audit case {case.id} confirmed after settlement"}]
    assert statement["reconciliation"]["ok"]
    assert api.as_(a.admin).get(f"/api/v1/settlements/{statement['id']}").json["deductions"][0]["fen"] == 1050
    pages.login(a.admin.username)  # the provider sees what was taken back, and why
    page = pages.client.get(f"/settlements/{statement['id']}").get_data(as_text=True)
    assert "扣款" in page and "扣回此前已付的服务" in page and "10.50" in page and "9.50" in page
    assert f"Audit case {case.id} confirmed after settlement" in page
    csv_text = api.as_(a.admin).get(f"/api/v1/settlements/{statement['id']}.csv",
                                    headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Deductions,{order.id},10.50" in csv_text and "The bureau pays (yuan),9.50" in csv_text

    assert approve(api, town.second, statement["id"]).status_code == 200
    db.session.expire_all()
    assert ledger.account("provider_paid", a.id).balance_fen == 2000  # 1050 + 2000 paid, 1050 taken back
    assert ledger.check().ok
    checked = app.test_cli_runner().invoke(args=["check-ledger"])
    assert checked.exit_code == 0, checked.output
    assert generate(api, town.officer).json == []  # the deduction is listed once
    assert db.session.scalars(select(Deduction.statement_id)).all() == [statement["id"]]


def test_a_deduction_alone_makes_a_statement_that_pays_nothing_and_carries_the_rest(december, town, api, pages):
    """A deduction-only statement never pays less than nothing: it pays 0 and what it cannot take back is
    carried, on approval, to the provider's next statement (one with something of its own: a carry alone makes
    none); the approved statement stays as it was."""
    a, _ = town.providers
    order, case, _ = settled_then_confirmed(town, api)
    made = generate(api, town.officer)
    assert made.status_code == 201, made.json
    assert [(s["provider_id"], s["line_count"], s["deduction_total_fen"], s["payable_fen"],
             s["carried_forward_fen"]) for s in made.json] == [(a.id, 0, 1050, 0, 1050)]
    alone = made.json[0]["id"]
    pages.login(town.second.username)
    page = pages.client.get(f"/settlements/{alone}").get_data(as_text=True)
    assert "结转至下一张结算单" in page and "10.50" in page and "-10.50" not in page
    assert approve(api, town.second, alone).status_code == 200
    db.session.expire_all()
    assert ledger.check().ok
    carried = db.session.scalar(select(Deduction).where(Deduction.carried_from_id == alone))
    assert (carried.provider_id, carried.order_id, carried.fen, carried.statement_id) == (a.id, None, 1050, None)
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "settlement.carried_forward",
                                                         AuditEvent.target_id == alone)) is not None
    assert generate(api, town.officer).json == []  # the carry waits for a statement of the provider's own

    later = town.visit(a, at(20), voucher_fen=2000, copay_fen=0)
    made = generate(api, town.officer)
    assert [(s["line_count"], s["voucher_total_fen"], s["deduction_total_fen"], s["payable_fen"],
             s["carried_forward_fen"]) for s in made.json] == [(1, 2000, 1050, 950, 0)]
    statement = api.as_(a.admin).get(f"/api/v1/settlements/{made.json[0]['id']}").json
    assert [line["order_id"] for line in statement["lines"]] == [later.id]
    assert statement["deductions"] == [{"order_id": None, "case_id": None, "carried_from_id": alone, "fen": 1050,
                                        "reason": f"Carried forward from statement {alone} (2026-11)"}]
    csv_text = api.as_(a.admin).get(f"/api/v1/settlements/{statement['id']}.csv",
                                    headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Deductions,,10.50,Carried forward from statement {alone}" in csv_text
    assert "The bureau pays (yuan),9.50" in csv_text and "Carried forward to the next statement (yuan),0.00" in csv_text
    pages.logout()
    pages.login(a.admin.username)
    page = pages.client.get(f"/settlements/{statement['id']}").get_data(as_text=True)
    assert f"由结算单 {alone} 结转" in page and "9.50" in page
    assert approve(api, town.second, statement["id"]).status_code == 200
    db.session.expire_all()
    assert ledger.check().ok
    assert db.session.scalar(select(Deduction).where(Deduction.carried_from_id == statement["id"])) is None
    first = api.as_(town.officer).get(f"/api/v1/settlements/{alone}").json  # approved: as it was
    assert (first["status"], first["deduction_total_fen"], first["payable_fen"], first["carried_forward_fen"]) == \
        ("approved", 1050, 0, 1050)
    assert generate(api, town.officer).json == []


def test_deductions_beyond_the_vouchers_pay_nothing_and_the_rest_comes_off_the_next(december, town, api):
    a, _ = town.providers
    order, case, _ = settled_then_confirmed(town, api)
    town.visit(a, at(20), voucher_fen=400, copay_fen=0)  # less than the 1050 to take back
    made = generate(api, town.officer).json
    assert [(s["voucher_total_fen"], s["deduction_total_fen"], s["payable_fen"], s["carried_forward_fen"])
            for s in made] == [(400, 1050, 0, 650)]
    short = made[0]["id"]
    csv_text = api.as_(town.officer).get(f"/api/v1/settlements/{short}.csv",
                                         headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "The bureau pays (yuan),0.00" in csv_text and "Carried forward to the next statement (yuan),6.50" in csv_text
    assert approve(api, town.second, short).status_code == 200
    assert approve(api, town.second, short).status_code == 409  # approved once: carried once
    db.session.expire_all()
    assert ledger.account("provider_paid", a.id).balance_fen == 400  # 1050 + 400 paid in vouchers, 1050 back
    assert [(d.carried_from_id, d.fen) for d in db.session.scalars(
        select(Deduction).where(Deduction.order_id.is_(None)))] == [(short, 650)]

    town.visit(a, at(21), voucher_fen=2000, copay_fen=0)
    made = generate(api, town.officer).json
    assert [(s["voucher_total_fen"], s["deduction_total_fen"], s["payable_fen"], s["carried_forward_fen"])
            for s in made] == [(2000, 650, 1350, 0)]
    assert approve(api, town.second, made[0]["id"]).status_code == 200
    db.session.expire_all()
    assert ledger.check().ok
    assert db.session.scalars(select(Deduction.statement_id).order_by(Deduction.id)).all() == [short, made[0]["id"]]


def test_a_carry_waits_for_approval_of_the_statement_it_comes_from(december, town, api):
    """A draft's carry is not known until it is approved (approval may take lines off): a statement generated
    meanwhile does not take it; the one after approval does."""
    a, _ = town.providers
    settled_then_confirmed(town, api)
    alone = generate(api, town.officer).json[0]["id"]  # draft: pays 0, would carry 1050
    town.visit(a, at(20), voucher_fen=2000, copay_fen=0)
    meanwhile = generate(api, town.officer).json
    assert [(s["voucher_total_fen"], s["deduction_total_fen"], s["payable_fen"]) for s in meanwhile] == \
        [(2000, 0, 2000)]
    assert approve(api, town.second, alone).status_code == 200
    town.visit(a, at(21), voucher_fen=1500, copay_fen=0)
    after = generate(api, town.officer).json
    assert [(s["voucher_total_fen"], s["deduction_total_fen"], s["payable_fen"]) for s in after] == \
        [(1500, 1050, 450)]
