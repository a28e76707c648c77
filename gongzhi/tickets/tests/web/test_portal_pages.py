"""The resident portal's tickets: my tickets, report a problem (with photos, once), one ticket and its actions."""

import pytest
from django.urls import reverse

from gongzhi.core.access import resolve_actor
from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, UnitFactory
from gongzhi.tickets import services
from gongzhi.tickets.models import Comment, Ticket, TicketPhoto
from gongzhi.tickets.tests.factories import CategoryFactory, CommentFactory, TicketFactory

from .pages import browser, fake_jpeg, jpeg, text

pytestmark = pytest.mark.django_db


def list_url(desk, **query):
    url = reverse("tickets:portal_list", args=[desk.estate.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def new_url(desk):
    return reverse("tickets:portal_new", args=[desk.estate.pk])


def detail_url(desk, ticket, estate=None):
    return reverse("tickets:portal_detail", args=[(estate or desk.estate).pk, ticket.pk])


def report(desk, **overrides):
    data = {"kind": "repair", "category": desk.category.pk, "scope": "private", "house": desk.home.pk,
            "title": "厨房水管漏水", "description": "水槽下面一直滴水", "idempotency_key": "k" * 32}
    data.update(overrides)
    return data


# --- my tickets -----------------------------------------------------------------------------------------------------
def test_my_tickets_lists_the_households_tickets_newest_first_and_nobody_elses(desk):
    # given two tickets of the resident's home (one by her family) and one of the neighbour's
    first = desk.ticket(title="卫生间漏水")
    second = desk.ticket(title="门锁坏了", submitted_by=desk.family.user)
    other = desk.ticket(house=desk.next_door, submitted_by=desk.neighbour.user, title="邻居的灯坏了")
    # when the resident opens her tickets
    response = browser(desk.resident).get(list_url(desk))
    html = text(response)
    # then both of her household's are listed, the newest first, and not the neighbour's
    assert response.status_code == 200
    assert html.index(second.title) < html.index(first.title)
    assert other.title not in html
    assert detail_url(desk, first) in html


def test_status_chips_filter_the_list(desk):
    desk.ticket(title="还没处理", status="submitted")
    desk.ticket(title="已经修好", status="resolved")
    html = text(browser(desk.resident).get(list_url(desk, status="resolved")))
    assert "已经修好" in html and "还没处理" not in html
    html = text(browser(desk.resident).get(list_url(desk, status="open")))
    assert "还没处理" in html and "已经修好" not in html


def test_the_list_pages_by_twenty(desk):
    for n in range(21):
        desk.ticket(title=f"问题{n:02d}")
    html = text(browser(desk.resident).get(list_url(desk)))
    assert "问题20" in html and "问题00" not in html
    assert 'rel="next"' in html


def test_staff_see_only_their_own_household_on_the_portal(desk):
    # the desk sees every ticket in the console; the portal is "my tickets" for them too
    desk.ticket(title="居民的报修")
    html = text(browser(desk.manager).get(list_url(desk)))
    assert "居民的报修" not in html


@pytest.mark.parametrize("grow", [2, 12])
def test_my_tickets_costs_the_same_queries_for_2_or_12_tickets(desk, grow, django_assert_max_num_queries):
    for _ in range(grow):
        desk.ticket()
    client = browser(desk.resident)
    client.get(list_url(desk))  # warm the session and the access cache
    with django_assert_max_num_queries(8):
        assert client.get(list_url(desk)).status_code == 200


# --- reporting a problem --------------------------------------------------------------------------------------------
def test_the_form_offers_the_estates_categories_and_my_house(desk):
    response = browser(desk.resident).get(new_url(desk))
    html = text(response)
    assert response.status_code == 200
    assert desk.category.name in html and desk.home.code in html
    assert desk.next_door.code not in html
    assert 'name="idempotency_key"' in html and 'multiple' in html and "csrfmiddlewaretoken" in html


def test_a_resident_reports_a_repair_with_photos_in_one_request(desk, media):
    # when the resident sends the form with two photos
    client = browser(desk.resident)
    response = client.post(new_url(desk), {**report(desk), "photos": [jpeg("a.jpg"), jpeg("b.jpg")]})
    # then one ticket exists for her home, with both photos, and she lands on it
    ticket = Ticket.objects.get(estate=desk.estate, title="厨房水管漏水")
    assert ticket.house == desk.home and ticket.channel == "portal" and ticket.submitted_by == desk.resident.user
    assert TicketPhoto.objects.filter(ticket=ticket, comment=None).count() == 2
    assert response.status_code == 302 and response["Location"] == detail_url(desk, ticket)
    page = client.get(response["Location"])
    assert ticket.number in text(page) and "was received" in text(page)


def test_a_double_submit_creates_one_ticket(desk, media):
    client = browser(desk.resident)
    first = client.post(new_url(desk), {**report(desk), "photos": [jpeg()]})
    second = client.post(new_url(desk), {**report(desk), "photos": [jpeg()]})
    assert Ticket.objects.filter(estate=desk.estate).count() == 1
    assert TicketPhoto.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_fake_photo_is_refused_in_place_and_nothing_is_created(desk, media):
    response = browser(desk.resident).post(new_url(desk), {**report(desk), "photos": [fake_jpeg()]})
    assert response.status_code == 400
    assert 'data-code="photo_type"' in text(response)
    assert not Ticket.objects.exists()
    assert "厨房水管漏水" in text(response)  # what she typed is kept


def test_ten_photos_are_too_many(desk, media):
    response = browser(desk.resident).post(new_url(desk), {**report(desk), "photos": [jpeg(f"{n}.jpg")
                                                                                      for n in range(10)]})
    assert response.status_code == 400 and "at most 9 photos" in text(response)
    assert not Ticket.objects.exists()


def test_a_house_that_is_not_mine_is_refused(desk):
    response = browser(desk.resident).post(new_url(desk), report(desk, house=desk.next_door.pk))
    assert response.status_code == 400
    assert not Ticket.objects.exists()


def test_a_common_area_problem_needs_a_place_or_a_building(desk):
    client = browser(desk.resident)
    response = client.post(new_url(desk), report(desk, scope="common", house=""))
    assert response.status_code == 400 and 'data-code="invalid_field"' in text(response)
    response = client.post(new_url(desk), report(desk, scope="common", house="", place="北门"))
    ticket = Ticket.objects.get()
    assert ticket.scope == "common" and ticket.place == "北门" and ticket.house is None
    assert response.status_code == 302


def test_a_category_of_another_estate_is_not_offered_nor_accepted(desk, other_estate):
    foreign = CategoryFactory(estate=other_estate, name="外小区类别")
    client = browser(desk.resident)
    assert "外小区类别" not in text(client.get(new_url(desk)))
    response = client.post(new_url(desk), report(desk, category=foreign.pk))
    assert response.status_code == 400 and not Ticket.objects.exists()


def test_an_anonymous_complaint_from_the_portal(desk):
    complaint = CategoryFactory(estate=desk.estate, name="噪音", kind="complaint")
    browser(desk.resident).post(new_url(desk), report(desk, kind="complaint", category=complaint.pk,
                                                      scope="common", house="", place="广场", anonymous="on"))
    assert Ticket.objects.get().anonymous is True


def test_a_script_in_the_title_is_shown_as_text(desk):
    ticket = desk.ticket(title="<script>alert(1)</script>", description="<img src=x onerror=alert(2)>")
    html = text(browser(desk.resident).get(detail_url(desk, ticket)))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


# --- one ticket -----------------------------------------------------------------------------------------------------
def test_the_detail_shows_status_timeline_comments_and_a_live_region(desk):
    ticket = services.ticket_submit(actor=desk.resident, kind="repair", category_id=desk.category.pk,
                                    scope="private", house_id=desk.home.pk, title="灯不亮")
    services.comment_add(actor=desk.dispatcher, ticket_id=ticket.pk, body="师傅下午来")
    services.comment_add(actor=desk.dispatcher, ticket_id=ticket.pk, body="内部：此户常投诉", internal=True)
    response = browser(desk.resident).get(detail_url(desk, ticket))
    html = text(response)
    assert response.status_code == 200
    assert "灯不亮" in html and "Submitted" in html and "师傅下午来" in html
    assert "此户常投诉" not in html  # internal notes are for staff only
    assert 'id="ticket-live"' in html and 'hx-trigger="every 2s"' in html


def test_another_households_ticket_is_404(desk):
    ticket = desk.ticket(house=desk.next_door, submitted_by=desk.neighbour.user)
    client = browser(desk.resident)
    assert client.get(detail_url(desk, ticket)).status_code == 404
    assert client.post(detail_url(desk, ticket), {"action": "cancel"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "submitted"


def test_a_ticket_of_another_estate_is_404_even_through_ones_own_estate(desk, other_estate, member):
    # given the resident is also a member of another estate where a ticket exists
    ticket = TicketFactory(house=HouseFactory(unit=UnitFactory(building__estate=other_estate)))
    client = browser(desk.resident)
    assert client.get(detail_url(desk, ticket)).status_code == 404
    assert client.get(detail_url(desk, ticket, estate=other_estate)).status_code == 404


def test_the_resident_cancels_before_work_starts(desk):
    ticket = desk.ticket()
    response = browser(desk.resident).post(detail_url(desk, ticket), {"action": "cancel", "note": "自己修好了"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "cancelled"


def test_cancelling_after_work_started_is_refused_in_place(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    response = browser(desk.resident).post(detail_url(desk, ticket), {"action": "cancel"})
    assert response.status_code == 409
    assert 'data-code="illegal_transition"' in text(response)
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_an_action_the_portal_does_not_offer_is_refused(desk):
    ticket = desk.ticket()
    response = browser(desk.resident).post(detail_url(desk, ticket), {"action": "assign", "assignee": "1"})
    assert response.status_code == 400 and 'data-code="invalid_action"' in text(response)


def test_the_resident_closes_or_sends_back_a_resolved_ticket(desk):
    from django.utils import timezone

    closed = desk.ticket(status="resolved", assignee=desk.technician.user, resolved_at=timezone.now())
    sent_back = desk.ticket(status="resolved", assignee=desk.technician.user, resolved_at=timezone.now())
    client = browser(desk.resident)
    html = text(client.get(detail_url(desk, closed)))
    assert "close the ticket" in html and "Send it back" in html
    client.post(detail_url(desk, closed), {"action": "close"})
    # sending back needs a reason
    response = client.post(detail_url(desk, sent_back), {"action": "reopen", "note": ""})
    assert response.status_code == 400
    client.post(detail_url(desk, sent_back), {"action": "reopen", "note": "还是漏水"})
    closed.refresh_from_db()
    sent_back.refresh_from_db()
    assert closed.status == "closed"
    assert sent_back.status == "assigned" and sent_back.reopen_count == 1


def test_a_comment_with_a_photo(desk, media):
    ticket = desk.ticket()
    response = browser(desk.resident).post(detail_url(desk, ticket), {"action": "comment", "body": "补充照片",
                                                                       "photos": [jpeg()]})
    assert response.status_code == 302
    comment = Comment.objects.get(ticket=ticket)
    assert comment.body == "补充照片" and comment.internal is False
    assert TicketPhoto.objects.get(ticket=ticket).comment == comment
    html = text(browser(desk.resident).get(detail_url(desk, ticket)))
    assert "补充照片" in html and f"/photos/{TicketPhoto.objects.get().pk}?size=thumb" in html


def test_a_resident_cannot_write_an_internal_note(desk):
    ticket = desk.ticket()
    browser(desk.resident).post(detail_url(desk, ticket), {"action": "comment", "body": "悄悄话", "internal": "on"})
    assert Comment.objects.get(ticket=ticket).internal is False


def test_an_empty_comment_is_refused_in_place(desk):
    ticket = desk.ticket()
    response = browser(desk.resident).post(detail_url(desk, ticket), {"action": "comment", "body": ""})
    assert response.status_code == 400 and not Comment.objects.exists()


def test_a_family_member_sees_and_acts_on_the_households_ticket(desk):
    ticket = desk.ticket()
    client = browser(desk.family)
    assert client.get(detail_url(desk, ticket)).status_code == 200
    client.post(detail_url(desk, ticket), {"action": "cancel"})
    ticket.refresh_from_db()
    assert ticket.status == "cancelled"


def test_the_person_a_phone_report_was_made_for_sees_it(desk, actor_for):
    # given customer service took a call from a resident who has a login
    caller = actor_for("owner", desk.estate)
    person = PersonFactory(estate=desk.estate, user=caller.user, mobile=caller.user.phone)
    caller = resolve_actor(caller.user, desk.estate.pk)
    ticket = services.ticket_submit(actor=desk.customer_service, kind="repair", category_id=desk.category.pk,
                                    scope="common", place="电梯", title="电梯异响", on_behalf_of_person_id=person.pk)
    html = text(browser(caller).get(list_url(desk)))
    assert "电梯异响" in html
    assert browser(caller).get(detail_url(desk, ticket)).status_code == 200


def test_comments_by_others_are_escaped(desk):
    ticket = desk.ticket()
    CommentFactory(ticket=ticket, author=desk.dispatcher.user, body="<b onmouseover=alert(1)>hi</b>")
    html = text(browser(desk.resident).get(detail_url(desk, ticket)))
    assert "<b onmouseover" not in html and "&lt;b onmouseover=alert(1)&gt;" in html


# --- rating and quotes ----------------------------------------------------------------------------------------------
def _resolved(desk):
    from django.utils import timezone

    return desk.ticket(status="resolved", assignee=desk.technician.user, resolved_at=timezone.now())


def test_the_resident_rates_a_resolved_ticket_and_then_sees_it_read_only(desk):
    ticket = _resolved(desk)
    client = browser(desk.resident)
    assert 'name="score"' in text(client.get(detail_url(desk, ticket)))
    response = client.post(detail_url(desk, ticket), {"action": "rate", "score": "4", "comment": "师傅很专业"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.ratings.get().score == 4
    html = text(client.get(detail_url(desk, ticket)))
    assert 'name="score"' not in html and "师傅很专业" in html and "4 of 5 stars" in html
    # and a second rating is refused in place
    response = client.post(detail_url(desk, ticket), {"action": "rate", "score": "5"})
    assert response.status_code == 409 and ticket.ratings.count() == 1


def test_a_rating_before_resolution_is_refused(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    client = browser(desk.resident)
    assert 'name="score"' not in text(client.get(detail_url(desk, ticket)))
    response = client.post(detail_url(desk, ticket), {"action": "rate", "score": "5"})
    assert response.status_code == 409 and 'data-code="not_resolved"' in text(response)


def test_a_score_outside_one_to_five_is_refused(desk):
    ticket = _resolved(desk)
    response = browser(desk.resident).post(detail_url(desk, ticket), {"action": "rate", "score": "6"})
    assert response.status_code == 400 and not ticket.ratings.exists()


def test_the_resident_accepts_a_quote(desk):
    from gongzhi.tickets.quotes import quote_propose

    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    quote = quote_propose(actor=desk.technician, ticket_id=ticket.pk, note="需要换阀门", lines=[
        {"kind": "material", "description": "角阀", "quantity": "1", "unit_price": "35.00"},
        {"kind": "labour", "description": "人工", "quantity": "1", "unit_price": "50.00"}])
    client = browser(desk.resident)
    html = text(client.get(detail_url(desk, ticket)))
    assert "85.00" in html and "角阀" in html and "Accept the quote" in html
    response = client.post(detail_url(desk, ticket), {"action": "quote_decide", "quote": quote.pk,
                                                      "decision": "accept"})
    assert response.status_code == 302
    quote.refresh_from_db()
    assert quote.status == "accepted"
    assert "Accept the quote" not in text(client.get(detail_url(desk, ticket)))


def test_a_neighbour_cannot_decide_a_quote_of_another_household(desk):
    from gongzhi.tickets.quotes import quote_propose

    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    quote = quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[
        {"kind": "labour", "description": "人工", "quantity": "1", "unit_price": "50.00"}])
    response = browser(desk.neighbour).post(detail_url(desk, ticket), {"action": "quote_decide", "quote": quote.pk,
                                                                        "decision": "accept"})
    assert response.status_code == 404
    quote.refresh_from_db()
    assert quote.status == "proposed"
