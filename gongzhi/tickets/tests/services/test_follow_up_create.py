"""Follow-up visits (回访) are made when a ticket closes: every rating at or below the estate's
``tickets.follow_up_max_score``, every complaint, and a deterministic sample of the rest; the desk adds others by
hand. One per ticket and round."""

from collections import Counter
from fractions import Fraction

import pytest
from django.utils import timezone

from gongzhi.core.errors import Conflict, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.notifications.models import Notification
from gongzhi.tickets.feedback import FOLLOW_UP_DUE, follow_up_create, in_sample, rating_submit
from gongzhi.tickets.models import FollowUpVisit, Ticket
from gongzhi.tickets.services import ticket_close


def rules(desk, **overrides):
    desk.estate.rule_overrides = {f"tickets.{key}": value for key, value in overrides.items()}
    desk.estate.save()


def resolved(desk, **kwargs):
    return desk.ticket(status="resolved", assignee=desk.technician.user, resolved_at=timezone.now(), **kwargs)


@pytest.mark.parametrize(("score", "visited"), [(1, True), (2, True), (3, False), (5, False)])
def test_a_rating_at_or_below_the_max_score_gets_a_visit(desk, score, visited):
    # given no sample, so only the rating decides
    rules(desk, follow_up_sample="0")
    ticket = resolved(desk)
    # when the resident rates it
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=score, comment="一般")
    # then a low rating is on the follow-up list, due two days later, and customer service is told
    visit = FollowUpVisit.objects.filter(ticket=ticket).first()
    assert (visit is not None) is visited
    told = Notification.objects.filter(user=desk.customer_service.user, kind="follow_up")
    assert told.exists() is visited
    if visited:
        assert (visit.reason, visit.round, visit.done_at) == ("low_rating", 0, None)
        assert visit.due_at - visit.created_at == FOLLOW_UP_DUE
        assert str(score) in told.get().body
        assert AuditEntry.objects.filter(action="follow_up.create", object_id=str(visit.pk)).exists()


def test_the_estate_sets_what_counts_as_low(desk):
    rules(desk, follow_up_sample="0", follow_up_max_score=3)
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=3)
    assert FollowUpVisit.objects.get(ticket=ticket).reason == "low_rating"


def test_a_complaint_closed_by_the_desk_gets_a_visit(desk):
    rules(desk, follow_up_sample="0")
    complaint = resolved(desk, kind="complaint")
    ticket_close(actor=desk.customer_service, ticket_id=complaint.pk)
    assert FollowUpVisit.objects.get(ticket=complaint).reason == "complaint"


def test_a_low_rated_complaint_counts_as_a_low_rating(desk):
    rules(desk, follow_up_sample="0")
    complaint = resolved(desk, kind="complaint")
    rating_submit(actor=desk.resident, ticket_id=complaint.pk, score=1)
    assert FollowUpVisit.objects.get(ticket=complaint).reason == "low_rating"


def test_with_no_sample_a_well_rated_repair_gets_none(desk):
    rules(desk, follow_up_sample="0")
    ticket = resolved(desk)
    ticket_close(actor=desk.customer_service, ticket_id=ticket.pk)
    assert not FollowUpVisit.objects.exists()


def test_with_a_full_sample_every_closed_ticket_gets_one(desk):
    rules(desk, follow_up_sample="1")
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=5)
    assert FollowUpVisit.objects.get(ticket=ticket).reason == "sample"
    assert not Notification.objects.filter(kind="follow_up").exists()


def test_the_sample_is_decided_by_the_ticket_id_alone_and_takes_about_its_share():
    share = Fraction(1, 10)
    picks = [in_sample(ticket_id, share) for ticket_id in range(1, 20001)]
    assert picks == [in_sample(ticket_id, share) for ticket_id in range(1, 20001)]  # reruns agree
    assert 1800 <= sum(picks) <= 2200
    assert Counter(in_sample(t, Fraction(0)) for t in range(1, 500)) == {False: 499}
    assert Counter(in_sample(t, Fraction(1)) for t in range(1, 500)) == {True: 499}


def test_a_bad_sample_rule_falls_back_to_the_default(desk):
    rules(desk, follow_up_sample="abc")
    ticket = resolved(desk)
    ticket_close(actor=desk.customer_service, ticket_id=ticket.pk)
    assert FollowUpVisit.objects.filter(ticket=ticket).exists() is in_sample(ticket.pk, Fraction(1, 10))


def test_each_round_gets_its_own_visit(desk):
    rules(desk, follow_up_sample="0")
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=1)
    Ticket.objects.filter(pk=ticket.pk).update(status="resolved", reopen_count=1, resolved_at=timezone.now())
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=2)
    assert list(FollowUpVisit.objects.filter(ticket=ticket).values_list("round", "reason")) == [
        (0, "low_rating"), (1, "low_rating")]


# --- by hand -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["customer_service", "dispatcher", "manager"])
def test_the_desk_adds_a_done_ticket_by_hand(desk, who):
    ticket = desk.ticket(status="closed", assignee=desk.technician.user, closed_at=timezone.now())
    visit = follow_up_create(actor=getattr(desk, who), ticket_id=ticket.pk)
    assert (visit.reason, visit.round, visit.ticket) == ("manual", 0, ticket)
    assert visit.due_at - visit.created_at == FOLLOW_UP_DUE


def test_a_second_visit_for_the_same_round_is_409(desk):
    rules(desk, follow_up_sample="0")
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=1)
    with pytest.raises(Conflict) as error:
        follow_up_create(actor=desk.customer_service, ticket_id=ticket.pk)
    assert error.value.code == "follow_up_exists"


def test_an_open_ticket_is_409_not_done(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    with pytest.raises(Conflict) as error:
        follow_up_create(actor=desk.customer_service, ticket_id=ticket.pk)
    assert error.value.code == "ticket_not_done"


def test_a_manual_visit_on_a_resolved_ticket_is_not_doubled_when_it_closes(desk):
    rules(desk, follow_up_sample="1")
    ticket = resolved(desk)
    follow_up_create(actor=desk.customer_service, ticket_id=ticket.pk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=5)
    assert list(FollowUpVisit.objects.values_list("reason", flat=True)) == ["manual"]


@pytest.mark.parametrize("who", ["technician", "resident", "guard"])
def test_others_cannot_add_visits(desk, who):
    ticket = desk.ticket(status="closed", assignee=desk.technician.user)
    with pytest.raises(Forbidden):
        follow_up_create(actor=getattr(desk, who), ticket_id=ticket.pk)


def test_a_ticket_of_another_estate_is_404(desk, other_estate):
    from gongzhi.tickets.tests.factories import TicketFactory

    foreign = TicketFactory(house__unit__building__estate=other_estate, category__estate=other_estate,
                            status="closed")
    with pytest.raises(NotFound):
        follow_up_create(actor=desk.customer_service, ticket_id=foreign.pk)
