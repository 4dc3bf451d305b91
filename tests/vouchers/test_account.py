"""The elder's voucher account as people read it: the last day this month's vouchers can be spent."""
from datetime import date, datetime

import pytest
import time_machine

from eldercare.clock import LOCAL, Month
from eldercare.extensions import db
from eldercare.vouchers import account

from .issuing import issue


@pytest.fixture(autouse=True)
def november():
    with time_machine.travel(datetime(2026, 11, 28, 20, 30, tzinfo=LOCAL)):
        yield


@pytest.mark.parametrize(("carry_over", "last_day"), [(0, date(2026, 11, 30)), (1, date(2026, 12, 31)),
                                                      (2, date(2027, 1, 31))])
def test_this_months_vouchers_are_spent_by_the_end_of_the_last_month_carried_over(town, carry_over, last_day):
    town.policy.carry_over_months = carry_over
    db.session.commit()
    elder = town.elder()
    issue("2026-11")
    summary = account.summary(elder)
    assert summary["use_by"] == last_day and summary["balance_fen"] == 30000


def test_without_a_policy_no_day_is_given(town):
    town.policy.valid_to = date(2026, 10, 1)
    db.session.commit()
    summary = account.summary(town.elder(), Month(2026, 11))
    assert summary["use_by"] is None and not summary["eligible"]
