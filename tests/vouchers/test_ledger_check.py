"""`flask check-ledger` after a month of voucher work, and what it says when something was tampered with."""
from sqlalchemy import update

from eldercare.extensions import db
from eldercare.vouchers import issuance, ledger
from eldercare.vouchers.models import LedgerAccount


def month_of_work(town):
    elders = [town.elder("moderate"), town.elder("severe", "dibao"), town.elder("severe")]
    issuance.issue_period("2026-11")
    available = ledger.account("elder_available", elders[0].id)
    held = ledger.account("elder_held", elders[0].id)
    ledger.post("hold", "hold:check:1", [(available, -12000), (held, 12000)], elder_id=elders[0].id)
    db.session.commit()
    issuance.lapse_period("2026-12")
    issuance.issue_period("2026-12")
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
