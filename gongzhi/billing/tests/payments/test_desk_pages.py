"""The cash desk, receipts and refunds pages: finance finds a house, records a payment once (a double submit acts
once), prints the receipt; a resident sees only their own receipts; a manager who did not ask approves a refund."""

from decimal import Decimal

import pytest
from django.urls import reverse

from gongzhi.billing.choices import RefundStatus
from gongzhi.billing.models import Payment, Receipt, Refund
from gongzhi.billing.payments import payment_record
from gongzhi.billing.tests.conftest import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, fees):
    def make(actor, name, method="get", data=None, query="", **kwargs):
        client.force_login(actor.user)
        url = reverse(f"billing:{name}", kwargs={"estate_id": fees.estate.pk, **kwargs}) + query
        return client.post(url, data or {}) if method == "post" else client.get(url)

    return make


def test_finance_finds_a_house_and_records_cash_once(fees, page):
    bill = make_bill(fees.houses[0], ["260.70"])
    found = page(fees.finance, "desk", query="?house=1-1-101")
    assert found.status_code == 200
    html = found.content.decode()
    assert "260.70" in html and f"#{bill.pk}" in html
    key = found.context["form"]["idempotency_key"].value()
    data = {"amount": "300.00", "method": "cash", "payer_name": "张三", "idempotency_key": key,
            "bill_ids": [bill.pk]}
    done = page(fees.finance, "desk", "post", data, query=f"?house_id={fees.houses[0].pk}")
    assert done.status_code == 302
    receipt = Receipt.objects.get()
    assert done["Location"] == reverse("billing:receipt", kwargs={"estate_id": fees.estate.pk,
                                                                  "receipt_id": receipt.pk})
    again = page(fees.finance, "desk", "post", data, query=f"?house_id={fees.houses[0].pk}")
    assert again.status_code == 302 and Payment.objects.count() == 1
    shown = page(fees.finance, "receipt", receipt_id=receipt.pk).content.decode()
    assert "叁佰元整" in shown and "39.30" in shown and "void-form" in shown


def test_an_unknown_house_and_a_bad_amount(fees, page):
    assert page(fees.finance, "desk", query="?house=9-9-999").status_code == 404
    bad = page(fees.finance, "desk", "post", {"amount": "0.001", "method": "cash", "idempotency_key": "k"},
               query=f"?house_id={fees.houses[0].pk}")
    assert bad.status_code == 400 and not Payment.objects.exists()
    missing = page(fees.finance, "desk", "post", {"amount": "5", "method": "pos", "idempotency_key": "k"},
                   query=f"?house_id={fees.houses[0].pk}")
    assert missing.status_code == 400 and missing.context["form"].errors["reference"]


def test_residents_see_their_own_receipts_and_no_desk(fees, page):
    mine = payment_record(actor=fees.finance, house=fees.houses[0], amount=Decimal("10.00"), method="cash", key="a")
    theirs = payment_record(actor=fees.finance, house=fees.houses[2], amount=Decimal("20.00"), method="cash",
                            key="b")
    assert page(fees.owner, "desk").status_code == 403
    listed = page(fees.owner, "receipts")
    assert [r.pk for r in listed.context["receipts"]] == [mine.receipt.pk]
    assert page(fees.owner, "receipt", receipt_id=theirs.receipt.pk).status_code == 404
    assert "void-form" not in page(fees.owner, "receipt", receipt_id=mine.receipt.pk).content.decode()
    pdf = page(fees.owner, "receipt_pdf", receipt_id=mine.receipt.pk)
    assert pdf.status_code == 200 and pdf.content[:4] == b"%PDF"
    assert page(fees.owner, "receipt", "post", {"reason": "x"}, receipt_id=mine.receipt.pk).status_code == 403


def test_finance_voids_from_the_receipt_page(fees, page):
    payment = payment_record(actor=fees.finance, house=fees.houses[0], amount=Decimal("10.00"), method="cash",
                             key="a")
    done = page(fees.finance, "receipt", "post", {"reason": "录错"}, receipt_id=payment.receipt.pk)
    assert done.status_code == 302
    assert "作废 VOID" in page(fees.finance, "receipt", receipt_id=payment.receipt.pk).content.decode()


def test_refund_asked_by_finance_and_approved_by_the_manager(fees, page):
    payment_record(actor=fees.finance, house=fees.houses[0], amount=Decimal("100.00"), method="cash", key="a")
    asked = page(fees.finance, "refunds", "post", {"house": "1-1-101", "amount": "60.00", "method": "cash",
                                                   "reason": "退房", "idempotency_key": "r1"})
    assert asked.status_code == 302
    refund = Refund.objects.get()
    assert page(fees.finance, "refund", refund_id=refund.pk).context["form"] is None  # not their own
    assert page(fees.finance, "refund", "post", {"action": "approve"}, refund_id=refund.pk).status_code == 403
    done = page(fees.manager, "refund", "post", {"action": "approve", "note": "同意"}, refund_id=refund.pk)
    assert done.status_code == 302
    refund.refresh_from_db()
    assert refund.status == RefundStatus.APPROVED
    over = page(fees.finance, "refunds", "post", {"house": "1-1-101", "amount": "60.00", "method": "cash",
                                                  "reason": "x", "idempotency_key": "r2"})
    assert over.status_code == 400
    assert page(fees.owner, "refunds").status_code == 403
