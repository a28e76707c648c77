"""Finance opens the collection rate and the arrears list: a month of property fees for a few houses, some paid,
some overdue; the rate is exact, the arrears list ages the unpaid ones, and reminders go out once. In a real
browser (headless Chromium)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from gongzhi.accounts.tests.factories import MembershipFactory, UserFactory
from gongzhi.billing.choices import PaymentMethod
from gongzhi.billing.models import ArrearsReminder, Bill
from gongzhi.billing.payments import payment_record
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.core.access import resolve_actor
from gongzhi.estate.models import House

from .test_walkthrough import DESKTOP, sign_in

pytestmark = pytest.mark.browser


def test_finance_reads_the_collection_rate_and_the_arrears(live_server, world, open_page, screenshot):
    finance = UserFactory(phone="13900000017")
    MembershipFactory(estate=world.estate, role="finance", user=finance)
    today = timezone.localdate()
    start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)  # last month
    houses = list(House.objects.filter(estate=world.estate, building__name="1").order_by("pk")[:4])
    bills = [make_bill(h, [a], period_start=start, due_date=start + datetime.timedelta(days=14))
             for h, a in zip(houses, ["260.70", "198.00", "312.40", "150.90"], strict=True)]
    actor = resolve_actor(finance, world.estate.pk)
    for bill in bills[:2]:
        payment_record(actor=actor, house=bill.house, amount=bill.amount, method=PaymentMethod.CASH,
                       key=f"browser-{bill.pk}", bill_ids=[bill.pk])
    billed = sum((b.amount for b in bills), Decimal("0"))
    paid = bills[0].amount + bills[1].amount
    expected = (paid / billed * 100).quantize(Decimal("0.01"))

    page = open_page(**DESKTOP, locale="en-US")
    sign_in(page, live_server.url, "13900000017", world.password)
    # when finance opens last month's collection rate by building
    page.goto(f"{live_server.url}/e/{world.estate.pk}/billing/collection/?period=month&start={start}&group=building")
    # then the rate is paid ÷ billed, to the hundredth, with a bar per building
    expect(page.get_by_test_id("collection-rate")).to_have_text(f"{expected}%")
    expect(page.locator("svg.ar-bars rect:not(.ar-track)")).to_have_count(1)
    screenshot(page, "billing-collection-rate-1280")
    # when she follows the tab to the arrears
    page.get_by_role("link", name="Arrears", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/e/{world.estate.pk}/billing/arrears/$"))
    # then the two unpaid houses are listed with what they owe
    rows = page.get_by_test_id("arrears-houses").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(houses[2].code)
    expect(page.get_by_test_id("arrears-overdue")).to_have_text(str(bills[2].amount + bills[3].amount))
    # and she sends the reminders, once
    page.get_by_role("button", name="Send reminders now").click()
    expect(page.locator("body")).to_contain_text("Reminders sent to 2 houses")
    page.get_by_role("button", name="Send reminders now").click()
    expect(page.locator("body")).to_contain_text("Reminders sent to 0 houses")
    assert ArrearsReminder.objects.filter(estate=world.estate).count() == 2
    # and opens a house's statement from the list
    page.get_by_test_id("arrears-houses").locator("a", has_text="Statement").first.click()
    expect(page.get_by_test_id("statement-balance")).to_have_text(str(bills[2].amount))
    assert Bill.objects.filter(estate=world.estate).count() == 4
    screenshot(page, "billing-statement-1280")
