"""sql.py, the one place the databases differ: what `together` holds back goes out as one statement, and it
refuses what one statement cannot do right (PostgreSQL keeps only one of two updates of a row)."""
import pytest

from eldercare import sql
from eldercare.vouchers import ledger
from eldercare.vouchers.models import LedgerAccount


def test_two_balance_moves_inside_together_are_refused_not_half_applied(db, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite runs each statement at once; nothing is held")
    ids = ledger.accounts([("lapsed", 1)])
    account_id = ids["lapsed", 1]
    with pytest.raises(RuntimeError, match="moved twice"), sql.together():
        sql.add_to_balances(LedgerAccount.__table__, {account_id: 5})
        sql.add_to_balances(LedgerAccount.__table__, {account_id: 7})
    db.session.rollback()


def test_balance_moves_held_by_together_land_when_it_ends(db):
    account_id = ledger.accounts([("lapsed", 1)])["lapsed", 1]
    with sql.together():
        sql.add_to_balances(LedgerAccount.__table__, {account_id: 12})
    assert db.session.get(LedgerAccount, account_id).balance_fen == 12
