"""Working-time arithmetic for SLA targets counted in the estate's working hours. Pure: no database here
(``gongzhi.tickets.sla.calendar_for`` builds the calendar from ``ServiceCalendar`` and ``CalendarDay``).

Times are computed on the local wall clock (settings.TIME_ZONE, Asia/Shanghai, which has no daylight saving
time), to the microsecond. A day's working hours are the weekly pattern of its weekday, unless the day is an
exception: a public holiday (no hours) or a make-up working day (调休, the hours of another weekday).

Boundaries, chosen so that "due" is the earliest instant by which the target is spent:
- ``add_working_minutes`` that runs out exactly at the end of a working interval returns that end (17:30 on
  Friday), not the start of the next one (08:30 on Monday); adding 0 minutes returns the start unchanged.
- ``working_minutes_between`` counts only working time inside [a, b); it is 0 when b is not after a.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

DAY_US = 24 * 60 * 60 * 1_000_000
MINUTE_US = 60 * 1_000_000
# How far ahead (or back) a search may run before the calendar is deemed to have no working time at all.
MAX_SEARCH_DAYS = 3 * 366
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

Intervals = tuple[tuple[int, int], ...]  # [start, end) in microseconds since local midnight


class NoWorkingHours(ValueError):
    """The calendar has no working time where some was needed (no weekly hours, or only holidays ahead)."""


def parse_clock(text: str) -> int:
    """"HH:MM" (00:00–24:00) → microseconds since midnight."""
    try:
        hours, minutes = str(text).split(":")
        h, m = int(hours), int(minutes)
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a time of day (HH:MM)") from None
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"{text!r} is not a time of day (HH:MM)")
    return (h * 60 + m) * MINUTE_US


def format_clock(us: int) -> str:
    minutes = us // MINUTE_US
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_day(intervals) -> Intervals:
    """[["08:30", "12:00"], ["13:30", "17:30"]] → checked intervals; ValueError when they are not in order, empty
    or overlapping."""
    parsed = []
    previous_end = -1
    for pair in intervals or []:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ValueError(f"{pair!r} is not a [start, end] pair")
        start, end = parse_clock(pair[0]), parse_clock(pair[1])
        if end <= start:
            raise ValueError(f"{pair[0]}–{pair[1]} does not end after it starts")
        if start < previous_end:
            raise ValueError(f"{pair[0]}–{pair[1]} overlaps or is out of order")
        parsed.append((start, end))
        previous_end = end
    return tuple(parsed)


def parse_week(hours: Mapping) -> tuple[Intervals, ...]:
    """The ``ServiceCalendar.working_hours`` JSON ({"0": [...], ..., "6": [...]}, 0 = Monday) → 7 days of
    intervals; a missing weekday has no hours."""
    if not isinstance(hours, Mapping):
        raise ValueError("working hours must map weekdays to intervals")
    unknown = set(map(str, hours)) - {str(d) for d in range(7)}
    if unknown:
        raise ValueError(f"unknown weekdays: {sorted(unknown)}")
    return tuple(parse_day(hours.get(str(d), hours.get(d, []))) for d in range(7))


@dataclass
class WorkCalendar:
    """Weekly hours plus exceptions by date: ``exceptions[date]`` is None for a holiday, or the weekday whose
    hours a make-up working day keeps."""

    week: tuple[Intervals, ...]
    exceptions: dict[date, int | None] = field(default_factory=dict)
    tz: tzinfo = DEFAULT_TZ
    _days: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, hours: Mapping, days: Iterable[tuple[date, bool, int]] = (), tz: tzinfo | None = None):
        """From the weekly hours JSON and (date, working, hours_of_weekday) exceptions."""
        exceptions = {d: (weekday if working else None) for d, working, weekday in days}
        return cls(week=parse_week(hours), exceptions=exceptions, tz=tz or DEFAULT_TZ)

    @property
    def has_weekly_hours(self) -> bool:
        return any(self.week)

    def day(self, d: date) -> tuple[Intervals, int]:
        """(intervals, total microseconds) of working time on local date ``d``."""
        cached = self._days.get(d)
        if cached is None:
            if d in self.exceptions:
                weekday = self.exceptions[d]
                intervals = () if weekday is None else self.week[weekday % 7]
            else:
                intervals = self.week[d.weekday()]
            cached = self._days[d] = (intervals, sum(e - s for s, e in intervals))
        return cached

    def _local(self, moment: datetime) -> tuple[date, int]:
        if moment.tzinfo is None:
            raise ValueError("working time needs aware datetimes")
        local = moment.astimezone(self.tz)
        us = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
        return local.date(), us

    def _at(self, d: date, us: int) -> datetime:
        return (datetime.combine(d, time()) + timedelta(microseconds=us)).replace(tzinfo=self.tz)

    def _check_can_work(self) -> None:
        if not self.has_weekly_hours:
            raise NoWorkingHours("the service calendar has no working hours")

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The instant when ``amount`` of working time has passed since ``start``."""
        need = amount // timedelta(microseconds=1)
        if need < 0:
            raise ValueError("cannot add a negative amount of working time")
        if need == 0:
            return start
        self._check_can_work()
        d, pos = self._local(start)
        for _i in range(MAX_SEARCH_DAYS):
            intervals, total = self.day(d)
            if pos == 0 and total < need:
                need -= total
            else:
                for s, e in intervals:
                    if e <= pos:
                        continue
                    begin = s if s > pos else pos
                    available = e - begin
                    if available >= need:
                        return self._at(d, begin + need)
                    need -= available
            d += timedelta(days=1)
            pos = 0
        raise NoWorkingHours("no working hours found in the service calendar ahead")

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Working time inside [a, b); zero when b is not after a."""
        if b <= a:
            return timedelta(0)
        d, pos = self._local(a)
        end_d, end_pos = self._local(b)
        total_us = 0
        while d <= end_d:
            intervals, day_total = self.day(d)
            limit = end_pos if d == end_d else DAY_US
            if pos == 0 and limit == DAY_US:
                total_us += day_total
            else:
                for s, e in intervals:
                    lo, hi = max(s, pos), min(e, limit)
                    if hi > lo:
                        total_us += hi - lo
            d += timedelta(days=1)
            pos = 0
        return timedelta(microseconds=total_us)


def _as_timedelta(minutes) -> timedelta:
    if isinstance(minutes, timedelta):
        return minutes
    us = Fraction(minutes) * MINUTE_US
    return timedelta(microseconds=round(us))


def add_working_minutes(start: datetime, minutes, calendar: WorkCalendar) -> datetime:
    """``start`` plus ``minutes`` (int, Fraction or timedelta) of the calendar's working time."""
    return calendar.add(start, _as_timedelta(minutes))


def working_minutes_between(a: datetime, b: datetime, calendar: WorkCalendar) -> int:
    """Whole minutes of working time in [a, b) (rounded down); 0 when b is not after a."""
    return calendar.between(a, b) // timedelta(minutes=1)


def add_calendar_minutes(start: datetime, minutes) -> datetime:
    """The calendar clock: plain elapsed time."""
    return start + _as_timedelta(minutes)
