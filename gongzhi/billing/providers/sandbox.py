"""The demo's gateway: a page of our own (``billing:sandbox_gateway``) shows the amount with "Pay" and "Cancel".
"Pay" builds a notification in the sandbox's format, signs it with the sandbox's HMAC-SHA256 key and hands it to
``billing.online.notification_handle``, the same handler the notify endpoint calls (verification, the order's
lock, the amount and merchant checks, the payment): the demo exercises the real flow, not a shortcut.

The key is ``BILLING_SANDBOX_KEY`` or, when unset, derived from ``SECRET_KEY``. The sandbox moves no money."""

import hashlib
import hmac
import json
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .base import Notification, NotificationInvalid, Provider, Reply, json_reply, setting, yuan

SIGNATURE_HEADER = "X-Sandbox-Signature"
MERCHANT = "gongzhi-sandbox"


class SandboxProvider(Provider):
    name = "sandbox"
    merchant_id = MERCHANT
    app_id = "gongzhi"

    def __init__(self, *, key: bytes):
        self.key = key

    @classmethod
    def from_settings(cls) -> "SandboxProvider":
        configured = setting("BILLING_SANDBOX_KEY", "")
        key = configured.encode() if configured else salted_hmac(
            "gongzhi.billing.sandbox", "notification key", secret=settings.SECRET_KEY).digest()
        return cls(key=key)

    def sign(self, body: bytes) -> str:
        return hmac.new(self.key, body, hashlib.sha256).hexdigest()

    def create_order(self, order) -> str:
        return reverse("billing:sandbox_gateway", kwargs={"estate_id": order.estate_id, "order_id": order.pk})

    def notification_for(self, order, *, status: str = "SUCCESS") -> tuple[dict[str, str], bytes]:
        """The notification the sandbox gateway sends when the payer presses "Pay" (or "Cancel": CLOSED)."""
        body = json.dumps({
            "out_trade_no": order.out_trade_no, "transaction_id": f"SBX{secrets.token_hex(12).upper()}",
            "amount": f"{order.amount:.2f}", "merchant_id": self.merchant_id, "app_id": self.app_id,
            "status": status, "time": timezone.now().isoformat(timespec="seconds")}, separators=(",", ":")).encode()
        return {SIGNATURE_HEADER: self.sign(body), "Content-Type": "application/json"}, body

    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        signature = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower()) or ""
        if not signature:
            raise NotificationInvalid("signature header missing")
        if not hmac.compare_digest(signature.encode(), self.sign(body).encode()):
            raise NotificationInvalid("signature does not verify")
        try:
            data = json.loads(body)
            out_trade_no = str(data["out_trade_no"])
            amount = yuan(data["amount"])
        except (ValueError, KeyError, TypeError):
            raise NotificationInvalid("garbled notification") from None
        return Notification(out_trade_no=out_trade_no, transaction_id=str(data.get("transaction_id", ""))[:64],
                            amount=amount, merchant_id=str(data.get("merchant_id", "")),
                            app_id=str(data.get("app_id", "")), paid=data.get("status") == "SUCCESS", raw=data)

    def ack(self) -> Reply:
        return json_reply(200, {"code": "SUCCESS", "message": "OK"})

    def nack(self, reason: str = "") -> Reply:
        return json_reply(400, {"code": "FAIL", "message": reason or "FAIL"})
