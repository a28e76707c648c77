"""The whole life of a repair in a real browser (headless Chromium), as issue 3's "done when" tells it: a resident
reports a leak with a photo on her phone, the dispatcher assigns it (and the auto-dispatcher another one), the
technician works it on his phone, the SLA job escalates a late ticket and the console shows it breached, the
resident watches her ticket change without reloading and rates it 4 stars, and the metrics page counts it."""

import datetime
import re
from io import BytesIO

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import MembershipFactory, UserFactory
from gongzhi.core.access import resolve_actor
from gongzhi.tickets import services
from gongzhi.tickets.models import Category, DutyShift, TechnicianProfile, Ticket

from .test_walkthrough import DESKTOP, PHONE, fits_the_screen, sign_in

# The database comes from the ``world`` fixture (transactional, so the live server sees it).
pytestmark = pytest.mark.browser


def staff(world, role: str, phone: str, name: str):
    return MembershipFactory(estate=world.estate, role=role, user=UserFactory(phone=phone, name=name)).user


def plumber(world, phone: str, name: str):
    """A technician with the plumbing skill, on duty around the clock."""
    user = staff(world, "technician", phone, name)
    TechnicianProfile.objects.create(estate=world.estate, user=user, skills=["plumbing"])
    for weekday in range(7):
        DutyShift.objects.create(estate=world.estate, user=user, weekday=weekday, starts=datetime.time(0, 0),
                                 ends=datetime.time(0, 0))
    return user


def photo_file(tmp_path):
    path = tmp_path / "leak.jpg"
    out = BytesIO()
    Image.new("RGB", (320, 240), (60, 120, 200)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def signed_in(open_page, live_server, phone: str, password: str, size: dict, then: str):
    page = open_page(**size)
    sign_in(page, live_server.url, phone, password)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto(f"{live_server.url}{then}")
    return page


def test_a_repair_from_report_to_rating(live_server, world, open_page, screenshot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    estate = world.estate.pk
    base = live_server.url
    # given the estate's plumbing category, a dispatcher, a manager and two plumbers on duty
    category = Category.objects.create(estate=world.estate, name="水电维修", kind="repair", skill="plumbing",
                                       response_minutes=15, resolution_minutes=24 * 60)
    staff(world, "dispatcher", "13900000003", "赵调度")
    staff(world, "manager", "13900000001", "周经理")
    zhang = plumber(world, "13900000011", "张师傅")
    li = plumber(world, "13900000012", "李师傅")

    # when 王芳 reports a leak with a photo on her phone
    resident = signed_in(open_page, live_server, "13812341234", world.password, PHONE, f"/e/{estate}/tickets/")
    resident.locator(f"main a[href='/e/{estate}/tickets/new/']").first.click()
    expect(resident).to_have_url(re.compile(rf"/e/{estate}/tickets/new/$"))
    assert fits_the_screen(resident)
    resident.select_option("select[name=category]", str(category.pk))
    expect(resident.locator("select[name=house]")).to_have_value(str(world.house.pk))
    resident.fill("input[name=title]", "厨房水管漏水")
    resident.fill("textarea[name=description]", "水槽下面一直滴水 <script>alert(1)</script>")
    resident.set_input_files("input[name=photos]", str(photo_file(tmp_path)))
    screenshot(resident, "ticket-new-375", full_page=True)
    resident.locator("form.tk-form button[type=submit]").click()
    # then she lands on her ticket, submitted, with her photo, and what she typed shown as text
    expect(resident).to_have_url(re.compile(rf"/e/{estate}/tickets/\d+/$"))
    ticket = Ticket.objects.get(estate=world.estate, title="厨房水管漏水")
    expect(resident.locator("#ticket-live .tk-status")).to_have_class(re.compile("tk-submitted"))
    expect(resident.locator(".tk-photos img")).to_have_count(1)
    expect(resident.locator(".tk-description")).to_contain_text("<script>alert(1)</script>")
    assert fits_the_screen(resident)
    screenshot(resident, "ticket-submitted-375", full_page=True)
    resident.evaluate("window.__notReloaded = true")

    # and another household's leak comes in by phone, for the auto-dispatcher
    clerk = resolve_actor(world.clerk, estate)
    other = services.ticket_submit(actor=clerk, kind="repair", category_id=category.pk, scope="common",
                                   place="地下车库B2", title="车库水管爆裂", on_behalf_of_person_id=world.owner.pk)

    # when the dispatcher opens the console, finds the leak and assigns it to 张师傅
    desk = signed_in(open_page, live_server, "13900000003", world.password, DESKTOP, f"/e/{estate}/console/tickets/")
    desk.get_by_role("link", name=ticket.number).click()
    expect(desk).to_have_url(re.compile(rf"/console/tickets/{ticket.pk}/$"))
    desk.select_option("#assignee", str(zhang.pk))
    desk.locator("form:has(input[name=action][value=assign]) button[type=submit]").click()
    expect(desk.locator("#ticket-live .tk-status")).to_have_class(re.compile("tk-assigned"))
    expect(desk.locator(".tk-timeline")).to_contain_text("张师傅")
    screenshot(desk, "ticket-console-assigned-1280", full_page=True, docs_name="screenshot-ticket-console.png")
    # and has the other one assigned automatically: 李师傅 has fewer open tickets
    desk.goto(f"{base}/e/{estate}/console/tickets/{other.pk}/")
    desk.locator("form:has(input[name=action][value=auto_assign]) button").click()
    expect(desk.locator("#ticket-live .tk-status")).to_have_class(re.compile("tk-assigned"))
    other.refresh_from_db()
    assert other.assignee_id == li.pk

    # and then the resident's page shows the assignment without being reloaded
    expect(resident.locator("#ticket-live .tk-status")).to_have_class(re.compile("tk-assigned"))

    # when 张师傅 opens his queue on his phone and accepts, starts and resolves the repair
    tech = signed_in(open_page, live_server, "13900000011", world.password, PHONE, f"/e/{estate}/tech/")
    tech.locator("#my-queue a", has_text="厨房水管漏水").click()
    expect(tech).to_have_url(re.compile(rf"/tech/tickets/{ticket.pk}/$"))
    assert fits_the_screen(tech)
    expect(tech.locator("input[name=photos][capture=environment]")).to_have_count(1)
    tech.locator("form:has(input[name=action][value=accept]) button").click()
    expect(tech.locator("#ticket-live .tk-status")).to_have_class(re.compile("tk-accepted"))
    tech.locator("form:has(input[name=action][value=start]) button").click()
    expect(tech.locator("#ticket-live .tk-status")).to_have_class(re.compile("tk-in_progress"))
    screenshot(tech, "ticket-tech-375", full_page=True, docs_name="screenshot-technician.png")
    tech.fill("textarea[name=note]", "更换了角阀，已不漏水")
    tech.locator("form:has(input[name=action][value=resolve]) button").click()
    expect(tech.locator("#ticket-live .tk-status")).to_have_class(re.compile("tk-resolved"))

    # then the resident sees it resolved within seconds, on the same page, and is asked to rate it
    expect(resident.locator("#ticket-live .tk-status")).to_have_class(re.compile("tk-resolved"))
    expect(resident.locator(".tk-timeline")).to_contain_text("更换了角阀")
    assert resident.evaluate("window.__notReloaded === true")
    expect(resident.locator(".tk-rate")).to_be_visible()

    # when the SLA job runs two days on, the other leak, still not worked, is late and escalated
    from gongzhi.tickets.sla import sweep

    sweep(now=timezone.now() + datetime.timedelta(days=2))
    other.refresh_from_db()
    assert other.resolution_breached and other.escalation_level >= 1
    # and the console shows it breached: in the queue, on the board, in the list filtered on missed targets
    desk.goto(f"{base}/e/{estate}/console/tickets/queue/")
    expect(desk.locator("tr.tk-row-breached", has_text=other.number)).to_be_visible()
    screenshot(desk, "ticket-queue-1280", full_page=True)
    desk.goto(f"{base}/e/{estate}/console/tickets/board/")
    expect(desk.locator("#col-assigned ~ .tk-card.tk-row-breached", has_text=other.number)).to_be_visible()
    screenshot(desk, "ticket-board-1280", full_page=True)
    desk.goto(f"{base}/e/{estate}/console/tickets/?sla=breached_ever")
    row = desk.locator("tr.tk-row", has_text=other.number)
    expect(row).to_be_visible()
    expect(desk.locator("tr.tk-row", has_text=ticket.number)).to_have_count(0)
    desk.goto(f"{base}/e/{estate}/console/tickets/{other.pk}/")
    expect(desk.locator(".tk-facts-breach, .tk-breached-flag").first).to_be_visible()
    expect(desk.locator(".tk-event-sla_breach, .tk-event-escalate").first).to_be_visible()
    screenshot(desk, "ticket-console-breached-1280", full_page=True)

    # when the resident gives 4 stars with a comment
    resident.locator("label[for=star-4]").click()
    resident.fill("#rate-comment", "师傅很快")
    resident.locator(".tk-rate button[type=submit]").click()
    # then her rating is shown, read-only, and the ticket is closed
    expect(resident.locator(".tk-rating-shown")).to_contain_text("师傅很快")
    expect(resident.locator(".tk-rating-shown .tk-stars span.on")).to_have_count(4)
    expect(resident.locator("input[name=score]")).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.ratings.get().score == 4
    assert fits_the_screen(resident)
    screenshot(resident, "ticket-rated-375", full_page=True)
    # and her list shows it closed
    resident.goto(f"{base}/e/{estate}/tickets/?status=done")
    expect(resident.locator("a.tk-tile", has_text="厨房水管漏水").locator(".tk-status")).to_have_class(
        re.compile("tk-closed"))
    assert fits_the_screen(resident)
    screenshot(resident, "ticket-list-375", full_page=True)

    # and the manager's metrics page counts the ticket with its rating
    manager = signed_in(open_page, live_server, "13900000001", world.password, DESKTOP,
                        f"/e/{estate}/console/tickets/metrics/")
    expect(manager.locator("main")).to_contain_text("水电维修")
    screenshot(manager, "ticket-metrics-1280", full_page=True)
