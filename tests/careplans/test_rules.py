"""The rule of a plan, on its own: every day; given weekdays; every N weeks; skips, pauses, time changes."""
from datetime import date, time

from eldercare.careplans.models import CarePlan, CarePlanPause, CarePlanSkip, CarePlanTime
from eldercare.careplans.rules import dates, happens_on, time_on

MON = date(2026, 11, 30)


def plan(**kw) -> CarePlan:
    fields = dict(freq="daily", weekdays=[], interval_weeks=1, time_of_day=time(11, 30), start_date=MON,
                  end_date=None) | kw
    return CarePlan(**fields)


def test_daily_runs_every_day_from_start_to_end():
    p = plan(end_date=date(2026, 12, 3))
    assert dates(p, date(2026, 11, 28), date(2026, 12, 6)) == [date(2026, 11, 30), date(2026, 12, 1),
                                                                date(2026, 12, 2), date(2026, 12, 3)]


def test_weekly_runs_on_the_given_weekdays():
    p = plan(freq="weekly", weekdays=[0, 3])  # Monday and Thursday
    assert dates(p, MON, date(2026, 12, 13)) == [MON, date(2026, 12, 3), date(2026, 12, 7), date(2026, 12, 10)]


def test_every_second_week_counts_weeks_from_the_start_week():
    p = plan(freq="weekly", weekdays=[2], interval_weeks=2, start_date=date(2026, 12, 1))  # a Tuesday start
    assert dates(p, MON, date(2026, 12, 31)) == [date(2026, 12, 2), date(2026, 12, 16), date(2026, 12, 30)]


def test_skips_and_pauses_remove_dates_and_a_time_change_applies_from_its_date():
    p = plan()
    p.skips.append(CarePlanSkip(day=date(2026, 12, 1)))
    p.pauses.append(CarePlanPause(from_date=date(2026, 12, 3), until_date=date(2026, 12, 4)))
    p.times.append(CarePlanTime(from_date=date(2026, 12, 2), time_of_day=time(17, 0)))
    assert dates(p, MON, date(2026, 12, 5)) == [MON, date(2026, 12, 2), date(2026, 12, 5)]
    assert not happens_on(p, date(2026, 12, 1))
    assert time_on(p, MON) == time(11, 30) and time_on(p, date(2026, 12, 2)) == time(17, 0)
    assert time_on(p, date(2027, 1, 1)) == time(17, 0)
