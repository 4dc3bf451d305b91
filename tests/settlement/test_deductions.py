"""An audit case confirmed after its order was settled (statement approved, provider paid): the elder's vouchers
come back from the provider's paid account (never overdrawing its payable), and the provider's next statement
lists the order as a deduction and pays that much less, once; the ledger still checks out."""
from sqlalchemy import select

from eldercare.audit import findings
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
    assert statement["deductions"] == [{"order_id": order.id, "case_id": case.id, "fen": 1050,
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


def test_a_deduction_alone_makes_a_statement(december, town, api):
    a, _ = town.providers
    order, case, _ = settled_then_confirmed(town, api)
    made = generate(api, town.officer)
    assert made.status_code == 201, made.json
    assert [(s["provider_id"], s["line_count"], s["deduction_total_fen"], s["payable_fen"]) for s in made.json] == \
        [(a.id, 0, 1050, -1050)]
    assert approve(api, town.second, made.json[0]["id"]).status_code == 200
    db.session.expire_all()
    assert ledger.check().ok
