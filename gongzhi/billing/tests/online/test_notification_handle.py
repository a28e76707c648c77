"""Story: the gateway tells us a resident paid. A genuine notification settles the bills once; a replay changes
nothing; a forged, mismatched or unexpected one is refused, logged and answered in the gateway's failure format,
and writes nothing else."""

from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gongzhi.billing import online
from gongzhi.billing.choices import BillStatus, NotificationOutcome, OrderStatus
from gongzhi.billing.models import Payment, PaymentNotification, Receipt
from gongzhi.billing.providers.sandbox import SandboxProvider
from gongzhi.billing.tests.conftest import make_bill
from gongzhi.ledger.models import JournalEntry as Entry

from .helpers import deliver_alipay, deliver_wechat, order_for, outcomes

pytestmark = pytest.mark.django_db
REJECTED = NotificationOutcome.REJECTED


def _nothing_written(order):
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED
    assert not Payment.objects.exists() and not Receipt.objects.exists()
    assert not Entry.objects.filter(reference__startswith="billing:payment:").exists()


def test_a_genuine_wechat_notification_settles_the_bills_once(fees, gateway):
    # given two open bills and an order for one of them
    bill, other = make_bill(fees.houses[0], ["100.50", "20.00"]), make_bill(fees.houses[0], ["50.00"])
    order = order_for(fees.owner, fees.houses[0], bill_ids=[bill.pk])
    assert order.pay_url.startswith("weixin://") and gateway.orders[order.out_trade_no]["total"] == 12050
    # when WeChat Pay notifies the payment, then again (its retry)
    first = deliver_wechat(gateway, order)
    again = deliver_wechat(gateway, order)
    # then the chosen bill is settled, once, with one receipt and one ledger entry
    assert first == (204, b"") and again == (204, b"")
    bill.refresh_from_db(), other.refresh_from_db(), order.refresh_from_db()
    assert bill.status == BillStatus.PAID and other.status == BillStatus.OPEN
    assert order.status == OrderStatus.PAID and order.transaction_id.startswith("4200")
    payment = Payment.objects.get()
    assert payment.amount == Decimal("120.50") and payment.order == order and payment.method == "wechat"
    assert payment.reference == order.transaction_id and Receipt.objects.count() == 1
    assert Entry.objects.filter(reference=f"billing:payment:{payment.pk}").count() == 1
    assert [o for o, _r in outcomes()] == [NotificationOutcome.ACCEPTED, NotificationOutcome.DUPLICATE]
    assert PaymentNotification.objects.filter(order=order, estate=fees.estate).count() == 2


def test_a_genuine_alipay_notification_pays_an_advance_into_prepayment(fees, gateway):
    order = order_for(fees.owner2, fees.houses[2], provider="alipay", amount="300.00")
    assert order.pay_url.startswith("https://qr.alipay.com/")
    assert deliver_alipay(gateway, order) == (200, b"success")
    assert deliver_alipay(gateway, order) == (200, b"success")
    fees.houses[2].billing_account.refresh_from_db()
    assert fees.houses[2].billing_account.prepaid == Decimal("300.00")
    assert Payment.objects.count() == 1 and Receipt.objects.count() == 1
    assert [o for o, _r in outcomes()] == [NotificationOutcome.ACCEPTED, NotificationOutcome.DUPLICATE]


def test_a_forged_wechat_signature_is_refused(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], amount="10.00")
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    status, body = deliver_wechat(gateway, order, sign_with=forger)
    assert status == 400 and b'"FAIL"' in body
    assert outcomes() == [(REJECTED, "signature or decryption failed")]
    _nothing_written(order)


def test_a_notification_under_an_unknown_key_serial_is_refused_without_fetching_certificates(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], amount="10.00")
    assert deliver_wechat(gateway, order, serial="ABCDEF0123")[0] == 400
    assert outcomes() == [(REJECTED, "signed with an unknown key")]
    assert not [r for r in gateway.requests if "certificates" in r[1]]
    _nothing_written(order)


def test_a_resource_encrypted_with_another_key_is_refused(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], amount="10.00")
    assert deliver_wechat(gateway, order, apiv3_key="0" * 32)[0] == 400
    assert outcomes() == [(REJECTED, "signature or decryption failed")]
    _nothing_written(order)


@pytest.mark.parametrize("body", [b"", b"not json", b"\xff\xfe", b'{"resource_type": "encrypt-resource"}'])
def test_garbage_is_refused_and_logged_never_an_error(fees, gateway, body):
    headers, _genuine = gateway.wechat_notification("GZ1XNOSUCHORDER")
    status, answer = online.notification_handle(provider="wechat", headers=headers, body=body)
    assert status == 400 and b"FAIL" in answer
    assert [o for o, _r in outcomes()] == [REJECTED]


def test_a_wrong_merchant_is_refused(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], amount="10.00")
    assert deliver_wechat(gateway, order, mchid="1999999999")[0] == 400
    assert outcomes() == [(REJECTED, "merchant or app id differs")]
    assert PaymentNotification.objects.get().order == order
    _nothing_written(order)


def test_a_wrong_alipay_seller_is_refused(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], provider="alipay", amount="10.00")
    assert deliver_alipay(gateway, order, seller_id="2088999999999999") == (200, b"fail")
    assert outcomes() == [(REJECTED, "merchant or app id differs")]
    _nothing_written(order)


def test_a_forged_alipay_signature_is_refused(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], provider="alipay", amount="10.00")
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert deliver_alipay(gateway, order, sign_with=forger) == (200, b"fail")
    assert outcomes() == [(REJECTED, "signature does not verify")]
    _nothing_written(order)


def test_a_wrong_amount_is_refused(fees, gateway):
    bill = make_bill(fees.houses[0], ["100.50"])
    order = order_for(fees.owner, fees.houses[0], bill_ids=[bill.pk])
    assert deliver_wechat(gateway, order, total=1)[0] == 400
    assert outcomes() == [(REJECTED, "amount 0.01 differs from the order's 100.50")]
    bill.refresh_from_db()
    assert bill.status == BillStatus.OPEN
    _nothing_written(order)


def test_an_unknown_order_is_refused(fees, gateway):
    headers, body = gateway.wechat_notification("GZ1XUNKNOWN0000000000", total=100)
    assert online.notification_handle(provider="wechat", headers=headers, body=body)[0] == 400
    assert outcomes() == [(REJECTED, "unknown out_trade_no")]
    assert PaymentNotification.objects.get().estate is None


def test_a_closed_order_is_refused(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], amount="10.00")
    online.order_close(actor=fees.owner, order=order)
    assert deliver_wechat(gateway, order)[0] == 400
    assert outcomes() == [(REJECTED, "order closed")]
    assert not Payment.objects.exists()


def test_an_order_already_paid_by_another_transaction_is_refused(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], amount="10.00")
    deliver_wechat(gateway, order)
    assert deliver_wechat(gateway, order, transaction_id="4200000000000000000000000001")[0] == 400
    assert [r for _o, r in outcomes()] == ["", "order already paid by another transaction"]
    assert Payment.objects.count() == 1


def test_a_notification_that_is_not_a_payment_is_refused(fees, gateway):
    order = order_for(fees.owner, fees.houses[0], provider="alipay", amount="10.00")
    assert deliver_alipay(gateway, order, trade_status="WAIT_BUYER_PAY") == (200, b"fail")
    assert outcomes() == [(REJECTED, "not a successful payment")]
    _nothing_written(order)


def test_a_refusal_by_the_payment_service_rolls_everything_back(fees, gateway):
    # given an order for a bill, and a ledger that refuses the posting (a closed period)
    bill = make_bill(fees.houses[0], ["100.50"])
    order = order_for(fees.owner, fees.houses[0], bill_ids=[bill.pk])
    from gongzhi.billing import payments

    def refuse(**kwargs):
        raise payments.key_reused("order:x")

    original = online.payment_record
    online.payment_record = refuse
    try:
        status, _body = deliver_wechat(gateway, order)
    finally:
        online.payment_record = original
    assert status == 400
    assert outcomes()[0][0] == REJECTED and outcomes()[0][1].startswith("idempotency_key_reused")
    _nothing_written(order)


def test_the_sandbox_notification_is_verified_like_the_others(fees, settings):
    settings.BILLING_PROVIDER = "sandbox"
    order = online.order_create(actor=fees.owner, house=fees.houses[0], amount="12.34", key="sbx-1")
    sandbox = SandboxProvider.from_settings()
    headers, body = sandbox.notification_for(order)
    forged = dict(headers, **{"X-Sandbox-Signature": "0" * 64})
    assert online.notification_handle(provider="sandbox", headers=forged, body=body)[0] == 400
    assert online.notification_handle(provider="sandbox", headers=headers, body=body)[0] == 200
    assert [o for o, _r in outcomes()] == [REJECTED, NotificationOutcome.ACCEPTED]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_an_oversized_body_is_refused_unread(fees, gateway):
    assert online.notification_handle(provider="wechat", headers={}, body=b"x" * (online.MAX_BODY + 1))[0] == 400
    assert outcomes() == [(REJECTED, "body too large")]


def test_a_busy_database_is_answered_with_a_failure_so_the_gateway_retries(fees, gateway, monkeypatch):
    """Given a database that stays locked past its timeout while the notification is applied, the gateway gets its
    failure answer (it retries later), nothing is written, and the retry then settles the bill."""
    from django.db import OperationalError

    bill = make_bill(fees.houses[0], ["100.50"])
    order = order_for(fees.owner, fees.houses[0], bill_ids=[bill.pk])
    real_apply = online._apply

    def locked(adapter, note):
        raise OperationalError("database is locked")

    monkeypatch.setattr(online, "_apply", locked)
    status, _body = deliver_wechat(gateway, order)
    assert status >= 400
    _nothing_written(order)
    assert [o for o, _r in outcomes()] == [REJECTED]
    monkeypatch.setattr(online, "_apply", real_apply)
    assert deliver_wechat(gateway, order) == (204, b"")
    bill.refresh_from_db()
    assert bill.status == BillStatus.PAID
