"""Grab mode matches skills: a technician grabs only tickets whose category skill is theirs."""

import pytest

from gongzhi.core.errors import Forbidden
from gongzhi.tickets.models import Ticket
from gongzhi.tickets.services import ticket_grab
from gongzhi.tickets.tests.factories import CategoryFactory, TechnicianProfileFactory


@pytest.fixture
def plumbing(desk):
    return CategoryFactory(estate=desk.estate, skill="plumbing")


def test_a_technician_with_the_skill_grabs(desk, plumbing):
    TechnicianProfileFactory(estate=desk.estate, user=desk.technician.user, skills=["plumbing"])
    ticket = ticket_grab(actor=desk.technician, ticket_id=desk.ticket(category=plumbing).pk)
    assert ticket.assignee == desk.technician.user


def test_a_technician_without_the_skill_is_refused_with_a_clear_message(desk, plumbing):
    TechnicianProfileFactory(estate=desk.estate, user=desk.technician.user, skills=["electrical"])
    ticket = desk.ticket(category=plumbing)
    with pytest.raises(Forbidden) as refused:
        ticket_grab(actor=desk.technician, ticket_id=ticket.pk)
    assert (refused.value.code, refused.value.detail) == ("skill_mismatch", {"skill": "plumbing"})
    assert "plumbing" in refused.value.text("en")
    assert Ticket.objects.get(pk=ticket.pk).status == "submitted"


def test_without_a_profile_only_skill_less_tickets_may_be_grabbed(desk, plumbing):
    with pytest.raises(Forbidden):
        ticket_grab(actor=desk.technician, ticket_id=desk.ticket(category=plumbing).pk)
    anything = CategoryFactory(estate=desk.estate, skill="")
    assert ticket_grab(actor=desk.technician, ticket_id=desk.ticket(category=anything).pk).status == "assigned"


def test_a_profile_in_another_estate_does_not_count(desk, plumbing, other_estate):
    TechnicianProfileFactory(estate=other_estate, user=desk.technician.user, skills=["plumbing"])
    with pytest.raises(Forbidden):
        ticket_grab(actor=desk.technician, ticket_id=desk.ticket(category=plumbing).pk)
