"""The payments API: the cash desk records with a key; residents read their own houses' payments, receipts, PDFs and
balances (another's is 404); voids and refunds with four eyes, in the one error shape; lists within a query budget."""

from decimal import Decimal

import pytest

from gongzhi.billing.payments import payment_record
from gongzhi.billing.tests.conftest import make_bill

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(api, fees):
    def make(actor, method, path, body=None):
        client = api(actor.user, [fees.estate])
        url = f"/api/v1/estates/{fees.estate.pk}/billing{path}"
        if body is None:
            return client.generic(method, url)
        return getattr(client, method.lower())(url, body, content_type="application/json")

    return make


def pay(fees, house, amount="100.00", key="k"):
    return payment_record(actor=fees.finance, house=house, amount=Decimal(amount), method="cash", key=key)


def test_finance_records_a_payment_once(fees, call):
    bill = make_bill(fees.houses[0], ["260.70"])
    body = {"house_id": fees.houses[0].pk, "amount": "300.00", "method": "cash", "idempotency_key": "d-1",
            "payer_name": "张三"}
    first = call(fees.finance, "POST", "/payments", body)
    assert first.status_code == 201, first.content
    data = first.json()
    assert (data["settled"], data["prepaid"], data["receipt_number"]) == ("260.70", "39.30", "00000001")
    assert data["allocations"] == [{"bill_id": bill.pk, "source": "payment", "amount": "260.70"}]
    again = call(fees.finance, "POST", "/payments", body)
    assert again.status_code == 201 and again.json()["id"] == data["id"]
    reused = call(fees.finance, "POST", "/payments", {**body, "amount": "1.00"})
    assert reused.status_code == 409 and reused.json()["code"] == "idempotency_key_reused"


def test_bad_payments_in_the_one_error_shape(fees, call):
    base = {"house_id": fees.houses[0].pk, "amount": "10.00", "method": "pos", "idempotency_key": "x"}
    missing_ref = call(fees.finance, "POST", "/payments", base)
    assert missing_ref.status_code == 400 and missing_ref.json()["detail"]["field"] == "reference"
    too_many_decimals = call(fees.finance, "POST", "/payments", {**base, "method": "cash", "amount": "1.001"})
    assert too_many_decimals.status_code == 400 and too_many_decimals.json()["detail"]["field"] == "amount"
    assert call(fees.owner, "POST", "/payments", {**base, "method": "cash"}).status_code == 403
    other_bill = make_bill(fees.houses[1], ["5.00"])
    not_found = call(fees.finance, "POST", "/payments", {**base, "method": "cash", "bill_ids": [other_bill.pk]})
    assert not_found.status_code == 404


def test_residents_read_only_their_own_houses(fees, call):
    mine = pay(fees, fees.houses[0], key="a")
    theirs = pay(fees, fees.houses[2], key="b")
    listed = call(fees.owner, "GET", "/payments").json()["items"]
    assert [p["id"] for p in listed] == [mine.pk]
    assert call(fees.owner, "GET", f"/payments/{theirs.pk}").status_code == 404
    assert call(fees.owner, "GET", f"/receipts/{theirs.receipt.pk}").status_code == 404
    assert call(fees.owner, "GET", f"/receipts/{theirs.receipt.pk}/pdf").status_code == 404
    pdf = call(fees.owner, "GET", f"/receipts/{mine.receipt.pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    assert call(fees.owner, "GET", f"/houses/{fees.houses[0].pk}/balance").json()["prepaid"] == "100.00"
    assert call(fees.owner, "GET", f"/houses/{fees.houses[2].pk}/balance").status_code == 404
    assert call(fees.technician, "GET", "/receipts").status_code == 403


def test_lists_page_within_a_query_budget(fees, call, django_assert_max_num_queries):
    for i in range(6):
        pay(fees, fees.houses[i % 4], key=f"k{i}")
    with django_assert_max_num_queries(12):
        page = call(fees.finance, "GET", "/payments?limit=4").json()
    assert len(page["items"]) == 4 and page["next_cursor"]
    rest = call(fees.finance, "GET", f"/payments?limit=4&cursor={page['next_cursor']}").json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    with django_assert_max_num_queries(12):
        receipts = call(fees.finance, "GET", "/receipts").json()["items"]
    assert [r["number"] for r in receipts] == [f"{n:08d}" for n in range(6, 0, -1)]
    assert receipts[0]["amount_upper"] == "壹佰元整"
    with django_assert_max_num_queries(12):
        assert call(fees.finance, "GET", "/refunds").status_code == 200


def test_void_over_the_api(fees, call):
    payment = pay(fees, fees.houses[0])
    assert call(fees.owner, "POST", f"/receipts/{payment.receipt.pk}/void", {"reason": "x"}).status_code == 403
    voided = call(fees.finance, "POST", f"/receipts/{payment.receipt.pk}/void", {"reason": "录错"})
    assert voided.status_code == 200 and voided.json()["voided"] and voided.json()["void_reason"] == "录错"
    assert call(fees.finance, "GET", f"/houses/{fees.houses[0].pk}/balance").json()["prepaid"] == "0.00"


def test_refunds_over_the_api_with_four_eyes(fees, call):
    pay(fees, fees.houses[0], "200.00")
    body = {"house_id": fees.houses[0].pk, "amount": "80.00", "method": "cash", "reason": "退房",
            "idempotency_key": "r"}
    asked = call(fees.finance, "POST", "/refunds", body)
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    refund_id = asked.json()["id"]
    assert call(fees.finance, "POST", f"/refunds/{refund_id}/approve", {}).status_code == 403
    approved = call(fees.manager, "POST", f"/refunds/{refund_id}/approve", {"note": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    over = call(fees.finance, "POST", "/refunds", {**body, "amount": "500.00", "idempotency_key": "r2"})
    assert over.status_code == 409 and over.json()["code"] == "refund_over_balance"
    listed = call(fees.manager, "GET", "/refunds?status=approved").json()["items"]
    assert [r["id"] for r in listed] == [refund_id]
