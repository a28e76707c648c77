"""The payment-provider interface: what billing asks of a gateway (WeChat Pay, Alipay, the demo sandbox).

A provider creates the gateway's order (a QR code URL or a page to redirect to), turns a notification the gateway
posted to us into a ``Notification`` after VERIFYING its signature (and decrypting it where the gateway encrypts),
and answers the gateway in its own format (``ack`` / ``nack``). It never touches the database: ``billing.online``
does, under the order's lock.

Configuration is read from ``django.conf.settings`` with defaults (see ``docs/billing/online-payments.md``); keys
are files whose paths the settings name, never values in the repository."""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings

FEN = Decimal("0.01")


class ProviderError(Exception):
    """The gateway could not be reached, refused the request, or is not configured."""


class NotificationInvalid(ProviderError):
    """A notification that is not genuine or cannot be read: a forged signature, a garbled or undecryptable body,
    a missing field. ``reason`` is a short English text for the notification log."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Notification:
    """A verified notification, in the gateway's terms translated to ours."""

    out_trade_no: str
    transaction_id: str
    amount: Decimal  # yuan, 2 places
    merchant_id: str  # WeChat mchid, Alipay seller_id, the sandbox's merchant
    app_id: str
    paid: bool  # the gateway says the money arrived (SUCCESS / TRADE_SUCCESS / TRADE_FINISHED)
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """What we answer the gateway: its status, content type and body."""

    status: int
    body: bytes
    content_type: str = "application/json"


class Provider(ABC):
    """One gateway. Subclasses set ``name`` (a ``PaymentMethod`` value) and implement the abstract methods."""

    name: str = ""
    merchant_id: str = ""
    app_id: str = ""

    @abstractmethod
    def create_order(self, order) -> str:
        """Create the gateway's order for ``order`` (a ``PaymentOrder``); return the URL the payer opens or the
        QR code content (``code_url`` / ``qr_code``)."""

    @abstractmethod
    def parse_notification(self, headers: dict[str, str], body: bytes) -> Notification:
        """Verify and read a notification; raise ``NotificationInvalid`` when it is not genuine."""

    @abstractmethod
    def ack(self) -> Reply:
        """The answer that tells the gateway the notification was taken."""

    @abstractmethod
    def nack(self, reason: str = "") -> Reply:
        """The answer that tells the gateway to retry or give up, in its own failure format."""

    def query(self, out_trade_no: str) -> dict[str, Any] | None:
        """The gateway's view of an order, where it offers one (optional)."""
        return None


def fen(amount: Decimal) -> int:
    """Yuan to fen (the integer WeChat Pay counts in)."""
    return int((Decimal(amount) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def yuan(value: Any) -> Decimal:
    """A gateway's amount in yuan ("12.30", 12.3 is refused) as a 2-place Decimal; fen integers go through
    ``Decimal(fen) / 100`` at the call site."""
    try:
        amount = Decimal(str(value))
    except Exception:  # decimal.InvalidOperation and friends
        raise NotificationInvalid("amount is not a number") from None
    if not amount.is_finite():
        raise NotificationInvalid("amount is not a number")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def setting(name: str, default: Any = "") -> Any:
    """A ``BILLING_*`` setting; until config/settings.py defines it, the environment variable of the same name."""
    return getattr(settings, name, os.environ.get(name, default))


def read_key(path_setting: str) -> str:
    """The text of the key file a setting names; a clear error when it is missing."""
    path = setting(path_setting, "")
    if not path:
        raise ProviderError(f"{path_setting} is not set")
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ProviderError(f"{path_setting}: cannot read {path}: {error.strerror}") from None


def notify_url(provider: str) -> str:
    """The URL a gateway posts its notifications to: ``BILLING_PUBLIC_URL`` + the API's notify path."""
    base = str(setting("BILLING_PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{base}/api/v1/billing/notify/{provider}"


def json_reply(status: int, payload: dict | None) -> Reply:
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    return Reply(status=status, body=body)
