"""The technician's mobile view: my queue, repairs to grab, and a ticket with the work's big buttons, the camera
upload and the quote."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.estate.tests.factories import HouseFactory, UnitFactory
from gongzhi.tickets.models import Quote, TechnicianProfile, TicketPhoto
from gongzhi.tickets.tests.factories import CategoryFactory, TicketFactory

from .pages import browser, fake_jpeg, jpeg, text

pytestmark = pytest.mark.django_db
_serial = itertools.count(1)


def queue_url(desk, estate=None):
    return reverse("tickets:tech_queue", args=[(estate or desk.estate).pk])


def detail_url(desk, ticket, estate=None):
    return reverse("tickets:tech_detail", args=[(estate or desk.estate).pk, ticket.pk])


def skilled(desk, actor, *skills):
    TechnicianProfile.objects.create(estate=desk.estate, user=actor.user, skills=list(skills))


def test_residents_and_guards_are_refused(desk):
    for who in (desk.resident, desk.guard):
        assert browser(who).get(queue_url(desk)).status_code == 403


def test_my_queue_lists_my_open_tickets_the_most_urgent_first(desk):
    now = timezone.now()
    later = desk.ticket(title="明天到期", status="accepted", assignee=desk.technician.user,
                        resolution_due_at=now + datetime.timedelta(days=1), resolution_minutes=1440)
    sooner = desk.ticket(title="一小时到期", status="assigned", assignee=desk.technician.user,
                         resolution_due_at=now + datetime.timedelta(hours=1), resolution_minutes=1440)
    desk.ticket(title="别人的", status="assigned", assignee=desk.technician2.user)
    desk.ticket(title="已解决的", status="resolved", assignee=desk.technician.user)
    html = text(browser(desk.technician).get(queue_url(desk)))
    queue = html.split('id="my-queue"')[1].split("</ul>")[0]
    assert queue.index(sooner.title) < queue.index(later.title)
    assert "别人的" not in queue and "已解决的" not in queue


def test_grabbable_repairs_match_my_skills(desk):
    skilled(desk, desk.technician, "plumbing")
    electrical = CategoryFactory(estate=desk.estate, name="电路", skill="electrical")
    anyone = CategoryFactory(estate=desk.estate, name="其他", skill="")
    desk.ticket(title="水管的活", category=CategoryFactory(estate=desk.estate, name="管道", skill="plumbing"))
    desk.ticket(title="电路的活", category=electrical)
    desk.ticket(title="谁都能干", category=anyone)
    desk.ticket(title="已派的活", status="assigned", assignee=desk.technician2.user)
    html = text(browser(desk.technician).get(queue_url(desk)))
    grab = html.split('id="grabbable"')[1].split("</ul>")[0]
    assert "水管的活" in grab and "谁都能干" in grab
    assert "电路的活" not in grab and "已派的活" not in grab
    # the skill is named by the categories that need it, not by its code
    assert "管道" in html.split('id="grabbable"')[0] and "plumbing" not in html


def test_the_technician_grabs_accepts_starts_holds_resumes_and_resolves(desk):
    skilled(desk, desk.technician, "plumbing")
    ticket = desk.ticket()
    client = browser(desk.technician)
    assert "Grab this repair" in text(client.get(detail_url(desk, ticket)))
    for action, extra, status in [("grab", {}, "assigned"), ("accept", {}, "accepted"), ("start", {}, "in_progress"),
                                  ("hold", {"hold_reason": "resident", "note": "业主不在家"}, "on_hold"),
                                  ("resume", {}, "in_progress"), ("resolve", {"note": "已更换"}, "resolved")]:
        response = client.post(detail_url(desk, ticket), {"action": action, **extra})
        assert response.status_code == 302, (action, text(response)[:500])
        ticket.refresh_from_db()
        assert ticket.status == status, action
    assert ticket.assignee == desk.technician.user


def test_grabbing_without_the_skill_is_refused_in_place(desk):
    skilled(desk, desk.technician, "electrical")
    ticket = desk.ticket(category=CategoryFactory(estate=desk.estate, name="管道", skill="plumbing"))
    response = browser(desk.technician).post(detail_url(desk, ticket), {"action": "grab"})
    assert response.status_code == 403 and 'data-code="skill_mismatch"' in text(response)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_technician_cannot_work_a_ticket_assigned_to_someone_else(desk):
    ticket = desk.ticket(status="assigned", assignee=desk.technician2.user)
    response = browser(desk.technician).post(detail_url(desk, ticket), {"action": "accept"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "assigned"


def test_a_complaint_not_assigned_to_me_is_404(desk):
    noise = CategoryFactory(estate=desk.estate, name="噪音", kind="complaint")
    ticket = desk.ticket(kind="complaint", category=noise)
    assert browser(desk.technician).get(detail_url(desk, ticket)).status_code == 404


def test_a_ticket_of_another_estate_is_404(desk, other_estate):
    foreign = TicketFactory(house=HouseFactory(unit=UnitFactory(building__estate=other_estate)))
    client = browser(desk.technician)
    assert client.get(detail_url(desk, foreign)).status_code == 404
    assert client.get(detail_url(desk, foreign, estate=other_estate)).status_code == 404


def test_the_camera_upload_adds_photos_to_the_ticket(desk, media):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    client = browser(desk.technician)
    html = text(client.get(detail_url(desk, ticket)))
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    response = client.post(detail_url(desk, ticket), {"action": "photo", "photos": [jpeg("1.jpg"), jpeg("2.jpg")]})
    assert response.status_code == 302
    assert TicketPhoto.objects.filter(ticket=ticket, comment=None, uploaded_by=desk.technician.user).count() == 2


def test_a_fake_photo_is_refused_in_place(desk, media):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    response = browser(desk.technician).post(detail_url(desk, ticket), {"action": "photo", "photos": [fake_jpeg()]})
    assert response.status_code == 400 and 'data-code="photo_type"' in text(response)
    assert not TicketPhoto.objects.exists()


def test_the_technician_quotes_a_paid_repair(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    client = browser(desk.technician)
    assert 'name="line_description"' in text(client.get(detail_url(desk, ticket)))
    response = client.post(detail_url(desk, ticket), {
        "action": "quote_propose", "quote_note": "需要换阀门",
        "line_kind": ["material", "labour", "material"], "line_description": ["角阀", "人工", ""],
        "line_quantity": ["2", "1", ""], "line_unit_price": ["35.50", "50", ""]})
    assert response.status_code == 302
    quote = Quote.objects.get(ticket=ticket)
    assert str(quote.total) == "121.00" and quote.lines.count() == 2 and quote.note == "需要换阀门"


def test_the_quote_form_shows_only_where_a_quote_would_be_taken(desk):
    client = browser(desk.technician)
    submitted = desk.ticket(status="assigned", assignee=desk.technician.user)
    common = desk.ticket(status="in_progress", assignee=desk.technician.user, house=None, scope="common",
                         estate=desk.estate, building=desk.home.building, unit=None, place="北门")
    others = desk.ticket(status="in_progress", assignee=desk.technician2.user)
    for ticket in (submitted, common, others):
        assert 'name="line_description"' not in text(client.get(detail_url(desk, ticket))), ticket.status
    assert 'name="line_description"' in text(browser(desk.technician2).get(detail_url(desk, others)))


def test_the_hold_form_asks_what_the_ticket_waits_for(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    html = text(browser(desk.technician).get(detail_url(desk, ticket)))
    form = html.split('value="hold"', 1)[1].split("</form>", 1)[0]
    assert 'name="hold_reason" value="parts"' in form and 'name="hold_reason" value="resident"' in form
    assert "Waiting for the resident pauses the SLA clock" in form


def test_a_quote_line_without_a_price_is_refused_in_place(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    response = browser(desk.technician).post(detail_url(desk, ticket), {
        "action": "quote_propose", "line_kind": ["material"], "line_description": ["角阀"],
        "line_quantity": ["1"], "line_unit_price": ["abc"]})
    assert response.status_code == 400 and 'data-code="invalid_quote"' in text(response)
    assert not Quote.objects.exists()


def test_an_internal_note_by_the_technician(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    browser(desk.technician).post(detail_url(desk, ticket), {"action": "comment", "body": "需要两个人", "internal": "on"})
    assert ticket.comments.get().internal is True


@pytest.mark.parametrize("grow", [3, 30])
def test_the_queue_costs_the_same_queries_whatever_its_length(desk, grow, django_assert_max_num_queries):
    skilled(desk, desk.technician, "plumbing")
    for i in range(grow):
        TicketFactory(house=HouseFactory(unit=desk.home.unit, number=f"8{next(_serial):03d}"),
                      category=desk.category, submitted_by=desk.resident.user,
                      assignee=desk.technician.user if i % 2 else None, status="assigned" if i % 2 else "submitted")
    client = browser(desk.technician)
    client.get(queue_url(desk))
    with django_assert_max_num_queries(7):
        assert client.get(queue_url(desk)).status_code == 200
