"""The dispatch and SLA API: managers change the settings, the desk reads and assigns, a technician sees their
own queue; other estates' objects are 404; every list has a query budget."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from gongzhi.tickets.models import Ticket
from gongzhi.tickets.tests.factories import (
    CalendarDayFactory,
    CategoryFactory,
    DutyShiftFactory,
    SlaTargetFactory,
    TechnicianProfileFactory,
)


@pytest.fixture
def call(desk, api):
    clients = {}

    def send(actor, method, path="", payload=None, estate=None):
        estate = estate or desk.estate
        if actor.user.pk not in clients:
            clients[actor.user.pk] = api(actor.user, [desk.estate])
        url = f"/api/v1/estates/{estate.pk}{path}"
        if payload is None:
            return clients[actor.user.pk].generic(method, url)
        return clients[actor.user.pk].generic(method, url, json.dumps(payload), content_type="application/json")

    return send


def test_a_manager_sets_up_a_technician_and_the_dispatcher_reads_it(desk, call):
    created = call(desk.manager, "POST", "/technicians", {"user_id": desk.technician.user.pk,
                                                           "skills": ["plumbing"],
                                                           "supervisor_id": desk.dispatcher.user.pk})
    assert created.status_code == 201, created.content
    profile = created.json()
    assert (profile["skills"], profile["supervisor"]["id"]) == (["plumbing"], desk.dispatcher.user.pk)
    updated = call(desk.manager, "PUT", f"/technicians/{profile['id']}", {"skills": ["elevator"],
                                                                          "auto_dispatch": False})
    assert updated.status_code == 200 and updated.json()["skills"] == ["elevator"]
    listed = call(desk.dispatcher, "GET", "/technicians").json()
    assert [(p["user"]["id"], p["auto_dispatch"]) for p in listed] == [(desk.technician.user.pk, False)]
    # the dispatcher may not change it
    assert call(desk.dispatcher, "PUT", f"/technicians/{profile['id']}", {"skills": []}).status_code == 403


def test_the_rota_the_calendar_and_the_holidays(desk, call):
    shift = call(desk.manager, "POST", "/duty-shifts", {"user_id": desk.technician.user.pk, "weekday": 6,
                                                        "starts": "22:00", "ends": "06:00"})
    assert shift.status_code == 201, shift.content
    assert call(desk.dispatcher, "GET", "/duty-shifts").json()[0]["ends"] == "06:00:00"
    assert call(desk.manager, "DELETE", f"/duty-shifts/{shift.json()['id']}").status_code == 204
    calendar = call(desk.dispatcher, "GET", "/service-calendar").json()
    assert calendar["is_default"] is True and calendar["working_hours"]["5"] == []
    bad = call(desk.manager, "PUT", "/service-calendar", {"working_hours": {"0": [["18:00", "09:00"]]}})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_working_hours")
    ok = call(desk.manager, "PUT", "/service-calendar", {"working_hours": {"0": [["09:00", "18:00"]]}})
    assert ok.json() == {"working_hours": {"0": [["09:00", "18:00"]], "1": [], "2": [], "3": [], "4": [],
                                           "5": [], "6": []}, "is_default": False}
    day = call(desk.manager, "POST", "/calendar-days", {"date": "2027-02-06", "working": True,
                                                        "hours_of_weekday": 0, "name": "春节调休"})
    assert day.status_code == 201
    again = call(desk.manager, "POST", "/calendar-days", {"date": "2027-02-06", "working": False})
    assert (again.status_code, again.json()["code"]) == (409, "calendar_day_exists")
    assert [d["date"] for d in call(desk.dispatcher, "GET", "/calendar-days?year=2027").json()] == ["2027-02-06"]
    assert call(desk.manager, "DELETE", f"/calendar-days/{day.json()['id']}").status_code == 204


def test_sla_targets_through_the_api(desk, call):
    put = call(desk.manager, "PUT", "/sla-targets", {"category_id": desk.category.pk, "priority": "emergency",
                                                     "response_minutes": 5, "resolution_minutes": 240})
    assert put.status_code == 200, put.content
    assert call(desk.dispatcher, "GET", "/sla-targets").json()[0]["response_minutes"] == 5
    zero = call(desk.manager, "PUT", "/sla-targets", {"category_id": desk.category.pk, "priority": "high",
                                                      "response_minutes": 0, "resolution_minutes": 240})
    assert zero.status_code == 422
    assert call(desk.manager, "DELETE", f"/sla-targets/{put.json()['id']}").status_code == 204


def test_auto_assign_bulk_assign_the_queue_and_the_countdown(desk, call):
    TechnicianProfileFactory(estate=desk.estate, user=desk.technician.user, skills=[])
    for day in range(7):
        DutyShiftFactory(estate=desk.estate, user=desk.technician.user, weekday=day, starts="00:00", ends="00:00")
    now = timezone.now()
    ticket = desk.ticket(response_minutes=15, resolution_minutes=60, sla_state="on_track",
                         response_due_at=now + timedelta(minutes=15), resolution_due_at=now + timedelta(hours=1))
    assigned = call(desk.dispatcher, "POST", f"/tickets/{ticket.pk}/auto-assign")
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"]["id"] == desk.technician.user.pk
    # the technician's queue and the countdown
    queue = call(desk.technician, "GET", "/technicians/me/queue").json()
    assert [t["id"] for t in queue] == [ticket.pk]
    sla = call(desk.technician, "GET", f"/tickets/{ticket.pk}/sla").json()
    assert sla["target"] == "resolution" and 0 < sla["seconds_left"] <= 3600
    # nobody suitable: 409 with a message
    other = desk.ticket(category=CategoryFactory(estate=desk.estate, skill="elevator"))
    refused = call(desk.dispatcher, "POST", f"/tickets/{other.pk}/auto-assign")
    assert (refused.status_code, refused.json()["code"]) == (409, "no_candidate")
    # bulk: all or nothing
    a, b = desk.ticket(), desk.ticket()
    bulk = call(desk.dispatcher, "POST", "/ticket-assignments", {"ticket_ids": [a.pk, b.pk],
                                                                  "assignee_id": desk.technician2.user.pk})
    assert bulk.status_code == 200, bulk.content
    assert [t["assignee"]["id"] for t in bulk.json()] == [desk.technician2.user.pk] * 2
    closed = desk.ticket(status="closed")
    c = desk.ticket()
    refused = call(desk.dispatcher, "POST", "/ticket-assignments", {"ticket_ids": [c.pk, closed.pk],
                                                                     "assignee_id": desk.technician2.user.pk})
    assert refused.status_code == 409 and Ticket.objects.get(pk=c.pk).status == "submitted"


def test_hold_reason_through_the_transition_schema(desk, call):
    from gongzhi.tickets.api.schemas import TransitionIn

    assert TransitionIn(action="hold", note="等", hold_reason="resident").hold_reason == "resident"
    assert TransitionIn(action="resume").hold_reason is None


def test_another_estates_settings_are_not_found(desk, call, other_estate):
    foreign_profile = TechnicianProfileFactory(estate=other_estate)
    foreign_shift = DutyShiftFactory(estate=other_estate)
    foreign_day = CalendarDayFactory(estate=other_estate)
    foreign_target = SlaTargetFactory(category__estate=other_estate)
    assert call(desk.manager, "PUT", f"/technicians/{foreign_profile.pk}", {"skills": []}).status_code == 404
    assert call(desk.manager, "DELETE", f"/duty-shifts/{foreign_shift.pk}").status_code == 404
    assert call(desk.manager, "DELETE", f"/calendar-days/{foreign_day.pk}").status_code == 404
    assert call(desk.manager, "DELETE", f"/sla-targets/{foreign_target.pk}").status_code == 404
    assert call(desk.manager, "GET", "/technicians", estate=other_estate).status_code == 404
    # and their rows are not listed here
    assert call(desk.manager, "GET", "/duty-shifts").json() == []
    assert call(desk.manager, "GET", "/sla-targets").json() == []


@pytest.mark.parametrize("path", ["/technicians", "/duty-shifts", "/calendar-days", "/sla-targets",
                                  "/technicians/me/queue"])
def test_lists_have_a_query_budget(desk, call, path, django_assert_max_num_queries, member):
    for _ in range(5):
        user = member("technician", desk.estate)
        TechnicianProfileFactory(estate=desk.estate, user=user, supervisor=desk.dispatcher.user)
        DutyShiftFactory(estate=desk.estate, user=user)
        SlaTargetFactory(category=CategoryFactory(estate=desk.estate), priority="high")
        desk.ticket(status="assigned", assignee=desk.technician.user)
    CalendarDayFactory(estate=desk.estate)
    actor = desk.technician if path.endswith("queue") else desk.manager
    call(actor, "GET", path)  # warm the token and access caches
    with django_assert_max_num_queries(6):
        response = call(actor, "GET", path)
    assert response.status_code == 200
