"""SLA targets on submit: copied from the category (or its SlaTarget for the priority), due dates in the
category's clock, the first check scheduled."""

from datetime import timedelta

import pytest

from gongzhi.tickets.sla import submit_values, targets_for
from gongzhi.tickets.tests.factories import (
    CalendarDayFactory,
    CategoryFactory,
    ServiceCalendarFactory,
    SlaTargetFactory,
)

from .sla_support import Clock, local, submit


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def test_a_submitted_ticket_copies_the_category_targets_and_gets_due_dates(desk, clock):
    # given a category with 15 minutes to respond and 24 hours to resolve, in calendar time
    now = clock.now
    # when the resident submits
    ticket = submit(desk)
    # then the targets are on the ticket, with due dates, on track, and the first check at the at-risk instant
    assert (ticket.response_minutes, ticket.resolution_minutes, ticket.sla_clock) == (15, 1440, "calendar")
    assert ticket.response_due_at == now + timedelta(minutes=15)
    assert ticket.resolution_due_at == now + timedelta(hours=24)
    assert (ticket.sla_state, ticket.escalation_level) == ("on_track", 0)
    assert ticket.sla_next_check_at == now + timedelta(minutes=12)  # 1/5 of 15 minutes left


def test_a_priority_target_overrides_the_category(desk, clock):
    # given an emergency target of 5 minutes / 4 hours for the category
    SlaTargetFactory(category=desk.category, priority="emergency", response_minutes=5, resolution_minutes=240)
    # when an emergency is submitted, and a normal one
    emergency = submit(desk, priority="emergency")
    normal = submit(desk, priority="normal")
    # then the emergency gets the override and the normal one the category's own targets
    assert emergency.response_due_at == clock.now + timedelta(minutes=5)
    assert emergency.resolution_due_at == clock.now + timedelta(hours=4)
    assert (normal.response_minutes, normal.resolution_minutes) == (15, 1440)


def test_a_later_change_of_targets_does_not_move_an_open_ticket(desk, clock):
    ticket = submit(desk)
    desk.category.response_minutes = 1
    desk.category.save()
    ticket.refresh_from_db()
    assert ticket.response_due_at == clock.now + timedelta(minutes=15)


def test_working_hours_targets_count_the_estate_calendar(desk, clock):
    # given a category counted in working hours, and the estate's default hours (Mon–Fri 08:30–12:00, 13:30–17:30)
    category = CategoryFactory(estate=desk.estate, sla_clock="working", response_minutes=60,
                               resolution_minutes=8 * 60)
    # when a ticket comes in on Friday at 17:00
    clock.set(local(2026, 11, 27, 17))
    ticket = submit(desk, category_id=category.pk)
    # then the response is due on Monday at 09:00 (30 min on Friday + 30 on Monday) and the resolution when 8
    # working hours are spent: Friday's last 30 minutes and Monday's 7½ hours, at Monday's closing time
    assert ticket.response_due_at == local(2026, 11, 30, 9)
    assert ticket.resolution_due_at == local(2026, 11, 30, 17, 30)


def test_working_hours_follow_the_estates_holidays_and_make_up_days(desk, clock):
    # given Monday 30 November is a holiday and Sunday 29 a make-up day with Monday's hours, custom hours 09–18
    ServiceCalendarFactory(estate=desk.estate, working_hours={str(d): [["09:00", "18:00"]] for d in range(5)})
    CalendarDayFactory(estate=desk.estate, date=local(2026, 11, 30).date(), working=False)
    CalendarDayFactory(estate=desk.estate, date=local(2026, 11, 29).date(), working=True, hours_of_weekday=0)
    category = CategoryFactory(estate=desk.estate, sla_clock="working", response_minutes=120,
                               resolution_minutes=12 * 60)
    # when a ticket comes in on Friday at 17:00
    clock.set(local(2026, 11, 27, 17))
    ticket = submit(desk, category_id=category.pk)
    # then the response is due on the make-up Sunday at 10:00; the resolution (Friday 1 h + Sunday 9 h + 2 h)
    # skips the Monday holiday
    assert ticket.response_due_at == local(2026, 11, 29, 10)
    assert ticket.resolution_due_at == local(2026, 12, 1, 11)


def test_an_estate_without_a_calendar_uses_the_default_hours(desk, clock):
    category = CategoryFactory(estate=desk.estate, sla_clock="working", response_minutes=30,
                               resolution_minutes=60)
    values = submit_values(estate=desk.estate, category=category, priority="normal",
                           now=local(2026, 11, 23, 11, 45))
    assert values["response_due_at"] == local(2026, 11, 23, 13, 45)  # the lunch break does not count


def test_targets_of_another_estate_do_not_apply(desk, other_estate):
    foreign = SlaTargetFactory(category__estate=other_estate, priority="normal")
    assert targets_for(desk.category, "normal") == (15, 1440)
    assert foreign.category.estate_id != desk.estate.pk
