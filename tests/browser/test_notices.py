"""The front desk publishes an emergency notice to one building; a resident of that building sees it pinned on her
phone and opens it; the receipts page counts her house as read; her notification centre shows the push and marking
it read works. In a real browser (headless Chromium)."""

import re

import pytest
from playwright.sync_api import expect

from gongzhi.estate.models import Building

from .test_walkthrough import DESKTOP, PHONE, fits_the_screen, sign_in

pytestmark = pytest.mark.browser


def test_an_emergency_notice_reaches_one_building_and_is_read(live_server, world, open_page, screenshot):
    estate = world.estate.pk
    building = Building.objects.get(estate=world.estate, name="3")
    other = Building.objects.get(estate=world.estate, name="4")
    desk = open_page(**DESKTOP)
    sign_in(desk, live_server.url, "13900000002", world.password)
    expect(desk).to_have_url(re.compile(rf"/e/{estate}/console/$"))
    # when the clerk writes an emergency notice for building 3
    desk.goto(f"{live_server.url}/e/{estate}/console/notices/new/")
    desk.fill("input[name=title]", "3号楼明日停水")
    desk.fill("textarea[name=body]", "因管道维修，3号楼明日9:00至17:00停水。\n请提前储水。<script>alert(1)</script>")
    desk.check("input[name=kind][value=emergency]")
    desk.select_option("select[name=category]", "water_cut")
    desk.check("input[name=target][value=buildings]")
    desk.check(f"input[name=buildings][value='{building.pk}']")
    screenshot(desk, "notice-editor", full_page=True)
    desk.click("form:has(input[name=action][value=save]) button[type=submit]")
    expect(desk).to_have_url(re.compile(rf"/e/{estate}/console/notices/\d+/$"))
    notice_id = int(re.search(r"/notices/(\d+)/$", desk.url).group(1))
    # and publishes it now
    desk.click("form:has(input[name=action][value=publish]) button.primary")
    expect(desk.locator(".badge.state-current")).to_be_visible()
    screenshot(desk, "notice-console-published")

    # then 王芳, who lives in building 3, finds it pinned on her phone
    phone = open_page(**PHONE)
    sign_in(phone, live_server.url, "13812341234", world.password)
    phone.goto(f"{live_server.url}/e/{estate}/notices/")
    pinned = phone.locator(".pinned .notice-item", has_text="3号楼明日停水")
    expect(pinned).to_be_visible()
    expect(pinned).to_have_class(re.compile("unread"))
    assert fits_the_screen(phone)
    screenshot(phone, "notice-feed-375", full_page=True)
    # and opens it: the text keeps its line breaks and the script is shown as text, not run
    pinned.click()
    expect(phone).to_have_url(re.compile(rf"/e/{estate}/notices/{notice_id}/$"))
    expect(phone.locator(".notice-body")).to_contain_text("<script>alert(1)</script>")
    expect(phone.locator(".notice-body br")).to_have_count(1)
    screenshot(phone, "notice-detail-375", full_page=True)

    # then the receipts page shows one house read, in building 3
    desk.goto(f"{live_server.url}/e/{estate}/console/notices/{notice_id}/receipts/")
    expect(desk.locator("#receipts-read")).to_have_text("1")
    row = desk.locator("tr.building-progress")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(building.name)
    assert not desk.locator("tr.building-progress", has_text=f"{other.name}栋").count()
    screenshot(desk, "notice-receipts")

    # and her notification centre holds the push; marking it read clears the count
    phone.goto(f"{live_server.url}/e/{estate}/notifications/")
    item = phone.locator(".notif.unread", has_text="3号楼明日停水")
    expect(item).to_be_visible()
    item.locator("button.mark-read").click()
    expect(phone.locator(".notif.unread")).to_have_count(0)
    phone.goto(f"{live_server.url}/e/{estate}/notifications/badge/")
    expect(phone.locator("#notif-badge .notif-badge")).to_have_count(0)
