"""Finance previews next month's bill run, issues it and opens a bill; the owner of 3-2-1502 then opens the same
bill on her phone and reads how each line was computed. In a real browser (headless Chromium)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import MembershipFactory, UserFactory
from gongzhi.billing.calc import add_months
from gongzhi.billing.choices import FeeKind, LedgerCode
from gongzhi.billing.models import Bill, FeeItem, FeeRule
from gongzhi.estate.models import House

from .test_walkthrough import DESKTOP, PHONE, fits_the_screen, sign_in

pytestmark = pytest.mark.browser
FINANCE_PHONE = "13900000017"


def _fees(world) -> None:
    MembershipFactory(estate=world.estate, role="finance", user=UserFactory(phone=FINANCE_PHONE))
    item = FeeItem.objects.create(estate=world.estate, code="property", name="物业费", kind=FeeKind.AREA,
                                  ledger_code=LedgerCode.PROPERTY)
    FeeRule.objects.create(estate=world.estate, fee_item=item, rate=Decimal("2.20"),
                           effective_from=datetime.date(2020, 1, 1))


def test_finance_previews_and_issues_next_month_and_opens_a_bill(live_server, world, open_page, screenshot):
    _fees(world)
    estate = world.estate.pk
    next_month = add_months(timezone.localdate(), 1)
    desk = open_page(**DESKTOP)
    sign_in(desk, live_server.url, FINANCE_PHONE, world.password)

    # given the runs page, when finance previews next month
    desk.goto(f"{live_server.url}/e/{estate}/billing/runs/")
    desk.select_option("#id_period_kind", "month")
    desk.fill("#id_period_start", next_month.isoformat())
    desk.click("#run-preview")
    # then the preview shows the totals and the first bills, and nothing is written yet
    expect(desk.locator("#preview")).to_be_visible()
    expect(desk.locator("#preview")).to_contain_text("m² × 2.20")
    assert not Bill.objects.exists()
    screenshot(desk, "billing-run-preview-1280", full_page=True)

    # when finance issues it
    desk.click("#run-issue")
    expect(desk).to_have_url(re.compile(rf"/e/{estate}/billing/runs/\d+/$"))
    houses = House.objects.filter(estate=world.estate).count()
    expect(desk.locator("#run-bills")).to_have_text(str(Bill.objects.count()))
    assert 0 < Bill.objects.count() <= houses

    # and opens the bill of 3-2-1502
    bill = Bill.objects.get(house__building__name="3", house__unit__name="2", house__number="1502")
    desk.goto(f"{live_server.url}/e/{estate}/billing/bills/{bill.pk}/")
    expect(desk.locator(".bill-line .explanation").first).to_contain_text(f"{bill.house.area_m2} m² × 2.20")
    screenshot(desk, "billing-bill-1280", full_page=True)

    # then the owner opens it on her phone and reads the same explanation
    phone = open_page(**PHONE)
    sign_in(phone, live_server.url, "13812341234", world.password)
    phone.goto(f"{live_server.url}/e/{estate}/billing/bills/{bill.pk}/")
    expect(phone.locator(".bill-line .explanation").first).to_contain_text("× 2.20")
    assert fits_the_screen(phone)
    screenshot(phone, "billing-bill-375", full_page=True)
