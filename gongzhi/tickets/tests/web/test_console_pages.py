"""The staff console's tickets: the list with filters and bulk assignment, the board, the dispatch queue, a ticket
with every allowed action, and a report taken on a resident's behalf."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from gongzhi.estate.tests.factories import HouseFactory, PersonFactory, ResidencyFactory, UnitFactory
from gongzhi.tickets import services
from gongzhi.tickets.models import Comment, DutyShift, TechnicianProfile, Ticket, TicketPhoto
from gongzhi.tickets.tests.factories import CategoryFactory, TicketFactory

from .pages import browser, fake_jpeg, jpeg, text

pytestmark = pytest.mark.django_db
_serial = itertools.count(1)


def url(name, desk, *args, estate=None, **query):
    path = reverse(f"tickets:{name}", args=[(estate or desk.estate).pk, *args])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def main(response) -> str:
    """The page below the top bar (whose search box has a house number as its example)."""
    return text(response).split("<main", 1)[1]


def on_duty(desk, actor, skills=("plumbing",)):
    TechnicianProfile.objects.create(estate=desk.estate, user=actor.user, skills=list(skills))
    for weekday in range(7):
        DutyShift.objects.create(estate=desk.estate, user=actor.user, weekday=weekday, starts=datetime.time(0),
                                 ends=datetime.time(0))


# --- who gets in ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["resident", "technician", "guard"])
def test_the_console_is_the_desks(desk, who):
    ticket = desk.ticket()
    client = browser(getattr(desk, who))
    for page in [url("console_list", desk), url("console_board", desk), url("console_queue", desk),
                 url("console_new", desk), url("console_detail", desk, ticket.pk)]:
        assert client.get(page).status_code == 403, page


@pytest.mark.parametrize("who", ["manager", "dispatcher", "customer_service"])
def test_the_desk_opens_every_console_page(desk, who):
    ticket = desk.ticket()
    client = browser(getattr(desk, who))
    for page in [url("console_list", desk), url("console_board", desk), url("console_queue", desk),
                 url("console_new", desk), url("console_detail", desk, ticket.pk),
                 url("console_live", desk, ticket.pk)]:
        assert client.get(page).status_code == 200, page


def test_a_ticket_of_another_estate_is_404(desk, other_estate):
    foreign = TicketFactory(house=HouseFactory(unit=UnitFactory(building__estate=other_estate)))
    client = browser(desk.dispatcher)
    assert client.get(url("console_detail", desk, foreign.pk)).status_code == 404
    assert client.post(url("console_detail", desk, foreign.pk), {"action": "reject", "note": "x"}).status_code == 404
    # and the other estate's console is closed to a member of this one
    assert client.get(url("console_list", desk, estate=other_estate)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "submitted"


# --- the list ---------------------------------------------------------------------------------------------------
def test_the_list_filters_by_status_category_building_assignee_sla_and_kind(desk):
    noise = CategoryFactory(estate=desk.estate, name="噪音", kind="complaint")
    other_building = HouseFactory(unit=UnitFactory(building__estate=desk.estate, building__name="9"))
    open_leak = desk.ticket(title="漏水A")
    assigned = desk.ticket(title="漏水B", status="assigned", assignee=desk.technician.user)
    late = desk.ticket(title="漏水C", status="assigned", assignee=desk.technician2.user, sla_state="breached",
                       resolution_breached=True)
    complaint = desk.ticket(title="楼上太吵", kind="complaint", category=noise)
    elsewhere = desk.ticket(title="九号楼漏水", house=other_building, submitted_by=desk.resident.user)
    client = browser(desk.dispatcher)

    def shown(**query):
        html = text(client.get(url("console_list", desk, **query)))
        return {t.title for t in [open_leak, assigned, late, complaint, elsewhere] if t.title in html}

    assert shown() == {"漏水A", "漏水B", "漏水C", "楼上太吵", "九号楼漏水"}
    assert shown(status="assigned") == {"漏水B", "漏水C"}
    assert shown(category=noise.pk) == {"楼上太吵"}
    assert shown(building=other_building.building_id) == {"九号楼漏水"}
    assert shown(assignee=desk.technician.user.pk) == {"漏水B"}
    assert shown(assignee="none") == {"漏水A", "楼上太吵", "九号楼漏水"}
    assert shown(sla="breached") == {"漏水C"}
    assert shown(sla="breached_ever") == {"漏水C"}
    assert shown(kind="complaint") == {"楼上太吵"}
    assert shown(q="九号") == {"九号楼漏水"}


def test_a_filter_value_that_is_not_offered_is_ignored_not_an_error(desk):
    desk.ticket(title="漏水A")
    response = browser(desk.dispatcher).get(url("console_list", desk, status="nonsense", assignee="abc"))
    assert response.status_code == 200


def test_the_list_shows_sla_countdowns(desk):
    desk.ticket(title="快到期", resolution_due_at=timezone.now() + datetime.timedelta(hours=2, minutes=5),
                response_due_at=timezone.now() - datetime.timedelta(hours=1), first_response_at=timezone.now(),
                response_minutes=15, resolution_minutes=24 * 60, sla_state="at_risk")
    html = text(browser(desk.dispatcher).get(url("console_list", desk)))
    assert "tk-sla-at_risk" in html and "left" in html and "data-due=" in html


def test_bulk_assign_assigns_every_ticked_ticket(desk):
    first, second, untouched = desk.ticket(), desk.ticket(), desk.ticket()
    response = browser(desk.dispatcher).post(url("console_list", desk), {
        "tickets": [first.pk, second.pk], "assignee": desk.technician.user.pk})
    assert response.status_code == 302
    assert set(Ticket.objects.filter(assignee=desk.technician.user).values_list("pk", flat=True)) == {first.pk,
                                                                                                       second.pk}
    untouched.refresh_from_db()
    assert untouched.assignee is None


def test_bulk_assign_is_all_or_nothing_and_says_why_in_place(desk):
    fine = desk.ticket()
    closed = desk.ticket(status="closed")
    response = browser(desk.dispatcher).post(url("console_list", desk), {
        "tickets": [fine.pk, closed.pk], "assignee": desk.technician.user.pk})
    assert response.status_code == 409 and 'data-code="illegal_transition"' in text(response)
    fine.refresh_from_db()
    assert fine.assignee is None


def test_bulk_assign_needs_a_ticked_ticket(desk):
    response = browser(desk.dispatcher).post(url("console_list", desk), {"assignee": desk.technician.user.pk})
    assert response.status_code == 400 and 'data-code="nothing_selected"' in text(response)


def test_the_list_hides_an_anonymous_complainants_name_below_the_manager(desk):
    noise = CategoryFactory(estate=desk.estate, name="噪音", kind="complaint")
    desk.resident.user.name = "王芳芳"
    desk.resident.user.save()
    ticket = desk.ticket(kind="complaint", category=noise, anonymous=True, title="匿名投诉")
    dispatcher_html = main(browser(desk.dispatcher).get(url("console_list", desk)))
    assert "匿名投诉" in dispatcher_html and "王芳芳" not in dispatcher_html and desk.home.code not in dispatcher_html
    detail_html = main(browser(desk.dispatcher).get(url("console_detail", desk, ticket.pk)))
    assert "王芳芳" not in detail_html and desk.home.code not in detail_html and "Anonymous" in detail_html
    manager_html = text(browser(desk.manager).get(url("console_detail", desk, ticket.pk)))
    assert "王芳芳" in manager_html


def test_a_complaint_about_staff_is_for_the_managers_only(desk):
    noise = CategoryFactory(estate=desk.estate, name="服务态度", kind="complaint")
    ticket = services.ticket_submit(actor=desk.resident, kind="complaint", category_id=noise.pk, scope="common",
                                    place="物业前台", title="前台态度差", about_staff_id=desk.customer_service.user.pk)
    assert "前台态度差" not in text(browser(desk.dispatcher).get(url("console_list", desk)))
    assert browser(desk.dispatcher).get(url("console_detail", desk, ticket.pk)).status_code == 404
    assert browser(desk.customer_service).get(url("console_detail", desk, ticket.pk)).status_code == 404
    html = text(browser(desk.manager).get(url("console_detail", desk, ticket.pk)))
    assert "前台态度差" in html and "About staff member" in html


@pytest.mark.parametrize("page", ["console_list", "console_board", "console_queue"])
def test_list_pages_cost_the_same_queries_for_3_or_30_tickets(desk, page, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            TicketFactory(house=HouseFactory(unit=desk.home.unit, number=f"9{next(_serial):03d}"),
                          category=desk.category, submitted_by=desk.resident.user,
                          assignee=desk.technician.user if i % 2 else None, status="assigned" if i % 2 else
                          "submitted", resolution_due_at=timezone.now() + datetime.timedelta(hours=i))

    client = browser(desk.dispatcher)
    grow(3)
    client.get(url(page, desk))
    with django_assert_max_num_queries(17) as small:
        assert client.get(url(page, desk)).status_code == 200
    grow(27)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url(page, desk)).status_code == 200


# --- board and queue --------------------------------------------------------------------------------------------
def test_the_board_has_a_column_per_state_with_counts(desk):
    desk.ticket(title="新单")
    desk.ticket(title="处理中的单", status="in_progress", assignee=desk.technician.user)
    html = text(browser(desk.dispatcher).get(url("console_board", desk)))
    assert 'id="col-submitted"' in html and 'id="col-in_progress"' in html
    assert html.index("新单") < html.index('id="col-assigned"') < html.index("处理中的单")


def test_the_queue_puts_the_unassigned_first_then_the_late_then_the_oldest(desk):
    now = timezone.now()
    old_assigned = desk.ticket(title="旧的已派", status="assigned", assignee=desk.technician.user,
                               submitted_at=now - datetime.timedelta(days=3))
    late_assigned = desk.ticket(title="超时已派", status="assigned", assignee=desk.technician.user,
                                sla_state="breached", submitted_at=now - datetime.timedelta(hours=1))
    new_unassigned = desk.ticket(title="新的未派", submitted_at=now)
    old_unassigned = desk.ticket(title="旧的未派", submitted_at=now - datetime.timedelta(days=1))
    desk.ticket(title="已解决", status="resolved", assignee=desk.technician.user)
    html = text(browser(desk.dispatcher).get(url("console_queue", desk)))
    order = [t.title for t in [old_unassigned, new_unassigned, late_assigned, old_assigned]]
    assert [html.index(title) for title in order] == sorted(html.index(title) for title in order)
    assert "已解决" not in html


# --- one ticket --------------------------------------------------------------------------------------------------
def test_the_detail_offers_the_technicians_with_skill_duty_and_workload(desk):
    on_duty(desk, desk.technician)
    desk.ticket(status="assigned", assignee=desk.technician.user)
    ticket = desk.ticket()
    html = text(browser(desk.dispatcher).get(url("console_detail", desk, ticket.pk)))
    assert f'<option value="{desk.technician.user.pk}">' in html
    assert "plumbing" in html and "on duty" in html and "1 open" in html
    assert "Assign automatically" in html


def test_the_dispatcher_assigns_and_the_timeline_shows_it(desk):
    ticket = desk.ticket()
    client = browser(desk.dispatcher)
    response = client.post(url("console_detail", desk, ticket.pk), {"action": "assign",
                                                                      "assignee": desk.technician.user.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "assigned" and ticket.assignee == desk.technician.user
    assert str(desk.technician.user) in text(client.get(url("console_detail", desk, ticket.pk)))


def test_assigning_to_someone_who_cannot_take_tickets_is_refused_in_place(desk):
    ticket = desk.ticket()
    response = browser(desk.dispatcher).post(url("console_detail", desk, ticket.pk), {
        "action": "assign", "assignee": desk.guard.user.pk})
    assert response.status_code == 400 and 'data-code="invalid_field"' in text(response)


def test_auto_assign_picks_the_technician_on_duty_with_the_skill(desk):
    on_duty(desk, desk.technician2)
    ticket = desk.ticket()
    client = browser(desk.dispatcher)
    response = client.post(url("console_detail", desk, ticket.pk), {"action": "auto_assign"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == desk.technician2.user
    assert f"assigned automatically to {desk.technician2.user}" in text(client.get(response.url))


def test_auto_assign_with_nobody_suitable_on_duty_says_so_in_place(desk):
    on_duty(desk, desk.technician2, skills=("electrical",))  # on duty, but not a plumber
    ticket = desk.ticket(category=CategoryFactory(estate=desk.estate, name="管道", skill="plumbing"))
    client = browser(desk.dispatcher)
    assert 'value="auto_assign"' in text(client.get(url("console_detail", desk, ticket.pk)))
    response = client.post(url("console_detail", desk, ticket.pk), {"action": "auto_assign"})
    assert response.status_code == 409 and 'data-code="no_candidate"' in text(response)
    assert "assigned automatically" not in text(response) and "Please assign it by hand" in text(response)
    ticket.refresh_from_db()
    assert ticket.status == "submitted" and ticket.assignee is None


def test_the_hold_form_asks_what_the_ticket_waits_for(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    html = main(browser(desk.dispatcher).get(url("console_detail", desk, ticket.pk)))
    form = html.split('value="hold"', 1)[1].split("</form>", 1)[0]
    assert 'name="hold_reason"' in form and 'value="parts"' in form and 'value="resident"' in form
    assert "Waiting for the resident pauses the SLA clock" in form


def test_hold_with_a_reason_and_resume(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    client = browser(desk.dispatcher)
    response = client.post(url("console_detail", desk, ticket.pk), {"action": "hold", "hold_reason": "parts",
                                                                      "note": "等配件"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "on_hold" and ticket.hold_reason == "parts"
    client.post(url("console_detail", desk, ticket.pk), {"action": "resume"})
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"


def test_resolve_and_reject_need_a_note(desk):
    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    client = browser(desk.dispatcher)
    assert client.post(url("console_detail", desk, ticket.pk), {"action": "resolve", "note": ""}).status_code == 400
    assert client.post(url("console_detail", desk, ticket.pk), {"action": "resolve",
                                                                "note": "已修好"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    fresh = desk.ticket()
    assert client.post(url("console_detail", desk, fresh.pk), {"action": "reject", "note": "不属于物业范围"}
                       ).status_code == 302
    fresh.refresh_from_db()
    assert fresh.status == "rejected"


def test_an_illegal_transition_is_409_with_the_message_in_place(desk):
    ticket = desk.ticket(status="closed")
    response = browser(desk.dispatcher).post(url("console_detail", desk, ticket.pk), {"action": "resolve",
                                                                                       "note": "x"})
    assert response.status_code == 409
    assert 'data-code="illegal_transition"' in text(response) and "Closed" in text(response)


def test_the_resident_only_action_cancel_is_not_offered_in_the_console(desk):
    ticket = desk.ticket()
    response = browser(desk.dispatcher).post(url("console_detail", desk, ticket.pk), {"action": "cancel"})
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.status == "submitted"


def test_an_internal_note_with_a_photo_and_a_comment(desk, media):
    ticket = desk.ticket()
    client = browser(desk.dispatcher)
    client.post(url("console_detail", desk, ticket.pk), {"action": "comment", "body": "内部备注", "internal": "on",
                                                          "photos": [jpeg()]})
    client.post(url("console_detail", desk, ticket.pk), {"action": "comment", "body": "已安排师傅"})
    assert list(Comment.objects.filter(ticket=ticket).values_list("body", "internal")) == [
        ("内部备注", True), ("已安排师傅", False)]
    html = text(client.get(url("console_detail", desk, ticket.pk)))
    photo = TicketPhoto.objects.get()
    assert "内部备注" in html and "tk-internal" in html
    assert reverse("api:ticket_photo", kwargs={"estate_id": desk.estate.pk, "ticket_id": ticket.pk,
                                               "photo_id": photo.pk}) + "?size=thumb" in html
    resident_html = text(browser(desk.resident).get(url("portal_detail", desk, ticket.pk)))
    assert "内部备注" not in resident_html and "已安排师傅" in resident_html
    assert f"/photos/{photo.pk}" not in resident_html


def test_a_fake_photo_on_a_comment_is_refused_and_no_comment_is_left(desk, media):
    ticket = desk.ticket()
    response = browser(desk.dispatcher).post(url("console_detail", desk, ticket.pk), {
        "action": "comment", "body": "看照片", "photos": [fake_jpeg()]})
    assert response.status_code == 400 and 'data-code="photo_type"' in text(response)
    assert not Comment.objects.exists()


def test_quotes_and_ratings_are_shown_read_only(desk):
    from gongzhi.tickets.feedback import rating_submit
    from gongzhi.tickets.quotes import quote_propose

    ticket = desk.ticket(status="in_progress", assignee=desk.technician.user)
    quote_propose(actor=desk.technician, ticket_id=ticket.pk, lines=[
        {"kind": "labour", "description": "更换阀门人工", "quantity": "1", "unit_price": "80"}])
    services.ticket_resolve(actor=desk.technician, ticket_id=ticket.pk, note="好了")
    rating_submit(actor=desk.resident, ticket_id=ticket.pk, score=2, comment="来得太晚")
    html = text(browser(desk.dispatcher).get(url("console_detail", desk, ticket.pk)))
    assert "更换阀门人工" in html and "80.00" in html and "来得太晚" in html
    assert 'name="decision"' not in html and 'name="score"' not in html


# --- a report taken on the phone ----------------------------------------------------------------------------------
def test_customer_service_finds_the_caller_and_reports_for_them(desk, media):
    caller = PersonFactory(estate=desk.estate, name="赵大爷", mobile="13811112222")
    ResidencyFactory(house=desk.next_door, person=caller, kind="tenant", is_representative=False)
    client = browser(desk.customer_service)
    html = text(client.get(url("console_new", desk, q="赵大")))
    assert "赵大爷" in html and f"?person={caller.pk}" in html
    html = text(client.get(url("console_new", desk, person=caller.pk)))
    assert desk.next_door.code in html and 'name="idempotency_key"' in html
    response = client.post(url("console_new", desk), {
        "person": caller.pk, "kind": "repair", "category": desk.category.pk, "scope": "private",
        "house": desk.next_door.pk, "title": "暖气不热", "idempotency_key": "p" * 32, "priority": "high",
        "photos": [jpeg()]})
    ticket = Ticket.objects.get(title="暖气不热")
    assert response.status_code == 302 and response["Location"] == url("console_detail", desk, ticket.pk)
    assert ticket.channel == "phone" and ticket.on_behalf_of_person == caller and ticket.priority == "high"
    assert ticket.house == desk.next_door and ticket.photos.count() == 1
    # and the same form sent twice is one ticket
    client.post(url("console_new", desk), {
        "person": caller.pk, "kind": "repair", "category": desk.category.pk, "scope": "private",
        "house": desk.next_door.pk, "title": "暖气不热", "idempotency_key": "p" * 32})
    assert Ticket.objects.filter(title="暖气不热").count() == 1


def test_a_person_of_another_estate_cannot_be_reported_for(desk, other_estate):
    stranger = PersonFactory(estate=other_estate, name="外人")
    client = browser(desk.customer_service)
    assert client.get(url("console_new", desk, person=stranger.pk)).status_code == 404
    assert client.post(url("console_new", desk), {"person": stranger.pk, "kind": "repair", "scope": "common",
                                                  "category": desk.category.pk, "place": "x", "title": "t",
                                                  "idempotency_key": "q" * 32}).status_code == 404
    assert not Ticket.objects.exists()


def test_the_caller_can_be_picked_by_id_and_a_broken_id_is_404(desk):
    caller = PersonFactory(estate=desk.estate, name="钱阿姨")
    client = browser(desk.customer_service)
    assert 'name="person"' in text(client.get(url("console_new", desk)))
    assert "钱阿姨" in text(client.get(url("console_new", desk, person=caller.pk)))
    assert client.post(url("console_new", desk), {"person": "abc", "title": "x"}).status_code == 404
