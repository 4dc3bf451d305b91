"""When a plan happens: its rule, its dates, its skips and pauses, and the time of day in force."""
from datetime import date, time, timedelta

from .models import CarePlan


def follows_rule(plan: CarePlan, day: date) -> bool:
    """Every day; or on the plan's weekdays of every `interval_weeks`-th week counted from the start week."""
    if day < plan.start_date or (plan.end_date is not None and day > plan.end_date):
        return False
    if plan.freq == "daily":
        return True
    if day.weekday() not in (plan.weekdays or []):
        return False
    first_monday = plan.start_date - timedelta(days=plan.start_date.weekday())
    return ((day - first_monday).days // 7) % plan.interval_weeks == 0


def happens_on(plan: CarePlan, day: date) -> bool:
    """The rule says so, and the day is neither skipped nor in a pause."""
    if not follows_rule(plan, day):
        return False
    if any(s.day == day for s in plan.skips):
        return False
    return not any(p.from_date <= day <= p.until_date for p in plan.pauses)


def time_on(plan: CarePlan, day: date) -> time:
    """The time of day in force on `day`: the latest change from that date or before, else the plan's."""
    at = plan.time_of_day
    for change in plan.times:  # ordered by from_date
        if change.from_date <= day:
            at = change.time_of_day
    return at


def dates(plan: CarePlan, first: date, last: date) -> list[date]:
    """The plan's dates from `first` to `last` inclusive."""
    out, day = [], first
    while day <= last:
        if happens_on(plan, day):
            out.append(day)
        day += timedelta(days=1)
    return out
