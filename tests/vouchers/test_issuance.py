"""Issuing a month's vouchers: who, how much (exact fen), once; budgets, lapse and carry-over."""
from datetime import date

from sqlalchemy import select

from eldercare.extensions import db
from eldercare.vouchers import ledger
from eldercare.vouchers.eligibility import explain
from eldercare.vouchers.models import LedgerAccount, LedgerTransaction

from .issuing import issue, lapse


def available(elder) -> int:
    return db.session.scalar(select(LedgerAccount.balance_fen).where(
        LedgerAccount.kind == "elder_available", LedgerAccount.owner_id == elder.id)) or 0


def test_eligible_elders_get_their_tier_and_others_nothing(town):
    moderate = town.elder("moderate")
    severe_dibao = town.elder("severe", "dibao")
    severe = town.elder("severe", "none")
    intact = town.elder("intact")
    unassessed = town.elder(None)
    deceased = town.elder("severe", status="deceased")
    young = town.elder("severe", birth_date=date(1970, 1, 1), id_number="321202197001010015")
    report = issue("2026-12")
    assert (report.eligible, report.issued, report.total_fen) == (3, 3, 30000 + 50000 + 40000)
    assert [available(e) for e in (moderate, severe_dibao, severe)] == [30000, 50000, 40000]
    assert [available(e) for e in (intact, unassessed, deceased, young)] == [0, 0, 0, 0]
    assert ledger.check().ok


def test_elders_with_their_accounts_opened_at_registration_and_without_are_both_issued(town):
    registered = town.elder("moderate")
    ledger.open_elder_accounts([registered.id])  # as registration does; the factory's elders have none yet
    db.session.commit()
    opened = ledger.accounts([("elder_available", registered.id)])["elder_available", registered.id]
    older = town.elder("severe")
    report = issue("2026-12")
    assert (report.issued, report.total_fen) == (2, 30000 + 40000)
    assert (available(registered), available(older)) == (30000, 40000)
    assert ledger.accounts([("elder_available", registered.id)])["elder_available", registered.id] == opened
    assert ledger.check().ok


def test_a_rerun_issues_nothing_more(town):
    elder = town.elder()
    assert issue("2026-12").issued == 1
    again = issue("2026-12")
    assert (again.issued, again.already, again.total_fen) == (0, 1, 0)
    assert available(elder) == 30000
    assert db.session.scalar(select(db.func.count(LedgerTransaction.id))) == 1


def test_the_budget_stops_issuance_and_names_who_was_left_out(town):
    town.policy.monthly_budget_fen = 90000
    db.session.commit()
    first = town.elder("moderate")
    neediest = town.elder("severe", "dibao")
    second = town.elder("moderate", "tekun")
    report = issue("2026-12")
    # Neediest first: severe/dibao 50,000, then moderate/tekun 30,000; 10,000 left is not enough for 30,000.
    assert (report.issued, report.total_fen, report.left_out) == (2, 80000, [first.id])
    assert (available(neediest), available(second), available(first)) == (50000, 30000, 0)
    # Raising the budget later issues only to the one left out.
    town.policy.monthly_budget_fen = 120000
    db.session.commit()
    later = issue("2026-12")
    assert (later.issued, later.total_fen, later.left_out) == (1, 30000, [])


def test_with_no_carry_over_last_months_money_lapses(town):
    elder = town.elder()
    issue("2026-11")
    assert lapse("2026-12") == 30000
    assert available(elder) == 0
    lapsed = db.session.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.kind == "lapsed"))
    assert lapsed == 30000
    assert lapse("2026-12") == 0  # once
    issue("2026-12")
    assert available(elder) == 30000
    assert ledger.check().ok


def test_carry_over_keeps_the_allowed_months_and_lapses_the_oldest(town):
    town.policy.carry_over_months = 1
    db.session.commit()
    elder = town.elder()
    issue("2026-10")
    issue("2026-11")
    assert lapse("2026-11") == 0  # October is within one month of November
    assert available(elder) == 60000
    issue("2026-12")
    # At December: December and November are kept; October's 30,000 lapses.
    assert lapse("2026-12") == 30000
    assert available(elder) == 60000
    assert ledger.check().ok


def test_eligibility_is_explained_in_plain_words(town):
    ok = explain(town.elder("severe", "dibao"), "2026-12")
    assert ok.eligible and ok.monthly_fen == 50000
    assert "500.00 yuan a month" in ok.reasons[0]
    no = explain(town.elder(None, status="hospitalized"), "2026-12")
    assert not no.eligible
    assert any("suspended" in r for r in no.reasons) and any("not been assessed" in r for r in no.reasons)
    early = explain(town.elder(), "2025-12")
    assert "no voucher policy for 2025-12" in early.reasons[0]
