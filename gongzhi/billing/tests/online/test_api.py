"""Story, over the API: a resident opens an order, polls it, lists theirs; the gateways post to the notify
endpoints without a login, and garbage never makes a 500."""

import pytest
from django.test import Client

from gongzhi.billing.choices import NotificationOutcome
from gongzhi.billing.models import PaymentNotification
from gongzhi.billing.tests.conftest import make_bill

from .helpers import order_for

pytestmark = pytest.mark.django_db


def url(fees, rest="") -> str:
    return f"/api/v1/estates/{fees.estate.pk}/billing/orders{rest}"


def test_a_resident_opens_polls_and_lists_orders(fees, gateway, api):
    bill = make_bill(fees.houses[0], ["100.50"])
    client = api(fees.owner.user, [fees.estate])
    created = client.post(url(fees), {"house_id": fees.houses[0].pk, "bill_ids": [bill.pk], "provider": "wechat",
                                      "idempotency_key": "api-1"}, content_type="application/json")
    assert created.status_code == 201, created.content
    order = created.json()
    assert order["amount"] == "100.50" and order["status"] == "created" and order["pay_url"].startswith("weixin://")
    # the gateway notifies over HTTP, no login, no CSRF token
    headers, body = gateway.wechat_notification(order["out_trade_no"])
    gateway_client = Client(enforce_csrf_checks=True)
    answer = gateway_client.post("/api/v1/billing/notify/wechat", body, content_type="application/json",
                                 headers={k: v for k, v in headers.items() if k != "Content-Type"})
    assert answer.status_code == 204
    polled = client.get(url(fees, f"/{order['id']}")).json()
    assert polled["status"] == "paid" and polled["payment_id"] and polled["receipt_number"]
    listed = client.get(url(fees)).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]] and listed["next_cursor"] is None


def test_another_residents_order_and_house_are_not_found(fees, gateway, api):
    order = order_for(fees.owner, fees.houses[0], amount="10.00")
    other = api(fees.owner2.user, [fees.estate])
    assert other.get(url(fees, f"/{order.pk}")).status_code == 404
    refused = other.post(url(fees), {"house_id": fees.houses[0].pk, "amount": "10.00", "idempotency_key": "x"},
                         content_type="application/json")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert other.get(url(fees)).json()["items"] == []


def test_bad_input_answers_the_one_error_shape(fees, gateway, api):
    client = api(fees.owner.user, [fees.estate])
    answer = client.post(url(fees), {"house_id": fees.houses[0].pk, "amount": "0", "idempotency_key": "z"},
                         content_type="application/json")
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_field"


def test_the_order_list_has_a_query_budget(fees, gateway, api, django_assert_max_num_queries):
    for i in range(6):
        order_for(fees.owner, fees.houses[i % 2], amount=f"{i + 1}.00")
    client = api(fees.owner.user, [fees.estate])
    with django_assert_max_num_queries(8):
        page = client.get(url(fees) + "?limit=4").json()
    assert len(page["items"]) == 4 and page["next_cursor"]


@pytest.mark.parametrize("provider, failure", [("wechat", 400), ("alipay", 200), ("sandbox", 400)])
@pytest.mark.parametrize("body", [b"", b"\x00\xff garbage", b"a=b&sign=xyz", b'{"amount": "NaN"}'])
def test_garbage_at_the_notify_endpoints_is_refused_not_a_500(fees, gateway, provider, failure, body):
    answer = Client().post(f"/api/v1/billing/notify/{provider}", body, content_type="application/octet-stream")
    assert answer.status_code == failure
    if provider == "alipay":
        assert answer.content == b"fail"
    assert PaymentNotification.objects.get().outcome == NotificationOutcome.REJECTED


def test_an_oversized_notification_is_refused(fees, gateway):
    answer = Client().post("/api/v1/billing/notify/wechat", b"{" + b" " * 70000 + b"}",
                           content_type="application/json")
    assert answer.status_code == 400
    assert PaymentNotification.objects.get().reason == "body too large"
