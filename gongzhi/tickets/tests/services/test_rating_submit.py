"""Rating (issue 3): the household rates a resolved ticket 1–5 with a comment, which closes it through the workflow.
Before resolution, twice, outside 1–5, by staff, by another household: refused, and nothing changes."""

import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from gongzhi.core.access import resolve_actor
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.models import AuditEntry
from gongzhi.notifications.models import Notification
from gongzhi.tickets import feedback
from gongzhi.tickets.feedback import rating_submit, ticket_ratings
from gongzhi.tickets.models import Rating, Ticket, TicketEvent
from gongzhi.tickets.tests.factories import TicketFactory
from gongzhi.tickets.tests.factories_feedback import blind


def resolved(desk, **kwargs):
    kwargs.setdefault("assignee", desk.technician.user)
    return desk.ticket(status="resolved", resolved_at=timezone.now(), **kwargs)


def test_the_household_rates_a_resolved_ticket_and_it_closes(desk):
    # given a repair the technician resolved
    ticket = resolved(desk)
    # when the resident rates it 4 with a comment
    rating = rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=4, comment="师傅很准时")
    # then the rating is kept for this round, for the technician who did the work
    assert (rating.score, rating.comment, rating.round) == (4, "师傅很准时", 0)
    assert (rating.rated_by, rating.assignee) == (desk.resident.user, desk.technician.user)
    # and the ticket is closed through the workflow: on the timeline, audited
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at is not None
    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "close", "resolved", "closed", desk.resident.user)
    assert event.note == "师傅很准时"
    assert AuditEntry.objects.filter(action="ticket.rate", object_id=str(rating.pk)).exists()
    assert AuditEntry.objects.filter(action="ticket.close", object_id=str(ticket.pk)).exists()


def test_a_family_member_of_the_house_may_rate(desk):
    rating = rating_submit(actor=desk.family, ticket_id=resolved(desk).pk, score=5)
    assert rating.rated_by == desk.family.user


@pytest.mark.parametrize("score", [1, 5])
def test_the_ends_of_the_scale_are_accepted(desk, score):
    assert rating_submit(actor=desk.resident, ticket_id=resolved(desk).pk, score=score).score == score


@pytest.mark.parametrize("score", [0, 6, -1, 3.5, "", None, True])
def test_a_score_outside_one_to_five_is_400_and_changes_nothing(desk, score):
    ticket = resolved(desk)
    with pytest.raises(DomainError) as error:
        rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=score)
    assert (error.value.status, error.value.code) == (400, "invalid_score")
    assert not Rating.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


@pytest.mark.parametrize("status", ["submitted", "assigned", "accepted", "in_progress", "on_hold", "rejected",
                                    "cancelled"])
def test_rating_before_resolution_is_409_not_resolved(desk, status):
    ticket = desk.ticket(status=status, assignee=desk.technician.user)
    with pytest.raises(Conflict) as error:
        rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=5)
    assert error.value.code == "not_resolved"
    assert not Rating.objects.exists()


def test_a_closed_ticket_nobody_rated_cannot_be_rated_any_more(desk):
    ticket = desk.ticket(status="closed", assignee=desk.technician.user, closed_at=timezone.now())
    with pytest.raises(Conflict) as error:
        rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=5)
    assert error.value.code == "not_resolved"


def test_rating_twice_is_409_already_rated(desk):
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=2)
    with pytest.raises(Conflict) as error:
        rating_submit(actor=desk.family, ticket_id=ticket.pk, score=5)
    assert error.value.code == "already_rated"
    assert list(Rating.objects.values_list("score", flat=True)) == [2]


def test_a_reopened_and_resolved_again_ticket_is_rated_again_in_its_new_round(desk):
    # given a ticket rated once, sent back, and resolved again
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=2)
    Ticket.objects.filter(pk=ticket.pk).update(status="resolved", reopen_count=1, resolved_at=timezone.now())
    # when the resident rates it again, then that is the second round's rating
    again = rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=5)
    assert again.round == 1
    assert [r.score for r in ticket_ratings(actor=desk.resident, ticket=ticket)] == [2, 5]


@pytest.mark.parametrize("who", ["manager", "customer_service", "dispatcher", "technician"])
def test_staff_cannot_rate_403(desk, who):
    ticket = resolved(desk)
    with pytest.raises(Forbidden):
        rating_submit(actor=getattr(desk, who), ticket_id=ticket.pk, score=5)
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


def test_another_household_gets_404(desk):
    with pytest.raises(NotFound):
        rating_submit(actor=desk.neighbour, ticket_id=resolved(desk).pk, score=1)


def test_a_ticket_of_another_estate_is_404(desk, other_estate):
    foreign = TicketFactory(house__unit__building__estate=other_estate, category__estate=other_estate,
                            status="resolved", resolved_at=timezone.now())
    with pytest.raises(NotFound):
        rating_submit(actor=desk.resident, ticket_id=foreign.pk, score=5)


def test_the_comment_is_stored_as_typed_and_limited(desk):
    script = "<script>alert('x')</script> 很好"
    rating = rating_submit(actor=desk.resident, ticket_id=resolved(desk).pk, score=3, comment=script)
    assert Rating.objects.get(pk=rating.pk).comment == script
    with pytest.raises(DomainError) as error:
        rating_submit(actor=desk.resident, ticket_id=resolved(desk).pk, score=3, comment="长" * 1001)
    assert error.value.code == "invalid_field"
    assert rating_submit(actor=desk.resident, ticket_id=resolved(desk).pk, score=3, comment="长" * 1000)


def test_the_submitter_is_not_told_of_their_own_close(desk):
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=4)
    assert not Notification.objects.filter(user=desk.resident.user, kind="ticket_update").exists()


def test_staff_see_the_rating_but_another_technician_does_not(desk):
    ticket = resolved(desk)
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=4)
    assert len(ticket_ratings(actor=desk.customer_service, ticket=ticket)) == 1
    assert len(ticket_ratings(actor=desk.technician, ticket=ticket)) == 1
    assert ticket_ratings(actor=desk.technician2, ticket=ticket) == []
    assert ticket_ratings(actor=desk.neighbour, ticket=ticket) == []


def test_a_rating_that_slips_in_between_the_check_and_the_write_is_409_already_rated(desk, monkeypatch):
    # given the family rated it in a concurrent transaction our check did not see yet
    ticket = resolved(desk)
    earlier = Rating.objects.create(estate=desk.estate, ticket=ticket, round=0, score=1, rated_by=desk.family.user)
    monkeypatch.setattr(feedback, "Rating", blind(Rating))
    # when the resident's rating is written, then the unique constraint refuses it as already rated
    with pytest.raises(Conflict) as error:
        rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=5)
    assert error.value.code == "already_rated"
    assert list(Rating.objects.filter(ticket=ticket)) == [earlier]
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL's row locks")
@pytest.mark.django_db(transaction=True)
def test_two_ratings_at_once_one_wins(desk):
    # given a resolved ticket and two members of the household, each on their own connection
    ticket = resolved(desk)
    users = [desk.resident.user, desk.family.user]
    barrier = threading.Barrier(len(users))
    outcomes: dict[int, str] = {}

    def rate(user, score):
        try:
            actor = resolve_actor(user, desk.estate.pk)
            barrier.wait(timeout=10)
            rating_submit(actor=actor, ticket_id=ticket.pk, score=score)
            outcomes[user.pk] = "rated"
        except Conflict as exc:
            outcomes[user.pk] = f"{exc.status} {exc.code}"
        finally:
            close_old_connections()
            connection.close()

    # when both rate at the same moment
    threads = [threading.Thread(target=rate, args=(user, score)) for user, score in zip(users, [1, 5], strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then exactly one rating counts, the other is told 409 already_rated, and the ticket closed once
    assert sorted(outcomes.values()) == ["409 already_rated", "rated"]
    assert Rating.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, action="close").count() == 1
