"""A ticket's transitions notify the people concerned, each in their own language."""

import pytest

from gongzhi.notifications.models import Notification
from gongzhi.tickets import services

pytestmark = pytest.mark.django_db


def test_assigning_notifies_the_submitter_in_their_language_and_the_assignee(desk):
    """Given a ticket submitted by a resident who reads English, when the dispatcher assigns it to a technician
    who reads Chinese, then the resident hears the new state in English and the technician of the assignment."""
    desk.resident.user.language = "en"
    desk.resident.user.save(update_fields=["language"])
    ticket = desk.ticket()
    services.ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    update = Notification.objects.get(user=desk.resident.user)
    assert (update.estate_id, update.kind) == (desk.estate.pk, "ticket_update")
    assert update.body == f"Your ticket {ticket.number} is now “Assigned”."
    assigned = Notification.objects.get(user=desk.technician.user)
    assert assigned.kind == "ticket_assigned"
    assert ticket.number in assigned.title
    assert not Notification.objects.exclude(user__in=[desk.resident.user, desk.technician.user]).exists()


def test_the_state_is_shown_in_chinese_to_a_chinese_reader(desk):
    ticket = desk.ticket()
    services.ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    assert "已派单" in Notification.objects.get(user=desk.resident.user).body


def test_nobody_is_notified_of_their_own_action(desk):
    """Given a technician grabbing an open ticket, then only the submitter hears of it (not the grabber), and a
    resident cancelling their own ticket notifies nobody."""
    grabbed = desk.ticket()
    services.ticket_grab(actor=desk.technician, ticket_id=grabbed.pk)
    assert list(Notification.objects.values_list("user_id", flat=True)) == [desk.resident.user.pk]
    cancelled = desk.ticket()
    services.ticket_cancel(actor=desk.resident, ticket_id=cancelled.pk)
    assert Notification.objects.count() == 1
