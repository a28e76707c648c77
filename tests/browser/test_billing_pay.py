"""A resident opens her bills on her phone, pays one in the sandbox, sees it settled and downloads the receipt's
PDF. In a real browser (headless Chromium); the sandbox's "Pay" goes through the
signed-notification handler like a real gateway's."""

import re

import pytest
from playwright.sync_api import expect

from gongzhi.billing.choices import BillStatus
from gongzhi.billing.models import Payment
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.estate.models import House

from .test_walkthrough import PHONE, fits_the_screen, sign_in

pytestmark = pytest.mark.browser


def test_a_resident_pays_a_bill_in_the_sandbox(live_server, world, open_page, screenshot, settings):
    settings.BILLING_PROVIDER = "sandbox"
    house = House.objects.get(estate=world.estate, building__name="3", unit__name="2", number="1502")
    bill = make_bill(house, ["282.61"])
    later = make_bill(house, ["35.00"], period_start=bill.period_start.replace(month=2))
    page = open_page(**PHONE)
    sign_in(page, live_server.url, "13812341234", world.password)
    page.goto(f"{live_server.url}/e/{world.estate.pk}/billing/mine/")
    expect(page.locator(f"#bill-{bill.pk}")).to_contain_text("282.61 元")
    assert fits_the_screen(page)
    screenshot(page, "billing-my-bills-375")
    # she chooses January's bill and pays
    page.check(f"#bill-{bill.pk} input[type=checkbox]")
    page.locator("button[name=what][value=chosen]").click()
    expect(page).to_have_url(re.compile(r"/billing/sandbox/\d+/$"))
    expect(page.locator(".sandbox-amount")).to_contain_text("282.61")
    page.locator("button[name=action][value=pay]").click()
    expect(page).to_have_url(re.compile(r"/billing/orders/\d+/$"))
    expect(page.locator(".order-status")).to_have_attribute("data-status", "paid")
    payment = Payment.objects.get(house=house)
    expect(page.locator("body")).to_contain_text(payment.receipt.display_number)
    screenshot(page, "billing-paid-375")
    bill.refresh_from_db(), later.refresh_from_db()
    assert bill.status == BillStatus.PAID and later.status == BillStatus.OPEN
    # back on her bills: January is settled, February still open
    page.goto(f"{live_server.url}/e/{world.estate.pk}/billing/mine/")
    expect(page.locator(f"[data-outstanding='{house.pk}']")).to_contain_text("35")
    page.goto(f"{live_server.url}/e/{world.estate.pk}/billing/orders/{payment.order_id}/")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("PDF")).click()
    pdf = download.value.path().read_bytes()
    assert pdf.startswith(b"%PDF")
    import io

    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert payment.receipt.display_number in text and "282.61" in text
