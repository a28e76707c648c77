"""Live ticket pages: the 2-second poll answers 204 cheaply while nothing changed, and the refreshed region when
something the viewer may see did (a transition, a comment, a photo, a quote decision, a rating)."""

import re

import pytest
from django.urls import reverse

from gongzhi.estate.tests.factories import HouseFactory, UnitFactory
from gongzhi.tickets import photos, services
from gongzhi.tickets.tests.factories import TicketFactory

from .pages import browser, jpeg, text

pytestmark = pytest.mark.django_db


def live_url(desk, ticket, side="portal", estate=None):
    return reverse(f"tickets:{side}_live", args=[(estate or desk.estate).pk, ticket.pk])


def version(response) -> str:
    return re.search(r'data-version="([0-9a-f]+)"', text(response)).group(1)


def poll(client, url, v):
    return client.get(url, {"v": v}, HTTP_HX_REQUEST="true")


def test_the_first_poll_gets_the_region_and_then_204_while_nothing_changes(desk):
    ticket = desk.ticket()
    client = browser(desk.resident)
    first = client.get(live_url(desk, ticket))
    assert first.status_code == 200 and 'id="ticket-live"' in text(first)
    assert "no-cache" in first["Cache-Control"] or "max-age=0" in first["Cache-Control"]
    again = poll(client, live_url(desk, ticket), version(first))
    assert again.status_code == 204 and again.content == b""


def test_an_unchanged_poll_costs_three_small_queries(desk, django_assert_max_num_queries):
    # the session, the user, and one query for the ticket's version (the access is cached)
    ticket = desk.ticket()
    for _ in range(5):
        services.comment_add(actor=desk.dispatcher, ticket_id=ticket.pk, body="进展")
    client = browser(desk.resident)
    v = version(client.get(live_url(desk, ticket)))
    with django_assert_max_num_queries(3):
        assert poll(client, live_url(desk, ticket), v).status_code == 204
    staff = browser(desk.dispatcher)
    v = version(staff.get(live_url(desk, ticket, "console")))
    with django_assert_max_num_queries(3):
        assert poll(staff, live_url(desk, ticket, "console"), v).status_code == 204


def test_a_transition_refreshes_the_region_for_both_sides(desk):
    ticket = desk.ticket()
    resident, staff = browser(desk.resident), browser(desk.dispatcher)
    v_resident = version(resident.get(live_url(desk, ticket)))
    v_staff = version(staff.get(live_url(desk, ticket, "console")))
    services.ticket_assign(actor=desk.dispatcher, ticket_id=ticket.pk, assignee_id=desk.technician.user.pk)
    refreshed = poll(resident, live_url(desk, ticket), v_resident)
    assert refreshed.status_code == 200 and "tk-assigned" in text(refreshed)
    assert version(refreshed) != v_resident
    assert poll(staff, live_url(desk, ticket, "console"), v_staff).status_code == 200


def test_a_comment_refreshes_it_though_the_ticket_row_is_unchanged(desk):
    ticket = desk.ticket()
    client = browser(desk.resident)
    v = version(client.get(live_url(desk, ticket)))
    services.comment_add(actor=desk.dispatcher, ticket_id=ticket.pk, body="师傅明早九点到")
    refreshed = poll(client, live_url(desk, ticket), v)
    assert refreshed.status_code == 200 and "师傅明早九点到" in text(refreshed)


def test_an_internal_note_changes_nothing_for_the_resident_but_refreshes_the_staff(desk):
    ticket = desk.ticket()
    resident, staff = browser(desk.resident), browser(desk.dispatcher)
    v_resident = version(resident.get(live_url(desk, ticket)))
    v_staff = version(staff.get(live_url(desk, ticket, "console")))
    services.comment_add(actor=desk.dispatcher, ticket_id=ticket.pk, body="内部：注意安全", internal=True)
    assert poll(resident, live_url(desk, ticket), v_resident).status_code == 204
    refreshed = poll(staff, live_url(desk, ticket, "console"), v_staff)
    assert refreshed.status_code == 200 and "内部：注意安全" in text(refreshed)


def test_a_photo_refreshes_it(desk, media):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    client = browser(desk.resident)
    v = version(client.get(live_url(desk, ticket)))
    photos.ticket_photo_add(actor=desk.technician, ticket_id=ticket.pk, upload=jpeg())
    refreshed = poll(client, live_url(desk, ticket), v)
    assert refreshed.status_code == 200 and "tk-photos" in text(refreshed)


def test_a_quote_and_its_decision_refresh_it(desk):
    from gongzhi.tickets.quotes import quote_decide, quote_propose

    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    technician, resident = browser(desk.technician), browser(desk.resident)
    v = version(resident.get(live_url(desk, ticket)))
    quote = quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[
        {"kind": "labour", "description": "人工", "quantity": "1", "unit_price": "60"}])
    proposed = poll(resident, live_url(desk, ticket), v)
    assert proposed.status_code == 200 and "Accept the quote" in text(proposed)
    v_tech = version(technician.get(live_url(desk, ticket, "tech")))
    quote_decide(actor=desk.resident, quote_id=quote.pk, accept=True)
    assert poll(technician, live_url(desk, ticket, "tech"), v_tech).status_code == 200


def test_a_rating_refreshes_the_staff_view(desk):
    from django.utils import timezone

    from gongzhi.tickets.feedback import rating_submit

    ticket = desk.ticket(status="resolved", assignee=desk.technician.user, resolved_at=timezone.now())
    staff = browser(desk.dispatcher)
    v = version(staff.get(live_url(desk, ticket, "console")))
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=5, comment="满意")
    refreshed = poll(staff, live_url(desk, ticket, "console"), v)
    assert refreshed.status_code == 200 and "满意" in text(refreshed)


def test_another_households_ticket_is_404_however_it_is_polled(desk):
    ticket = desk.ticket(house=desk.next_door, submitted_by=desk.neighbour.user)
    client = browser(desk.resident)
    assert client.get(live_url(desk, ticket)).status_code == 404
    assert poll(client, live_url(desk, ticket), "0" * 16).status_code == 404


def test_a_ticket_of_another_estate_is_404(desk, other_estate):
    foreign = TicketFactory(house=HouseFactory(unit=UnitFactory(building__estate=other_estate)))
    for side, who in [("portal", desk.resident), ("console", desk.dispatcher), ("tech", desk.technician)]:
        client = browser(who)
        assert client.get(live_url(desk, foreign, side)).status_code == 404
        assert client.get(live_url(desk, foreign, side, estate=other_estate)).status_code == 404


def test_the_console_poll_is_the_desks(desk):
    ticket = desk.ticket()
    assert browser(desk.resident).get(live_url(desk, ticket, "console")).status_code == 403


def test_the_version_is_not_a_way_to_see_an_internal_note_through_the_portal(desk):
    # the resident's version moves only with what she sees: polling cannot reveal that staff wrote something
    ticket = desk.ticket()
    client = browser(desk.resident)
    v = version(client.get(live_url(desk, ticket)))
    for n in range(3):
        services.comment_add(actor=desk.dispatcher, ticket_id=ticket.pk, body=f"内部{n}", internal=True)
    assert poll(client, live_url(desk, ticket), v).status_code == 204
