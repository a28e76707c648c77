"""A resident and a front-desk clerk walk through the pages in a real browser (headless Chromium)."""

import os
import re

import pytest
from playwright.sync_api import expect

# The database comes from the ``world`` fixture (transactional, so the live server sees it; the root conftest lifts the append-only guard for the flush); no
# django_db mark, whose autouse set-up would run before the append-only guard can be restored after the flush.
pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 800}


def sign_in(page, base_url: str, phone: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", phone)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")


def fits_the_screen(page) -> bool:
    """Nothing sticks out sideways: the page scrolls only vertically."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_resident_signs_in_on_her_phone_and_sees_her_household(live_server, world, open_page, screenshot):
    page = open_page(**PHONE)
    page.goto(f"{live_server.url}/e/{world.estate.pk}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    screenshot(page, "login-375")
    # when 王芳 signs in with her mobile number and password
    page.fill("input[name=username]", "13812341234")
    page.fill("input[name=password]", world.password)
    page.click("form button[type=submit]")
    # then she lands on her portal, which lists her house and her role there
    expect(page).to_have_url(re.compile(rf"/e/{world.estate.pk}/$"))
    tile = page.locator("a.tile", has_text="3-2-1502")
    expect(tile).to_be_visible()
    expect(tile.locator(".badge")).to_have_text(re.compile(r"\S"))
    assert fits_the_screen(page)
    screenshot(page, "resident-portal-375", full_page=True)
    # when she opens the house
    tile.click()
    expect(page).to_have_url(re.compile(rf"/e/{world.estate.pk}/houses/{world.house.pk}/$"))
    # then she sees her household with her own number in full and her husband's masked
    household = page.locator("section[aria-labelledby=household-h]")
    expect(household.locator(".person-row")).to_have_count(3)
    expect(household).to_contain_text("王芳")
    expect(household).to_contain_text("13812341234")
    expect(household).to_contain_text("李强")
    expect(household).to_contain_text("139****6666")
    expect(household).not_to_contain_text("13955556666")
    # and not the former tenant: earlier residents are the office's business, not the new household's
    expect(page.locator("body")).not_to_contain_text("赵六")
    # and the family's cars and parking space
    vehicles = page.locator("section[aria-labelledby=vehicles-h]")
    expect(vehicles.locator(".plate")).to_have_text(["京A12345", "京AD12345"])
    expect(page.locator("section[aria-labelledby=spaces-h]")).to_contain_text("B-018")
    assert fits_the_screen(page)
    screenshot(page, "resident-house-375", full_page=True)
    # and the console is closed to her
    response = page.goto(f"{live_server.url}/e/{world.estate.pk}/console/")
    assert response.status == 403
    screenshot(page, "forbidden-375")


def test_the_front_desk_browses_the_registry_searches_and_switches_to_english(live_server, world, open_page,
                                                                            screenshot):
    page = open_page(**DESKTOP)
    estate = world.estate.pk
    # when the clerk signs in
    sign_in(page, live_server.url, "13900000002", world.password)
    # then she lands on the console with the estate's figures and buildings
    expect(page).to_have_url(re.compile(rf"/e/{estate}/console/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator(".stat").first).to_be_visible()
    expect(page.locator(f"table.table a[href$='/buildings/{world.house.building_id}/']")).to_be_visible()
    screenshot(page, "console-1280")
    # when she browses building → unit → house → person
    page.click(f"a[href='/e/{estate}/console/buildings/{world.house.building_id}/']")
    expect(page.locator(".unit-list .tile")).to_have_count(2)
    screenshot(page, "building-1280")
    page.click(f"a[href='/e/{estate}/console/units/{world.house.unit_id}/']")
    expect(page.locator(".floorplan tr")).to_have_count(18)
    screenshot(page, "unit-1280", full_page=True)
    page.click(f"a.house-cell[href='/e/{estate}/console/houses/{world.house.pk}/']")
    expect(page.locator("h1")).to_contain_text("3-2-1502")
    people = page.locator("section[aria-labelledby=people-h]")
    expect(people).to_contain_text("13812341234")  # customer service calls residents back: full number
    expect(page.locator("dl.facts")).to_contain_text("128.46")
    screenshot(page, "house-1280", full_page=True)
    people.get_by_role("link", name="王芳").click()
    expect(page).to_have_url(re.compile(rf"/console/persons/{world.owner.pk}/$"))
    expect(page.locator("section[aria-labelledby=vehicles-h] .plate")).to_have_text(["京A12345"])
    # when she types a house number as people write it, live results drop down under the box
    box = page.locator("#console-q")
    box.fill("3-2-1502")
    live = page.locator("#search-live .search-results")
    expect(live).to_have_attribute("data-query", "3-2-1502")
    expect(live.get_by_role("link", name=re.compile("3-2-1502"))).to_be_visible()
    screenshot(page, "search-live-1280")
    box.press("Escape")
    expect(page.locator("#search-live")).to_be_empty()
    box.fill("3-2-1502")
    expect(live.get_by_role("link", name=re.compile("3-2-1502"))).to_be_visible()
    # and Enter gives the full results page (the no-JavaScript path)
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/search/\?q=3-2-1502"))
    expect(page.locator("main .search-results").get_by_role("link", name=re.compile("3-2-1502"))).to_be_visible()
    # when she searches a plate, the car leads to its house
    box = page.locator("#console-q")
    box.fill("京A12345")
    box.press("Enter")
    result = page.locator("main .search-results a", has_text="京A12345")
    expect(result).to_be_visible()
    result.click()
    expect(page).to_have_url(re.compile(rf"/console/houses/{world.house.pk}/$"))
    # when she switches the language to English, the page is in English
    page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(rf"/console/houses/{world.house.pk}/$"))
    expect(page.locator("section[aria-labelledby=people-h] h2")).to_have_text("People")
    expect(page.locator("nav.subnav")).to_contain_text("Registry")
    screenshot(page, "house-en-1280", full_page=True)


def test_the_console_still_works_on_a_phone(live_server, world, open_page, screenshot):
    page = open_page(**PHONE)
    sign_in(page, live_server.url, "13900000002", world.password)
    expect(page).to_have_url(re.compile(rf"/e/{world.estate.pk}/console/$"))
    expect(page.locator("#console-q")).to_be_visible()
    assert fits_the_screen(page)
    screenshot(page, "console-375", full_page=True)
    page.goto(f"{live_server.url}/e/{world.estate.pk}/console/units/{world.house.unit_id}/")
    assert fits_the_screen(page)
    screenshot(page, "unit-375", full_page=True)
    page.goto(f"{live_server.url}/e/{world.estate.pk}/console/houses/{world.house.pk}/")
    assert fits_the_screen(page)
    screenshot(page, "house-375", full_page=True)


def test_a_manager_reads_the_audit_log_and_opens_the_api_tokens(live_server, world, open_page, screenshot):
    from gongzhi.accounts.tests.factories import MembershipFactory, UserFactory
    from gongzhi.core.access import resolve_actor
    from gongzhi.estate import services

    # given the front desk corrected the area of 3-2-1502 and a manager
    services.house_update(actor=resolve_actor(world.clerk, world.estate.pk), house_id=world.house.pk,
                          area_m2="128.50")
    MembershipFactory(estate=world.estate, role="manager", user=UserFactory(phone="13900000001", name="周经理"))
    page = open_page(**DESKTOP, locale="en-US")
    sign_in(page, live_server.url, "13900000001", world.password)
    # when the manager follows the menu to the audit log
    page.locator("nav.subnav").get_by_role("link", name="Audit log").click()
    # then the correction is there with who made it and the values before and after
    row = page.locator("table.audit tbody tr", has_text="house.update")
    expect(row).to_contain_text("陈静")
    row.locator("summary").click()
    expect(row.locator(".changes")).to_contain_text("128.46")
    expect(row.locator(".changes")).to_contain_text("128.50")
    # and filtering on another action leaves it out
    page.fill("input[name=action]", "person.")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.audit tbody")).to_contain_text("No entries.")
    page.get_by_role("link", name="Clear").click()
    expect(page.locator("table.audit tbody tr", has_text="house.update")).to_be_visible()
    screenshot(page, "audit-1280", full_page=True)
    # and the menu leads to the API tokens
    page.locator("nav.subnav").get_by_role("link", name="API tokens").click()
    expect(page.locator("h1")).to_have_text("API tokens")
    # where a token is created for this estate, shown once, and can be revoked
    page.fill("input[name=name]", "Gate integration")
    page.get_by_label("明强小区").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_have_text(re.compile(r"\S{20,}"))
    row = page.locator("table tbody tr", has_text="Gate integration")
    screenshot(page, "tokens-1280", full_page=True)
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("table tbody tr", has_text="Gate integration")).to_contain_text("Revoked")
    expect(page.locator("#new-token")).to_have_count(0)
    # and "My estates" offers both the portal and the console
    page.get_by_role("link", name="My estates", exact=True).click()
    card = page.locator(".estate-card", has_text="明强小区")
    expect(card.get_by_role("link", name="Staff console")).to_be_visible()
    expect(card.get_by_role("link", name="Resident portal")).to_be_visible()
    screenshot(page, "estates-1280")


def test_the_readme_pictures_show_the_console_and_the_portal(live_server, world, open_page, screenshot):
    """The README's two pictures, taken from the pages as they are: the console at 1280×800 and a resident's
    house at 375 px. Refresh them with UPDATE_DOCS_SCREENSHOTS=1 (SCREENSHOT_LOCALE picks the language)."""
    locale = os.environ.get("SCREENSHOT_LOCALE", "zh-CN")
    desk = open_page(**DESKTOP, locale=locale)
    sign_in(desk, live_server.url, "13900000002", world.password)
    expect(desk.locator(".stat")).to_have_count(8)
    expect(desk.locator(".statusbar .seg").first).to_be_visible()
    assert fits_the_screen(desk)
    screenshot(desk, "readme-console-1280", docs_name="screenshot-console.png")
    phone = open_page(**PHONE, locale=locale, scale=2)
    sign_in(phone, live_server.url, "13812341234", world.password)
    phone.locator("a.tile", has_text="3-2-1502").click()
    expect(phone.locator(".person-row")).to_have_count(3)
    assert fits_the_screen(phone)
    screenshot(phone, "readme-portal-375", full_page=True, docs_name="screenshot-portal.png")
