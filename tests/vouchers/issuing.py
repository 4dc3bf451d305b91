"""Issuing and lapsing a month in tests: only the current month can be, so the clock is moved into the month
first, to 00:05 on its 1st in Beijing, when the scheduler turns it (unless it is the current month already)."""
from contextlib import nullcontext
from datetime import time

import time_machine

from eldercare import clock
from eldercare.clock import Month
from eldercare.vouchers import issuance


def in_month(month: Month | str):
    """The clock inside `month` (as it is when that is the current month)."""
    month = Month.parse(month) if isinstance(month, str) else month
    if month == Month.current():
        return nullcontext()
    return time_machine.travel(clock.at_local(month.first_day, time(0, 5)))


def issue(month: Month | str, **kwargs) -> issuance.IssueReport:
    """Issue `month` as its scheduler run would."""
    month = Month.parse(month) if isinstance(month, str) else month
    with in_month(month):
        return issuance.issue_period(month, **kwargs)


def lapse(month: Month | str, **kwargs) -> int:
    """Lapse what may not carry over into `month`, as its scheduler run would."""
    month = Month.parse(month) if isinstance(month, str) else month
    with in_month(month):
        return issuance.lapse_period(month, **kwargs)
