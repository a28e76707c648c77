"""WeChat Pay API v3 on the ``wechatpayv3`` SDK: native pay (a ``code_url`` shown as a QR code) and the payment
notification (RSA-SHA256 signature over ``timestamp\\nnonce\\nbody\\n`` checked with the WeChat Pay public key,
``resource`` decrypted with AES-256-GCM and the APIv3 key).

Public-key mode (``BILLING_WECHAT_PUBLIC_KEY_PATH`` + ``BILLING_WECHAT_PUBLIC_KEY_ID``): the SDK never downloads
platform certificates. A notification signed under any other serial is refused here, before the SDK would try to
fetch certificates. ``BILLING_WECHAT_GATEWAY`` points the SDK at another gateway (the local simulator in tests)."""

import datetime
import json
import logging
from decimal import Decimal

from wechatpayv3 import WeChatPay, WeChatPayType

from .base import (
    Notification,
    NotificationInvalid,
    Provider,
    ProviderError,
    Reply,
    fen,
    json_reply,
    notify_url,
    read_key,
    setting,
)

log = logging.getLogger(__name__)
GATEWAY = "https://api.mch.weixin.qq.com"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
HEADERS = ("Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial",
           "Wechatpay-Signature-Type")


class WeChatProvider(Provider):
    name = "wechat"

    def __init__(self, *, mchid: str, appid: str, private_key: str, cert_serial_no: str, apiv3_key: str,
                 public_key: str, public_key_id: str, gateway: str = GATEWAY, timeout: float = 10.0):
        if not (mchid and appid and cert_serial_no and apiv3_key and public_key_id):
            raise ProviderError("WeChat Pay is not configured (BILLING_WECHAT_*)")
        if len(apiv3_key.encode()) != 32:
            raise ProviderError("BILLING_WECHAT_APIV3_KEY must be 32 bytes")
        self.merchant_id, self.app_id, self.public_key_id = mchid, appid, public_key_id
        try:
            self.client = WeChatPay(
                wechatpay_type=WeChatPayType.NATIVE, mchid=mchid, private_key=private_key,
                cert_serial_no=cert_serial_no, appid=appid, apiv3_key=apiv3_key, notify_url=notify_url(self.name),
                public_key=public_key, public_key_id=public_key_id, timeout=(5, timeout), logger=None)
        except Exception as error:  # the SDK raises bare Exception on a bad key
            raise ProviderError(f"WeChat Pay: {error}") from None
        # The SDK has no gateway parameter; its Core keeps the base URL here (wechatpayv3/core.py).
        self.client._core._gate_way = gateway.rstrip("/")

    @classmethod
    def from_settings(cls) -> "WeChatProvider":
        apiv3 = setting("BILLING_WECHAT_APIV3_KEY", "")
        if not apiv3 and setting("BILLING_WECHAT_APIV3_KEY_PATH", ""):
            apiv3 = read_key("BILLING_WECHAT_APIV3_KEY_PATH").strip()
        return cls(mchid=setting("BILLING_WECHAT_MCHID"), appid=setting("BILLING_WECHAT_APPID"),
                   private_key=read_key("BILLING_WECHAT_PRIVATE_KEY_PATH"),
                   cert_serial_no=setting("BILLING_WECHAT_CERT_SERIAL_NO"), apiv3_key=apiv3,
                   public_key=read_key("BILLING_WECHAT_PUBLIC_KEY_PATH"),
                   public_key_id=setting("BILLING_WECHAT_PUBLIC_KEY_ID"),
                   gateway=setting("BILLING_WECHAT_GATEWAY", GATEWAY) or GATEWAY,
                   timeout=float(setting("BILLING_GATEWAY_TIMEOUT", 10)))

    # --- orders --------------------------------------------------------------------------------------------------
    def create_order(self, order) -> str:
        expire = order.expires_at.astimezone(datetime.timezone(datetime.timedelta(hours=8))) \
            if order.expires_at else None
        try:
            code, message = self.client.pay(
                description=f"物业费 {order.out_trade_no}"[:127], out_trade_no=order.out_trade_no,
                amount={"total": fen(order.amount), "currency": "CNY"},
                time_expire=expire.isoformat(timespec="seconds") if expire else None)
        except Exception as error:  # requests errors, or the SDK's "failed to verify the signature"
            raise ProviderError(f"WeChat Pay order: {error}") from None
        if code != 200:
            raise ProviderError(f"WeChat Pay order refused ({code}): {str(message)[:200]}")
        try:
            return json.loads(message)["code_url"]
        except (ValueError, KeyError, TypeError):
            raise ProviderError("WeChat Pay order: no code_url in the answer") from None

    def query(self, out_trade_no: str) -> dict | None:
        try:
            code, message = self.client.query(out_trade_no=out_trade_no)
        except Exception as error:
            raise ProviderError(f"WeChat Pay query: {error}") from None
        return json.loads(message) if code == 200 else None

    # --- notifications -------------------------------------------------------------------------------------------
    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        wanted = {name: headers.get(name) or headers.get(name.lower()) or "" for name in HEADERS}
        if not wanted["Wechatpay-Signature"]:
            raise NotificationInvalid("signature header missing")
        if wanted["Wechatpay-Signature-Type"] != SIGNATURE_TYPE:
            raise NotificationInvalid("unsupported signature type")
        if wanted["Wechatpay-Serial"] != self.public_key_id:
            # Any other serial would make the SDK download platform certificates; we only trust our public key.
            raise NotificationInvalid("signed with an unknown key")
        try:
            text = body.decode("utf-8")
            data = self.client.callback(wanted, text)
        except Exception:  # bad UTF-8, JSON, base64, algorithm: garbled
            raise NotificationInvalid("garbled notification") from None
        if not data:  # the SDK answers None for a bad signature or a resource that does not decrypt
            raise NotificationInvalid("signature or decryption failed")
        resource = data.get("resource")
        if not isinstance(resource, dict):
            raise NotificationInvalid("no resource")
        amount = resource.get("amount") or {}
        total = amount.get("total") if isinstance(amount, dict) else None
        if not isinstance(total, int) or isinstance(total, bool):
            raise NotificationInvalid("amount missing")
        out_trade_no = str(resource.get("out_trade_no") or "")
        if not out_trade_no:
            raise NotificationInvalid("out_trade_no missing")
        return Notification(
            out_trade_no=out_trade_no, transaction_id=str(resource.get("transaction_id") or "")[:64],
            amount=Decimal(total) / 100, merchant_id=str(resource.get("mchid") or ""),
            app_id=str(resource.get("appid") or ""),
            paid=data.get("event_type") == "TRANSACTION.SUCCESS" and resource.get("trade_state") == "SUCCESS",
            raw={"id": data.get("id"), "event_type": data.get("event_type"), "resource": resource})

    def ack(self) -> Reply:
        # API v3: "HTTP 200 or 204 with no body" means received; anything else makes WeChat Pay retry.
        return Reply(status=204, body=b"")

    def nack(self, reason: str = "") -> Reply:
        return json_reply(400, {"code": "FAIL", "message": reason or "失败"})
