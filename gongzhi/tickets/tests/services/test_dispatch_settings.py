"""Managers set up dispatch and SLAs: technician profiles, the duty rota, the service calendar, holidays and
make-up days, SLA targets. Others may not; every change is audited."""

from datetime import date, timedelta

import pytest

from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.tickets import dispatch
from gongzhi.tickets.models import CalendarDay, DutyShift, ServiceCalendar, SlaTarget
from gongzhi.tickets.tests.factories import TechnicianProfileFactory

from .sla_support import Clock, local, submit


@pytest.fixture
def clock(monkeypatch) -> Clock:
    return Clock(monkeypatch)


def test_a_manager_sets_up_a_technician(desk):
    profile = dispatch.technician_profile_create(actor=desk.manager, user_id=desk.technician.user.pk,
                                                 skills=["plumbing", " plumbing ", "electrical", ""],
                                                 supervisor_id=desk.dispatcher.user.pk)
    assert (profile.skills, profile.supervisor, profile.auto_dispatch) == (
        ["plumbing", "electrical"], desk.dispatcher.user, True)
    updated = dispatch.technician_profile_update(actor=desk.manager, technician_id=profile.pk, skills=["elevator"],
                                                 supervisor_id=None, auto_dispatch=False)
    assert (updated.skills, updated.supervisor, updated.auto_dispatch) == (["elevator"], None, False)
    assert AuditEntry.objects.filter(action__startswith="technician_profile.").count() == 2


def test_a_profile_is_for_a_technician_of_the_estate_once(desk, other_estate, member):
    with pytest.raises(DomainError) as refused:
        dispatch.technician_profile_create(actor=desk.manager, user_id=desk.resident.user.pk)
    assert refused.value.detail == {"field": "user_id"}
    with pytest.raises(DomainError):
        dispatch.technician_profile_create(actor=desk.manager, user_id=member("technician", other_estate).pk)
    dispatch.technician_profile_create(actor=desk.manager, user_id=desk.technician.user.pk)
    with pytest.raises(Conflict):
        dispatch.technician_profile_create(actor=desk.manager, user_id=desk.technician.user.pk)


def test_a_technician_is_not_their_own_supervisor(desk):
    with pytest.raises(DomainError) as refused:
        dispatch.technician_profile_create(actor=desk.manager, user_id=desk.technician.user.pk,
                                           supervisor_id=desk.technician.user.pk)
    assert refused.value.detail == {"field": "supervisor_id"}


@pytest.mark.parametrize("role", ["dispatcher", "customer_service", "technician", "resident"])
def test_only_managers_change_settings(desk, role):
    actor = getattr(desk, role)
    with pytest.raises(Forbidden):
        dispatch.technician_profile_create(actor=actor, user_id=desk.technician.user.pk)
    with pytest.raises(Forbidden):
        dispatch.service_calendar_set(actor=actor, working_hours={"0": [["09:00", "17:00"]]})
    with pytest.raises(Forbidden):
        dispatch.sla_target_set(actor=actor, category_id=desk.category.pk, priority="high", response_minutes=5,
                                resolution_minutes=60)


def test_another_estates_profile_is_not_found(desk, other_estate):
    foreign = TechnicianProfileFactory(estate=other_estate)
    with pytest.raises(NotFound):
        dispatch.technician_profile_update(actor=desk.manager, technician_id=foreign.pk)


def test_technicians_see_only_their_own_profile(desk):
    mine = TechnicianProfileFactory(estate=desk.estate, user=desk.technician.user)
    TechnicianProfileFactory(estate=desk.estate, user=desk.technician2.user)
    assert list(dispatch.technician_profiles(actor=desk.technician)) == [mine]
    assert dispatch.technician_profiles(actor=desk.dispatcher).count() == 2
    assert dispatch.technician_profiles(actor=desk.resident).count() == 0


def test_shifts_are_created_and_deleted(desk):
    shift = dispatch.duty_shift_create(actor=desk.manager, user_id=desk.technician.user.pk, weekday=6,
                                       starts="22:00", ends="06:00")
    assert (shift.starts.hour, shift.ends.hour) == (22, 6)
    with pytest.raises(DomainError):
        dispatch.duty_shift_create(actor=desk.manager, user_id=desk.technician.user.pk, weekday=7,
                                   starts="08:00", ends="17:00")
    with pytest.raises(DomainError):
        dispatch.duty_shift_create(actor=desk.manager, user_id=desk.technician.user.pk, weekday=1,
                                   starts="8 am", ends="17:00")
    dispatch.duty_shift_delete(actor=desk.manager, shift_id=shift.pk)
    assert not DutyShift.objects.exists()


def test_the_calendar_is_checked_and_takes_effect_at_once(desk, clock):
    from gongzhi.tickets.tests.factories import CategoryFactory

    category = CategoryFactory(estate=desk.estate, sla_clock="working", response_minutes=60,
                               resolution_minutes=120)
    with pytest.raises(DomainError) as refused:
        dispatch.service_calendar_set(actor=desk.manager, working_hours={"0": [["17:00", "09:00"]]})
    assert refused.value.code == "invalid_working_hours"
    with pytest.raises(DomainError) as refused:
        dispatch.service_calendar_set(actor=desk.manager, working_hours={str(d): [] for d in range(7)})
    assert refused.value.code == "no_working_hours"
    # given the default hours were used once (and cached)
    clock.set(local(2026, 11, 23, 8))
    assert submit(desk, category_id=category.pk).response_due_at == local(2026, 11, 23, 9, 30)
    # when the manager sets a 24-hour Monday, then the next ticket counts it at once
    dispatch.service_calendar_set(actor=desk.manager, working_hours={"0": [["00:00", "24:00"]]})
    assert ServiceCalendar.objects.get(estate=desk.estate).working_hours["0"] == [["00:00", "24:00"]]
    assert submit(desk, category_id=category.pk).response_due_at == local(2026, 11, 23, 9)
    # and a holiday too
    dispatch.calendar_day_create(actor=desk.manager, date=date(2026, 11, 30), working=False, name="测试假日")
    clock.set(local(2026, 11, 29, 23, 30))
    assert submit(desk, category_id=category.pk).response_due_at == local(2026, 12, 7, 1)


def test_calendar_days_are_one_per_date(desk):
    day = dispatch.calendar_day_create(actor=desk.manager, date=date(2027, 2, 7), working=True,
                                       hours_of_weekday=0, name="春节调休")
    with pytest.raises(Conflict):
        dispatch.calendar_day_create(actor=desk.manager, date=date(2027, 2, 7), working=False)
    dispatch.calendar_day_delete(actor=desk.manager, day_id=day.pk)
    assert not CalendarDay.objects.exists()


def test_sla_targets_are_set_replaced_and_deleted(desk):
    target = dispatch.sla_target_set(actor=desk.manager, category_id=desk.category.pk, priority="emergency",
                                     response_minutes=5, resolution_minutes=240)
    again = dispatch.sla_target_set(actor=desk.manager, category_id=desk.category.pk, priority="emergency",
                                    response_minutes=3, resolution_minutes=120)
    assert again.pk == target.pk and SlaTarget.objects.get().response_minutes == 3
    for bad in [0, -1, "5", True]:
        with pytest.raises(DomainError):
            dispatch.sla_target_set(actor=desk.manager, category_id=desk.category.pk, priority="high",
                                    response_minutes=bad, resolution_minutes=60)
    dispatch.sla_target_delete(actor=desk.manager, target_id=target.pk)
    assert not SlaTarget.objects.exists()


def test_the_technicians_queue_is_ordered_by_urgency(desk, clock):
    now = clock.now
    later = desk.ticket(status="assigned", assignee=desk.technician.user, priority="emergency",
                        resolution_due_at=now + timedelta(hours=5))
    sooner = desk.ticket(status="accepted", assignee=desk.technician.user, priority="low",
                         resolution_due_at=now + timedelta(hours=1))
    same_time_high = desk.ticket(status="assigned", assignee=desk.technician.user, priority="high",
                                 resolution_due_at=now + timedelta(hours=5))
    paused = desk.ticket(status="on_hold", assignee=desk.technician.user, priority="emergency")
    desk.ticket(status="resolved", assignee=desk.technician.user)
    desk.ticket(status="assigned", assignee=desk.technician2.user)
    assert list(dispatch.technician_queue(actor=desk.technician)) == [sooner, later, same_time_high, paused]
