"""Submitting a ticket: from the portal for one's own house, by the desk on someone's behalf, idempotently."""

import pytest
from django.utils import timezone

from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.core.models import AuditEntry
from gongzhi.estate.tests.factories import PersonFactory
from gongzhi.tickets.models import Ticket, TicketEvent
from gongzhi.tickets.services import ticket_submit
from gongzhi.tickets.tests.factories import CategoryFactory


def submit(desk, actor=None, **kwargs):
    values = {"kind": "repair", "category_id": desk.category.pk, "scope": "private", "house_id": desk.home.pk,
              "title": "厨房水管漏水", "description": "水槽下面一直滴水"}
    return ticket_submit(actor=actor or desk.resident, **{**values, **kwargs})


def test_a_resident_reports_a_repair_in_their_home(desk):
    # when the resident submits a repair for their own home
    ticket = submit(desk)
    # then it is submitted with a number, the category's priority, the house's building and unit, from the portal
    assert ticket.status == "submitted"
    assert ticket.number == f"R{timezone.localdate():%Y%m%d}00001"
    assert (ticket.priority, ticket.channel) == (desk.category.default_priority, "portal")
    assert (ticket.building_id, ticket.unit_id) == (desk.home.building_id, desk.home.unit_id)
    # and the timeline and the audit log record it
    event = TicketEvent.objects.get(ticket=ticket)
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "submit", "", "submitted", desk.resident.user)
    assert AuditEntry.objects.filter(action="ticket.submit", object_id=str(ticket.pk)).exists()


def test_numbers_follow_each_other_per_kind(desk):
    first = submit(desk)
    second = submit(desk)
    complaint = submit(desk, kind="complaint")
    assert second.number[-5:] == "00002"
    assert complaint.number.startswith("C") and complaint.number.endswith("00001")
    assert first.number != second.number


def test_a_resident_cannot_report_for_a_house_that_is_not_theirs(desk):
    # when the resident picks the neighbour's house
    with pytest.raises(DomainError) as refused:
        submit(desk, house_id=desk.next_door.pk)
    # then it is refused, naming the field, and nothing is created
    assert refused.value.detail == {"field": "house_id"}
    assert not Ticket.objects.exists()


def test_a_private_repair_needs_a_house(desk):
    with pytest.raises(DomainError) as refused:
        submit(desk, house_id=None)
    assert refused.value.detail == {"field": "house_id"}


def test_a_common_area_problem_says_where(desk):
    # a common-area problem with neither a building nor a place is refused
    with pytest.raises(DomainError) as refused:
        submit(desk, scope="common", house_id=None)
    assert refused.value.detail == {"field": "place"}
    # with the unit, the building comes with it; with a place, that is enough
    ticket = submit(desk, scope="common", house_id=None, unit_id=desk.home.unit_id, place="电梯厅")
    assert (ticket.house, ticket.building_id, ticket.place) == (None, desk.home.building_id, "电梯厅")
    assert submit(desk, scope="common", house_id=None, place="北门").building is None


def test_a_common_area_ticket_has_no_house(desk):
    with pytest.raises(DomainError) as refused:
        submit(desk, scope="common", place="北门")
    assert refused.value.detail == {"field": "house_id"}


def test_the_desk_reports_on_a_residents_behalf_by_phone(desk):
    # given a caller registered in the estate
    caller = desk.home.residencies.first().person
    # when customer service submits for them
    ticket = submit(desk, actor=desk.customer_service, on_behalf_of_person_id=caller.pk, house_id=desk.next_door.pk)
    # then the ticket is the caller's, from the phone, and any house of the estate may be named
    assert (ticket.on_behalf_of_person, ticket.channel, ticket.submitted_by) == (
        caller, "phone", desk.customer_service.user)


def test_only_the_desk_submits_on_behalf_and_only_for_people_of_the_estate(desk, other_estate):
    with pytest.raises(DomainError):
        submit(desk, on_behalf_of_person_id=desk.home.residencies.first().person_id)
    stranger = PersonFactory(estate=other_estate)
    with pytest.raises(DomainError) as refused:
        submit(desk, actor=desk.dispatcher, on_behalf_of_person_id=stranger.pk)
    assert refused.value.detail == {"field": "on_behalf_of_person_id"}


@pytest.mark.parametrize("role", ["technician", "guard"])
def test_roles_outside_the_desk_and_the_households_do_not_submit(desk, role):
    with pytest.raises(Forbidden):
        submit(desk, actor=getattr(desk, role))


def test_a_category_of_another_estate_is_refused(desk, other_estate):
    with pytest.raises(DomainError) as refused:
        submit(desk, category_id=CategoryFactory(estate=other_estate).pk)
    assert refused.value.detail == {"field": "category_id"}


def test_only_complaints_may_be_anonymous(desk):
    with pytest.raises(DomainError) as refused:
        submit(desk, anonymous=True)
    assert refused.value.detail == {"field": "anonymous"}
    assert submit(desk, kind="complaint", anonymous=True).anonymous


def test_a_repeated_submit_with_the_same_key_creates_one_ticket(desk):
    # given a submit with an idempotency key
    first = submit(desk, idempotency_key="app-7f3a")
    # when the app retries it (even with a different title)
    again = submit(desk, idempotency_key="app-7f3a", title="重复提交")
    # then the first ticket is returned and nothing new is created
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert TicketEvent.objects.count() == 1
    # and another key, or another submitter with the same key, is a new ticket
    assert submit(desk, idempotency_key="app-7f3b").pk != first.pk
    assert submit(desk, actor=desk.family, idempotency_key="app-7f3a").pk != first.pk
    assert Ticket.objects.count() == 3


def test_text_is_stored_as_typed_and_a_missing_title_is_refused(desk):
    ticket = submit(desk, title="<script>alert(1)</script>")
    assert ticket.title == "<script>alert(1)</script>"  # escaped where shown, never altered or executed
    with pytest.raises(DomainError) as refused:
        submit(desk, title="  ")
    assert refused.value.detail == {"field": "title"}
