"""Two officers deciding one audit case at the same moment, on PostgreSQL with real concurrent connections: one
confirmation wins, the other answers 409, the capture is given back once and the ledger still proves every
balance."""
import threading

import pytest
from sqlalchemy import func, select

from eldercare.audit.findings import AuditCase, CaseStep
from eldercare.audit.models import AuditEvent
from eldercare.extensions import db
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerTransaction

from ..factories import make_token
from .test_cases import balances, captured, finding_of  # noqa: F401  (captured: the fixture)


def _race(app, requests):
    """Each (path, body, token) posted from its own thread and connection, all released at once."""
    barrier = threading.Barrier(len(requests))
    answers = []

    def one(path, body, token):
        client = app.test_client()
        barrier.wait()
        answer = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        answers.append((answer.status_code, answer.get_json()))

    threads = [threading.Thread(target=one, args=r) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(answers, key=lambda a: a[0])


@pytest.mark.postgres
@pytest.mark.parametrize("second", ["confirm", "clear"])
def test_two_officers_deciding_one_case_at_once_decide_it_once(app, world, captured, is_postgres,  # noqa: F811
                                                                 second):
    if not is_postgres:
        pytest.skip("real concurrent connections: PostgreSQL")
    available, payable = balances(captured)
    assert payable == 1050
    path = f"/api/v1/audit/anomalies/{finding_of(captured).id}/review"
    answers = _race(app, [(path, {"decision": "confirm", "note": "电话核实：未上门"}, make_token(world.bureau)),
                          (path, {"decision": second, "note": "同时核实"}, make_token(world.street_officer))])
    assert [code for code, _body in answers] == [200, 409], answers
    winner = answers[0][1]
    db.session.rollback()
    db.session.expire_all()
    case = db.session.scalar(select(AuditCase))
    assert case.status == winner["status"]
    assert db.session.scalar(select(func.count()).select_from(CaseStep).where(CaseStep.from_status.is_not(None))) == 1
    reversals = db.session.scalar(select(func.count()).select_from(LedgerTransaction).where(
        LedgerTransaction.kind == "reversal"))
    if winner["status"] == "confirmed":
        assert winner["reversed_fen"] == 1050 and case.reversed_fen == 1050
        assert reversals == 1
        assert balances(captured) == (available + 1050, payable - 1050)
    else:
        assert reversals == 0 and balances(captured) == (available, payable)
    decided = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("audit.case_confirmed", "audit.case_cleared"))))
    assert decided == 1
    assert ledger.check().ok
