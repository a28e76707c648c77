"""Working-time arithmetic (gongzhi.tickets.working_time): lunch breaks, nights, weekends, holidays, make-up
working days (调休), in Asia/Shanghai local time. Pure: no database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gongzhi.tickets.models.calendar import default_working_hours
from gongzhi.tickets.working_time import (
    NoWorkingHours,
    WorkCalendar,
    add_working_minutes,
    parse_week,
    working_minutes_between,
)

SH = ZoneInfo("Asia/Shanghai")
# Week of Monday 2026-11-23. Default hours: Mon–Fri 08:30–12:00, 13:30–17:30.
MON, TUE, FRI, SAT, SUN = (date(2026, 11, d) for d in (23, 24, 27, 28, 29))
NEXT_MON = date(2026, 11, 30)


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=SH)


@pytest.fixture(scope="module")
def week() -> WorkCalendar:
    return WorkCalendar.build(default_working_hours())


def test_minutes_inside_one_working_period(week):
    assert add_working_minutes(at(MON, 9), 60, week) == at(MON, 10)


def test_the_lunch_break_does_not_count(week):
    assert add_working_minutes(at(MON, 11, 30), 60, week) == at(MON, 14)
    assert working_minutes_between(at(MON, 11, 30), at(MON, 14), week) == 60


def test_the_night_does_not_count(week):
    assert add_working_minutes(at(MON, 17), 60, week) == at(TUE, 9)
    assert working_minutes_between(at(MON, 17), at(TUE, 9), week) == 60


def test_the_weekend_does_not_count(week):
    assert add_working_minutes(at(FRI, 17), 60, week) == at(NEXT_MON, 9)
    assert working_minutes_between(at(FRI, 17), at(NEXT_MON, 9), week) == 60


def test_running_out_exactly_at_closing_time_is_due_at_closing_time_not_next_morning(week):
    assert add_working_minutes(at(FRI, 17), 30, week) == at(FRI, 17, 30)


def test_a_start_outside_working_hours_counts_from_the_next_opening(week):
    assert add_working_minutes(at(SAT, 10), 30, week) == at(NEXT_MON, 9)
    assert add_working_minutes(at(MON, 6), 1, week) == at(MON, 8, 31)
    assert add_working_minutes(at(MON, 12, 15), 15, week) == at(MON, 13, 45)


def test_adding_nothing_is_the_start_itself(week):
    assert add_working_minutes(at(SAT, 10), 0, week) == at(SAT, 10)


def test_between_is_zero_backwards_and_outside_hours(week):
    assert working_minutes_between(at(TUE, 9), at(MON, 9), week) == 0
    assert working_minutes_between(at(SAT, 9), at(SUN, 18), week) == 0
    assert working_minutes_between(at(MON, 12), at(MON, 13, 30), week) == 0


def test_a_whole_week_has_37_and_a_half_hours(week):
    assert working_minutes_between(at(MON, 0), at(NEXT_MON, 0), week) == 5 * 450


def test_a_public_holiday_and_a_make_up_saturday():
    # given Thursday 2026-11-26 is a holiday and Saturday 2026-11-28 a make-up day with Monday's hours
    calendar = WorkCalendar.build(default_working_hours(), [(date(2026, 11, 26), False, 0), (SAT, True, 0)])
    # then Wednesday evening plus an hour skips the holiday into Friday
    assert add_working_minutes(at(date(2026, 11, 25), 17), 60, calendar) == at(FRI, 9)
    # and Friday evening plus an hour lands on the make-up Saturday, not on Monday
    assert add_working_minutes(at(FRI, 17), 60, calendar) == at(SAT, 9)
    # and the week still has five working days
    assert working_minutes_between(at(MON, 0), at(NEXT_MON, 0), calendar) == 5 * 450


def test_times_in_other_zones_are_read_as_shanghai_time(week):
    # 01:00 UTC is 09:00 in Shanghai (no daylight saving time)
    start = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert add_working_minutes(start, 30, week) == at(MON, 9, 30)


def test_a_calendar_without_working_hours_is_refused_not_looped_on():
    empty = WorkCalendar.build({str(d): [] for d in range(7)})
    with pytest.raises(NoWorkingHours):
        add_working_minutes(at(MON, 9), 1, empty)
    only_holidays = WorkCalendar.build(default_working_hours(),
                                       [(MON + timedelta(days=i), False, 0) for i in range(4 * 366)])
    with pytest.raises(NoWorkingHours):
        add_working_minutes(at(MON, 9), 1, only_holidays)


@pytest.mark.parametrize("hours", [
    {"0": [["09:00", "08:00"]]},  # ends before it starts
    {"0": [["08:00", "12:00"], ["11:00", "13:00"]]},  # overlaps
    {"0": [["8h", "12:00"]]},  # not HH:MM
    {"7": [["08:00", "12:00"]]},  # no such weekday
    {"0": [["08:00"]]},  # not a pair
])
def test_invalid_weekly_hours_are_refused(hours):
    with pytest.raises(ValueError):
        parse_week(hours)


def test_a_day_may_run_to_midnight():
    calendar = WorkCalendar.build({"0": [["22:00", "24:00"]], "1": [["00:00", "02:00"]]})
    assert add_working_minutes(at(MON, 23), 120, calendar) == at(TUE, 1)


# --- properties --------------------------------------------------------------------------------------------------
HOLIDAYS = [(date(2026, 12, 1), False, 0), (date(2026, 12, 5), True, 4), (date(2027, 1, 1), False, 0)]
CALENDAR = WorkCalendar.build(default_working_hours(), HOLIDAYS)
starts = st.datetimes(min_value=datetime(2026, 11, 1), max_value=datetime(2027, 2, 1),
                      timezones=st.just(SH))
amounts = st.integers(min_value=0, max_value=60 * 24 * 10)


@settings(max_examples=300, deadline=None)
@given(start=starts, minutes=amounts)
def test_adding_then_measuring_gives_back_the_minutes(start, minutes):
    due = add_working_minutes(start, minutes, CALENDAR)
    assert due >= start
    assert CALENDAR.between(start, due) == timedelta(minutes=minutes)


@settings(max_examples=300, deadline=None)
@given(start=starts, a=st.integers(min_value=1, max_value=5000), b=st.integers(min_value=1, max_value=5000))
def test_adding_in_two_steps_is_adding_at_once(start, a, b):
    assert add_working_minutes(add_working_minutes(start, a, CALENDAR), b, CALENDAR) == \
        add_working_minutes(start, a + b, CALENDAR)


@settings(max_examples=300, deadline=None)
@given(a=starts, b=starts, c=starts)
def test_between_adds_up_over_a_split(a, b, c):
    a, b, c = sorted([a, b, c])
    assert CALENDAR.between(a, c) == CALENDAR.between(a, b) + CALENDAR.between(b, c)


@settings(max_examples=200, deadline=None)
@given(start=starts, minutes=st.integers(min_value=1, max_value=5000))
def test_the_due_instant_is_the_earliest_and_lies_in_working_time(start, minutes):
    due = add_working_minutes(start, minutes, CALENDAR)
    # a microsecond earlier, the minutes are not yet spent
    assert CALENDAR.between(start, due - timedelta(microseconds=1)) < timedelta(minutes=minutes)
    local = due.astimezone(SH)
    intervals, _total = CALENDAR.day(local.date())
    us = ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond
    assert any(s < us <= e for s, e in intervals)
