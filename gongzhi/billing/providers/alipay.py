"""Alipay on ``python-alipay-sdk`` (module ``alipay``), RSA2: a QR-code order (``alipay.trade.precreate``, the
default) or a page-pay URL (``BILLING_ALIPAY_MODE=page``), and the asynchronous notification (a form post whose
``sign`` is checked with the Alipay public key by the SDK's ``verify``).

``BILLING_ALIPAY_GATEWAY`` points the SDK at another gateway (the local simulator in tests)."""

from decimal import Decimal
from urllib.parse import parse_qsl

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError

from .base import (
    Notification,
    NotificationInvalid,
    Provider,
    ProviderError,
    Reply,
    notify_url,
    read_key,
    setting,
    yuan,
)

GATEWAY = "https://openapi.alipay.com/gateway.do"
PAID = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})


class AlipayProvider(Provider):
    name = "alipay"

    def __init__(self, *, app_id: str, seller_id: str, private_key: str, alipay_public_key: str,
                 gateway: str = GATEWAY, mode: str = "precreate", return_url: str = ""):
        if not (app_id and seller_id):
            raise ProviderError("Alipay is not configured (BILLING_ALIPAY_APPID, BILLING_ALIPAY_SELLER_ID)")
        self.app_id, self.merchant_id, self.mode, self.return_url = app_id, seller_id, mode, return_url
        try:
            self.client = AliPay(appid=app_id, app_notify_url=notify_url(self.name),
                                 app_private_key_string=private_key, alipay_public_key_string=alipay_public_key,
                                 sign_type="RSA2")
        except Exception as error:  # a key that does not load
            raise ProviderError(f"Alipay: {error}") from None
        self.gateway = gateway
        self.client._gateway = gateway  # the SDK's only knob besides debug=True (its sandbox)

    @classmethod
    def from_settings(cls) -> "AlipayProvider":
        return cls(app_id=setting("BILLING_ALIPAY_APPID"), seller_id=setting("BILLING_ALIPAY_SELLER_ID"),
                   private_key=read_key("BILLING_ALIPAY_PRIVATE_KEY_PATH"),
                   alipay_public_key=read_key("BILLING_ALIPAY_PUBLIC_KEY_PATH"),
                   gateway=setting("BILLING_ALIPAY_GATEWAY", GATEWAY) or GATEWAY,
                   mode=setting("BILLING_ALIPAY_MODE", "precreate") or "precreate",
                   return_url=setting("BILLING_ALIPAY_RETURN_URL", ""))

    def create_order(self, order) -> str:
        subject = f"物业费 {order.out_trade_no}"
        total = f"{order.amount:.2f}"
        extra = {}
        if order.expires_at:
            extra["time_expire"] = order.expires_at.astimezone().strftime("%Y-%m-%d %H:%M:%S")
        if self.mode == "page":
            query = self.client.api_alipay_trade_page_pay(subject=subject, out_trade_no=order.out_trade_no,
                                                          total_amount=total, return_url=self.return_url or None,
                                                          **extra)
            return f"{self.gateway}?{query}"
        try:
            answer = self.client.api_alipay_trade_precreate(subject=subject, out_trade_no=order.out_trade_no,
                                                            total_amount=total, **extra)
        except AliPayValidationError:
            raise ProviderError("Alipay order: the answer's signature does not verify") from None
        except AliPayException as error:
            raise ProviderError(f"Alipay order refused: {str(error)[:200]}") from None
        except Exception as error:  # urllib errors
            raise ProviderError(f"Alipay order: {error}") from None
        if answer.get("code") != "10000" or not answer.get("qr_code"):
            raise ProviderError(f"Alipay order refused: {answer.get('sub_code') or answer.get('code')}")
        return answer["qr_code"]

    def query(self, out_trade_no: str) -> dict | None:
        try:
            return self.client.api_alipay_trade_query(out_trade_no=out_trade_no)
        except Exception as error:
            raise ProviderError(f"Alipay query: {error}") from None

    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise NotificationInvalid("garbled notification") from None
        data = dict(pairs)
        if len(data) != len(pairs):
            raise NotificationInvalid("repeated field")
        signature = data.pop("sign", "")
        if not signature:
            raise NotificationInvalid("signature missing")
        raw = dict(data)
        try:
            genuine = self.client.verify(data, signature)  # pops sign_type; refuses any but RSA2
        except Exception:  # AliPayException (sign type), bad base64
            genuine = False
        if not genuine:
            raise NotificationInvalid("signature does not verify")
        if not raw.get("out_trade_no"):
            raise NotificationInvalid("out_trade_no missing")
        return Notification(
            out_trade_no=raw["out_trade_no"], transaction_id=raw.get("trade_no", "")[:64],
            amount=yuan(raw.get("total_amount", "")) if raw.get("total_amount") else Decimal("-1"),
            merchant_id=raw.get("seller_id", ""), app_id=raw.get("app_id", ""),
            paid=raw.get("trade_status") in PAID, raw=raw)

    def ack(self) -> Reply:
        return Reply(status=200, body=b"success", content_type="text/plain")

    def nack(self, reason: str = "") -> Reply:
        # Anything but "success" makes Alipay retry; "fail" is the documented word.
        return Reply(status=200, body=b"fail", content_type="text/plain")
