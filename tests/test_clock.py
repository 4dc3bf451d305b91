"""The one clock: nothing but clock.py reads the system clock or builds the zone, and its day and month
arithmetic holds at the edges (the last minute of a month, December into January, a UTC server's morning)."""
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine

from eldercare import clock
from eldercare.clock import LOCAL, BadMonth, Month

PACKAGE = Path(clock.__file__).parent
# date.today() and datetime.now() read the server's clock and zone; ZoneInfo(...) builds the zone a second time.
FORBIDDEN = re.compile(r"\bdate\.today\(|\bdatetime\.(?:now|today|utcnow)\(|\bZoneInfo\(")


def _readers_of_the_system_clock() -> dict[str, list[str]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name == "clock.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if FORBIDDEN.search(line):
                found.setdefault(name, []).append(f"{name}:{number}: {line.strip()}")
    return found


def test_only_the_clock_reads_the_system_clock_or_builds_the_zone():
    found = [line for name, lines in _readers_of_the_system_clock().items() for line in lines]
    assert not found, "use eldercare.clock (now, today, local, LOCAL, Month) instead:\n" + "\n".join(found)


def test_the_guard_sees_what_it_forbids():
    for line in ("day = date.today()", "now = datetime.now(UTC)", 'zone = ZoneInfo("Asia/Shanghai")',
                 "t = datetime.utcnow()"):
        assert FORBIDDEN.search(line), line
    for line in ("today = clock.today()", "moment = clock.now()", "LOCAL = clock.LOCAL", "# a new_date.today_x"):
        assert not FORBIDDEN.search(line), line


def test_today_is_beijing_s_date_while_a_utc_server_is_still_on_yesterday():
    with time_machine.travel(datetime(2026, 11, 29, 19, 30, tzinfo=UTC), tick=False):
        assert clock.now() == datetime(2026, 11, 29, 19, 30, tzinfo=UTC)
        assert clock.today() == date(2026, 11, 30)
        assert clock.local_now().hour == 3 and clock.local_now().utcoffset() == timedelta(hours=8)
        assert clock.this_month() == Month(2026, 11)


def test_the_last_minute_of_a_month_and_the_first_of_the_next():
    last_minute = clock.at_local(date(2026, 11, 30), time(23, 59))
    assert last_minute == datetime(2026, 11, 30, 15, 59, tzinfo=UTC)
    assert Month.of(last_minute) == Month(2026, 11)
    assert Month.of(last_minute + timedelta(minutes=1)) == Month(2026, 12)
    with time_machine.travel(last_minute, tick=False):
        assert clock.this_month() == Month(2026, 11) and clock.today() == date(2026, 11, 30)
    with time_machine.travel(last_minute + timedelta(minutes=1), tick=False):
        assert clock.this_month() == Month(2026, 12) and clock.today() == date(2026, 12, 1)


def test_day_bounds_are_beijing_midnights_in_utc():
    start, end = clock.day_bounds(date(2026, 12, 31))
    assert (start, end) == (datetime(2026, 12, 30, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC))
    assert start.tzinfo is UTC and clock.local(start) == datetime(2026, 12, 31, tzinfo=LOCAL)
    assert clock.local_date(end - timedelta(microseconds=1)) == date(2026, 12, 31)
    assert clock.local_date(end) == date(2027, 1, 1)


def test_december_turns_into_january_and_back():
    december = Month(2026, 12)
    assert december.next() == Month(2027, 1) and Month(2027, 1).previous() == december
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert (december.first_day, december.last_day) == (date(2026, 12, 1), date(2026, 12, 31))
    assert december.bounds() == (datetime(2026, 11, 30, 16, tzinfo=UTC), datetime(2026, 12, 31, 16, tzinfo=UTC))
    assert date(2026, 12, 31) in december and date(2027, 1, 1) not in december
    assert str(december) == "2026-12" and str(Month(2027, 1)) == "2027-01"


def test_month_lengths_including_february():
    assert Month(2028, 2).last_day == date(2028, 2, 29)
    assert Month(2027, 2).last_day == date(2027, 2, 28)
    assert Month(2026, 4).last_day == date(2026, 4, 30)
    assert sorted([Month(2027, 1), Month(2026, 12), Month(2026, 2)]) == [Month(2026, 2), Month(2026, 12),
                                                                         Month(2027, 1)]


@pytest.mark.parametrize("text", ["２０２６-１２", "٢٠٢٦-١٢", "२०२६-१२", "2026-13", "2026-00", "2026-1", "202612",
                                  " 2026-12", "2026-12\n", "", None, 202612])
def test_a_month_is_only_ascii_yyyy_mm(text):
    with pytest.raises(BadMonth):
        Month.parse(text)


def test_a_month_parses_and_prints_the_same():
    assert Month.parse("2026-12") == Month(2026, 12)
    assert str(Month.parse("2001-01")) == "2001-01"


def test_the_monthly_job_gives_issuance_beijing_s_month(app, monkeypatch):
    """At 00:05 on 1 December in Beijing a UTC server is still on 30 November: December is lapsed and issued."""
    from eldercare import jobs
    from eldercare.vouchers import issuance

    asked = []
    monkeypatch.setattr(issuance, "lapse_period", lambda period: asked.append(("lapse", period)))
    monkeypatch.setattr(issuance, "issue_period", lambda period: asked.append(("issue", period)) or
                        SimpleNamespace(issued=0))
    monkeypatch.setattr(jobs, "_app", app)
    with time_machine.travel(datetime(2026, 11, 30, 16, 5, tzinfo=UTC), tick=False):
        jobs.monthly_vouchers()
    assert asked == [("lapse", Month(2026, 12)), ("issue", Month(2026, 12))]


def test_the_planned_orders_job_makes_the_beijing_day_48_hours_ahead(app, monkeypatch):
    from eldercare import jobs
    from eldercare.careplans import making

    asked = []
    monkeypatch.setattr(making, "make_planned_orders", lambda day: asked.append(day) or
                        SimpleNamespace(made=0, refused=[]))
    monkeypatch.setattr(jobs, "_app", app)
    with time_machine.travel(datetime(2026, 11, 29, 19, 30, tzinfo=UTC), tick=False):  # 03:30 on the 30th
        jobs.planned_orders()
    assert asked == [date(2026, 12, 2)]
