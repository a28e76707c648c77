"""Who is on duty: weekly shifts in local time, including night shifts past midnight."""

from datetime import time

import pytest

from gongzhi.tickets.dispatch import on_duty
from gongzhi.tickets.tests.factories import DutyShiftFactory

from .sla_support import local


@pytest.fixture
def rota(desk):
    day = DutyShiftFactory(estate=desk.estate, user=desk.technician.user, weekday=0, starts=time(8),
                           ends=time(17))
    night = DutyShiftFactory(estate=desk.estate, user=desk.technician2.user, weekday=6, starts=time(22),
                             ends=time(6))
    return day.user_id, night.user_id


@pytest.mark.parametrize(("moment", "expected"), [
    (local(2026, 11, 23, 8), {"day"}),  # Monday 08:00: the day shift starts
    (local(2026, 11, 23, 16, 59), {"day"}),
    (local(2026, 11, 23, 17), set()),  # the end is not included
    (local(2026, 11, 22, 21, 59), set()),  # Sunday before the night shift
    (local(2026, 11, 22, 22), {"night"}),  # Sunday 22:00
    (local(2026, 11, 23, 5, 59), {"night"}),  # past midnight into Monday
    (local(2026, 11, 23, 6), set()),
    (local(2026, 11, 24, 9), set()),  # Tuesday: nobody
])
def test_shifts_cover_their_local_times(desk, rota, moment, expected):
    names = {rota[0]: "day", rota[1]: "night"}
    assert {names[u] for u in on_duty(desk.estate, moment)} == expected


def test_a_shift_ending_where_it_starts_lasts_a_whole_day(desk):
    DutyShiftFactory(estate=desk.estate, user=desk.technician.user, weekday=2, starts=time(8), ends=time(8))
    assert on_duty(desk.estate, local(2026, 11, 26, 7, 59)) == {desk.technician.user.pk}  # Thursday morning
    assert on_duty(desk.estate, local(2026, 11, 26, 8)) == set()


def test_another_estates_rota_does_not_count(desk, other_estate):
    DutyShiftFactory(estate=other_estate, weekday=0)
    assert on_duty(desk.estate, local(2026, 11, 23, 9)) == set()
