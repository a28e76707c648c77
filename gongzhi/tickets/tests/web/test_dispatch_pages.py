"""The dispatch and SLA settings pages: managers change, the desk looks, nobody else gets in."""

import pytest
from django.test import Client

from gongzhi.tickets.models import CalendarDay, DutyShift, ServiceCalendar, SlaTarget, TechnicianProfile
from gongzhi.tickets.tests.factories import TechnicianProfileFactory

pytestmark = pytest.mark.urls("gongzhi.tickets.tests.web.dispatch_urls")


@pytest.fixture
def browse(desk, password):
    def make(actor) -> Client:
        client = Client()
        client.force_login(actor.user)
        return client

    return make


def url(desk, page=""):
    return f"/e/{desk.estate.pk}/console/dispatch/{page}"


def test_a_manager_sets_up_a_technician_and_a_shift(desk, browse):
    manager = browse(desk.manager)
    page = manager.get(url(desk))
    assert page.status_code == 200
    assert str(desk.technician.user) in page.content.decode()
    response = manager.post(url(desk), {"op": "create", "user_id": desk.technician.user.pk,
                                        "skills": "plumbing，electrical", "auto_dispatch": "1"})
    assert response.status_code == 302
    profile = TechnicianProfile.objects.get(user=desk.technician.user)
    assert (profile.skills, profile.auto_dispatch) == (["plumbing", "electrical"], True)
    manager.post(url(desk), {"op": "update", "technician_id": profile.pk, "skills": "elevator",
                             "supervisor_id": desk.dispatcher.user.pk})
    profile.refresh_from_db()
    assert (profile.skills, profile.supervisor, profile.auto_dispatch) == (["elevator"], desk.dispatcher.user,
                                                                           False)
    manager.post(url(desk), {"op": "add_shift", "user_id": desk.technician.user.pk, "weekday": 6,
                             "starts": "22:00", "ends": "06:00"})
    shift = DutyShift.objects.get()
    page = manager.get(url(desk)).content.decode()
    assert "22:00–06:00" in page
    manager.post(url(desk), {"op": "delete_shift", "shift_id": shift.pk})
    assert not DutyShift.objects.exists()


def test_a_refusal_is_shown_in_place(desk, browse):
    response = browse(desk.manager).post(url(desk), {"op": "add_shift", "user_id": desk.technician.user.pk,
                                                     "weekday": 9, "starts": "08:00", "ends": "17:00"})
    assert response.status_code == 400
    assert 'data-code="invalid_field"' in response.content.decode()


def test_the_calendar_page_saves_hours_and_days(desk, browse):
    manager = browse(desk.manager)
    assert manager.get(url(desk, "calendar/")).status_code == 200
    hours = {f"day{d}": "08:30-12:00, 13:30-17:30" if d < 5 else "" for d in range(7)}
    assert manager.post(url(desk, "calendar/"), {"op": "hours", **hours}).status_code == 302
    assert ServiceCalendar.objects.get().working_hours["4"] == [["08:30", "12:00"], ["13:30", "17:30"]]
    bad = manager.post(url(desk, "calendar/"), {"op": "hours", **hours, "day0": "8h to noon"})
    assert bad.status_code == 400 and 'data-code="invalid_working_hours"' in bad.content.decode()
    manager.post(url(desk, "calendar/"), {"op": "add_day", "date": "2026-10-10", "working": "1",
                                          "hours_of_weekday": "0", "name": "国庆调休"})
    day = CalendarDay.objects.get()
    assert day.working and "国庆调休" in manager.get(url(desk, "calendar/?year=2026")).content.decode()
    manager.post(url(desk, "calendar/"), {"op": "delete_day", "day_id": day.pk})
    assert not CalendarDay.objects.exists()


def test_the_sla_page_sets_and_clears_a_target(desk, browse):
    manager = browse(desk.manager)
    page = manager.get(url(desk, "sla/")).content.decode()
    assert desk.category.name in page
    manager.post(url(desk, "sla/"), {"op": "set", "category_id": desk.category.pk, "priority": "emergency",
                                     "response_minutes": "5", "resolution_minutes": "240"})
    target = SlaTarget.objects.get()
    assert (target.response_minutes, target.resolution_minutes) == (5, 240)
    manager.post(url(desk, "sla/"), {"op": "delete", "target_id": target.pk})
    assert not SlaTarget.objects.exists()


def test_the_dispatcher_sees_the_settings_without_forms(desk, browse):
    TechnicianProfileFactory(estate=desk.estate, user=desk.technician.user)
    dispatcher = browse(desk.dispatcher)
    for page in ["", "calendar/", "sla/"]:
        response = dispatcher.get(url(desk, page))
        assert response.status_code == 200
        assert 'name="op"' not in response.content.decode()
    refused = dispatcher.post(url(desk, "sla/"), {"op": "set", "category_id": desk.category.pk,
                                                  "priority": "high", "response_minutes": "5",
                                                  "resolution_minutes": "60"})
    assert refused.status_code == 403 and not SlaTarget.objects.exists()


@pytest.mark.parametrize("who", ["technician", "resident", "guard"])
def test_others_are_kept_out(desk, browse, who):
    assert browse(getattr(desk, who)).get(url(desk)).status_code == 403


def test_another_estate_is_not_found(desk, browse, other_estate):
    assert browse(desk.manager).get(f"/e/{other_estate.pk}/console/dispatch/").status_code == 404
