"""A resident's proposal is co-signed and reaches the council's agenda; the manager holds a meeting with it, records
minutes, a decision and an action item with a due date; the action's owner marks it done; the author sees it done.
In a real browser (headless Chromium)."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory
from gongzhi.estate.tests.factories import CompanyFactory, EstateFactory

from .test_walkthrough import DESKTOP, PHONE, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def council_world(transactional_db):
    estate = EstateFactory(company=CompanyFactory(name="明强物业"), name="明强小区",
                           rule_overrides={"council.proposal_cosigners": 1})

    def person(role, phone, name):
        return MembershipFactory(estate=estate, role=role, user=UserFactory(phone=phone, name=name)).user

    return {"estate": estate, "author": person("tenant", "13800000001", "周敏"),
            "cosigner": person("owner", "13800000002", "吴刚"),
            "manager": person("manager", "13900000001", "刘经理")}


def test_proposal_to_meeting_to_action_done(live_server, council_world, open_page, screenshot):
    w, base = council_world, live_server.url
    e = w["estate"].pk
    # given a tenant writes a proposal on her phone
    author = open_page(**PHONE)
    author.goto(f"{base}/accounts/login/", timeout=60_000)  # the first request loads every URL module (slow CI box)
    sign_in(author, base, "13800000001", TEST_PASSWORD)
    author.goto(f"{base}/e/{e}/governance/proposals/")
    author.fill("#proposal-form input[name=title]", "增设电动自行车充电桩")
    author.fill("#proposal-form textarea[name=body]", "地库入口附近增设充电桩。")
    author.click("#proposal-form button[type=submit]")
    expect(author).to_have_url(re.compile(rf"/e/{e}/governance/proposals/\d+/$"))
    proposal_url = author.url
    # when an owner co-signs it, it reaches the agenda (the threshold here is 1)
    owner = open_page(**PHONE)
    sign_in(owner, base, "13800000002", TEST_PASSWORD)
    owner.goto(proposal_url)
    owner.click("#cosign")
    expect(owner.locator("#proposal-cosigners")).to_contain_text("1")
    author.reload()
    expect(author.locator("#proposal-status")).not_to_have_text(re.compile("征集|Collecting"))
    screenshot(author, "council-proposal-on-agenda", full_page=True)

    # then the manager plans a meeting with it on the agenda
    desk = open_page(**DESKTOP)
    sign_in(desk, base, "13900000001", TEST_PASSWORD)
    desk.goto(f"{base}/e/{e}/governance/meetings/")
    desk.fill("#meeting-form input[name=title]", "议事会例会")
    desk.fill("#meeting-form input[name=starts_at]", "2026-12-01T19:00")
    desk.fill("#meeting-form input[name=place]", "物业服务中心会议室")
    desk.click("#meeting-form button[type=submit]")
    expect(desk).to_have_url(re.compile(rf"/e/{e}/governance/meetings/\d+/$"))
    meeting_url = desk.url
    desk.select_option("#agenda-form select[name=proposal_id]", label="增设电动自行车充电桩")
    desk.click("#agenda-form button[type=submit]")
    expect(desk.locator("#agenda")).to_contain_text("增设电动自行车充电桩")
    desk.select_option("#attendee-form select[name=kind]", "company")
    desk.fill("#attendee-form input[name=name]", "刘经理")
    desk.click("#attendee-form button[type=submit]")
    # and records a decision and an action item with a due date, owned by the owner who co-signed
    desk.fill("#decision-form textarea[name=text]", "同意，物业出具方案。")
    desk.click("#decision-form button[type=submit]")
    expect(desk.locator("#agenda .decision")).to_contain_text("同意，物业出具方案。")
    due = (datetime.date.today() + datetime.timedelta(days=14)).isoformat()
    desk.fill("#action-form input[name=title]", "出具充电桩方案")
    desk.fill("#action-form input[name=owner_name]", "吴刚")
    desk.select_option("#action-form select[name=owner_user_id]", label="吴刚")
    desk.fill("#action-form input[name=due_date]", due)
    desk.click("#action-form button[type=submit]")
    expect(desk.locator("#meeting-actions")).to_contain_text("出具充电桩方案")
    # and marks it held with the minutes
    desk.fill("#hold-form textarea[name=minutes]", "到会各方同意推进充电桩。")
    desk.click("#hold-form button[type=submit]")
    expect(desk.locator("#minutes")).to_contain_text("到会各方同意推进充电桩。")
    screenshot(desk, "council-meeting-held", full_page=True)

    # when the action's owner marks it done
    owner.goto(meeting_url)
    owner.click("#meeting-actions a")
    owner.fill("#done-form textarea[name=note]", "方案已提交业委会。")
    owner.click("#done-form button[type=submit]")
    expect(owner.locator("#done-note")).to_have_text("方案已提交业委会。")

    # then the author reads the minutes and sees the action done
    author.goto(meeting_url)
    expect(author.locator("#minutes")).to_contain_text("到会各方同意推进充电桩。")
    expect(author.locator("#hold-form")).to_have_count(0)
    author.click("#meeting-actions a")
    expect(author.locator("#done-note")).to_have_text("方案已提交业委会。")
    screenshot(author, "council-action-done", full_page=True)
