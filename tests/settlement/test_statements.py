"""Statements through the API: a month makes one statement per provider, disputed visits held back with the
reason, the edges of the month in Beijing time; a second run makes a supplementary statement of what the first
did not settle and a third nothing; a month not begun is a 422 naming `period`; the current month settles what
is confirmed so far; who sees which statements."""
from datetime import timedelta

from sqlalchemy import func, select

from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.settlement.models import StatementLine

from .conftest import NOVEMBER, at

# API.md's fields of a statement and of a line.
STATEMENT_FIELDS = {"provider_id", "period", "kind", "status", "voucher_total_fen", "copay_total_fen", "lines",
                    "held_back"}
LINE_FIELDS = {"order_id", "item_id", "check_in_at", "check_out_at", "voucher_fen", "copay_fen"}


def generate(api, officer, period=NOVEMBER):
    return api.as_(officer).post("/api/v1/settlements", json={"period": period})


def test_a_month_makes_one_statement_per_provider_and_holds_back_a_dispute(december, town, api):
    a, b = town.providers
    first_minute = town.visit(a, at(1, 0) + timedelta(minutes=1))  # 00:01 on 1 November, Beijing
    last_minute = town.visit(a, at(30, 23) + timedelta(minutes=59), copay_paid_fen=450)  # 23:59 on 30 November
    disputed = town.visit(a, at(12), status="disputed", dispute_reason="护理员没有来")
    town.visit(a, at(31, 10, month=10))  # October: not this month
    town.visit(a, at(1, 0, month=12) + timedelta(minutes=1))  # 00:01 on 1 December: not November
    town.visit(a, at(14), status="completed")  # not confirmed yet
    of_b = town.visit(b, at(20), elder=town.elders[1], voucher_fen=0, copay_fen=1500)  # paid by the family alone

    response = generate(api, town.officer)
    assert response.status_code == 201, response.json
    made = {s["provider_id"]: s for s in response.json}
    assert set(made) == {a.id, b.id}
    mine = made[a.id]
    assert (mine["kind"], mine["status"], mine["period"], mine["line_count"]) == ("regular", "draft", NOVEMBER, 2)
    assert (mine["voucher_total_fen"], mine["copay_total_fen"], mine["copay_collected_fen"]) == (2100, 900, 450)
    assert mine["held_back"] == [{"order_id": disputed.id, "rule": "under_dispute",
                                  "reason": "Under dispute: 护理员没有来"}]
    assert made[b.id]["voucher_total_fen"] == 0 and made[b.id]["copay_total_fen"] == 1500

    full = api.as_(town.officer).get(f"/api/v1/settlements/{mine['id']}").json
    assert STATEMENT_FIELDS <= set(full) and all(LINE_FIELDS <= set(line) for line in full["lines"])
    assert [line["order_id"] for line in full["lines"]] == sorted([first_minute.id, last_minute.id])
    line = next(line for line in full["lines"] if line["order_id"] == last_minute.id)
    assert line["elder_name"] == "王*英" and "*" in line["elder_id_number"]
    assert (line["caregiver_name"], line["check_in_distance_m"], line["check_out_distance_m"]) == ("甲护理员", 12, 15)
    assert line["check_out_at"].startswith("2026-11-30T15:59") and line["copay_status"] == "paid"
    assert full["reconciliation"] == {"ok": True, "voucher_total_fen": 2100, "ledger_total_fen": 2100,
                                      "mismatches": []}
    assert of_b.id in {line.order_id for line in db.session.scalars(select(StatementLine))}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "settlement.generated")).all()
    assert sorted(e.target_id for e in events) == sorted(s["id"] for s in response.json)
    assert {e.actor_id for e in events} == {town.officer.id}


def test_a_second_run_settles_only_what_the_first_did_not(december, town, api):
    a, b = town.providers
    town.visit(a, at(3))
    disputed = town.visit(a, at(4), status="disputed")
    town.visit(b, at(5))
    first = generate(api, town.officer).json
    assert len(first) == 2

    assert generate(api, town.officer).json == []  # nothing new: no statement at all
    late = town.visit(a, at(29))  # confirmed after the first run
    disputed.status = "confirmed"  # the dispute was resolved: the visit stands
    db.session.commit()
    second = generate(api, town.second).json
    assert len(second) == 1
    supplement = second[0]
    assert (supplement["provider_id"], supplement["kind"], supplement["held_back"]) == (a.id, "supplementary", [])
    lines = api.as_(town.officer).get(f"/api/v1/settlements/{supplement['id']}").json["lines"]
    assert sorted(line["order_id"] for line in lines) == sorted([late.id, disputed.id])
    # Every order of the month on exactly one line.
    counts = db.session.execute(select(StatementLine.order_id, func.count()).group_by(StatementLine.order_id)).all()
    assert sorted(order_id for order_id, _ in counts) == sorted(o.id for o in town.orders)
    assert {n for _, n in counts} == {1}
    assert generate(api, town.officer).json == []


def test_a_provider_with_only_disputes_gets_a_statement_that_lists_them(december, town, api):
    a, _ = town.providers
    disputed = town.visit(a, at(8), status="disputed")
    made = generate(api, town.officer).json
    assert len(made) == 1 and made[0]["line_count"] == 0
    assert [h["order_id"] for h in made[0]["held_back"]] == [disputed.id]
    assert generate(api, town.officer).json == []  # still disputed: not listed again and again


def test_a_month_not_begun_is_refused_naming_the_period(december, town, api):
    town.visit(town.providers[0], at(2, 9, month=12))  # confirmed this morning, 2 December
    for period in ("2027-01", "2026-13", "２０２６-１１", "2026-1"):
        response = generate(api, town.officer, period)
        assert response.status_code == 422 and "period" in response.json["errors"], (period, response.json)
    future = generate(api, town.officer, "2027-01")
    assert "has not begun" in future.json["errors"]["period"][0]
    current = generate(api, town.officer, "2026-12")  # what is confirmed so far
    assert current.status_code == 201 and [s["line_count"] for s in current.json] == [1]


def test_each_sees_only_their_own_statements(december, town, api):
    a, b = town.providers
    town.visit(a, at(3))
    town.visit(b, at(3))
    made = {s["provider_id"]: s["id"] for s in generate(api, town.officer).json}
    own = api.as_(a.admin).get("/api/v1/settlements").json
    assert [s["provider_id"] for s in own] == [a.id]
    assert api.as_(a.admin).get(f"/api/v1/settlements/{made[b.id]}").status_code == 404
    assert api.as_(a.admin).get(f"/api/v1/settlements/{made[a.id]}").status_code == 200
    assert api.as_(town.stranger).get("/api/v1/settlements").json == []
    assert api.as_(town.stranger).get(f"/api/v1/settlements/{made[a.id]}").status_code == 404
    assert generate(api, town.stranger).json == []  # another district's officer settles nothing here
    listed = api.as_(town.officer).get(f"/api/v1/settlements?period={NOVEMBER}&provider_id={b.id}").json
    assert [s["id"] for s in listed] == [made[b.id]]
    assert api.as_(a.admin).post("/api/v1/settlements", json={"period": NOVEMBER}).status_code == 403


def test_an_open_audit_case_holds_the_order_back_until_it_is_cleared(december, town, api):
    from eldercare.audit import findings

    a, _ = town.providers
    kept = town.visit(a, at(6))
    doubted = town.visit(a, at(7))
    findings.open_cases([doubted.id], actor_id=town.officer.id, note="签到离家 800 米")
    db.session.commit()
    first = generate(api, town.officer).json
    assert [line["order_id"] for line in api.as_(town.officer).get(
        f"/api/v1/settlements/{first[0]['id']}").json["lines"]] == [kept.id]
    case_id = db.session.scalar(select(findings.AuditCase.id).where(findings.AuditCase.order_id == doubted.id))
    assert first[0]["held_back"] == [{"order_id": doubted.id, "rule": "open_audit_case",
                                      "reason": f"Audit case {case_id} is open"}]
    findings.decide(town.second, db.session.get(findings.AuditCase, case_id), decision="clear", note="电话核实无误")
    db.session.commit()
    second = generate(api, town.officer).json
    assert (second[0]["kind"], second[0]["line_count"], second[0]["held_back"]) == ("supplementary", 1, [])


def test_generation_is_set_based_its_statements_do_not_grow_with_the_providers(december, town):
    """The month is read, held back, written and totalled in a fixed number of SQL statements, however many
    providers it has: one provider's October costs what two providers' November cost."""
    from sqlalchemy import event

    from eldercare.clock import Month
    from eldercare.settlement.services import generate as settle

    a, b = town.providers
    town.visit(a, at(6, month=10))
    town.visit(a, at(7, month=10), status="disputed")
    for day in (3, 4, 5):
        town.visit(a, at(day))
        town.visit(b, at(day))
    town.visit(b, at(8), status="disputed")
    executed = []

    def count(*_args):
        executed.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        counts = {}
        for month in (Month(2026, 10), Month(2026, 11)):
            executed.clear()
            made = settle(month)
            counts[str(month)] = (len(executed), [(s.provider_id, s.line_count, len(s.held_back)) for s in made])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    db.session.commit()
    assert counts["2026-10"][1] == [(a.id, 1, 1)]
    assert counts["2026-11"][1] == [(a.id, 3, 0), (b.id, 3, 1)]
    assert counts["2026-10"][0] == counts["2026-11"][0] <= 14
