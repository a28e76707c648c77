"""Story, in the portal: a resident sees their bills with each line explained, pays one in the sandbox, and sees
it settled; a double submit opens one order; nobody else's order or sandbox page opens."""

import pytest
from django.urls import reverse

from gongzhi.billing.choices import BillStatus, NotificationOutcome, OrderStatus
from gongzhi.billing.models import Payment, PaymentNotification, PaymentOrder
from gongzhi.billing.tests.conftest import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(settings):
    settings.BILLING_PROVIDER = "sandbox"


def test_a_resident_pays_a_bill_in_the_sandbox(fees, sandbox, client):
    bill, other = make_bill(fees.houses[0], ["260.70"]), make_bill(fees.houses[0], ["12.00"])
    client.force_login(fees.owner.user)
    page = client.get(reverse("billing:my_bills", kwargs={"estate_id": fees.estate.pk}))
    assert page.status_code == 200
    text = page.content.decode()
    assert "260.70 元" in text and "1-1-101" in text and "1-1-102" in text
    key = page.context["rows"][0]["key"]
    pay_url = reverse("billing:pay", kwargs={"estate_id": fees.estate.pk, "house_id": fees.houses[0].pk})
    went = client.post(pay_url, {"bill_ids": [bill.pk], "what": "chosen", "key": key})
    again = client.post(pay_url, {"bill_ids": [bill.pk], "what": "chosen", "key": key})  # a double submit
    order = PaymentOrder.objects.get()
    gateway_url = reverse("billing:sandbox_gateway", kwargs={"estate_id": fees.estate.pk, "order_id": order.pk})
    assert went.url == gateway_url and again.url == gateway_url
    assert "260.70" in client.get(gateway_url).content.decode()
    paid = client.post(gateway_url, {"action": "pay"})
    assert paid.url == reverse("billing:order", kwargs={"estate_id": fees.estate.pk, "order_id": order.pk})
    status_page = client.get(paid.url).content.decode()
    bill.refresh_from_db(), other.refresh_from_db(), order.refresh_from_db()
    assert bill.status == BillStatus.PAID and other.status == BillStatus.OPEN and order.status == OrderStatus.PAID
    assert Payment.objects.get().receipt.display_number in status_page
    assert PaymentNotification.objects.get().outcome == NotificationOutcome.ACCEPTED
    # pressing Pay again (back button) pays nothing more
    client.post(gateway_url, {"action": "pay"})
    assert Payment.objects.count() == 1


def test_an_advance_payment_and_a_cancel(fees, sandbox, client):
    client.force_login(fees.tenant.user)
    pay_url = reverse("billing:pay", kwargs={"estate_id": fees.estate.pk, "house_id": fees.houses[3].pk})
    client.post(pay_url, {"what": "advance", "amount": "500.00", "key": "adv-1"})
    order = PaymentOrder.objects.get()
    assert order.amount == 500 and order.bill_ids == []
    gateway_url = reverse("billing:sandbox_gateway", kwargs={"estate_id": fees.estate.pk, "order_id": order.pk})
    client.post(gateway_url, {"action": "cancel"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED and not Payment.objects.exists()


def test_nothing_to_pay_is_said_on_the_page(fees, sandbox, client):
    client.force_login(fees.owner.user)
    pay_url = reverse("billing:pay", kwargs={"estate_id": fees.estate.pk, "house_id": fees.houses[0].pk})
    answer = client.post(pay_url, {"what": "all", "key": "none-1"}, follow=True)
    assert "There is nothing to pay." in answer.content.decode() or "没有" in answer.content.decode()
    assert not PaymentOrder.objects.exists()


def test_someone_elses_order_and_house_are_not_found(fees, sandbox, client):
    make_bill(fees.houses[0], ["10.00"])
    client.force_login(fees.owner.user)
    client.post(reverse("billing:pay", kwargs={"estate_id": fees.estate.pk, "house_id": fees.houses[0].pk}),
                {"what": "all", "key": "mine-1"})
    order = PaymentOrder.objects.get()
    client.force_login(fees.owner2.user)
    for name in ("billing:order", "billing:sandbox_gateway"):
        assert client.get(reverse(name, kwargs={"estate_id": fees.estate.pk, "order_id": order.pk})).status_code == 404
    refused = client.post(reverse("billing:pay", kwargs={"estate_id": fees.estate.pk, "house_id": fees.houses[0].pk}),
                          {"what": "all", "key": "theirs-1"})
    assert refused.status_code == 404
