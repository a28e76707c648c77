"""The follow-up queue: pending visits oldest due first, done ones newest first, with the round's rating; the desk
only; a constant number of queries."""

import pytest
from django.utils import timezone

from gongzhi.core.errors import Forbidden
from gongzhi.tickets.feedback import follow_up_list, follow_up_record
from gongzhi.tickets.tests.factories import TicketFactory
from gongzhi.tickets.tests.factories_feedback import FollowUpVisitFactory, RatingFactory


def visit_of(desk, **kwargs):
    ticket = desk.ticket(status="closed", assignee=desk.technician.user)
    return FollowUpVisitFactory(ticket=ticket, **kwargs)


def test_pending_visits_come_oldest_due_first_with_their_rating(desk):
    # given three visits, one of them done, one with a low rating
    first = visit_of(desk, reason="low_rating")
    RatingFactory(ticket=first.ticket, score=1, comment="<i>太差</i>")
    second = visit_of(desk)
    done = visit_of(desk)
    follow_up_record(actor=desk.customer_service, visit_id=done.pk, outcome="satisfied")
    # when customer service opens the queue
    page = follow_up_list(actor=desk.customer_service)
    # then the pending ones, oldest due first, carry the round's rating
    assert [v.pk for v in page.items] == [first.pk, second.pk]
    assert [v.due_at for v in page.items] == sorted(v.due_at for v in page.items)
    assert (page.items[0].rating_score, page.items[0].rating_comment) == (1, "<i>太差</i>")
    assert page.items[1].rating_score is None
    assert [v.pk for v in follow_up_list(actor=desk.customer_service, pending=False).items] == [done.pk]
    assert len(follow_up_list(actor=desk.customer_service, pending=None).items) == 3


def test_the_rating_shown_is_the_visits_round(desk):
    ticket = desk.ticket(status="closed", assignee=desk.technician.user, reopen_count=1)
    RatingFactory(ticket=ticket, round=0, score=5)
    RatingFactory(ticket=ticket, round=1, score=2)
    FollowUpVisitFactory(ticket=ticket, round=1)
    assert follow_up_list(actor=desk.manager).items[0].rating_score == 2


def test_filters_by_reason_and_outcome(desk):
    low = visit_of(desk, reason="low_rating")
    visit_of(desk, reason="sample")
    assert [v.pk for v in follow_up_list(actor=desk.manager, reason="low_rating").items] == [low.pk]
    follow_up_record(actor=desk.manager, visit_id=low.pk, outcome="unreachable")
    assert [v.pk for v in follow_up_list(actor=desk.manager, pending=None, outcome="unreachable").items] == [low.pk]


def test_pages_follow_the_cursor(desk):
    visits = [visit_of(desk) for _ in range(5)]
    first = follow_up_list(actor=desk.customer_service, limit=2)
    second = follow_up_list(actor=desk.customer_service, limit=2, cursor=first.next_cursor)
    third = follow_up_list(actor=desk.customer_service, limit=2, cursor=second.next_cursor)
    assert [v.pk for v in first.items + second.items + third.items] == [v.pk for v in visits]
    assert third.next_cursor is None


def test_another_estates_visits_are_not_listed(desk, other_estate):
    FollowUpVisitFactory(ticket=TicketFactory(house__unit__building__estate=other_estate,
                                              category__estate=other_estate, status="closed"))
    mine = visit_of(desk)
    assert [v.pk for v in follow_up_list(actor=desk.customer_service, pending=None).items] == [mine.pk]


def test_a_complaint_about_a_staff_member_is_for_the_managers_only(desk):
    complaint = desk.ticket(kind="complaint", status="closed", about_staff=desk.technician.user,
                            closed_at=timezone.now())
    FollowUpVisitFactory(ticket=complaint, reason="complaint")
    assert follow_up_list(actor=desk.customer_service).items == []
    assert len(follow_up_list(actor=desk.manager).items) == 1


@pytest.mark.parametrize("who", ["technician", "resident", "guard"])
def test_only_the_desk_sees_the_queue(desk, who):
    with pytest.raises(Forbidden):
        follow_up_list(actor=getattr(desk, who))


@pytest.mark.parametrize("count", [3, 30])
def test_the_queue_costs_one_query_whatever_its_length(desk, count, django_assert_num_queries):
    for _ in range(count):
        RatingFactory(ticket=visit_of(desk).ticket, score=2)
    with django_assert_num_queries(1):
        page = follow_up_list(actor=desk.customer_service)
        assert len(page.items) == count
        assert all(v.ticket.house.building.name and v.rating_score == 2 for v in page.items)
