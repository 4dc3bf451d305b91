"""`flask check-ledger` after a month of voucher work, and what it says when something was tampered with."""
from contextlib import contextmanager
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError

from eldercare.clock import LOCAL
from eldercare.extensions import db
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerAccount, LedgerTransaction, VoucherGrant

from .issuing import issue, lapse

DECEMBER_15 = datetime(2026, 12, 15, 10, 0, tzinfo=LOCAL)


def month_of_work(town):
    elders = [town.elder("moderate"), town.elder("severe", "dibao"), town.elder("severe")]
    issue("2026-11")
    available = ledger.account("elder_available", elders[0].id)
    held = ledger.account("elder_held", elders[0].id)
    ledger.post("hold", "hold:check:1", [(available, -12000), (held, 12000)], elder_id=elders[0].id)
    db.session.commit()
    lapse("2026-12")
    issue("2026-12")
    return elders


def test_check_ledger_passes_after_issuing_holding_and_lapsing(app, town):
    month_of_work(town)
    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output
    assert "The ledger balances." in result.output


def test_check_ledger_finds_a_cached_balance_that_disagrees_with_the_entries(app, town):
    elders = month_of_work(town)
    account = ledger.account("elder_available", elders[1].id)
    db.session.execute(update(LedgerAccount).where(LedgerAccount.id == account.id).values(balance_fen=999))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert f"account {account.id}: cached 999 fen, entries say 50000 fen" in result.output


def test_issue_vouchers_command_reports_the_month(app, town):
    town.elder("moderate")
    with time_machine.travel(DECEMBER_15):
        result = app.test_cli_runner().invoke(args=["issue-vouchers", "--period", "2026-12"])
    assert result.exit_code == 0, result.output
    assert "2026-12: 1 elders issued 300.00 yuan" in result.output
    bad = app.test_cli_runner().invoke(args=["issue-vouchers", "--period", "December"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output


def test_a_districts_budget_account_holds_more_than_two_billion_fen(town):
    # 357,000 elders at 300 yuan is over 10 billion fen a month: balances are BIGINT.
    bureau = ledger.account("bureau_budget", town.district.id)
    elder = town.elder()
    for i in range(3):
        ledger.post("reversal", f"big:{i}", [(bureau, -2_000_000_000),
                                             (ledger.account("elder_available", elder.id), 2_000_000_000)],
                    elder_id=elder.id)
    db.session.commit()
    db.session.refresh(bureau)
    assert bureau.balance_fen == -6_000_000_000
    assert ledger.check().ok


def test_check_ledger_finds_vouchers_issued_without_a_grant(app, town):
    elders = month_of_work(town)
    ledger.post("issue", "issue:sneaked", [(ledger.account("bureau_budget", town.district.id), -7000),
                                           (ledger.account("elder_available", elders[0].id), 7000)],
                period="2026-12", elder_id=elders[0].id)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert "2026-12: 120000 fen granted but 127000 fen issued to elders" in result.output


@contextmanager
def unchecked_periods():
    """The database's check on a month's spelling set aside inside this test's own transaction (never
    committed), to write the rows the API wrote before the check existed."""
    if db.engine.dialect.name == "postgresql":
        for table in ("voucher_grants", "ledger_transactions"):
            db.session.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS ck_{table}_period_canonical"))
        try:
            yield
        finally:
            db.session.rollback()
    else:
        # A connection's setting, not the transaction's: set back on the same connection, before it is returned.
        db.session.execute(text("PRAGMA ignore_check_constraints = ON"))
        try:
            yield
        finally:
            db.session.execute(text("PRAGMA ignore_check_constraints = OFF"))
            db.session.rollback()


def grant_again(town, elder, spelling, fen=30000):
    """December granted a second time under another spelling, money and all, as the API did: the grant and
    its ledger transaction agree, so the month-by-month comparison alone sees nothing wrong."""
    db.session.execute(insert(VoucherGrant).values(period=spelling, elder_id=elder.id, amount_fen=fen,
                                                   care_level=elder.care_level, hardship=elder.hardship))
    ledger.post("issue", f"issue:{elder.id}:{spelling}", [(ledger.account("bureau_budget", town.district.id), -fen),
                                                         (ledger.account("elder_available", elder.id), fen)],
                period=spelling, elder_id=elder.id)


def test_check_finds_two_grants_of_one_elder_for_one_month_however_spelled(town):
    elders = [town.elder("moderate"), town.elder("moderate")]
    issue("2026-12")
    assert ledger.check().ok
    with unchecked_periods():
        grant_again(town, elders[0], "２０２６-１２")
        grant_again(town, elders[0], "٢٠٢٦-١٢")
        grant_again(town, elders[1], "2026-1２")
        result = ledger.check()
        assert not result.ok
        assert result.grants_unmatched == []  # every spelling's money matches its grants
        assert sorted(result.double_grants) == sorted([
            ("2026-12", elders[0].id, ["2026-12", "٢٠٢٦-١٢", "２０２６-１２"]),
            ("2026-12", elders[1].id, ["2026-12", "2026-1２"])])
        assert sorted(result.odd_periods) == sorted([
            ("voucher_grants", elders[0].id, "２０２６-１２"), ("voucher_grants", elders[0].id, "٢٠٢٦-١٢"),
            ("voucher_grants", elders[1].id, "2026-1２"),
            *(("ledger_transactions", t.id, t.period) for t in db.session.scalars(
                select(LedgerTransaction).where(LedgerTransaction.period != "2026-12")))])
        assert len(result.odd_periods) == 6


def test_check_finds_a_grant_whose_month_cannot_be_read(town):
    elder = town.elder("moderate")
    with unchecked_periods():
        db.session.execute(insert(VoucherGrant).values(period="2026-13", elder_id=elder.id, amount_fen=1))
        result = ledger.check()
        assert ("voucher_grants", elder.id, "2026-13") in result.odd_periods and not result.ok


def test_check_ledger_prints_double_grants_and_odd_periods(app, monkeypatch):
    from eldercare.vouchers import ledger as ledger_module

    found = ledger_module.LedgerCheck(transactions=4, entries=8, unbalanced=[], wrong_balances=[], negative=[],
                                      double_grants=[("2026-12", 7, ["2026-12", "２０２６-１２"])],
                                      odd_periods=[("voucher_grants", 7, "２０２６-１２"),
                                                   ("ledger_transactions", 3, "２０２６-１２")])
    monkeypatch.setattr(ledger_module, "check", lambda: found)
    result = app.test_cli_runner().invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert "elder 7 was granted 2026-12 2 times: 2026-12, ２０２６-１２" in result.output
    assert "voucher_grants row of elder 7: period '２０２６-１２' is not a month written YYYY-MM in ASCII digits" \
        in result.output
    assert "ledger_transactions row 3: period '２０２６-１２' is not a month written YYYY-MM in ASCII digits" \
        in result.output


@pytest.mark.parametrize("spelling", ["２０２６-１２", "٢٠٢٦-١٢", "2026-1２", "2026-13", "2026-1", "202612"])
def test_the_database_refuses_a_month_not_written_in_ascii_digits(town, spelling):
    elder = town.elder("moderate")
    with pytest.raises(IntegrityError):
        db.session.execute(insert(VoucherGrant).values(period=spelling, elder_id=elder.id, amount_fen=30000))
    db.session.rollback()
    with pytest.raises(IntegrityError):
        db.session.execute(insert(LedgerTransaction).values(kind="issue", key="k", period=spelling))
    db.session.rollback()
    db.session.execute(insert(LedgerTransaction).values(kind="hold", key="no-month", period=None))  # allowed
    db.session.commit()
