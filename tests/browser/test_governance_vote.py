"""An owners' vote from start to finish in a real browser: the committee chair drafts a vote with one yes/no item on
a small estate and opens it; two owners vote on their phones (one changes her mind); the clerk enters a written
ballot with its scan; the chair closes and publishes; an owner reads the result, checks her receipt code, downloads
the published data and the recount tool, and count.py says the recount matches."""

import datetime
import re
import subprocess
import sys
from decimal import Decimal
from io import BytesIO

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from gongzhi.estate.models import Building, House, Person, Residency, Unit
from gongzhi.estate.tests.factories import CompanyFactory, EstateFactory
from gongzhi.governance.models import Ballot, Vote

from .test_walkthrough import DESKTOP, PHONE, fits_the_screen, sign_in

pytestmark = pytest.mark.browser


def png_bytes() -> bytes:
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (40, 20), (230, 230, 230)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def small_estate(transactional_db):
    """Four houses (100, 100, 120, 80 m²), each with its owner; three owners log in; a chair and a clerk."""
    estate = EstateFactory(company=CompanyFactory(name="和睦物业"), name="和睦小区")
    building = Building.objects.create(estate=estate, name="1", sort_key=1, floors=6)
    unit = Unit.objects.create(estate=estate, building=building, name="1", sort_key=1, floors=6, has_elevator=False)
    users = {}
    for n, area in enumerate(["100.00", "100.00", "120.00", "80.00"], start=1):
        house = House.objects.create(estate=estate, building=building, unit=unit, number=f"{n}01", floor=n,
                                     area_m2=Decimal(area), area_source="register", status="occupied")
        user = None
        if n <= 3:
            user = MembershipFactory(estate=estate, role="owner",
                                     user=UserFactory(phone=f"1381000000{n}", name=f"业主{n}")).user
            users[n] = user
        person = Person.objects.create(estate=estate, name=f"业主{n}", mobile=f"1381000000{n}", user=user)
        Residency.objects.create(estate=estate, house=house, person=person, kind="owner", is_representative=True,
                                 start_date=datetime.date(2020, 1, 1))
    chair = MembershipFactory(estate=estate, role="committee_chair",
                              user=UserFactory(phone="13820000001", name="主任")).user
    clerk = MembershipFactory(estate=estate, role="customer_service",
                              user=UserFactory(phone="13820000002", name="客服")).user
    return estate, users, chair, clerk


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def owner_votes(open_page, base, estate, phone, choice) -> str:
    """An owner votes on her phone; returns the receipt code shown."""
    page = open_page(**PHONE)
    sign_in(page, base, phone, TEST_PASSWORD)
    page.goto(f"{base}/e/{estate.pk}/votes/mine/")
    page.locator(".house-status a").first.click()
    expect(page.locator("#cast-form")).to_be_visible()
    assert fits_the_screen(page)
    page.locator(f"#cast-form input[type=radio][value={choice}]").check()
    page.locator("#cast-submit").click()
    expect(page.locator("#receipt-code")).to_be_visible()
    assert fits_the_screen(page)
    return page.locator("#receipt-code").inner_text().strip(), page


def test_an_owners_vote_from_opening_to_a_recounted_result(live_server, small_estate, open_page, screenshot,
                                                           tmp_path):
    estate, _owners, _chair, _clerk = small_estate
    base = live_server.url
    now = timezone.now()
    # the chair drafts the vote, adds one yes/no item (matter "other") and opens it
    page = open_page(**DESKTOP)
    sign_in(page, base, "13820000001", TEST_PASSWORD)
    page.goto(f"{base}/e/{estate.pk}/votes/new/")
    page.fill("#id_title", "更换小区大门")
    page.fill("#id_opens_at", local(now - datetime.timedelta(minutes=5)))
    page.fill("#id_closes_at", local(now + datetime.timedelta(days=20)))
    page.locator("#vote-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/votes/\d+/$"))
    vote = Vote.objects.get(estate=estate)
    page.locator("#add-item").click()
    page.fill("#id_title", "同意更换大门")
    page.select_option("#id_matter", "other")
    page.locator("#item-form button[type=submit]").click()
    page.locator("#action-open summary").click()
    page.locator("#action-open button[type=submit]").click()
    expect(page.locator("#vote-status")).to_have_attribute("data-status", "open")
    item = vote.items.get()

    # two owners vote online; the second changes her mind
    first_code, owner_page = owner_votes(open_page, base, estate, "13810000001", "for")
    screenshot(owner_page, "governance-vote-receipt-375")
    owner_votes(open_page, base, estate, "13810000002", "against")
    second_code, _page = owner_votes(open_page, base, estate, "13810000002", "for")
    assert Ballot.objects.filter(vote=vote).count() == 3

    # the clerk enters house 1-1-401's written ballot with its scan
    desk = open_page(**DESKTOP)
    sign_in(desk, base, "13820000002", TEST_PASSWORD)
    desk.goto(f"{base}/e/{estate.pk}/votes/{vote.pk}/ballots/enter/")
    desk.fill("#id_house", "1-1-401")
    desk.locator(f"input[name=item_{item.pk}][value=against]").check()
    desk.set_input_files("#id_scan", files=[{"name": "ballot.png", "mimeType": "image/png", "buffer": png_bytes()}])
    desk.locator("#ballot-form button[type=submit]").click()
    expect(desk.locator(".messages")).to_contain_text(re.compile(r"[A-Z0-9]{4}-"))
    assert Ballot.objects.filter(vote=vote, channel="written").count() == 1

    # the chair sees the progress, closes and publishes
    page.goto(f"{base}/e/{estate.pk}/votes/{vote.pk}/")
    expect(page.locator("#progress [data-measure=area] .gv-figure").first).to_contain_text("280.00 / 400.00")
    page.locator("#action-close summary").click()
    page.locator("#action-close button[type=submit]").click()
    expect(page.locator("#vote-status")).to_have_attribute("data-status", "closed")
    page.locator("#action-publish summary").click()
    page.locator("#action-publish button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/result/$"))

    # an owner opens the result on her phone and sees the figures
    owner_page.goto(f"{base}/e/{estate.pk}/votes/{vote.pk}/result/")
    section = owner_page.locator(f"[data-item-id='{item.pk}']")
    expect(section.locator("[data-participation-area]")).to_have_text("280.00 / 400.00")
    expect(section.locator("[data-participation-heads]")).to_have_text("3 / 4")
    expect(section.locator("[data-approval-area]")).to_contain_text("200.00 / 280.00")
    expect(section).to_have_attribute("data-passes", "1")
    assert fits_the_screen(owner_page)
    screenshot(owner_page, "governance-vote-result-375", full_page=True)
    # she checks her receipt code: counted as cast
    owner_page.goto(f"{base}/e/{estate.pk}/votes/{vote.pk}/receipt/")
    owner_page.fill("#id_code", first_code)
    owner_page.locator("#receipt-form button[type=submit]").click()
    expect(owner_page.locator("#receipt-result li")).to_have_attribute("data-counted", "1")
    # she downloads the published data and count.py, and recounts
    owner_page.goto(f"{base}/e/{estate.pk}/votes/{vote.pk}/result/")
    with owner_page.expect_download() as dataset:
        owner_page.locator("#download-dataset").click()
    with owner_page.expect_download() as tool:
        owner_page.locator("#download-count").click()
    dataset.value.save_as(tmp_path / "vote.json")
    tool.value.save_as(tmp_path / "count.py")
    run = subprocess.run([sys.executable, "count.py", "vote.json", "--receipt", second_code], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "MATCHES" in run.stdout and "Ballots with this receipt: 1" in run.stdout
