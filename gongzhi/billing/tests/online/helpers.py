"""Helpers of the online-payment tests: open an order, deliver a notification through the real handler."""

import itertools

from gongzhi.billing import online
from gongzhi.billing.models import PaymentNotification

_keys = itertools.count(1)


def key() -> str:
    return f"test-order-{next(_keys)}"


def order_for(actor, house, provider="wechat", **kwargs):
    return online.order_create(actor=actor, house=house, provider=provider, key=key(), **kwargs)


def deliver_wechat(gateway, order, **forge):
    headers, body = gateway.wechat_notification(order.out_trade_no, **forge)
    return online.notification_handle(provider="wechat", headers=headers, body=body, remote_addr="203.0.113.9")


def deliver_alipay(gateway, order, **forge):
    body = gateway.alipay_notification(order.out_trade_no, **forge)
    return online.notification_handle(provider="alipay", headers={"Content-Type": "application/x-www-form-urlencoded"},
                                      body=body, remote_addr="203.0.113.10")


def outcomes() -> list[tuple[str, str]]:
    return list(PaymentNotification.objects.order_by("id").values_list("outcome", "reason"))
