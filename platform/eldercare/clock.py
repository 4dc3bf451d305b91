"""The one clock: what time it is, today in Beijing, the month of a moment and a local day's bounds.

Times are stored in UTC and the city lives in Asia/Shanghai; nothing else in the code reads the system
clock or builds the zone (tests/test_clock.py fails if anything does), so a server in UTC between 00:00
and 08:00 Beijing time, or a test that moves the clock, sees the same day everywhere."""
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """This moment, aware, in UTC."""
    return datetime.now(UTC)


def local(moment: datetime) -> datetime:
    """`moment` as Beijing's wall clock reads it."""
    return moment.astimezone(LOCAL)


def local_now() -> datetime:
    return now().astimezone(LOCAL)


def today() -> date:
    """The date in Beijing now (not the server's date: at 03:00 Beijing a UTC server is still on yesterday)."""
    return local_now().date()


def local_date(moment: datetime) -> date:
    """The Beijing date of `moment`."""
    return moment.astimezone(LOCAL).date()


def at_local(day: date, clock_time: time) -> datetime:
    """The moment (aware, UTC) when Beijing's wall clock reads `day` `clock_time`."""
    return datetime.combine(day, clock_time, tzinfo=LOCAL).astimezone(UTC)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Beijing day `day` as [start, end) in UTC."""
    start = at_local(day, time())
    return start, at_local(day + timedelta(days=1), time())


_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)


class BadMonth(ValueError):
    """Not a month written YYYY-MM in ASCII digits."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Beijing, e.g. Month(2026, 12), written "2026-12". Vouchers are issued, spent and
    lapse by month, so a month is one type, parsed once: only ASCII digits (a full-width or Arabic-Indic
    "２０２６-１２" is refused, never taken for another spelling of December)."""

    year: int
    month: int

    def __post_init__(self):
        if not (1 <= self.month <= 12 and 1900 <= self.year <= 9999):
            raise BadMonth(f"no such month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> "Month":
        found = _MONTH.fullmatch(text) if isinstance(text, str) else None
        if found is None:
            raise BadMonth("Give the month as YYYY-MM, e.g. 2026-12.")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, moment: datetime | date) -> "Month":
        """The month a moment falls in, in Beijing (a date is taken as it is)."""
        if isinstance(moment, datetime):
            moment = local_date(moment)
        return cls(moment.year, moment.month)

    @classmethod
    def current(cls) -> "Month":
        return cls.of(today())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def bounds(self) -> tuple[datetime, datetime]:
        """The month in Beijing as [start, end) in UTC."""
        return day_bounds(self.first_day)[0], day_bounds(self.next().first_day)[0]

    def __contains__(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def this_month() -> Month:
    return Month.current()
