"""The follow-up queue page (回访) in the console: customer service sees the visits due with the rating, records the
outcome in place (errors shown in the row), may reopen the ticket of an unsatisfied resident; the rest of the
desk looks on; nobody else gets in."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone

from config import urls as root_urls
from gongzhi.tickets.models import FollowUpVisit, Ticket
from gongzhi.tickets.tests.factories import TicketFactory
from gongzhi.tickets.tests.factories_feedback import FollowUpVisitFactory, RatingFactory
from gongzhi.tickets.web import follow_ups
from gongzhi.tickets.web import urls as ticket_urls

# The page's URL joins the tickets pages (gongzhi/tickets/web/urls.py) in the lead's wiring; until then the tests
# mount it the same way themselves.
_wired = any(getattr(p, "name", None) == "follow_ups" for p in ticket_urls.urlpatterns)
urlpatterns = [p for p in root_urls.urlpatterns if getattr(p, "app_name", None) != "tickets"] + [
    path("e/<int:estate_id>/", include((ticket_urls.urlpatterns + ([] if _wired else follow_ups.urlpatterns),
                                        "tickets")))]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def browser(actor, **kwargs) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **kwargs)
    client.force_login(actor.user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def url(desk, query: str = "") -> str:
    return reverse("tickets:follow_ups", kwargs={"estate_id": desk.estate.pk}) + query


def visit_of(desk, score=None, comment="", **kwargs):
    now = timezone.now()
    ticket = desk.ticket(status="closed", assignee=desk.technician.user, resolved_at=now, closed_at=now)
    if score is not None:
        RatingFactory(ticket=ticket, score=score, comment=comment)
    return FollowUpVisitFactory(ticket=ticket, **kwargs)


def test_customer_service_sees_the_queue_and_records_a_call(desk):
    # given a low rating due yesterday and a sample due tomorrow
    overdue = visit_of(desk, score=1, comment="<script>alert('x')</script>没修好", reason="low_rating",
                       created_at=timezone.now() - timedelta(days=3))
    later = visit_of(desk)
    client = browser(desk.customer_service)
    # when customer service opens the queue
    response = client.get(url(desk))
    page = response.content.decode()
    # then both are listed, oldest due first, the late one marked, the comment escaped, a form for each
    assert response.status_code == 200
    assert page.index(overdue.ticket.number) < page.index(later.ticket.number)
    assert "Overdue" in page and "1/5" in page and "Low rating" in page
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;没修好" in page
    assert page.count('name="visit_id"') == 2
    assert f'href="/e/{desk.estate.pk}/console/tickets/{overdue.ticket_id}/"' in page
    # when the call is recorded
    response = client.post(url(desk), {"visit_id": overdue.pk, "outcome": "satisfied", "note": "已修好"},
                           follow=True)
    # then the page comes back without it, saying so, and the visit is done by customer service
    assert response.status_code == 200
    page = response.content.decode()
    assert "The outcome of the follow-up visit was recorded." in page
    assert overdue.ticket.number not in page and later.ticket.number in page
    stored = FollowUpVisit.objects.get(pk=overdue.pk)
    assert (stored.outcome, stored.note, stored.done_by) == ("satisfied", "已修好", desk.customer_service.user)
    # and the done tab shows it
    assert overdue.ticket.number in browser(desk.customer_service).get(url(desk, "?state=done")).content.decode()


def test_an_error_is_shown_in_its_row_and_what_was_typed_kept(desk):
    visit = visit_of(desk)
    response = browser(desk.customer_service).post(url(desk), {"visit_id": visit.pk, "outcome": "satisfied",
                                                               "note": "打通了", "reopen": "on"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-code="reopen_needs_unsatisfied"' in page
    assert "打通了" in page
    assert FollowUpVisit.objects.get(pk=visit.pk).done_at is None


def test_recording_twice_is_refused_in_place(desk):
    visit = visit_of(desk)
    client = browser(desk.customer_service)
    client.post(url(desk), {"visit_id": visit.pk, "outcome": "neutral"})
    response = client.post(url(desk, "?state=all"), {"visit_id": visit.pk, "outcome": "satisfied"})
    assert response.status_code == 409
    assert 'data-code="already_recorded"' in response.content.decode()
    assert FollowUpVisit.objects.get(pk=visit.pk).outcome == "neutral"


def test_an_unsatisfied_resident_has_the_ticket_reopened_from_the_page(desk):
    visit = visit_of(desk, score=2, reason="low_rating")
    response = browser(desk.manager).post(url(desk), {"visit_id": visit.pk, "outcome": "unsatisfied",
                                                      "note": "还漏", "reopen": "on"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=visit.ticket_id).status == "assigned"


def test_the_dispatcher_looks_on_without_forms(desk):
    visit = visit_of(desk)
    response = browser(desk.dispatcher).get(url(desk))
    assert response.status_code == 200
    page = response.content.decode()
    assert visit.ticket.number in page and 'name="visit_id"' not in page
    assert browser(desk.dispatcher).post(url(desk), {"visit_id": visit.pk, "outcome": "neutral"}).status_code == 403


@pytest.mark.parametrize("who", ["technician", "resident", "guard"])
def test_others_are_refused(desk, who):
    assert browser(getattr(desk, who)).get(url(desk)).status_code == 403


def test_a_stranger_gets_404_and_an_anonymous_visitor_the_login(desk, other_estate, actor_for):
    stranger = actor_for("customer_service", other_estate)
    assert browser(stranger).get(url(desk)).status_code == 404
    response = Client().get(url(desk))
    assert response.status_code == 302 and "login" in response["Location"]


def test_another_estates_visit_posted_here_is_404(desk, other_estate):
    foreign = FollowUpVisitFactory(ticket=TicketFactory(house__unit__building__estate=other_estate,
                                                        category__estate=other_estate, status="closed"))
    response = browser(desk.customer_service).post(url(desk), {"visit_id": foreign.pk, "outcome": "neutral"})
    assert response.status_code == 404
    assert FollowUpVisit.objects.get(pk=foreign.pk).done_at is None


def test_a_post_without_the_csrf_token_is_refused(desk):
    visit = visit_of(desk)
    client = browser(desk.customer_service, enforce_csrf_checks=True)
    assert client.post(url(desk), {"visit_id": visit.pk, "outcome": "neutral"}).status_code == 403
    assert FollowUpVisit.objects.get(pk=visit.pk).done_at is None


@pytest.mark.parametrize("count", [3, 30])
def test_the_page_costs_the_same_whatever_the_queue_length(desk, count):
    for _ in range(count):
        visit_of(desk, score=2, reason="low_rating")
    client = browser(desk.customer_service)
    client.get(url(desk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(desk))
    assert response.content.decode().count('name="visit_id"') == count
    # the session and its user, the membership, the page of visits; nothing per row
    assert len(queries) <= 6, [q["sql"] for q in queries]
